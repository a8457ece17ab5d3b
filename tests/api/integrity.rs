//! Integrity under contention and bad input: no cycle in the category tree,
//! no deadlock or 412 for writes without a precondition, 503 (never 500)
//! when the database is busy, and imports held to the API's rules.

use std::time::Duration;

use actix_web::http::Method;
use actix_web::test::TestRequest;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::{Answer, Backend, TestApp};

backend_tests!(
    opposite_concurrent_moves_let_exactly_one_win_and_leave_writes_free,
    an_import_that_would_make_a_cycle_is_refused_naming_its_line,
    concurrent_link_and_publication_writes_on_one_publication_all_succeed,
    a_held_write_lock_answers_503_then_writes_go_through,
    import_lines_breaking_an_api_rule_are_refused,
);

async fn patch(app: &TestApp, uri: String, token: String, body: Value) -> Answer {
    app.call(
        TestRequest::patch()
            .uri(&uri)
            .insert_header(("Authorization", format!("Bearer {token}")))
            .insert_header(("Content-Type", "application/merge-patch+json"))
            .set_payload(body.to_string()),
    )
    .await
}

async fn opposite_concurrent_moves_let_exactly_one_win_and_leave_writes_free(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token();
    for name in ["Alpha", "Beta"] {
        assert_eq!(app.write(Method::POST, "/api/v1/categories", &token, json!({"name": name})).await.status, 201);
    }
    for round in 0..8 {
        let (a, b) = futures_util::future::join(
            patch(&app, "/api/v1/categories/alpha".into(), token.clone(), json!({"parent_id": "beta"})),
            patch(&app, "/api/v1/categories/beta".into(), token.clone(), json!({"parent_id": "alpha"})),
        )
        .await;
        let mut statuses = [a.status.as_u16(), b.status.as_u16()];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 422], "round {round}: exactly one move wins");
        let loser = if a.status == 422 { &a } else { &b };
        assert_eq!(loser.json()["errors"][0]["code"], "cycle", "round {round}");
        for slug in ["alpha", "beta"] {
            let root = patch(&app, format!("/api/v1/categories/{slug}"), token.clone(), json!({"parent_id": null}));
            assert_eq!(root.await.status, 200);
        }
    }
    // Nothing stayed locked, and the tree has no cycle to walk forever.
    let next = app.write(Method::POST, "/api/v1/categories", &token, json!({"name": "Gamma"}));
    let next = actix_web::rt::time::timeout(Duration::from_secs(10), next).await.expect("the next write answers");
    assert_eq!(next.status, 201);
    let tree = app.get("/api/v1/categories?tree=true").await;
    assert_eq!(tree.json()["data"].as_array().unwrap().len(), 3, "three roots");
}

fn import(app: &TestApp, input: &str) -> Result<parution::exchange::ImportReport, String> {
    let source = parution::exchange::Source::spooled(input.as_bytes())?;
    parution::exchange::import(&mut app.connection(), &source, |_, _| {})
}

const TIMES: &str = r#""created_at":"2025-12-01T09:00:00Z","updated_at":"2025-12-01T09:00:00Z","version":1"#;

async fn an_import_that_would_make_a_cycle_is_refused_naming_its_line(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token();
    app.write(Method::POST, "/api/v1/categories", &token, json!({"name": "Racine"})).await;
    app.write(Method::POST, "/api/v1/categories", &token, json!({"name": "Branche", "parent_id": "racine"})).await;

    let file = format!(
        r#"{{"type":"category","slug":"racine","name":"Racine","description":null,"parent":"branche","position":0,{TIMES}}}"#
    );
    let error = import(&app, &format!("\n{file}\n")).unwrap_err();

    assert!(error.starts_with("line 2:") && error.contains("descendants"), "{error}");
    let root = app.get("/api/v1/categories/racine").await.json();
    assert_eq!(root["parent_id"], Value::Null, "nothing was written");
    assert_eq!(app.get("/api/v1/categories?tree=true").await.status, 200);
}

