//! The OpenAPI document: committed, served and generated must be one.

use serde_json::Value;

use crate::backend_tests;
use crate::helpers::{Backend, TestApp};

const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");

fn generated() -> String {
    parution::openapi::to_pretty_json(&parution::openapi::document())
}

/// `UPDATE_OPENAPI=1 cargo test` rewrites the committed file.
#[test]
fn the_committed_document_is_the_generated_one() {
    let generated = generated();
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(COMMITTED, &generated).expect("openapi/openapi.json is writable");
    }
    let committed = std::fs::read_to_string(COMMITTED).unwrap_or_default();
    assert!(
        committed == generated,
        "openapi/openapi.json differs from the generated document; run `UPDATE_OPENAPI=1 cargo test` and commit it"
    );
}

#[test]
fn every_operation_is_fully_documented() {
    let document: Value = serde_json::from_str(&generated()).unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    let mut operation_ids = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let name = format!("{method} {path}");
            operation_ids.push(operation["operationId"].as_str().expect(&name).to_owned());
            assert!(operation["summary"].as_str().is_some_and(|s| !s.is_empty()), "{name} has a summary");
            assert!(operation["description"].as_str().is_some_and(|s| !s.is_empty()), "{name} has a description");
            assert_eq!(operation["tags"].as_array().map(Vec::len), Some(1), "{name} has a tag");
            let responses = operation["responses"].as_object().unwrap();
            assert!(responses.keys().any(|status| status.starts_with('2')), "{name} documents its success");
            assert!(responses.contains_key("400"), "{name} documents bad parameters");
            let writes = matches!(method.as_str(), "post" | "put" | "patch" | "delete");
            let security = operation["security"].as_array().cloned().unwrap_or_default();
            let open = security.is_empty() || security.iter().any(|requirement| requirement == &serde_json::json!({}));
            for requirement in &security {
                assert!(
                    requirement == &serde_json::json!({}) || requirement == &serde_json::json!({"bearer": []}),
                    "{name}: scopes go in x-required-scope, not in a bearer requirement: {requirement}"
                );
            }
            let scope = operation["x-required-scope"].as_str();
            if !security.is_empty() {
                let expected: &[&str] = if open { &["none"] } else { &["read", "write", "admin"] };
                assert!(scope.is_some_and(|scope| expected.contains(&scope)), "{name} states its scope: {scope:?}");
            }
            if !open {
                assert!(responses.contains_key("401"), "{name} documents a missing token");
                assert!(responses.contains_key("403"), "{name} documents a token of too narrow a scope");
                let sentence = format!("Needs a token of scope `{}`", scope.unwrap_or_default());
                assert!(operation["description"].as_str().unwrap().contains(&sentence), "{name} says its scope");
            }
            if writes {
                assert!(!open, "{name} needs a token");
                assert_ne!(scope, Some("read"), "{name} is a write");
            }
            // Writes to resources that have versions honour If-Match.
            let versioned = !path.starts_with("/api/v1/tokens") && !path.starts_with("/api/v1/trash");
            if matches!(method.as_str(), "put" | "patch" | "delete") && versioned {
                assert!(responses.contains_key("412"), "{name} documents If-Match");
            }
            if matches!(method.as_str(), "post" | "put" | "patch") && operation.get("requestBody").is_some() {
                for status in ["413", "415", "422"] {
                    assert!(responses.contains_key(status), "{name} documents {status}");
                }
            }
            for (status, response) in responses {
                if status.starts_with('3') {
                    let reference = response["$ref"].as_str().unwrap_or_else(|| panic!("{name} {status} is shared"));
                    let component = &document["components"]["responses"][reference.rsplit('/').next().unwrap()];
                    assert!(component["description"].as_str().is_some_and(|s| !s.is_empty()), "{name} {status}");
                } else if status.starts_with('4') || status.starts_with('5') {
                    let reference = response["$ref"].as_str().unwrap_or_else(|| panic!("{name} {status} is shared"));
                    let component = &document["components"]["responses"][reference.rsplit('/').next().unwrap()];
                    assert!(component["content"]["application/problem+json"]["example"].is_object(), "{name} {status}");
                } else {
                    assert!(response["description"].as_str().is_some_and(|s| !s.is_empty()), "{name} {status}");
                    if status != "204" {
                        let content = response["content"].as_object();
                        let typed =
                            content.is_some_and(|content| content.values().all(|media| media["schema"].is_object()));
                        assert!(typed, "{name} {status}");
                    }
                }
            }
            if path.contains("{ref}") {
                assert!(responses.contains_key("404"), "{name} documents an unknown ref");
            }
        }
    }
    let count = operation_ids.len();
    operation_ids.sort();
    operation_ids.dedup();
    assert_eq!(operation_ids.len(), count, "operationIds are unique");
    assert!(count >= 21, "every route is documented: {operation_ids:?}");
    assert_eq!(document["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
}

/// Every `$ref` in `value`, wherever it sits.
fn references<'a>(value: &'a Value, found: &mut Vec<&'a str>) {
    match value {
        Value::Object(object) => {
            if let Some(Value::String(reference)) = object.get("$ref") {
                found.push(reference);
            }
            object.values().for_each(|item| references(item, found));
        }
        Value::Array(items) => items.iter().for_each(|item| references(item, found)),
        _ => {}
    }
}

#[test]
fn every_reference_in_the_document_resolves() {
    let document: Value = serde_json::from_str(&generated()).unwrap();
    let mut found = Vec::new();
    references(&document, &mut found);

    assert!(found.len() > 20, "the document uses shared components");
    for reference in found {
        let pointer = reference.strip_prefix('#').expect("references stay inside the document");
        assert!(document.pointer(pointer).is_some(), "{reference} resolves");
    }
}

#[test]
fn both_backends_have_the_same_migrations() {
    let sqlite = parution::db::migration_names(Backend::Sqlite);
    let postgres = parution::db::migration_names(Backend::Postgres);
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, postgres);
}

backend_tests!(the_served_document_is_the_generated_one, the_documentation_page_is_served);

async fn the_served_document_is_the_generated_one(backend: Backend) {
    let app = TestApp::new(backend).await;

    let answer = app.get("/openapi.json").await;

    assert_eq!(answer.status, 200);
    assert_eq!(answer.json(), serde_json::from_str::<Value>(&generated()).unwrap());
}

async fn the_documentation_page_is_served(backend: Backend) {
    let app = TestApp::new(backend).await;

    let redirect = app.get("/docs").await;
    let page = app.get("/docs/").await;
    let script = app.get("/docs/swagger-ui-bundle.js").await;
    let initializer = app.get("/docs/swagger-initializer.js").await;

    assert!(redirect.status.is_redirection());
    assert_eq!(redirect.header("location"), Some("/docs/"));
    assert_eq!(page.status, 200);
    let html = String::from_utf8_lossy(&page.body);
    assert!(html.contains("swagger-ui-bundle.js"));
    assert!(!html.contains("http://") && !html.contains("https://"), "no asset comes from a CDN");
    assert_eq!(script.status, 200);
    assert!(script.body.len() > 100_000, "the Swagger UI bundle is served from the binary");
    assert!(String::from_utf8_lossy(&initializer.body).contains("\"/openapi.json\""));
}
