//! A write drops only the kept answers and counts it could have altered.
//! Each rule is shown the same way: rows are first changed behind the
//! server's back, without moving the catalogue's counter, so that an answer
//! still showing the old rows can only be a kept one; then a write through
//! the API touches one thing, and the answers that depend on it are made
//! again while the others are still the kept ones.

use actix_web::http::Method;
use actix_web::test::TestRequest;
use diesel::prelude::*;
use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::{Backend, TestApp};

backend_tests!(
    a_write_drops_what_shows_its_publication_and_keeps_the_rest,
    lists_and_searches_follow_what_they_let_in,
    a_page_keeps_what_it_does_not_show,
    category_counts_follow_visibility_and_moves,
    totals_and_facets_are_kept_current_without_counting_again,
    validators_of_untouched_answers_stay,
);

/// Two categories, and three published publications: `alpha` (in `a`,
/// its text holds "alpha"), `beta` (in `b`, "beta"), `gamma` (in `b`).
async fn catalogue(app: &TestApp, token: &str) {
    for (slug, name) in [("a", "Catégorie A"), ("b", "Catégorie B")] {
        let created = app.write(Method::POST, "/api/v1/categories", token, json!({"slug": slug, "name": name})).await;
        assert_eq!(created.status, 201);
    }
    for (slug, category, word) in [("alpha", "a", "alpha"), ("beta", "b", "beta"), ("gamma", "b", "gamma")] {
        let body = json!({"slug": slug, "title": format!("Étude {word}"), "status": "published",
                          "published_at": "2025-06-01T09:00:00Z", "categories": [category],
                          "summary": format!("Résumé {word}."), "body": format!("<p>Texte {word}.</p>")});
        assert_eq!(app.write(Method::POST, "/api/v1/publications", token, body).await.status, 201);
    }
}

/// Changes every publication's title to `MARKER` behind the server's back:
/// the catalogue's counter stays where it was.
fn retitle_silently(app: &TestApp) {
    let connection = &mut app.connection();
    let revision: i64 = diesel::sql_query("SELECT revision FROM catalogue_revision")
        .get_result::<Revision>(connection)
        .unwrap()
        .revision;
    diesel::sql_query(format!("UPDATE publications SET title = '{MARKER}'")).execute(connection).unwrap();
    diesel::sql_query(format!("UPDATE catalogue_revision SET revision = {revision}")).execute(connection).unwrap();
}

/// The title every publication gets behind the server's back.
const MARKER: &str = "Changé en douce";

/// Whether `uri` answers what was kept (the titles before the silent
/// change) rather than what the database holds now.
async fn kept(app: &TestApp, uri: &str) -> bool {
    let answer = app.get(uri).await;
    assert_eq!(answer.status, 200, "{uri}");
    !String::from_utf8_lossy(&answer.body).contains(MARKER)
}

/// Gives every publication its title back (through the API: every kept
/// answer that shows a title is made again), so that the next silent
/// change can be told.
async fn restore_titles(app: &TestApp, token: &str) {
    for (slug, word) in [("alpha", "alpha"), ("beta", "beta"), ("gamma", "gamma")] {
        patch(app, token, slug, json!({"title": format!("Étude {word}")})).await;
    }
}

async fn patch(app: &TestApp, token: &str, slug: &str, body: Value) {
    let answer = app.write(Method::PATCH, &format!("/api/v1/publications/{slug}"), token, body).await;
    assert_eq!(answer.status, 200, "{}", String::from_utf8_lossy(&answer.body));
}