async fn concurrent_link_and_publication_writes_on_one_publication_all_succeed(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token();
    for title in ["Cible", "Source"] {
        let created = app.write(Method::POST, "/api/v1/publications", &token, json!({"title": title})).await;
        assert_eq!(created.status, 201);
    }
    let writes = (0..32).map(|index| {
        let (app, token) = (&app, token.clone());
        async move {
            if index % 2 == 0 {
                patch(app, "/api/v1/publications/source".into(), token, json!({"summary": format!("Version {index}")}))
                    .await
            } else {
                let link = json!({"target": "cible", "title": format!("Lien {index}")});
                app.write(Method::POST, "/api/v1/publications/source/links", &token, link).await
            }
        }
    });
    let answers = join_all(writes).await;

    for answer in &answers {
        assert!(
            answer.status.is_success(),
            "no 5xx, no 412 without If-Match: {} {}",
            answer.status,
            String::from_utf8_lossy(&answer.body)
        );
    }
    let source = app.get_with("/api/v1/publications/source", &token).await.json();
    assert_eq!(source["version"], 1 + 32, "every write counted once");
    assert_eq!(source["links"].as_array().unwrap().len(), 16);
}

/// Takes the write lock on another connection, as a long write would.
fn hold_the_write_lock(app: &TestApp) -> Box<dyn FnOnce()> {
    match app.url.split_once("://") {
        Some(("sqlite", path)) => {
            let mut holder = SqliteConnection::establish(path).unwrap();
            holder.batch_execute("BEGIN IMMEDIATE").unwrap();
            Box::new(move || holder.batch_execute("COMMIT").unwrap())
        }
        _ => {
            let mut holder = PgConnection::establish(&app.url).unwrap();
            holder.batch_execute("BEGIN; SELECT revision FROM catalogue_revision WHERE id = 1 FOR UPDATE").unwrap();
            Box::new(move || holder.batch_execute("COMMIT").unwrap())
        }
    }
}

async fn a_held_write_lock_answers_503_then_writes_go_through(backend: Backend) {
    let app = TestApp::start_with(backend, parution::startup::Demo::Never, |settings| settings.lock_timeout_ms = 200);
    let token = app.token();
    let release = hold_the_write_lock(&app);

    let busy = app.write(Method::POST, "/api/v1/categories", &token, json!({"name": "Attente"})).await;
    let problem = busy.problem(503, "UNAVAILABLE");
    assert!(problem["detail"].as_str().unwrap().contains("busy"), "{problem}");
    assert!(busy.header("retry-after").is_some());
    assert_eq!(app.get("/api/v1/categories").await.status, 200, "reads go on meanwhile");

    release();
    let after = app.write(Method::POST, "/api/v1/categories", &token, json!({"name": "Attente"})).await;
    assert_eq!(after.status, 201, "{}", String::from_utf8_lossy(&after.body));
}

async fn import_lines_breaking_an_api_rule_are_refused(backend: Backend) {
    let app = TestApp::new(backend).await;
    let publication = |fields: &str| {
        format!(
            r#"{{"type":"publication","slug":"p","title":"Titre","summary":"","body":"","status":"draft","language":"fr","published_at":null,"authors":[],"categories":[],"links":[],{TIMES},{fields}}}"#
        )
    };
    let link = |fields: &str| {
        publication(&format!(
            r#""links":[{{"rel":"attachment","title":"Le rapport","url":"https://example.org/r.pdf","target":null,"media_type":null,"hreflang":null,"position":0,"version":1,{fields}}}]"#
        ))
        .replacen(r#""links":[],"#, "", 1)
    };
    let cases = [
        (publication(&format!(r#""title":"{}""#, "t".repeat(301))).replacen(r#""title":"Titre","#, "", 1), "title"),
        (publication(r#""summary":"<b>gras</b>""#).replacen(r#""summary":"","#, "", 1), "summary"),
        (publication(&format!(r#""authors":{}"#, json!(vec!["A"; 51]))).replacen(r#""authors":[],"#, "", 1), "authors"),
        (publication(r#""language":"français""#).replacen(r#""language":"fr","#, "", 1), "language"),
        (link(r#""media_type":"pdf""#).replacen(r#""media_type":null,"#, "", 1), "media_type"),
        (link(r#""hreflang":"english""#).replacen(r#""hreflang":null,"#, "", 1), "hreflang"),
        (link(r#""url":"ftp://example.org/r.pdf""#).replacen(r#""url":"https://example.org/r.pdf","#, "", 1), "url"),
    ];
    for (line, field) in cases {
        let error = import(&app, &line).unwrap_err();
        assert!(error.starts_with("line 1:") && error.contains(field), "{field}: {error}");
    }
    assert_eq!(app.publication_count(), 0, "nothing was written");
}
