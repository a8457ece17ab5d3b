//! The security headers are on every answer, from the HTTP layer: every
//! operation of the OpenAPI document (so a route added later is walked
//! too), with and without a token, its errors, a `304`, a preflight, an
//! unknown route, an overlong target, and the interactive documentation
//! with its own policy.

use actix_web::http::Method;
use actix_web::test::TestRequest;
use serde_json::Value;

use crate::helpers::{Answer, Backend, TestApp};

const API_POLICY: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

fn assert_secure(answer: &Answer, what: &str, docs: bool) {
    let expected = [
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        ("x-frame-options", "DENY"),
        ("cross-origin-resource-policy", "cross-origin"),
    ];
    for (name, value) in expected {
        assert_eq!(answer.header(name), Some(value), "{what} ({}): {name}", answer.status);
    }
    let policy = answer.header("content-security-policy").unwrap_or_else(|| panic!("{what}: no policy"));
    if docs {
        assert!(policy.contains("script-src 'self'") && policy.contains("frame-ancestors 'none'"), "{what}: {policy}");
        assert!(!policy.contains("unsafe-eval") && !policy.contains('*'), "{what}: {policy}");
    } else {
        assert_eq!(policy, API_POLICY, "{what}");
    }
}

/// A path of the document with its parameters filled in.
fn filled(path: &str) -> String {
    path.replace("{ref}", "concertation-fournisseurs-ia-ayants-droit")
        .replace("{sha256}", &"0".repeat(64))
        .replace("{name}", "rapport.pdf")
        .split('/')
        .map(|segment| if segment.starts_with('{') { "1" } else { segment })
        .collect::<Vec<_>>()
        .join("/")
}

#[actix_web::test]
async fn every_answer_has_the_security_headers() {
    let app = TestApp::with_demo(Backend::Sqlite).await;
    let token = app.token();
    let document: Value = serde_json::from_str(&parution::openapi::to_pretty_json(&parution::openapi::document()))
        .expect("the document is JSON");
    // Before the walk (which writes, deletes included): a 304, a 404 of an unknown route, a 400, a 414, a preflight, a 401.
    let detail = app.get("/api/v1/publications/concertation-fournisseurs-ia-ayants-droit").await;
    let tag = detail.header("etag").unwrap().to_owned();
    let not_modified = app
        .call(
            TestRequest::get()
                .uri("/api/v1/publications/concertation-fournisseurs-ia-ayants-droit")
                .insert_header(("If-None-Match", tag)),
        )
        .await;
    assert_eq!(not_modified.status, 304);
    assert_secure(&not_modified, "a 304", false);
    assert_secure(&app.get("/no/such/route").await, "an unknown route", false);
    assert_secure(&app.get("/api/v1/publications?categroy=x").await, "a 400", false);
    let long = format!("/api/v1/publications?q={}", "a".repeat(20_000));
    let too_long = app.get(&long).await;
    assert_eq!(too_long.status, 414);
    assert_secure(&too_long, "a 414", false);
    let preflight = app
        .call(
            TestRequest::default()
                .method(Method::OPTIONS)
                .uri("/api/v1/publications")
                .insert_header(("Origin", "https://example.org"))
                .insert_header(("Access-Control-Request-Method", "GET")),
        )
        .await;
    assert_secure(&preflight, "a preflight", false);
    assert_secure(&app.get("/openapi.json").await, "the document", false);
    assert_secure(&app.get("/health").await, "the health check", false);

    let mut walked = 0;
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let Ok(method) = Method::from_bytes(method.to_uppercase().as_bytes()) else { continue };
            let uri = filled(path);
            let anonymous = app.call(TestRequest::default().method(method.clone()).uri(&uri)).await;
            assert_secure(&anonymous, &format!("{method} {uri}"), false);
            let with_token = app
                .call(
                    TestRequest::default()
                        .method(method.clone())
                        .uri(&uri)
                        .insert_header(("Authorization", format!("Bearer {token}")))
                        .insert_header(("Content-Type", "application/json"))
                        .set_payload("{}"),
                )
                .await;
            assert_secure(&with_token, &format!("{method} {uri} with a token"), false);
            walked += 1;
        }
    }
    assert!(walked > 40, "every operation is walked: {walked}");

    // The documentation: its own policy, framed by no one.
    for path in ["/docs", "/docs/", "/docs/swagger-ui.css", "/docs/swagger-initializer.js"] {
        let answer = app.get(path).await;
        assert!(answer.status.is_success() || answer.status.is_redirection(), "{path}: {}", answer.status);
        assert_secure(&answer, path, true);
    }
}
