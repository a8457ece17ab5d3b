//! Totals, facets and category counts are kept between requests: they must
//! follow every change, whichever way it reaches the database.

use actix_web::test::{self, TestRequest};
use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::{Backend, NewPublication, TestApp, insert_publication};

backend_tests!(kept_counts_follow_every_change);

async fn kept_counts_follow_every_change(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let token = app.token();
    // One application for every request, so that what it keeps is reused.
    let service = test::init_service(parution::startup::app(parution::startup::Shared::new(
        app.pool.clone(),
        &parution::openapi::document(),
        parution::config::HttpSettings::default(),
    )))
    .await;
    let get = |uri: &'static str| {
        let service = &service;
        async move {
            let body: Value = test::call_and_read_body_json(service, TestRequest::get().uri(uri).to_request()).await;
            body
        }
    };
    let counts = |body: &Value| (body["pagination"]["total"].clone(), body["facets"]["language"].clone());
    let list = "/api/v1/publications?facets=language";
    let section = "/api/v1/categories/etudes-publications";

    // The demo: three publications in French, one in English.
    assert_eq!(counts(&get(list).await), (json!(4), json!([{"value": "fr", "count": 3}, {"value": "en", "count": 1}])));
    assert_eq!(get(section).await["publication_count"], 4);

    // A change through the API.
    let created = TestRequest::post()
        .uri("/api/v1/publications")
        .insert_header(("Authorization", format!("Bearer {token}")))
        .insert_header(("Content-Type", "application/json"))
        .set_payload(json!({"title": "Nouvelle", "status": "published", "language": "en", "categories": ["etudes-publications"]}).to_string())
        .to_request();
    assert_eq!(test::call_service(&service, created).await.status(), 201);
    assert_eq!(counts(&get(list).await), (json!(5), json!([{"value": "fr", "count": 3}, {"value": "en", "count": 2}])));
    assert_eq!(get(section).await["publication_count"], 5);

    // A change straight into the database, by another process or tool.
    let connection = &mut app.connection();
    let category = get(section).await["id"].as_i64().unwrap() as i32;
    insert_publication(connection, NewPublication { slug: "en-direct", categories: &[category], ..Default::default() });
    assert_eq!(counts(&get(list).await).0, json!(6));
    assert_eq!(get(section).await["publication_count"], 6);
    assert_eq!(get("/api/v1/categories").await["data"][0]["publication_count"], 6);
}
