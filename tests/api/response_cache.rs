//! Anonymous reads are answered from what the server keeps while the
//! catalogue's counter stands, and afresh as soon as it moves, whoever
//! moved it.

use actix_web::http::Method;
use actix_web::test::TestRequest;
use diesel::prelude::*;
use serde_json::json;

use crate::backend_tests;
use crate::helpers::{Backend, NewPublication, TestApp, insert_publication};

backend_tests!(kept_answers_last_until_the_counter_moves, a_write_from_elsewhere_is_seen_at_once);

async fn kept_answers_last_until_the_counter_moves(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let token = app.token();
    let slug = app.get("/api/v1/publications").await.json()["data"][0]["slug"].as_str().unwrap().to_owned();
    let uri = format!("/api/v1/publications/{slug}");
    let first = app.get(&uri).await;
    let tag = first.header("etag").unwrap().to_owned();
    let title = first.json()["title"].clone();

    // A change that leaves the counter where it was: only the cache can
    // explain the old answer.
    let connection = &mut app.connection();
    let revision: i64 = diesel::sql_query("SELECT revision FROM catalogue_revision")
        .get_result::<Revision>(connection)
        .unwrap()
        .revision;
    diesel::sql_query("UPDATE publications SET title = 'Changé en douce'").execute(connection).unwrap();
    diesel::sql_query(format!("UPDATE catalogue_revision SET revision = {revision}")).execute(connection).unwrap();

    let kept = app.get(&uri).await;
    assert_eq!(kept.json()["title"], title, "served from the cache");
    assert_eq!(kept.header("etag"), Some(tag.as_str()), "with the validator it was kept with");
    let revalidated = app.call(TestRequest::get().uri(&uri).insert_header(("If-None-Match", tag.as_str()))).await;
    assert_eq!(revalidated.status, 304);
    let head = app.call(TestRequest::default().method(Method::HEAD).uri(&uri)).await;
    assert_eq!((head.status.as_u16(), head.header("etag")), (200, Some(tag.as_str())));
    assert_eq!(
        app.get_with(&uri, &token).await.json()["title"],
        "Changé en douce",
        "a request with a token reads the database"
    );
    let list = app.get("/api/v1/publications?per_page=1").await;
    assert_eq!(list.header("x-total-count"), Some("4"));
    assert!(list.header("link").unwrap().contains("rel=\"next\""), "a kept list keeps its headers");

    // A write through the API moves the counter: every kept answer goes.
    let patched = app.write(Method::PATCH, &uri, &token, json!({"summary": "Résumé revu"})).await;
    assert_eq!(patched.status, 200);
    let fresh = app.get(&uri).await;
    assert_eq!(
        (fresh.json()["title"].clone(), fresh.json()["summary"].clone()),
        (json!("Changé en douce"), json!("Résumé revu"))
    );
    assert_ne!(fresh.header("etag"), Some(tag.as_str()));
    let revalidated = app.call(TestRequest::get().uri(&uri).insert_header(("If-None-Match", tag.as_str()))).await;
    assert_eq!(revalidated.status, 200, "the old validator no longer matches");
}

async fn a_write_from_elsewhere_is_seen_at_once(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let list = "/api/v1/publications?facets=language";
    assert_eq!(app.get(list).await.json()["pagination"]["total"], 4);
    assert_eq!(app.get("/api/v1/publications/en-direct").await.status, 404);
    // Another process (an import, another replica) writes to the database.
    insert_publication(&mut app.connection(), NewPublication { slug: "en-direct", ..Default::default() });
    let after = app.get(list).await.json();
    assert_eq!(after["pagination"]["total"], 5);
    assert_eq!(after["data"].as_array().unwrap().len(), 5);
    assert_eq!(app.get("/api/v1/publications/en-direct").await.status, 200);
}

#[derive(QueryableByName)]
struct Revision {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    revision: i64,
}
