use std::process::Command;

use actix_web::http::Method;
use serde_json::json;

use crate::backend_tests;
use crate::helpers::{Backend, TestApp};

backend_tests!(
    export_then_import_into_an_empty_database_gives_the_same_bytes,
    import_updates_by_slug,
    a_bad_line_is_named_and_its_batch_is_not_written,
    a_load_into_an_empty_catalogue_builds_its_indexes_once_at_the_end,
);

fn export(app: &TestApp) -> Vec<u8> {
    let mut out = Vec::new();
    parution::exchange::export(&mut app.connection(), &mut out).expect("the export runs");
    out
}

fn import(app: &TestApp, input: &[u8]) -> Result<parution::exchange::ImportReport, String> {
    let source = parution::exchange::Source::spooled(input)?;
    parution::exchange::import(&mut app.connection(), &source, |_, _| {})
}

/// The demo content, plus a draft, a sub-category and links of every kind.
async fn richer_catalogue(app: &TestApp) {
    let token = app.token();
    let write = |method, uri: &'static str, body| {
        let token = token.clone();
        async move {
            let answer = app.write(method, uri, &token, body).await;
            assert!(answer.status.is_success(), "{uri}: {}", String::from_utf8_lossy(&answer.body));
        }
    };
    write(
        Method::POST,
        "/api/v1/categories",
        json!({"name": "Disques", "parent_id": "veille-industrie-phonographique", "position": 3}),
    )
    .await;
    write(Method::POST, "/api/v1/publications", json!({"title": "Brouillon d’été", "summary": "Pas encore.", "authors": ["A", "B"], "categories": ["disques", "etudes-publications"], "language": "fr-BE"})).await;
    write(Method::POST, "/api/v1/publications/brouillon-d-ete/links", json!({"rel": "source", "title": "Source", "url": "https://example.org/s", "media_type": "text/html", "hreflang": "en"})).await;
    write(
        Method::POST,
        "/api/v1/publications/brouillon-d-ete/links",
        json!({"target": "concertation-fournisseurs-ia-ayants-droit", "rel": "see_also"}),
    )
    .await;
    // A scheduled release, announced, with its expiry.
    write(Method::POST, "/api/v1/publications", json!({"title": "À paraître", "status": "scheduled", "published_at": "2099-01-01T09:00:00Z", "unpublish_at": "2099-06-01T00:00:00Z", "announce": true})).await;
    // Former slugs travel too.
    write(Method::PATCH, "/api/v1/publications/brouillon-d-ete", json!({"slug": "brouillon-ete"})).await;
    write(Method::PATCH, "/api/v1/categories/disques", json!({"slug": "vinyles"})).await;
}

