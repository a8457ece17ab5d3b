//! The rules the OpenAPI document states, held by the server: `null` only
//! where it clears, integral numbers, strict query parameters, unknown
//! members refused, malformed preconditions never ignored.

use actix_web::http::Method;
use actix_web::test::TestRequest;
use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::{Answer, Backend, TestApp};

backend_tests!(
    null_is_refused_where_it_would_not_clear_and_clears_elsewhere,
    integral_numbers_count_as_integers,
    query_parameters_are_as_strict_as_the_document,
    unknown_members_are_refused_on_every_resource,
    a_malformed_if_match_matches_no_version,
    texts_are_checked_as_sent,
);

fn fields(answer: &Answer) -> Vec<(String, String)> {
    let problem = answer.problem(422, "VALIDATION_FAILED");
    problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| (error["field"].as_str().unwrap().to_owned(), error["code"].as_str().unwrap().to_owned()))
        .collect()
}

async fn patch(app: &TestApp, uri: &str, token: &str, body: Value) -> Answer {
    app.call(
        TestRequest::patch()
            .uri(uri)
            .insert_header(("Authorization", format!("Bearer {token}")))
            .insert_header(("Content-Type", "application/merge-patch+json"))
            .set_payload(body.to_string()),
    )
    .await
}

const SEED: &str = "/api/v1/publications/concertation-fournisseurs-ia-ayants-droit";

async fn null_is_refused_where_it_would_not_clear_and_clears_elsewhere(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let token = app.token();
    let null = |field: &str| (field.to_owned(), "null_not_allowed".to_owned());

    for field in ["title", "slug", "status", "language"] {
        let answer = patch(&app, SEED, &token, json!({ field: null })).await;
        assert_eq!(fields(&answer), vec![null(field)], "PATCH {field}: null");
    }
    let created = app.write(Method::POST, "/api/v1/publications", &token, json!({"title": null})).await;
    assert_eq!(fields(&created), vec![null("title")]);

    let cleared = patch(&app, SEED, &token, json!({"summary": null, "authors": null, "categories": null})).await;
    assert_eq!(cleared.status, 200, "{}", String::from_utf8_lossy(&cleared.body));
    let cleared = cleared.json();
    assert_eq!((cleared["summary"].as_str(), cleared["authors"].as_array().map(Vec::len)), (Some(""), Some(0)));
    assert_eq!(cleared["categories"].as_array().map(Vec::len), Some(0));

    let category = "/api/v1/categories/veille-industrie-phonographique";
    assert_eq!(fields(&patch(&app, category, &token, json!({"position": null})).await), vec![null("position")]);
    assert_eq!(fields(&patch(&app, category, &token, json!({"name": null})).await), vec![null("name")]);
    let root = patch(&app, category, &token, json!({"parent_id": null, "description": null})).await;
    assert_eq!(root.status, 200);
    assert_eq!(root.json()["parent_id"], Value::Null, "null makes a root");

    let links = app.get(&format!("{SEED}/links")).await.json();
    let link = format!("{SEED}/links/{}", links["data"][0]["id"]);
    assert_eq!(fields(&patch(&app, &link, &token, json!({"position": null})).await), vec![null("position")]);
    assert_eq!(fields(&patch(&app, &link, &token, json!({"rel": null})).await), vec![null("rel")]);
    let untitled = patch(&app, &link, &token, json!({"title": null})).await;
    assert_eq!(untitled.status, 200, "a link to a publication takes its title when it has none");
}

async fn integral_numbers_count_as_integers(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token();
    let whole = app.write(Method::POST, "/api/v1/categories", &token, json!({"name": "Un", "position": 208.0})).await;
    assert_eq!(whole.status, 201, "{}", String::from_utf8_lossy(&whole.body));
    assert_eq!(whole.json()["position"], 208);

    let fraction =
        app.write(Method::POST, "/api/v1/categories", &token, json!({"name": "Deux", "position": 208.5})).await;
    assert_eq!(fields(&fraction), vec![("position".to_owned(), "not_an_integer".to_owned())]);
    let text = app.write(Method::POST, "/api/v1/categories", &token, json!({"name": "Trois", "position": "208"})).await;
    assert_eq!(fields(&text), vec![("position".to_owned(), "not_an_integer".to_owned())]);
    let large = app.write(Method::POST, "/api/v1/categories", &token, json!({"name": "Quatre", "position": 1e7})).await;
    assert_eq!(fields(&large), vec![("position".to_owned(), "out_of_range".to_owned())]);
}

