use std::process::Command;

use actix_web::http::Method;
use actix_web::test::TestRequest;
use serde_json::json;

use crate::backend_tests;
use crate::helpers::{Answer, Backend, NewPublication, TestApp, insert_publication};
use parution::tokens::Scope;

backend_tests!(
    writes_need_a_valid_token,
    a_bad_token_is_refused_even_where_none_is_needed,
    reads_with_a_token_show_drafts_and_are_private,
    tokens_are_created_listed_and_revoked_by_the_command_line,
    scopes_bound_what_a_token_may_do,
    an_admin_manages_tokens_over_http,
    a_token_made_before_scopes_is_an_admin,
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

    // Without --scope, a token writes content but does not administer.
    let purge =
        TestRequest::delete().uri("/api/v1/trash/1").insert_header(("Authorization", format!("Bearer {token}")));
    let refused = app.call(purge).await;
    refused.problem(403, "INSUFFICIENT_SCOPE");
    let scoped = parution(&[
        "token",
        "create",
        "--name",
        "lecteur",
        "--scope",
        "read",
        "--scope",
        "write",
        "--expires-in",
        "2d",
    ]);
    assert!(scoped.status.success(), "{}", String::from_utf8_lossy(&scoped.stderr));
    assert!(
        String::from_utf8_lossy(&scoped.stderr).contains("scope write, valid until"),
        "the widest scope given counts"
    );
    let listing = String::from_utf8(parution(&["token", "list"]).stdout).unwrap();
    let line = listing.lines().find(|line| line.starts_with("lecteur")).unwrap();
    assert!(line.contains(" write ") && line.contains("active until"), "{line}");
    for wrong in [["--scope", "root"], ["--expires-in", "5x"]] {
        let mut args = vec!["token", "create", "--name", "autre"];
        args.extend(wrong);
        assert!(!parution(&args).status.success(), "{wrong:?} is refused");
    }

    let revoked = parution(&["token", "revoke", "site-editorial"]);
    assert!(revoked.status.success());
    write(token).await.problem(401, "UNAUTHORIZED");
    assert!(String::from_utf8(parution(&["token", "list"]).stdout).unwrap().contains("revoked"));
    assert!(!parution(&["token", "revoke", "site-editorial"]).status.success(), "already revoked");
}

fn with_token(request: TestRequest, token: &str) -> TestRequest {
    request.insert_header(("Authorization", format!("Bearer {token}")))
}

