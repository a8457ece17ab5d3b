use std::process::Command;

use actix_web::http::Method;
use actix_web::test::TestRequest;
use serde_json::json;

use crate::backend_tests;
use crate::helpers::{Backend, NewPublication, TestApp, insert_publication};

backend_tests!(
    writes_need_a_valid_token,
    a_bad_token_is_refused_even_where_none_is_needed,
    reads_with_a_token_show_drafts_and_are_private,
    tokens_are_created_listed_and_revoked_by_the_command_line,
);

async fn writes_need_a_valid_token(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token();
    let body = json!({"title": "Une étude"});

    let cases = [
        None,
        Some("Basic dXNlcjpwYXNz".to_owned()),
        Some("Bearer".to_owned()),
        Some("Bearer ".to_owned()),
        Some("Bearer prt_nothing".to_owned()),
        Some(format!("Bearer {}x", token)),
        Some(format!("Bearer {}", token.replace("prt_", "prt_0"))),
        Some(format!("Bearer {}", &token[..token.len() - 1])),
    ];
    for authorization in cases {
        let mut request = TestRequest::post()
            .uri("/api/v1/publications")
            .insert_header(("Content-Type", "application/json"))
            .set_payload(body.to_string());
        if let Some(authorization) = &authorization {
            request = request.insert_header(("Authorization", authorization.as_str()));
        }
        let answer = app.call(request).await;
        answer.problem(401, "UNAUTHORIZED");
        let challenge = answer.header("www-authenticate").unwrap_or_default();
        match &authorization {
            None => assert_eq!(challenge, r#"Bearer realm="parution""#),
            // RFC 6750: a token sent and refused is an invalid_token.
            Some(_) => assert!(
                challenge.starts_with(r#"Bearer realm="parution", error="invalid_token", error_description=""#),
                "{authorization:?}: {challenge}"
            ),
        }
    }
    assert_eq!(app.publication_count(), 0, "nothing was written");

    let accepted = app.write(Method::POST, "/api/v1/publications", &token, body).await;
    assert_eq!(accepted.status, 201);
    let lower_case = app
        .call(
            TestRequest::delete()
                .uri(&format!("/api/v1/publications/{}", accepted.json()["id"]))
                .insert_header(("Authorization", format!("bearer {token}"))),
        )
        .await;
    assert_eq!(lower_case.status, 204, "the scheme is case-insensitive");
}

async fn a_bad_token_is_refused_even_where_none_is_needed(backend: Backend) {
    let app = TestApp::with_demo(backend).await;

    for uri in ["/api/v1/publications", "/api/v1/publications/1", "/api/v1/publications/1/links"] {
        let answer = app.get_with(uri, "prt_0000000000000000_0000").await;
        answer.problem(401, "UNAUTHORIZED");
    }
}

async fn reads_with_a_token_show_drafts_and_are_private(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token();
    let connection = &mut app.connection();
    let published = insert_publication(connection, NewPublication { slug: "publique", ..Default::default() });
    let draft = insert_publication(
        connection,
        NewPublication { slug: "brouillon", status: "draft", published_at: None, ..Default::default() },
    );
    crate::helpers::insert_link(connection, published, "related", Ok(draft), 0);

    let public = app.get("/api/v1/publications/brouillon").await;
    let private = app.get_with("/api/v1/publications/brouillon", &token).await;
    let public_links = app.get("/api/v1/publications/publique/links").await.json();
    let private_links = app.get_with("/api/v1/publications/publique/links", &token).await;

    public.problem(404, "NOT_FOUND");
    assert_eq!(private.status, 200);
    assert_eq!(private.json()["status"], "draft");
    assert_eq!(private.header("cache-control"), Some("private, no-store"));
    assert_eq!(public_links["data"].as_array().unwrap().len(), 0);
    assert_eq!(private_links.json()["data"][0]["target"]["slug"], "brouillon");
    assert_eq!(private_links.header("cache-control"), Some("private, no-store"));
    let list = app.get_with("/api/v1/publications", &token).await;
    assert_eq!(list.header("cache-control"), Some("private, no-store"));
    assert_eq!(app.get("/api/v1/publications").await.header("cache-control"), Some("public, max-age=60"));
}

async fn tokens_are_created_listed_and_revoked_by_the_command_line(backend: Backend) {
    let app = TestApp::new(backend).await;
    let parution = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_parution"))
            .args(args)
            .env("PARUTION_DATABASE_URL", &app.url)
            .env("RUST_LOG", "warn")
            .output()
            .unwrap()
    };

    let created = parution(&["token", "create", "--name", "site-editorial"]);
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let token = String::from_utf8(created.stdout).unwrap().trim().to_owned();
    assert!(token.starts_with("prt_") && token.len() >= 4 + 16 + 1 + 64, "at least 128 bits: {token}");
    let again = parution(&["token", "create", "--name", "site-editorial"]);
    assert!(!again.status.success(), "names are unique");

    let write = |token: String| {
        let app = &app;
        async move { app.write(Method::POST, "/api/v1/categories", &token, json!({"name": "Presse"})).await }
    };
    assert_eq!(write(token.clone()).await.status, 201);

    // The use is recorded apart from the answer: soon after it.
    let mut listing = String::new();
    for _ in 0..100 {
        listing = String::from_utf8(parution(&["token", "list"]).stdout).unwrap();
        if !listing.lines().nth(1).unwrap().contains("never") {
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(listing.contains("site-editorial") && listing.contains("active"), "{listing}");
    assert!(!listing.contains(&token[4..]), "secrets are never listed");
    assert!(!listing.lines().nth(1).unwrap().contains("never"), "the last use is recorded: {listing}");

    let revoked = parution(&["token", "revoke", "site-editorial"]);
    assert!(revoked.status.success());
    write(token).await.problem(401, "UNAUTHORIZED");
    assert!(String::from_utf8(parution(&["token", "list"]).stdout).unwrap().contains("revoked"));
    assert!(!parution(&["token", "revoke", "site-editorial"]).status.success(), "already revoked");
}
