use std::time::Duration;

use crate::backend_tests;
use crate::helpers::{Backend, NewPublication, TestApp, insert_publication};

backend_tests!(health_answers_ok, ready_reports_a_revision_that_moves_with_every_change);

async fn health_answers_ok(backend: Backend) {
    let app = TestApp::new(backend).await;

    let answer = app.get("/health").await;

    assert_eq!(answer.status, 200);
    assert_eq!(answer.json(), serde_json::json!({"status": "ok"}));
}

async fn ready_reports_a_revision_that_moves_with_every_change(backend: Backend) {
    let app = TestApp::new(backend).await;
    let before = app.get("/ready").await;
    assert_eq!(before.status, 200);
    assert_eq!(before.json()["status"], "ready");
    let unchanged = app.get("/ready").await;

    insert_publication(&mut app.connection(), NewPublication { slug: "nouvelle", ..Default::default() });
    let after = app.get("/ready").await;

    let revision = |answer: &crate::helpers::Answer| answer.json()["catalogue_revision"].as_i64().unwrap();
    assert_eq!(revision(&before), revision(&unchanged));
    assert!(revision(&after) > revision(&before));
}

#[actix_web::test]
async fn ready_answers_503_when_the_database_is_unreachable() {
    // A port nothing listens on: every attempt to connect fails at once.
    let url = "postgres://parution@127.0.0.1:9/parution".parse().unwrap();
    let waits = parution::db::Waits { connection: Duration::from_secs(30), lock: Duration::from_secs(5) };
    let pool = parution::db::Pool::lazy(parution::db::ConnectionManager::new(url), 4, waits);
    let document = std::sync::Arc::new(parution::openapi::document());
    let app = actix_web::test::init_service(parution::startup::app(parution::startup::Shared::new(
        pool,
        &document,
        parution::config::HttpSettings::default(),
    )))
    .await;

    // The pool would wait 30 s for a connection; one that holds none is
    // answered at once.
    let started = std::time::Instant::now();
    let response =
        actix_web::test::call_service(&app, actix_web::test::TestRequest::get().uri("/ready").to_request()).await;
    assert!(started.elapsed() < Duration::from_secs(10), "answered after {:?}", started.elapsed());

    assert_eq!(response.status(), 503);
    assert_eq!(response.headers().get("retry-after").unwrap(), "5");
    let body: serde_json::Value = actix_web::test::read_body_json(response).await;
    assert_eq!(body["code"], "UNAVAILABLE");
    assert!(!body.to_string().contains("127.0.0.1"), "the cause stays in the log");
}

#[actix_web::test]
async fn ready_answers_503_as_soon_as_the_server_drains() {
    let app = crate::helpers::TestApp::new(crate::helpers::Backend::Sqlite).await;
    let shared = parution::startup::Shared::new(
        app.pool.clone(),
        &parution::openapi::document(),
        parution::config::HttpSettings::default(),
    );
    let service = actix_web::test::init_service(parution::startup::app(shared.clone())).await;
    let ready = || actix_web::test::TestRequest::get().uri("/ready").to_request();
    assert_eq!(actix_web::test::call_service(&service, ready()).await.status(), 200);

    shared.draining().start();

    let response = actix_web::test::call_service(&service, ready()).await;
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = actix_web::test::read_body_json(response).await;
    assert!(body["detail"].as_str().unwrap().contains("shutting down"), "{body}");
    assert_eq!(
        actix_web::test::call_service(&service, actix_web::test::TestRequest::get().uri("/health").to_request())
            .await
            .status(),
        200,
        "still alive"
    );
}
