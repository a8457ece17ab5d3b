use actix_web::http::Method;
use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::{Backend, NewPublication, TestApp, day, field, insert_category, insert_publication};

backend_tests!(
    categories_are_listed_depth_first_in_position_order,
    categories_nest_with_tree_true,
    a_category_has_its_children_and_ancestors,
    publication_counts_include_descendants_once_and_published_only,
    a_category_lists_its_publications_and_its_descendants,
    unknown_categories_are_not_found,
);

/// studies (0) > [music (1) > [vinyl], books (0)], press (1)
fn tree(app: &TestApp) -> [i32; 5] {
    let connection = &mut app.connection();
    let studies = insert_category(connection, "etudes", "Études", None, 0);
    let press = insert_category(connection, "presse", "Presse", None, 1);
    let music = insert_category(connection, "musique", "Musique", Some(studies), 1);
    let books = insert_category(connection, "livre", "Livre", Some(studies), 0);
    let vinyl = insert_category(connection, "vinyle", "Vinyle", Some(music), 0);
    [studies, press, music, books, vinyl]
}

async fn categories_are_listed_depth_first_in_position_order(backend: Backend) {
    let app = TestApp::new(backend).await;
    let [studies, ..] = tree(&app);

    let answer = app.get("/api/v1/categories").await;

    assert_eq!(answer.status, 200);
    let body = answer.json();
    assert_eq!(field(&body, "slug"), ["etudes", "livre", "musique", "vinyle", "presse"]);
    assert_eq!(body["data"][1]["parent_id"], studies);
    assert!(body["data"][0].get("children").is_none(), "a flat list has no children");
}

async fn categories_nest_with_tree_true(backend: Backend) {
    let app = TestApp::new(backend).await;
    tree(&app);

    let body = app.get("/api/v1/categories?tree=true").await.json();

    assert_eq!(field(&body, "slug"), ["etudes", "presse"]);
    let children: Vec<&str> =
        body["data"][0]["children"].as_array().unwrap().iter().map(|c| c["slug"].as_str().unwrap()).collect();
    assert_eq!(children, ["livre", "musique"]);
    assert_eq!(body["data"][0]["children"][1]["children"][0]["slug"], "vinyle");
    assert_eq!(body["data"][1]["children"], json!([]));
}

async fn a_category_has_its_children_and_ancestors(backend: Backend) {
    let app = TestApp::new(backend).await;
    let [studies, _, music, _, vinyl] = tree(&app);

    let by_slug = app.get("/api/v1/categories/musique").await;
    let by_id = app.get(&format!("/api/v1/categories/{music}")).await;

    assert_eq!(by_slug.status, 200);
    assert_eq!(by_slug.json(), by_id.json());
    let category = by_slug.json();
    assert_eq!(category["name"], "Musique");
    assert_eq!(category["ancestors"], json!([{"id": studies, "slug": "etudes", "name": "Études", "lang": "fr"}]));
    assert_eq!(field(&json!({"data": category["children"]}), "id"), [vinyl]);

    let leaf = app.get("/api/v1/categories/vinyle").await.json();
    assert_eq!(field(&json!({"data": leaf["ancestors"]}), "slug"), ["etudes", "musique"]);
    assert_eq!(leaf["children"], json!([]));
}

async fn publication_counts_include_descendants_once_and_published_only(backend: Backend) {
    let app = TestApp::new(backend).await;
    let [studies, press, music, _, vinyl] = tree(&app);
    let connection = &mut app.connection();
    insert_publication(connection, NewPublication { slug: "a", categories: &[studies, music], ..Default::default() });
    insert_publication(connection, NewPublication { slug: "b", categories: &[vinyl], ..Default::default() });
    insert_publication(
        connection,
        NewPublication { slug: "c", categories: &[vinyl], status: "draft", published_at: None, ..Default::default() },
    );

    let body = app.get("/api/v1/categories").await.json();

    let counts: Vec<(&str, i64)> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["slug"].as_str().unwrap(), c["publication_count"].as_i64().unwrap()))
        .collect();
    assert_eq!(counts, [("etudes", 2), ("livre", 0), ("musique", 2), ("vinyle", 1), ("presse", 0)]);
    let detail = app.get(&format!("/api/v1/categories/{press}")).await.json();
    assert_eq!(detail["publication_count"], 0);

    // A write answers with the same counts, counted inside it.
    let token = app.token();
    let written = app.write(Method::PATCH, "/api/v1/categories/etudes", &token, json!({"description": "Toutes"})).await;
    assert_eq!(written.status, 200);
    let read = app.get("/api/v1/categories/etudes").await.json();
    let shown = |category: &Value| {
        let children = category["children"].as_array().unwrap().iter();
        let mut counts = vec![category["publication_count"].as_i64().unwrap()];
        counts.extend(children.map(|child| child["publication_count"].as_i64().unwrap()));
        counts
    };
    assert_eq!(shown(&written.json()), [2, 0, 2]);
    assert_eq!(shown(&written.json()), shown(&read));
}

async fn a_category_lists_its_publications_and_its_descendants(backend: Backend) {
    let app = TestApp::new(backend).await;
    let [studies, press, _, _, vinyl] = tree(&app);
    let connection = &mut app.connection();
    insert_publication(
        connection,
        NewPublication { slug: "haut", published_at: Some(day(2, 1)), categories: &[studies], ..Default::default() },
    );
    insert_publication(
        connection,
        NewPublication { slug: "bas", published_at: Some(day(3, 1)), categories: &[vinyl], ..Default::default() },
    );
    insert_publication(connection, NewPublication { slug: "ailleurs", categories: &[press], ..Default::default() });

    let answer = app.get("/api/v1/categories/etudes/publications?per_page=1").await;

    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("x-total-count"), Some("2"));
    assert_eq!(field(&answer.json(), "slug"), ["bas"]);
    assert!(
        answer
            .header("link")
            .unwrap()
            .contains("</api/v1/categories/etudes/publications?per_page=1&page=2>; rel=\"next\"")
    );
    let second = app.get("/api/v1/categories/etudes/publications?per_page=1&page=2").await.json();
    assert_eq!(field(&second, "slug"), ["haut"]);
    let leaf = app.get(&format!("/api/v1/categories/{vinyl}/publications")).await.json();
    assert_eq!(field(&leaf, "slug"), ["bas"]);
}

async fn unknown_categories_are_not_found(backend: Backend) {
    let app = TestApp::new(backend).await;
    tree(&app);

    for uri in ["/api/v1/categories/inconnue", "/api/v1/categories/999", "/api/v1/categories/inconnue/publications"] {
        let problem = app.get(uri).await.problem(404, "NOT_FOUND");
        assert!(problem["detail"].as_str().unwrap().starts_with("no category has the id or slug"), "{uri}");
    }
}
