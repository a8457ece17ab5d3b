use serde_json::json;

use crate::backend_tests;
use crate::helpers::{Backend, NewPublication, TestApp, insert_link, insert_publication};

backend_tests!(
    links_come_in_position_order_with_their_target_or_url,
    links_to_unpublished_publications_are_left_out,
    links_of_an_unknown_publication_are_not_found,
);

async fn links_come_in_position_order_with_their_target_or_url(backend: Backend) {
    let app = TestApp::new(backend).await;
    let connection = &mut app.connection();
    let article = insert_publication(connection, NewPublication { slug: "article", ..Default::default() });
    let other =
        insert_publication(connection, NewPublication { slug: "autre", title: "Une autre", ..Default::default() });
    let second = insert_link(connection, article, "attachment", Err("https://example.org/annexe.pdf"), 2);
    let first = insert_link(connection, article, "related", Ok(other), 1);
    let third = insert_link(connection, article, "see_also", Err("http://example.org/"), 3);

    let answer = app.get("/api/v1/publications/article/links").await;

    assert_eq!(answer.status, 200);
    let body = answer.json();
    let ids: Vec<i64> = body["data"].as_array().unwrap().iter().map(|link| link["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [first as i64, second as i64, third as i64]);
    assert_eq!(
        body["data"][0],
        json!({
            "id": first, "rel": "related", "title": "Lien 1", "url": null,
            "target": {"id": other, "slug": "autre", "title": "Une autre"},
            "media_type": null, "hreflang": null, "position": 1, "version": 1
        })
    );
    assert_eq!(body["data"][1]["url"], "https://example.org/annexe.pdf");
    assert_eq!(body["data"][1]["target"], json!(null));
    assert_eq!(body["data"][2]["rel"], "see_also");

    let detail = app.get(&format!("/api/v1/publications/{article}")).await.json();
    assert_eq!(detail["links"], body["data"], "the detail embeds the same links");
}

async fn links_to_unpublished_publications_are_left_out(backend: Backend) {
    let app = TestApp::new(backend).await;
    let connection = &mut app.connection();
    let article = insert_publication(connection, NewPublication { slug: "article", ..Default::default() });
    let draft = insert_publication(
        connection,
        NewPublication {
            slug: "secret",
            title: "Titre secret",
            status: "draft",
            published_at: None,
            ..Default::default()
        },
    );
    insert_link(connection, article, "related", Ok(draft), 0);
    insert_link(connection, article, "source", Err("https://example.org/"), 1);

    let answer = app.get("/api/v1/publications/article/links").await;

    let body = answer.json();
    assert_eq!(body["data"].as_array().unwrap().len(), 1);
    assert!(!String::from_utf8_lossy(&answer.body).contains("Titre secret"));
}

async fn links_of_an_unknown_publication_are_not_found(backend: Backend) {
    let app = TestApp::new(backend).await;

    app.get("/api/v1/publications/inconnue/links").await.problem(404, "NOT_FOUND");
    app.get("/api/v1/publications/12345/links").await.problem(404, "NOT_FOUND");
}