async fn query_parameters_are_as_strict_as_the_document(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let refused = |uri: &'static str, parameter: &'static str, code: &'static str| {
        let app = &app;
        async move {
            let problem = app.get(uri).await.problem(400, "INVALID_PARAMETER");
            assert_eq!(
                (problem["errors"][0]["field"].as_str(), problem["errors"][0]["code"].as_str()),
                (Some(parameter), Some(code)),
                "{uri}"
            );
        }
    };
    refused("/api/v1/publications?cursor=", "cursor", "empty").await;
    let first = app.get("/api/v1/publications?per_page=1").await.json();
    let cursor = first["pagination"]["next_cursor"].as_str().unwrap().to_owned();
    let both = app.get(&format!("/api/v1/publications?per_page=1&page=2&cursor={cursor}")).await;
    assert_eq!(both.problem(400, "INVALID_PARAMETER")["errors"][0]["code"], "with_page");
    refused("/api/v1/publications?per_page=101", "per_page", "out_of_range").await;
    refused("/api/v1/publications?page=0", "page", "out_of_range").await;
    refused("/api/v1/publications?sort=newest", "sort", "invalid_choice").await;
    refused("/api/v1/publications?facets=category,%20year", "facets", "invalid_choice").await;
    refused("/api/v1/publications?language=french", "language", "invalid_language").await;
    let long = format!("/api/v1/publications?q={}", "a".repeat(201));
    assert_eq!(app.get(&long).await.problem(400, "INVALID_PARAMETER")["errors"][0]["code"], "too_long");
    let many: Vec<String> = (0..51).map(|index| format!("category=c{index}")).collect();
    let many = app.get(&format!("/api/v1/publications?{}", many.join("&"))).await;
    assert_eq!(many.problem(400, "INVALID_PARAMETER")["errors"][0]["code"], "too_many");
    let repeated =
        app.get("/api/v1/publications?category=etudes-publications&category=etudes-publications&category=1").await;
    assert_eq!(repeated.json()["pagination"]["total"], 4, "a category named thrice counts once");
}

async fn unknown_members_are_refused_on_every_resource(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let token = app.token();
    let unknown = vec![("colour".to_owned(), "unknown_field".to_owned())];
    let links = app.get(&format!("{SEED}/links")).await.json();
    let link = format!("{SEED}/links/{}", links["data"][0]["id"]);
    for (method, uri, body) in [
        (Method::POST, "/api/v1/publications", json!({"title": "T", "colour": "bleu"})),
        (Method::PUT, SEED, json!({"title": "T", "colour": "bleu"})),
        (Method::POST, "/api/v1/categories", json!({"name": "N", "colour": "bleu"})),
        (Method::PUT, "/api/v1/categories/etudes-publications", json!({"name": "N", "colour": "bleu"})),
        (
            Method::POST,
            &format!("{SEED}/links"),
            json!({"url": "https://example.org/", "title": "T", "colour": "bleu"}),
        ),
    ] {
        assert_eq!(fields(&app.write(method.clone(), uri, &token, body).await), unknown, "{method} {uri}");
    }
    for uri in [SEED, "/api/v1/categories/etudes-publications", link.as_str()] {
        assert_eq!(fields(&patch(&app, uri, &token, json!({"colour": "bleu"})).await), unknown, "PATCH {uri}");
    }
}

async fn a_malformed_if_match_matches_no_version(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let token = app.token();
    for value in ["0", "null", "3-abc", "W/\"1-x\"", "*, \"9\"", "\"9\", *"] {
        let answer = app
            .call(
                TestRequest::patch()
                    .uri(SEED)
                    .insert_header(("Authorization", format!("Bearer {token}")))
                    .insert_header(("Content-Type", "application/merge-patch+json"))
                    .insert_header(("If-Match", value))
                    .set_payload(r#"{"summary": "x"}"#),
            )
            .await;
        answer.problem(412, "PRECONDITION_FAILED");
    }
    assert_ne!(app.get(SEED).await.json()["summary"], "x", "nothing was written");
}

async fn texts_are_checked_as_sent(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token();
    let post = |body: Value| app.write(Method::POST, "/api/v1/publications", &token, body);
    let code = |answer: &Answer| fields(answer).into_iter().map(|(_, code)| code).collect::<Vec<_>>();

    assert_eq!(code(&post(json!({"title": "   "})).await), ["required"]);
    assert_eq!(code(&post(json!({"title": "\u{b}Titre"})).await), ["control_character"], "even at an end");
    assert_eq!(code(&post(json!({"title": format!("{} ", "a".repeat(300))})).await), ["too_long"], "counted as sent");
    assert_eq!(code(&post(json!({"title": "<b>Titre</b>"})).await), ["not_plain_text"]);
    let fine = post(json!({"title": "  3 < 4 et 5 > 2  ", "authors": [" Anne "]})).await;
    assert_eq!(fine.status, 201);
    assert_eq!(
        (fine.json()["title"].as_str(), fine.json()["authors"][0].as_str()),
        (Some("3 < 4 et 5 > 2"), Some("Anne"))
    );

    let link = |body: Value| app.write(Method::POST, "/api/v1/publications/3-4-et-5-2/links", &token, body);
    assert_eq!(code(&link(json!({"url": " https://example.org/", "title": "T"})).await), ["invalid_url"]);
    assert_eq!(code(&link(json!({"url": "HTTPS://example.org/", "title": "T"})).await), ["invalid_url"]);
    assert_eq!(code(&link(json!({"url": "https://192.168.0.1/", "title": "T"})).await), ["invalid_url"]);
    let media = link(json!({"url": "https://example.org/r.pdf", "title": "T", "media_type": ""})).await;
    assert_eq!(code(&media), ["invalid_media_type"]);
    let good =
        link(json!({"url": "https://example.org/r.pdf?x=1#p", "title": "T", "media_type": "application/pdf"})).await;
    assert_eq!(good.status, 201, "{}", String::from_utf8_lossy(&good.body));
}
