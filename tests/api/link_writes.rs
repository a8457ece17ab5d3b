use actix_web::http::Method;
use actix_web::test::TestRequest;
use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::{Backend, TestApp};

backend_tests!(
    links_are_added_read_patched_and_deleted,
    a_link_has_exactly_one_valid_url_or_target,
    link_changes_are_changes_to_the_publication,
);

async fn publication(app: &TestApp, token: &str, title: &str) -> Value {
    let answer =
        app.write(Method::POST, "/api/v1/publications", token, json!({"title": title, "status": "published"})).await;
    assert_eq!(answer.status, 201);
    answer.json()
}

async fn links_are_added_read_patched_and_deleted(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token();
    publication(&app, &token, "Article").await;
    let other = publication(&app, &token, "Autre étude").await;

    let to_other =
        app.write(Method::POST, "/api/v1/publications/article/links", &token, json!({"target": "autre-etude"})).await;
    let to_file = app
        .write(
            Method::POST,
            "/api/v1/publications/article/links",
            &token,
            json!({"rel": "attachment", "title": "Le rapport", "url": "https://example.org/r.pdf", "media_type": "application/pdf", "hreflang": "en"}),
        )
        .await;

    assert_eq!(to_other.status, 201);
    let first = to_other.json();
    let location = to_other.header("location").unwrap().to_owned();
    assert_eq!(
        location,
        format!("/api/v1/publications/{}/links/{}", 1, first["id"]).replace("/1/", &format!("/{}/", 1))
    );
    assert_eq!(first["rel"], "related");
    assert_eq!(first["title"], "Autre étude", "a link to a publication takes its title by default");
    assert_eq!(first["target"], json!({"id": other["id"], "slug": "autre-etude", "title": "Autre étude"}));
    assert_eq!(first["position"], 0);
    let second = to_file.json();
    assert_eq!(second["position"], 1, "after the last link");
    assert_eq!(second["media_type"], "application/pdf");
    assert_eq!(app.get(&location).await.json(), first);
    assert_eq!(app.get(&location).await.tag_version(), Some(1));

    let link_uri = format!("/api/v1/publications/article/links/{}", second["id"]);
    let stale = TestRequest::patch()
        .uri(&link_uri)
        .insert_header(("Authorization", format!("Bearer {token}")))
        .insert_header(("Content-Type", "application/merge-patch+json"))
        .insert_header(("If-Match", "\"5\""))
        .set_payload(r#"{"position": -1}"#);
    app.call(stale).await.problem(412, "PRECONDITION_FAILED");
    let moved = app.write(Method::PATCH, &link_uri, &token, json!({"position": -1, "hreflang": null})).await;
    assert_eq!(moved.status, 200);
    assert_eq!(moved.tag_version(), Some(2));
    assert_eq!(moved.json()["hreflang"], Value::Null);
    let order: Vec<Value> = app.get("/api/v1/publications/article/links").await.json()["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|link| link["id"].clone())
        .collect();
    assert_eq!(order, [second["id"].clone(), first["id"].clone()], "position keeps the order");

    let switched = app.write(Method::PATCH, &link_uri, &token, json!({"target": other["id"]})).await.json();
    assert_eq!(switched["url"], Value::Null, "giving a target drops the url");
    assert_eq!(switched["target"]["id"], other["id"]);

    let delete = TestRequest::delete().uri(&link_uri).insert_header(("Authorization", format!("Bearer {token}")));
    assert_eq!(app.call(delete).await.status, 204);
    app.get(&link_uri).await.problem(404, "NOT_FOUND");
    app.get("/api/v1/publications/article/links/abc").await.problem(404, "NOT_FOUND");
    assert_eq!(app.get("/api/v1/publications/article/links").await.json()["data"].as_array().unwrap().len(), 1);
}

async fn a_link_has_exactly_one_valid_url_or_target(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token();
    publication(&app, &token, "Article").await;
    publication(&app, &token, "Autre").await;

    let cases = [
        (json!({"title": "Rien"}), "url", "url_or_target"),
        (json!({"title": "Deux", "url": "https://example.org/", "target": "autre"}), "target", "url_and_target"),
        (json!({"title": "Script", "url": "javascript:alert(1)"}), "url", "invalid_url"),
        (json!({"title": "Données", "url": "data:text/html,x"}), "url", "invalid_url"),
        (json!({"title": "Relatif", "url": "/publications/1"}), "url", "invalid_url"),
        (json!({"title": "FTP", "url": "ftp://example.org/file"}), "url", "invalid_url"),
        (json!({"url": "https://example.org/"}), "title", "required"),
        (json!({"target": "article"}), "target", "self_link"),
        (json!({"target": "inconnue"}), "target", "unknown_publication"),
        (json!({"target": 999}), "target", "unknown_publication"),
        (json!({"target": "autre", "rel": "friend"}), "rel", "invalid_choice"),
        (json!({"target": "autre", "media_type": "pdf"}), "media_type", "invalid_media_type"),
        (json!({"target": "autre", "hreflang": "english"}), "hreflang", "invalid_language"),
        (json!({"target": "autre", "colour": "red"}), "colour", "unknown_field"),
    ];
    for (body, field, code) in cases {
        let answer = app.write(Method::POST, "/api/v1/publications/article/links", &token, body.clone()).await;
        let problem = answer.problem(422, "VALIDATION_FAILED");
        assert_eq!(problem["errors"][0]["field"], field, "{body}");
        assert_eq!(problem["errors"][0]["code"], code, "{body}");
    }
    assert_eq!(app.get("/api/v1/publications/article/links").await.json()["data"], json!([]), "nothing was added");
    app.write(Method::POST, "/api/v1/publications/inconnue/links", &token, json!({"target": "autre"}))
        .await
        .problem(404, "NOT_FOUND");
}

async fn link_changes_are_changes_to_the_publication(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token();
    publication(&app, &token, "Article").await;
    publication(&app, &token, "Autre").await;

    let link =
        app.write(Method::POST, "/api/v1/publications/article/links", &token, json!({"target": "autre"})).await.json();
    let after_add = app.get("/api/v1/publications/article").await;
    app.write(
        Method::PATCH,
        &format!("/api/v1/publications/article/links/{}", link["id"]),
        &token,
        json!({"title": "Voir aussi"}),
    )
    .await;
    let after_patch = app.get("/api/v1/publications/article").await;

    assert_eq!(after_add.tag_version(), Some(2));
    assert_eq!(after_patch.tag_version(), Some(3));
    assert_eq!(after_patch.json()["links"][0]["title"], "Voir aussi");
    let related = app.get("/api/v1/publications/autre/related").await.json();
    assert_eq!(related["data"][0]["slug"], "article");
}
