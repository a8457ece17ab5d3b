//! One rule decides who may see a publication, and every read route
//! applies it. This walks every GET route of the OpenAPI document (so a
//! route added later is walked too) without a token, naming a draft, an
//! archived, a scheduled (not announced) and an expired publication every
//! way a path can (id, slug, former slug, a link to it, a file of it, a
//! translation of the public one), and checks that
//! nothing of them shows: each is a 404 (a 410 for the expired one), and
//! no answer holds their words. Then the numbers that could betray them:
//! totals, facets and category counts.

use actix_web::http::Method;
use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::{Backend, TestApp};

backend_tests!(no_read_route_shows_a_hidden_publication_without_a_token);

/// The word only hidden publications hold.
const MARKER: &str = "zorglub";

async fn no_read_route_shows_a_hidden_publication_without_a_token(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token();
    let write = |method: Method, uri: &str, body: Value| {
        let (app, token, uri) = (&app, token.clone(), uri.to_owned());
        async move {
            let answer = app.write(method, &uri, &token, body).await;
            assert!(answer.status.is_success(), "{uri}: {}", String::from_utf8_lossy(&answer.body));
            answer.json()
        }
    };
    // A file of each publication: its URL reaches it without a {ref}.
    let attach = |publication: i64, text: String| {
        let (app, token) = (&app, token.clone());
        async move {
            let request = actix_web::test::TestRequest::post()
                .uri(&format!("/api/v1/publications/{publication}/attachments?title=Fichier"))
                .insert_header(("Authorization", format!("Bearer {token}")))
                .insert_header(("Content-Type", "text/plain"))
                .set_payload(text);
            let answer = app.call(request).await;
            assert_eq!(answer.status, 201, "{}", String::from_utf8_lossy(&answer.body));
            let attachment = answer.json();
            (attachment["id"].as_i64().unwrap(), attachment["url"].as_str().unwrap().to_owned())
        }
    };
    write(Method::POST, "/api/v1/categories", json!({"name": "Études", "slug": "etudes"})).await;
    write(Method::POST, "/api/v1/categories", json!({"name": "Veille", "slug": "veille", "parent_id": "etudes"})).await;
    let public = write(
        Method::POST,
        "/api/v1/publications",
        json!({"title": "Étude publique", "slug": "publique", "status": "published", "categories": ["etudes"],
               "summary": "Une étude.", "body": "<p>Le texte public.</p>"}),
    )
    .await;
    let mut hidden = Vec::new();
    let mut files = Vec::new();
    // Each is a translation of the public one, in a language of its own.
    let stages = [
        ("draft", "brouillon", "2025-06-01T09:00:00Z", None, "en"),
        ("archived", "archive", "2025-06-01T09:00:00Z", None, "de"),
        ("scheduled", "a-paraitre", "2099-06-01T09:00:00Z", None, "it"),
        ("published", "perime", "2025-06-01T09:00:00Z", Some("2025-07-01T09:00:00Z"), "es"),
    ];
    for (status, slug, published_at, unpublish_at, language) in stages {
        let created = write(
            Method::POST,
            "/api/v1/publications",
            json!({"title": format!("Étude {MARKER} {status}"), "slug": format!("{slug}-ancien"), "status": status,
                   "published_at": published_at, "unpublish_at": unpublish_at, "announce": false,
                   "categories": ["veille", "etudes"], "language": language, "translation_of": "publique",
                   "summary": format!("Résumé {MARKER}."), "body": format!("<p>Texte {MARKER}.</p>")}),
        )
        .await;
        let id = created["id"].as_i64().unwrap();
        // A former slug, which answers a redirect to those who may see it.
        write(Method::PATCH, &format!("/api/v1/publications/{id}"), json!({"slug": slug})).await;
        // Links both ways between it and the public one.
        let to_hidden =
            write(Method::POST, "/api/v1/publications/publique/links", json!({"rel": "related", "target": id})).await;
        write(
            Method::POST,
            &format!("/api/v1/publications/{id}/links"),
            json!({"rel": "related", "target": "publique"}),
        )
        .await;
        hidden.push((id, slug, format!("{slug}-ancien"), to_hidden["id"].as_i64().unwrap()));
        files.push((attach(id, format!("Le fichier {MARKER} de {slug}")).await, true));
    }
    files.push((attach(public["id"].as_i64().unwrap(), "Le fichier public".into()).await, false));
    let public_link = write(
        Method::POST,
        "/api/v1/publications/publique/links",
        json!({"rel": "source", "url": "https://example.org/", "title": "Source"}),
    )
    .await["id"]
        .as_i64()
        .unwrap();

    // The test can fail: a token holder sees the hidden publications, and
    // the public one's translations.
    let translations = app.get_with("/api/v1/publications/publique", &token).await.json()["translations"].clone();
    assert_eq!(translations.as_array().unwrap().len(), 4, "{translations}");
    for (id, ..) in &hidden {
        let seen = app.get_with(&format!("/api/v1/publications/{id}"), &token).await;
        assert_eq!(seen.status, 200);
        assert!(String::from_utf8_lossy(&seen.body).contains(MARKER));
    }

    let expired = hidden[3].0;
    let document: Value = serde_json::from_str(&parution::openapi::to_pretty_json(&parution::openapi::document()))
        .expect("the document is JSON");
    let mut walked = 0;
    for (path, item) in document["paths"].as_object().unwrap() {
        if item.get("get").is_none() || !path.starts_with("/api/v1/") {
            continue;
        }
        // A route only a token holder may read is closed to the public.
        let open = item["get"]["security"]
            .as_array()
            .is_none_or(|requirements| requirements.iter().any(|requirement| requirement == &json!({})));
        if !open {
            let uri = path.replace("{ref}", "publique").replace("{number}", "1").replace("{id}", "1");
            let answer = app.get(&uri).await;
            assert_eq!(answer.status, 401, "{uri} is closed to readers without a token");
            walked += 1;
            continue;
        }
        let takes = |name: &str| {
            item["get"]["parameters"].as_array().into_iter().flatten().any(|parameter| parameter["name"] == name)
        };
        // The parameters that could reach a hidden publication: its words,
        // its category, the counts of a list.
        let mut queries = vec![String::new()];
        if takes("q") {
            queries.push(format!("?q={MARKER}"));
        }
        if takes("category") {
            queries.push("?category=veille".to_owned());
        }
        if takes("facets") {
            queries.push("?facets=category,year,language".to_owned());
        }
        let ids = Ids { public: public["id"].as_i64().unwrap(), public_link };
        for (uri, names_hidden) in uris(path, &hidden, &files, &ids) {
            for uri in queries.iter().map(|query| format!("{uri}{query}")) {
                let answer = app.get(&uri).await;
                let body = String::from_utf8_lossy(&answer.body).to_lowercase();
                if names_hidden {
                    // The expired one, by its own `{ref}`, is gone; a link to
                    // it, like any other thing hidden, is not found.
                    let named = uri.split(['/', '?']).nth(4).unwrap_or_default();
                    let by_ref = !uri.starts_with("/api/v1/files/");
                    let gone =
                        if by_ref && (named.starts_with("perime") || named == expired.to_string()) { 410 } else { 404 };
                    assert_eq!(answer.status, gone, "{uri} names a hidden publication: {body}");
                } else {
                    assert_eq!(answer.status, 200, "{uri}: {body}");
                }
                assert!(!body.contains(MARKER), "{uri} shows a hidden publication: {body}");
                walked += 1;
            }
        }
    }
    assert!(walked >= 30, "every read route was walked ({walked} requests)");

    // The numbers: totals, facets and counts leave the hidden ones out.
    let listed = app.get("/api/v1/publications?category=veille&facets=category,year,language").await.json();
    assert_eq!(listed["pagination"]["total"], 0);
    assert_eq!(listed["facets"], json!({"category": [], "year": [], "language": []}));
    let listed = app.get("/api/v1/publications?facets=category").await.json();
    assert_eq!(listed["pagination"]["total"], 1);
    assert_eq!(listed["facets"]["category"], json!([{"slug": "etudes", "name": "Études", "lang": "fr", "count": 1}]));
    let categories = app.get("/api/v1/categories").await.json();
    let counts: Vec<(&str, i64)> = categories["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|category| (category["slug"].as_str().unwrap(), category["publication_count"].as_i64().unwrap()))
        .collect();
    assert_eq!(counts, [("etudes", 1), ("veille", 0)]);
    assert_eq!(app.get("/api/v1/categories/veille").await.json()["publication_count"], 0);
    assert_eq!(app.get(&format!("/api/v1/publications?q={MARKER}")).await.json()["pagination"]["total"], 0);
}

/// The public publication's id, and its link's.
struct Ids {
    public: i64,
    public_link: i64,
}

/// Every way to fill `path`'s parameters, each with whether it names a
/// hidden publication. A parameter this does not know fails the test: a
/// new route must say here how to reach a hidden publication through it.
fn uris(
    path: &str,
    hidden: &[(i64, &str, String, i64)],
    files: &[((i64, String), bool)],
    ids: &Ids,
) -> Vec<(String, bool)> {
    let Ids { public, public_link } = *ids;
    // A file's URL, as its attachment gives it (the hash and the name go
    // with the id).
    if path.starts_with("/api/v1/files/") {
        return files.iter().map(|((_, url), hidden)| (url.clone(), *hidden)).collect();
    }
    let mut filled = vec![(path.to_owned(), false)];
    for parameter in parameters(path) {
        let placeholder = format!("{{{parameter}}}");
        filled = filled
            .into_iter()
            .flat_map(|(uri, names_hidden)| {
                let values: Vec<(String, bool)> = match (parameter.as_str(), path.starts_with("/api/v1/categories")) {
                    ("ref", true) => vec![("etudes".into(), false), ("veille".into(), false)],
                    ("ref", false) => {
                        let mut values = vec![("publique".to_owned(), false), (public.to_string(), false)];
                        for (id, slug, former, _) in hidden {
                            values.extend([(id.to_string(), true), (slug.to_string(), true), (former.clone(), true)]);
                        }
                        values
                    }
                    // Only for the public publication: a link to a hidden
                    // one, and one to a URL (a hidden one's own links are
                    // behind its 404).
                    ("link_id", _) if uri.contains("/publique/") || uri.contains(&format!("/{public}/")) => {
                        let mut values = vec![(public_link.to_string(), false)];
                        values.extend(hidden.iter().map(|(.., link)| (link.to_string(), true)));
                        values
                    }
                    ("link_id", _) => hidden.iter().map(|(.., link)| (link.to_string(), true)).collect(),
                    // The public publication's file, and the hidden ones'
                    // (which are not its own: not found either way).
                    ("attachment_id", _) if uri.contains("/publique/") || uri.contains(&format!("/{public}/")) => {
                        files.iter().map(|((id, _), hidden)| (id.to_string(), *hidden)).collect()
                    }
                    ("attachment_id", _) => {
                        files.iter().filter(|(_, hidden)| *hidden).map(|((id, _), _)| (id.to_string(), true)).collect()
                    }
                    (other, _) => panic!("{path}: no value for {{{other}}}; say here how it reaches a publication"),
                };
                let placeholder = placeholder.clone();
                values
                    .into_iter()
                    .map(move |(value, hides)| (uri.replacen(&placeholder, &value, 1), names_hidden || hides))
            })
            .collect();
    }
    filled
}

/// The names of a path's parameters, in order.
fn parameters(path: &str) -> Vec<String> {
    path.split('{').skip(1).filter_map(|part| part.split_once('}').map(|(name, _)| name.to_owned())).collect()
}