async fn a_write_drops_what_shows_its_publication_and_keeps_the_rest(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token();
    catalogue(&app, &token).await;
    let link = json!({"rel": "related", "target": "gamma"});
    assert_eq!(app.write(Method::POST, "/api/v1/publications/beta/links", &token, link).await.status, 201);
    let uris = [
        "/api/v1/publications/alpha",
        "/api/v1/publications/beta",
        "/api/v1/publications/beta/links",
        "/api/v1/publications/beta/related",
        "/api/v1/publications/gamma",
        "/api/v1/publications/gamma/related",
    ];
    for uri in uris {
        app.get(uri).await;
    }
    retitle_silently(&app);
    for uri in uris {
        assert!(kept(&app, uri).await, "{uri} is kept while nothing changes");
    }

    patch(&app, &token, "alpha", json!({"summary": "Un autre résumé."})).await;
    assert!(!kept(&app, "/api/v1/publications/alpha").await, "its own detail is made again");
    for uri in &uris[1..] {
        assert!(kept(&app, uri).await, "{uri} does not show alpha: kept");
    }

    // gamma is beta's link target, and related to it.
    patch(&app, &token, "gamma", json!({"summary": "Un autre résumé."})).await;
    for uri in &uris[1..] {
        assert!(!kept(&app, uri).await, "{uri} shows gamma: made again");
    }
}

async fn lists_and_searches_follow_what_they_let_in(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token();
    catalogue(&app, &token).await;
    let uris = [
        "/api/v1/publications?category=a",
        "/api/v1/publications?category=b",
        "/api/v1/categories/b/publications",
        "/api/v1/publications?q=alpha",
        "/api/v1/publications?q=beta",
        "/api/v1/feeds/publications.json?category=b",
    ];
    for uri in uris {
        app.get(uri).await;
    }
    retitle_silently(&app);

    patch(&app, &token, "alpha", json!({"summary": "Un autre résumé."})).await;
    assert!(!kept(&app, uris[0]).await, "alpha's category");
    assert!(!kept(&app, uris[3]).await, "a search alpha's text holds");
    for uri in [uris[1], uris[2], uris[4], uris[5]] {
        assert!(kept(&app, uri).await, "{uri} never held alpha: kept");
    }

    // Moving alpha to b: it enters b's lists; a draft's change enters
    // no public list.
    patch(&app, &token, "alpha", json!({"categories": ["b"]})).await;
    for uri in [uris[1], uris[2], uris[5]] {
        assert!(!kept(&app, uri).await, "{uri}: alpha entered it");
    }
    assert!(kept(&app, uris[4]).await, "beta's search does not hold alpha");
    restore_titles(&app, &token).await;
    for uri in [uris[1], uris[4]] {
        app.get(uri).await;
    }
    retitle_silently(&app);
    let draft = json!({"slug": "brouillon", "title": "Brouillon beta", "categories": ["b"]});
    assert_eq!(app.write(Method::POST, "/api/v1/publications", &token, draft).await.status, 201);
    for uri in [uris[1], uris[4]] {
        assert!(kept(&app, uri).await, "{uri}: a draft enters no public list");
    }
    let listed = app.get(uris[1]).await.json();
    assert_eq!(listed["pagination"]["total"], 3);
}

async fn a_page_keeps_what_it_does_not_show(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token();
    catalogue(&app, &token).await;
    // beta and gamma share their date: gamma, the later id, comes first.
    let first = "/api/v1/publications?category=b&per_page=1";
    assert_eq!(app.get(first).await.json()["data"][0]["slug"], "gamma");
    retitle_silently(&app);
    patch(&app, &token, "beta", json!({"summary": "Un autre résumé."})).await;
    assert!(kept(&app, first).await, "beta is in the list, not on the page, and in its place");
    patch(&app, &token, "beta", json!({"published_at": "2025-07-01T09:00:00Z"})).await;
    let now = app.get(first).await.json();
    assert_eq!(now["data"][0]["slug"], "beta", "beta moved to the top: made again");
}

