//! With `PARUTION_RATE_LIMIT`, each token, or each client address without
//! one, gets so many requests per window; past it, a 429 with
//! `Retry-After`. `X-Forwarded-For` names the client only when a trusted
//! proxy sends it.

use actix_web::test::TestRequest;
use parution::config::HttpSettings;

use crate::backend_tests;
use crate::helpers::{Answer, Backend, TestApp};

backend_tests!(each_client_has_its_own_allowance);

fn limited(trusted: &str) -> HttpSettings {
    HttpSettings {
        rate_limit: Some("3/min".parse().unwrap()),
        trusted_proxies: trusted.split(',').filter(|text| !text.is_empty()).map(|text| text.parse().unwrap()).collect(),
        ..HttpSettings::default()
    }
}

async fn from(app: &TestApp, peer: &str, headers: &[(&str, &str)]) -> Answer {
    let mut request = TestRequest::get().uri("/api/v1/categories").peer_addr(format!("{peer}:40000").parse().unwrap());
    for header in headers {
        request = request.insert_header(*header);
    }
    app.call(request).await
}

async fn each_client_has_its_own_allowance(backend: Backend) {
    let app = TestApp::with_http(backend, limited("10.0.0.0/8"));
    let token = app.token();
    let bearer = format!("Bearer {token}");

    // An address: three, then a 429 that says when to retry.
    for remaining in ["2", "1", "0"] {
        let answer = from(&app, "192.0.2.1", &[]).await;
        assert_eq!(answer.status, 200);
        assert_eq!(answer.header("ratelimit-limit"), Some("3"));
        assert_eq!(answer.header("ratelimit-remaining"), Some(remaining));
        assert_eq!(answer.header("ratelimit-policy"), Some("3;w=60"));
        assert!(answer.header("ratelimit-reset").unwrap().parse::<u64>().unwrap() <= 60);
    }
    let refused = from(&app, "192.0.2.1", &[]).await;
    refused.problem(429, "RATE_LIMITED");
    let retry_after: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=20).contains(&retry_after), "one request's worth comes back every 20 s: {retry_after}");
    assert_eq!(refused.header("ratelimit-remaining"), Some("0"));
    assert!(refused.header("x-request-id").is_some(), "a 429 is answered like any other error");

    // The probes are never limited.
    let health = app.call(TestRequest::get().uri("/health").peer_addr("192.0.2.1:40000".parse().unwrap())).await;
    assert_eq!(health.status, 200);
    assert!(health.header("ratelimit-limit").is_none());

    // Another address, and a token from the limited address, count apart.
    assert_eq!(from(&app, "192.0.2.2", &[]).await.status, 200);
    let with_token = from(&app, "192.0.2.1", &[("Authorization", &bearer)]).await;
    assert_eq!((with_token.status.as_u16(), with_token.header("ratelimit-remaining")), (200, Some("2")));

    // X-Forwarded-For counts only from a trusted proxy: 10.1.2.3 is one.
    for client in ["198.51.100.1", "198.51.100.2"] {
        let forwarded = [("X-Forwarded-For", client)];
        let answer = from(&app, "10.1.2.3", &forwarded).await;
        assert_eq!(answer.header("ratelimit-remaining"), Some("2"), "{client} has its own allowance");
    }
    let chain = [("X-Forwarded-For", "198.51.100.1, 10.9.9.9")];
    assert_eq!(from(&app, "10.1.2.3", &chain).await.header("ratelimit-remaining"), Some("1"), "proxies are skipped");
    // From an untrusted peer, the header is the client's own word: ignored.
    for client in ["198.51.100.3", "198.51.100.4"] {
        let forwarded = [("X-Forwarded-For", client)];
        from(&app, "203.0.113.9", &forwarded).await;
    }
    let spoofed = from(&app, "203.0.113.9", &[("X-Forwarded-For", "198.51.100.5")]).await;
    assert_eq!(spoofed.header("ratelimit-remaining"), Some("0"), "one allowance for the untrusted peer");
}

#[actix_web::test]
async fn without_a_limit_no_header_is_sent() {
    let app = TestApp::with_demo(Backend::Sqlite).await;
    let answer = app.get("/api/v1/categories").await;
    assert_eq!(answer.status, 200);
    assert!(answer.header("ratelimit-limit").is_none());
}
