use actix_web::http::Method;
use actix_web::test::TestRequest;
use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::{Backend, NewPublication, TestApp, insert_publication};

backend_tests!(
    categories_are_created_with_slugs_from_their_names,
    categories_are_replaced_and_patched_with_if_match,
    a_category_cannot_move_under_itself_or_its_descendants,
    a_category_that_holds_something_cannot_be_deleted,
    invalid_categories_are_refused,
);

async fn create(app: &TestApp, token: &str, body: Value) -> Value {
    let answer = app.write(Method::POST, "/api/v1/categories", token, body).await;
    assert_eq!(answer.status, 201, "{}", String::from_utf8_lossy(&answer.body));
    answer.json()
}

async fn categories_are_created_with_slugs_from_their_names(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token();

    let answer = app
        .write(
            Method::POST,
            "/api/v1/categories",
            &token,
            json!({"name": "Études & publications", "description": "Les études."}),
        )
        .await;
    let child = create(
        &app,
        &token,
        json!({"name": "Veille industrie phonographique", "parent_id": "etudes-publications", "position": 2}),
    )
    .await;
    let twin = create(&app, &token, json!({"name": "Études & publications"})).await;

    assert_eq!(answer.status, 201);
    let parent = answer.json();
    assert_eq!(answer.header("location"), Some(format!("/api/v1/categories/{}", parent["id"]).as_str()));
    assert_eq!(answer.tag_version(), Some(1));
    assert_eq!(parent["slug"], "etudes-publications");
    assert_eq!(parent["description"], "Les études.");
    assert_eq!(parent["parent_id"], Value::Null);
    assert_eq!(parent["children"], json!([]));
    assert_eq!(child["slug"], "veille-industrie-phonographique");
    assert_eq!(child["parent_id"], parent["id"]);
    assert_eq!(child["position"], 2);
    assert_eq!(child["ancestors"][0]["name"], "Études & publications");
    assert_eq!(twin["slug"], "etudes-publications-2");

    let taken = app
        .write(Method::POST, "/api/v1/categories", &token, json!({"name": "X", "slug": "etudes-publications"}))
        .await;
    taken.problem(409, "CONFLICT");
    let tree = app.get("/api/v1/categories?tree=true").await.json();
    assert_eq!(tree["data"][0]["children"][0]["slug"], "veille-industrie-phonographique");
}

async fn categories_are_replaced_and_patched_with_if_match(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token();
    let root = create(&app, &token, json!({"name": "Racine"})).await;
    let other = create(&app, &token, json!({"name": "Autre", "description": "Desc"})).await;
    let uri = format!("/api/v1/categories/{}", other["id"]);

    let replaced = app.write(Method::PUT, &uri, &token, json!({"name": "Autre nom", "parent_id": root["id"]})).await;
    assert_eq!(replaced.status, 200);
    assert_eq!(replaced.tag_version(), Some(2));
    let replaced = replaced.json();
    assert_eq!(replaced["slug"], "autre");
    assert_eq!(replaced["description"], Value::Null, "absent fields take their defaults");
    assert_eq!(replaced["parent_id"], root["id"]);

    let stale = TestRequest::patch()
        .uri(&uri)
        .insert_header(("Authorization", format!("Bearer {token}")))
        .insert_header(("Content-Type", "application/merge-patch+json"))
        .insert_header(("If-Match", "\"1\""))
        .set_payload(r#"{"name": "Perdu"}"#);
    app.call(stale).await.problem(412, "PRECONDITION_FAILED");

    let moved = TestRequest::patch()
        .uri("/api/v1/categories/autre")
        .insert_header(("Authorization", format!("Bearer {token}")))
        .insert_header(("Content-Type", "application/merge-patch+json"))
        .insert_header(("If-Match", "\"2\""))
        .set_payload(r#"{"parent_id": null, "slug": "renommee"}"#);
    let moved = app.call(moved).await;
    assert_eq!(moved.status, 200);
    let moved = moved.json();
    assert_eq!(moved["parent_id"], Value::Null);
    assert_eq!(moved["slug"], "renommee");
    assert_eq!(moved["name"], "Autre nom");
    assert_eq!(moved["version"], 3);
    let former = app.get("/api/v1/categories/autre").await;
    former.problem(301, "MOVED");
    assert_eq!(former.header("location"), Some("/api/v1/categories/renommee"));
}

async fn a_category_cannot_move_under_itself_or_its_descendants(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token();
    let top = create(&app, &token, json!({"name": "Haut"})).await;
    let middle = create(&app, &token, json!({"name": "Milieu", "parent_id": top["id"]})).await;
    create(&app, &token, json!({"name": "Bas", "parent_id": "milieu"})).await;

    for parent in [json!("haut"), json!("milieu"), json!("bas")] {
        let answer = app.write(Method::PATCH, "/api/v1/categories/haut", &token, json!({"parent_id": parent})).await;
        let problem = answer.problem(422, "VALIDATION_FAILED");
        assert_eq!(problem["errors"][0]["field"], "parent_id");
        assert_eq!(problem["errors"][0]["code"], "cycle");
    }
    let unknown = app.write(Method::PATCH, "/api/v1/categories/haut", &token, json!({"parent_id": 999})).await;
    assert_eq!(unknown.problem(422, "VALIDATION_FAILED")["errors"][0]["code"], "unknown_category");
    assert_eq!(app.get("/api/v1/categories/haut").await.json()["version"], 1, "nothing changed");
    let allowed = app.write(Method::PATCH, "/api/v1/categories/bas", &token, json!({"parent_id": top["id"]})).await;
    assert_eq!(allowed.status, 200);
    assert_eq!(app.get(&format!("/api/v1/categories/{}", middle["id"])).await.json()["children"], json!([]));
}

async fn a_category_that_holds_something_cannot_be_deleted(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token();
    let parent = create(&app, &token, json!({"name": "Parent"})).await;
    let child = create(&app, &token, json!({"name": "Enfant", "parent_id": "parent"})).await;
    let child_id = child["id"].as_i64().unwrap() as i32;
    insert_publication(
        &mut app.connection(),
        NewPublication { slug: "classee", categories: &[child_id], ..Default::default() },
    );
    let delete =
        |uri: String| TestRequest::delete().uri(&uri).insert_header(("Authorization", format!("Bearer {token}")));

    let parent_answer = app.call(delete(format!("/api/v1/categories/{}", parent["id"]))).await;
    let child_answer = app.call(delete("/api/v1/categories/enfant".into())).await;

    let detail = parent_answer.problem(409, "CONFLICT")["detail"].as_str().unwrap().to_owned();
    assert!(detail.contains("child") && detail.contains("'enfant'"), "{detail}");
    let detail = child_answer.problem(409, "CONFLICT")["detail"].as_str().unwrap().to_owned();
    assert!(detail.contains("1 publication") && detail.contains("'classee'"), "{detail}");

    app.write(Method::PATCH, "/api/v1/publications/classee", &token, json!({"categories": []})).await;
    assert_eq!(app.call(delete("/api/v1/categories/enfant".into())).await.status, 204);
    assert_eq!(app.call(delete("/api/v1/categories/parent".into())).await.status, 204);
    assert_eq!(app.get("/api/v1/categories").await.json()["data"], json!([]));
}

async fn invalid_categories_are_refused(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token();

    let answer = app
        .write(Method::POST, "/api/v1/categories", &token, json!({"name": "", "position": "first", "parent": 1}))
        .await;

    let problem = answer.problem(422, "VALIDATION_FAILED");
    let fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["name", "position", "parent"]);
    assert_eq!(app.get("/api/v1/categories").await.json()["data"], json!([]));
}