async fn export_then_import_into_an_empty_database_gives_the_same_bytes(backend: Backend) {
    let source = TestApp::with_demo(backend).await;
    richer_catalogue(&source).await;
    let exported = export(&source);
    let target = TestApp::new(backend).await;

    let report = import(&target, &exported).expect("the import runs");

    assert_eq!((report.categories_created, report.publications_created, report.links), (3, 6, 4));
    let again = export(&target);
    assert!(
        exported == again,
        "byte-identical:\n{}\n{}",
        String::from_utf8_lossy(&exported),
        String::from_utf8_lossy(&again)
    );
    let text = String::from_utf8(exported).unwrap();
    assert_eq!(text.lines().count(), 9);
    // The demo's translations and English category names travel.
    assert!(text.contains(r#""translation_of":"consultation-ai-providers-rights-holders""#), "{text}");
    assert!(text.contains(r#""names":{"en":{"name":"Studies & publications""#), "{text}");
    let article = "/api/v1/publications/concertation-fournisseurs-ia-ayants-droit";
    let (before, after) = (source.get(article).await.json(), target.get(article).await.json());
    assert_eq!(before["title"], after["title"]);
    assert_eq!(before["body"], after["body"]);
    assert_eq!(before["published_at"], after["published_at"]);
    assert_eq!(before["links"].as_array().unwrap().len(), after["links"].as_array().unwrap().len());
    assert_eq!(before["translations"][0]["slug"], after["translations"][0]["slug"], "groups are imported");
    assert_eq!(after["translations"][0]["language"], "en");
    let found = target.get("/api/v1/publications?q=%22ayants+droit%22").await.json();
    assert_eq!(found["pagination"]["total"], 1, "imported publications are searchable");
    let token = target.token();
    let moved = target.get_with("/api/v1/publications/brouillon-d-ete", &token).await;
    assert_eq!(moved.header("location"), Some("/api/v1/publications/brouillon-ete"), "former slugs are imported");
    let moved = target.get("/api/v1/categories/disques").await;
    assert_eq!(moved.header("location"), Some("/api/v1/categories/vinyles"));
    let coming = target.get("/api/v1/schedule").await.json();
    assert_eq!(coming["data"][0]["title"], "À paraître", "schedules and announcements are imported");
    let scheduled = target.get_with("/api/v1/publications/a-paraitre", &token).await.json();
    assert_eq!(
        (scheduled["status"].as_str(), scheduled["unpublish_at"].as_str()),
        (Some("scheduled"), Some("2099-06-01T00:00:00Z"))
    );
}

async fn import_updates_by_slug(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let exported = String::from_utf8(export(&app)).unwrap();
    let edited = exported.replace("Veille industrie phonographique\"", "Veille phonographique\"");

    let report = import(&app, edited.as_bytes()).expect("the import runs");

    assert_eq!((report.categories_created, report.categories_updated), (0, 2));
    assert_eq!((report.publications_created, report.publications_updated), (0, 4));
    assert_eq!(
        app.get("/api/v1/categories/veille-industrie-phonographique").await.json()["name"],
        "Veille phonographique"
    );
    assert_eq!(app.publication_count(), 4);
    assert_eq!(
        app.get("/api/v1/publications/concertation-fournisseurs-ia-ayants-droit/links").await.json()["data"]
            .as_array()
            .unwrap()
            .len(),
        2,
        "links are replaced, not doubled"
    );
}

async fn a_bad_line_is_named_and_its_batch_is_not_written(backend: Backend) {
    let app = TestApp::new(backend).await;
    let category = r#"{"type":"category","slug":"etudes","name":"Études","description":null,"parent":null,"position":0,"created_at":"2025-01-01T00:00:00Z","updated_at":"2025-01-01T00:00:00Z","version":1}"#;
    let publication = |slug: &str, category: &str| {
        format!(
            r#"{{"type":"publication","slug":"{slug}","title":"T","summary":"","body":"","status":"draft","language":"fr","published_at":null,"authors":[],"categories":["{category}"],"links":[],"created_at":"2025-01-01T00:00:00Z","updated_at":"2025-01-01T00:00:00Z","version":1}}"#
        )
    };

    let cases = [
        (format!("{category}\n{}\n{{\"type\": \"publication\", \n", publication("a", "etudes")), "line 3"),
        (format!("{category}\n{}\n", publication("Pas Un Slug", "etudes")), "line 2"),
        (format!("{category}\n{}\n{{\"type\":\"author\"}}\n", publication("a", "etudes")), "line 3"),
        (format!("{category}\n\n{}\n", publication("a", "inconnue")), "line 3"),
        (
            format!(
                "{category}\n{}\n",
                publication("a", "etudes").replace("\"title\":\"T\"", "\"title\":\"<b>T</b>\"")
            ),
            "line 2",
        ),
    ];
    for (file, line) in cases {
        let error = import(&app, file.as_bytes()).expect_err("the import fails");
        assert!(error.starts_with(line), "{line}: {error}");
        assert_eq!(app.publication_count(), 0, "{line}: nothing of the batch is written");
        assert_eq!(app.get("/api/v1/categories").await.json()["data"], json!([]), "{line}");
    }
}

/// The indexes of the database, by name, and those waiting to be built.
fn indexes(app: &TestApp) -> (Vec<String>, Vec<String>) {
    use diesel::RunQueryDsl;
    use diesel::sql_types::Text;
    use parution::db::fragment::Raw;
    let listing = match app.url.starts_with("sqlite") {
        true => "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name",
        false => "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() ORDER BY indexname",
    };
    let connection = &mut app.connection();
    let present = Raw::<Text>::new(listing).load(connection).unwrap();
    let waiting = Raw::<Text>::new("SELECT name FROM deferred_indexes ORDER BY name").load(connection).unwrap();
    (present, waiting)
}

async fn a_load_into_an_empty_catalogue_builds_its_indexes_once_at_the_end(backend: Backend) {
    let source = TestApp::with_demo(backend).await;
    richer_catalogue(&source).await;
    let exported = export(&source);
    let (all, none) = indexes(&source);
    assert!(all.iter().any(|name| name == "publications_status_published") && none.is_empty(), "{all:?}");

    // A load that succeeds, and one that fails in its second pass (a link
    // to a publication the file lacks): the indexes are there after both.
    let target = TestApp::new(backend).await;
    import(&target, &exported).expect("the import runs");
    assert_eq!(indexes(&target), (all.clone(), vec![]));
    let failing = TestApp::new(backend).await;
    let dangling = String::from_utf8(exported.clone()).unwrap().replace("\"target\":\"", "\"target\":\"absente-");
    assert_ne!(dangling.as_bytes(), exported.as_slice(), "the file has links to publications");
    import(&failing, dangling.as_bytes()).expect_err("a link to an absent publication fails the load");
    assert_eq!(indexes(&failing), (all.clone(), vec![]));

    // A load killed midway leaves its indexes to the next start.
    let deferred = parution::db::defer_indexes(&mut target.connection()).unwrap();
    let (present, waiting) = indexes(&target);
    assert_eq!((present.len() + deferred, waiting.len()), (all.len(), deferred));
    assert!(deferred >= 5, "the publications' indexes at least: {deferred}");
    parution::startup::prepare(&crate::helpers::settings(&target.url), parution::startup::Demo::Never).unwrap();
    assert_eq!(indexes(&target), (all, vec![]));
    assert_eq!(
        target.get("/api/v1/publications?q=%22ayants+droit%22").await.json()["pagination"]["total"],
        1,
        "and every read works as before"
    );
}

#[actix_web::test]
async fn the_command_line_exports_and_imports_files() {
    let source = TestApp::with_demo(Backend::Sqlite).await;
    let target = TestApp::new(Backend::Sqlite).await;
    let folder = tempfile::tempdir().unwrap();
    let file = folder.path().join("all.jsonl");
    let parution = |args: &[&str], url: &str| {
        Command::new(env!("CARGO_BIN_EXE_parution"))
            .args(args)
            .env("PARUTION_DATABASE_URL", url)
            .env("RUST_LOG", "warn")
            .output()
            .unwrap()
    };

    let exported = parution(&["export"], &source.url);
    std::fs::write(&file, &exported.stdout).unwrap();
    let imported = parution(&["import", file.to_str().unwrap()], &target.url);
    let bad = folder.path().join("bad.jsonl");
    std::fs::write(&bad, "{\n").unwrap();
    let refused = parution(&["import", bad.to_str().unwrap()], &target.url);

    assert!(exported.status.success() && imported.status.success(), "{}", String::from_utf8_lossy(&imported.stderr));
    let summary = String::from_utf8_lossy(&imported.stderr);
    assert!(summary.contains("4 publications (4 new, 0 updated), 2 links and 0 attachments"), "{summary}");
    assert_eq!(parution(&["export"], &target.url).stdout, exported.stdout);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("line 1"));
}