fn insufficient(answer: &Answer, needed: &str) {
    answer.problem(403, "INSUFFICIENT_SCOPE");
    assert_eq!(
        answer.header("www-authenticate"),
        Some(format!(r#"Bearer realm="parution", error="insufficient_scope", scope="{needed}""#).as_str())
    );
}

async fn scopes_bound_what_a_token_may_do(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (reader, writer, admin) = (app.token_of(Scope::Read), app.token_of(Scope::Write), app.token_of(Scope::Admin));
    let draft = json!({"title": "Brouillon"});
    insufficient(&app.write(Method::POST, "/api/v1/publications", &reader, draft.clone()).await, "write");
    insufficient(&app.write(Method::POST, "/api/v1/categories", &reader, json!({"name": "Presse"})).await, "write");
    assert_eq!(app.publication_count(), 0, "a refused write changes nothing");
    assert_eq!(app.write(Method::POST, "/api/v1/publications", &writer, draft).await.status, 201);
    // Every scope reads drafts, revisions and the trash.
    for token in [&reader, &writer, &admin] {
        assert_eq!(app.get_with("/api/v1/publications/brouillon", token).await.status, 200);
        assert_eq!(app.get_with("/api/v1/publications/brouillon/revisions", token).await.status, 200);
        assert_eq!(app.get_with("/api/v1/trash", token).await.status, 200);
    }
    let delete = |token: &str| with_token(TestRequest::delete().uri("/api/v1/publications/brouillon"), token);
    insufficient(&app.call(delete(&reader)).await, "write");
    assert_eq!(app.call(delete(&writer)).await.status, 204);
    let id = app.get_with("/api/v1/trash", &reader).await.json()["data"][0]["id"].as_i64().unwrap();
    let purge = |token: &str| with_token(TestRequest::delete().uri(&format!("/api/v1/trash/{id}")), token);
    insufficient(&app.call(purge(&writer)).await, "admin");
    insufficient(&app.get_with("/api/v1/tokens", &writer).await, "admin");
    assert_eq!(app.call(purge(&admin)).await.status, 204);

    // An expired token is refused everywhere, reads included.
    let past = parution::db::now() - chrono::TimeDelta::minutes(1);
    let expired = app.token_until(Scope::Admin, Some(past));
    for answer in [app.get_with("/api/v1/publications", &expired).await, app.get_with("/api/v1/tokens", &expired).await]
    {
        let problem = answer.problem(401, "UNAUTHORIZED");
        assert!(problem["detail"].as_str().unwrap().contains("expired"));
        assert!(answer.header("www-authenticate").unwrap().contains(r#"error="invalid_token""#));
    }
    let future = parution::db::now() + chrono::TimeDelta::minutes(5);
    let valid = app.token_until(Scope::Read, Some(future));
    assert_eq!(app.get_with("/api/v1/trash", &valid).await.status, 200);
}

async fn an_admin_manages_tokens_over_http(backend: Backend) {
    let app = TestApp::new(backend).await;
    let admin = app.token();
    let body = json!({"name": "portail-partenaire", "scope": "read", "expires_in": "90d"});
    let created = app.write(Method::POST, "/api/v1/tokens", &admin, body.clone()).await;
    assert_eq!(created.status, 201, "{}", String::from_utf8_lossy(&created.body));
    let created_json = created.json();
    let (id, secret) = (created_json["id"].as_i64().unwrap(), created_json["token"].as_str().unwrap().to_owned());
    assert_eq!(created.header("location"), Some(format!("/api/v1/tokens/{id}").as_str()));
    assert_eq!((created_json["scope"].as_str(), created_json["status"].as_str()), (Some("read"), Some("active")));
    let expires = chrono::DateTime::parse_from_rfc3339(created_json["expires_at"].as_str().unwrap()).unwrap();
    let days = (expires.naive_utc() - parution::db::now()).num_hours() as f64 / 24.0;
    assert!((89.9..=90.0).contains(&days), "90 days: {days}");
    // The secret works, for what its scope allows.
    assert_eq!(app.get_with("/api/v1/trash", &secret).await.status, 200);
    insufficient(&app.write(Method::POST, "/api/v1/publications", &secret, json!({"title": "Non"})).await, "write");
    // It is never shown again.
    let listed = app.get_with("/api/v1/tokens", &admin).await;
    assert_eq!(listed.status, 200);
    assert!(!String::from_utf8_lossy(&listed.body).contains(&secret[4..]), "no secret is listed");
    assert!(listed.json()["data"].as_array().unwrap().iter().any(|token| token["name"] == "portail-partenaire"));
    let one = app.get_with(&format!("/api/v1/tokens/{id}"), &admin).await.json();
    assert!(one.get("token").is_none());
    // Names are unique; the body is checked.
    app.write(Method::POST, "/api/v1/tokens", &admin, body).await.problem(409, "CONFLICT");
    let invalid = app
        .write(Method::POST, "/api/v1/tokens", &admin, json!({"name": "x", "scope": "root", "expires_in": "3w"}))
        .await;
    let problem = invalid.problem(422, "VALIDATION_FAILED");
    let fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|error| error["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["scope", "expires_in"]);
    // Revoked, it stops at once.
    let revoke = |token: &str| with_token(TestRequest::delete().uri(&format!("/api/v1/tokens/{id}")), token);
    insufficient(&app.call(revoke(&secret)).await, "admin");
    assert_eq!(app.call(revoke(&admin)).await.status, 204);
    app.get_with("/api/v1/trash", &secret).await.problem(401, "UNAUTHORIZED");
    assert_eq!(app.get_with(&format!("/api/v1/tokens/{id}"), &admin).await.json()["status"], "revoked");
    app.call(with_token(TestRequest::delete().uri("/api/v1/tokens/999"), &admin)).await.problem(404, "NOT_FOUND");
}

async fn a_token_made_before_scopes_is_an_admin(backend: Backend) {
    use diesel::prelude::*;
    let app = TestApp::new(backend).await;
    // A row as the schema before scopes wrote it: no scope given.
    let token = app.token_of(Scope::Read);
    let key = &token[4..20];
    diesel::sql_query(format!(
        "INSERT INTO api_tokens (name, lookup_key, secret_hash, created_at) \
         SELECT 'ancien', '{}', secret_hash, created_at FROM api_tokens WHERE lookup_key = '{key}'",
        "0".repeat(16)
    ))
    .execute(&mut *app.connection())
    .unwrap();
    let old = format!("prt_{}{}", "0".repeat(16), &token[20..]);
    assert_eq!(app.get_with("/api/v1/tokens", &old).await.status, 200, "it may do everything it could");
    let listed = app.get_with("/api/v1/tokens", &old).await.json();
    let row = listed["data"].as_array().unwrap().iter().find(|token| token["name"] == "ancien").unwrap().clone();
    assert_eq!(row["scope"], "admin");
}