async fn category_counts_follow_visibility_and_moves(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token();
    catalogue(&app, &token).await;
    let counts = |answer: Value| -> Vec<i64> {
        answer["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|category| category["publication_count"].as_i64().unwrap())
            .collect()
    };
    let first = app.get("/api/v1/categories").await;
    assert_eq!(counts(first.json()), [1, 2]);
    let modified = first.header("last-modified").unwrap().to_owned();
    // A second later, so that the tree made again would carry a later
    // Last-Modified than the kept one.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let tree_modified = |answer: &crate::helpers::Answer| answer.header("last-modified").unwrap().to_owned();

    patch(&app, &token, "alpha", json!({"summary": "Un autre résumé."})).await;
    assert_eq!(tree_modified(&app.get("/api/v1/categories").await), modified, "a summary changes no count: kept");
    patch(&app, &token, "alpha", json!({"title": "Étude alpha revue"})).await;
    assert_eq!(tree_modified(&app.get("/api/v1/categories").await), modified, "nor a title");

    patch(&app, &token, "beta", json!({"status": "draft"})).await;
    let tree = app.get("/api/v1/categories").await;
    assert_ne!(tree_modified(&tree), modified, "made again");
    assert_eq!(counts(tree.json()), [1, 1], "beta left public view");
    patch(&app, &token, "alpha", json!({"categories": ["b"]})).await;
    assert_eq!(counts(app.get("/api/v1/categories").await.json()), [0, 2], "alpha moved");
    assert_eq!(app.get("/api/v1/categories/b").await.json()["publication_count"], 2);
}

async fn totals_and_facets_are_kept_current_without_counting_again(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token();
    catalogue(&app, &token).await;
    let list = "/api/v1/publications?category=b&facets=category,language";
    assert_eq!(app.get(list).await.json()["pagination"]["total"], 2);
    // A publication filed under b behind the server's back, the counter
    // left where it was: counting again would find it.
    {
        let connection = &mut app.connection();
        let revision: i64 = diesel::sql_query("SELECT revision FROM catalogue_revision")
            .get_result::<Revision>(connection)
            .unwrap()
            .revision;
        diesel::sql_query(
            "INSERT INTO publication_categories (publication_id, category_id, position) \
             SELECT publications.id, categories.id, 1 FROM publications, categories \
             WHERE publications.slug = 'alpha' AND categories.slug = 'b'",
        )
        .execute(connection)
        .unwrap();
        diesel::sql_query(format!("UPDATE catalogue_revision SET revision = {revision}")).execute(connection).unwrap();
    }
    // A write that moves gamma out of b: the kept total goes down by one,
    // where counting again would give 2 (beta, and alpha filed silently).
    patch(&app, &token, "gamma", json!({"categories": ["a"]})).await;
    let listed = app.get(list).await.json();
    assert_eq!(listed["pagination"]["total"], 1, "the kept total followed the write");
    assert_eq!(listed["facets"]["category"], json!([{"slug": "b", "name": "Catégorie B", "lang": "fr", "count": 1}]));
    assert_eq!(listed["facets"]["language"], json!([{"value": "fr", "count": 1}]));
    assert_eq!(listed["data"].as_array().unwrap().len(), 2, "the page itself is read afresh");
}

async fn validators_of_untouched_answers_stay(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token();
    catalogue(&app, &token).await;
    let uri = "/api/v1/publications/beta";
    let first = app.get(uri).await;
    let (tag, modified) = (first.header("etag").unwrap().to_owned(), first.header("last-modified").unwrap().to_owned());
    // A second later, so that a Last-Modified taken anew would differ.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    patch(&app, &token, "alpha", json!({"summary": "Un autre résumé."})).await;
    let by_tag = app.call(TestRequest::get().uri(uri).insert_header(("If-None-Match", tag.as_str()))).await;
    assert_eq!(by_tag.status, 304);
    let by_date = app.call(TestRequest::get().uri(uri).insert_header(("If-Modified-Since", modified.as_str()))).await;
    assert_eq!(by_date.status, 304, "an unrelated write leaves Last-Modified where it was");
    assert_eq!(by_date.header("last-modified"), Some(modified.as_str()));

    patch(&app, &token, "beta", json!({"summary": "Un autre résumé."})).await;
    let by_date = app.call(TestRequest::get().uri(uri).insert_header(("If-Modified-Since", modified.as_str()))).await;
    assert_eq!(by_date.status, 200, "its own write moves it");
}

#[derive(QueryableByName)]
struct Revision {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    revision: i64,
}
