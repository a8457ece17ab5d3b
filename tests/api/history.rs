//! History, restore and the trash, through HTTP, on both backends: every
//! write records one revision, a restore gives back a revision whole
//! (links and categories included) or refuses what it cannot, the trash
//! hides a publication from every surface and gives it back, and the
//! history keeps what its settings say.

use actix_web::http::Method;
use actix_web::test::TestRequest;
use futures_util::future::join_all;
use parution::startup::Demo;
use parution::tokens::Scope;
use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::{Answer, Backend, NewPublication, TestApp, insert_publication};

backend_tests!(
    ten_edits_then_a_restore_give_back_the_revision_whole,
    a_restore_that_refers_to_what_is_gone_changes_nothing,
    the_diff_turns_the_current_detail_into_the_revision,
    a_write_that_changes_nothing_records_nothing,
    concurrent_writers_leave_one_revision_per_acknowledged_write,
    retention_keeps_the_newest_and_every_status_change,
    a_trashed_publication_leaves_every_surface_and_comes_back,
    a_trashed_slug_taken_meanwhile_is_a_conflict_unless_another_is_given,
    purging_removes_the_history,
    history_starts_at_the_first_edit_of_a_publication_written_without_it,
);

async fn send(
    app: &TestApp,
    method: Method,
    uri: &str,
    token: &str,
    body: Option<Value>,
    if_match: Option<&str>,
) -> Answer {
    let mut request =
        TestRequest::default().method(method).uri(uri).insert_header(("Authorization", format!("Bearer {token}")));
    if let Some(body) = body {
        request = request.insert_header(("Content-Type", "application/json")).set_payload(body.to_string());
    }
    if let Some(tag) = if_match {
        request = request.insert_header(("If-Match", tag));
    }
    app.call(request).await
}

async fn ok(answer: Answer) -> Value {
    assert!(answer.status.is_success(), "{}: {}", answer.status, String::from_utf8_lossy(&answer.body));
    if answer.body.is_empty() { Value::Null } else { answer.json() }
}

/// A detail without what every write changes: its version, its times, its
/// links' versions.
fn content(detail: &Value) -> String {
    let mut detail = detail.clone();
    let object = detail.as_object_mut().unwrap();
    for stamp in ["version", "updated_at"] {
        object.remove(stamp);
    }
    for link in object.get_mut("links").and_then(Value::as_array_mut).into_iter().flatten() {
        link.as_object_mut().unwrap().remove("version");
    }
    detail.to_string()
}

async fn revisions(app: &TestApp, token: &str, reference: &str) -> Vec<Value> {
    let page = app.get_with(&format!("/api/v1/publications/{reference}/revisions?per_page=100"), token).await;
    assert_eq!(page.status, 200, "{}", String::from_utf8_lossy(&page.body));
    page.json()["data"].as_array().unwrap().clone()
}

async fn ten_edits_then_a_restore_give_back_the_revision_whole(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token_of(Scope::Write);
    for (name, slug) in [("Études", "etudes"), ("Veille", "veille"), ("Chiffres", "chiffres")] {
        ok(app.write(Method::POST, "/api/v1/categories", &token, json!({"name": name, "slug": slug})).await).await;
    }
    for title in ["Cible A", "Cible B"] {
        ok(app.write(Method::POST, "/api/v1/publications", &token, json!({"title": title})).await).await;
    }
    ok(app
        .write(Method::POST, "/api/v1/publications", &token, json!({"title": "Étude", "categories": ["etudes"]}))
        .await)
    .await;
    let mut details = vec![app.get_with("/api/v1/publications/etude", &token).await.json()];
    let mut link_ids = Vec::new();
    for edit in 1..=10 {
        let uri = "/api/v1/publications/etude";
        match edit {
            // The text and the filing change, and links come and go.
            2 => {
                let link = json!({"rel": "related", "target": "cible-a", "title": "Voir A"});
                let link = ok(app.write(Method::POST, "/api/v1/publications/etude/links", &token, link).await).await;
                link_ids.push(link["id"].as_i64().unwrap());
            }
            3 => {
                let patch = json!({"categories": ["veille", "etudes"], "body": "<p>Version trois.</p>"});
                ok(app.write(Method::PATCH, uri, &token, patch).await).await;
            }
            5 => {
                let uri = format!("/api/v1/publications/etude/links/{}", link_ids[0]);
                ok(send(&app, Method::DELETE, &uri, &token, None, None).await).await;
            }
            6 => {
                let link = json!({"rel": "source", "url": "https://example.org/source", "title": "Source"});
                ok(app.write(Method::POST, "/api/v1/publications/etude/links", &token, link).await).await;
            }
            8 => {
                let patch = json!({"categories": ["chiffres"], "status": "published", "slug": "etude-finale"});
                ok(app.write(Method::PATCH, uri, &token, patch).await).await;
            }
            _ => {
                let uri = if edit > 8 { "/api/v1/publications/etude-finale" } else { uri };
                ok(app.write(Method::PATCH, uri, &token, json!({"title": format!("Étude, version {edit}")})).await)
                    .await;
            }
        }
        let current = if edit >= 8 { "etude-finale" } else { "etude" };
        details.push(app.get_with(&format!("/api/v1/publications/{current}"), &token).await.json());
    }
    let id = details[0]["id"].as_i64().unwrap();
    let history = revisions(&app, &token, &id.to_string()).await;
    assert_eq!(history.len(), 11, "one revision for the creation and one per edit");
    let numbers: Vec<i64> = history.iter().map(|revision| revision["number"].as_i64().unwrap()).collect();
    assert_eq!(numbers, (1..=11).rev().collect::<Vec<_>>(), "newest first");
    assert_eq!(history[10]["reason"], "create");
    assert_eq!(history[10]["author"], history[0]["author"]);
    assert!(history[10]["author"].as_str().unwrap().starts_with("test-"), "the token's name is the author");
    assert_eq!(history[8]["changed"], json!(["links"]), "revision 3 records the link added");
    assert_eq!(history[2]["reason"], "publish", "revision 9 published it");
    // Each revision's snapshot is the detail as it read then.
    for (index, detail) in details.iter().enumerate() {
        let revision = app.get_with(&format!("/api/v1/publications/{id}/revisions/{}", index + 1), &token).await;
        assert_eq!(revision.status, 200);
        assert_eq!(content(&revision.json()["publication"]), content(detail), "revision {}", index + 1);
    }

    // Revision 4: after the refiling and the new text, with the link to A.
    let current = app.get_with(&format!("/api/v1/publications/{id}"), &token).await;
    let tag = current.header("etag").unwrap().to_owned();
    let stale = send(
        &app,
        Method::POST,
        &format!("/api/v1/publications/{id}/revisions/4/restore"),
        &token,
        None,
        Some("\"1-x\""),
    )
    .await;
    stale.problem(412, "PRECONDITION_FAILED");
    let restored =
        send(&app, Method::POST, &format!("/api/v1/publications/{id}/revisions/4/restore"), &token, None, Some(&tag))
            .await;
    let restored = ok(restored).await;
    assert_eq!(restored["restored_from"], 4);
    assert_eq!(restored["revision"], 12);
    assert_eq!(restored["left_out"], json!([]));
    let after = app.get_with(&format!("/api/v1/publications/{id}"), &token).await.json();
    assert_eq!(
        content(&after),
        content(&details[3]),
        "title, body, status, slug, categories and links as in revision 4"
    );
    assert_eq!(after["links"][0]["id"], link_ids[0], "the deleted link is back with its id");
    assert_eq!(after["version"], details[10]["version"].as_i64().unwrap() + 1);
    // Its former slug now leads to it, and so does the one it had.
    assert_eq!(app.get_with("/api/v1/publications/etude", &token).await.status, 200);
    assert_eq!(app.get_with("/api/v1/publications/etude-finale", &token).await.status, 301);
    let history = revisions(&app, &token, &id.to_string()).await;
    assert_eq!((history[0]["reason"].as_str(), history[0]["restored_from"].as_i64()), (Some("restore"), Some(4)));
}

async fn a_restore_that_refers_to_what_is_gone_changes_nothing(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token_of(Scope::Write);
    let admin = app.token();
    for (name, slug) in [("Études", "etudes"), ("Éphémère", "ephemere")] {
        ok(app.write(Method::POST, "/api/v1/categories", &token, json!({"name": name, "slug": slug})).await).await;
    }
    ok(app.write(Method::POST, "/api/v1/publications", &token, json!({"title": "Cible"})).await).await;
    let created = json!({"title": "Étude", "categories": ["etudes", "ephemere"]});
    let id = ok(app.write(Method::POST, "/api/v1/publications", &token, created).await).await["id"].as_i64().unwrap();
    let link = json!({"rel": "related", "target": "cible"});
    ok(app.write(Method::POST, "/api/v1/publications/etude/links", &token, link).await).await;
    // Revision 2 refers to the category and the target; then both go.
    let patch = json!({"categories": ["etudes"], "title": "Étude revue"});
    ok(app.write(Method::PATCH, "/api/v1/publications/etude", &token, patch).await).await;
    let links = app.get_with("/api/v1/publications/etude/links", &token).await.json();
    let link_id = links["data"][0]["id"].as_i64().unwrap();
    ok(send(&app, Method::DELETE, &format!("/api/v1/publications/etude/links/{link_id}"), &token, None, None).await)
        .await;
    ok(send(&app, Method::DELETE, "/api/v1/categories/ephemere", &token, None, None).await).await;
    ok(send(&app, Method::DELETE, "/api/v1/publications/cible", &token, None, None).await).await;

    let before = app.get_with(&format!("/api/v1/publications/{id}"), &token).await;
    let count = revisions(&app, &token, "etude").await.len();
    let refused =
        send(&app, Method::POST, &format!("/api/v1/publications/{id}/revisions/2/restore"), &token, None, None).await;
    let problem = refused.problem(409, "MISSING_REFERENCES");
    let fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|error| error["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["categories[1]", "links[0].target"]);
    assert!(problem["errors"][0]["message"].as_str().unwrap().contains("ephemere"));
    assert!(problem["errors"][1]["message"].as_str().unwrap().contains("cible"));
    let after = app.get_with(&format!("/api/v1/publications/{id}"), &token).await;
    assert_eq!(after.body, before.body, "nothing changed");
    assert_eq!(revisions(&app, &token, "etude").await.len(), count, "no revision recorded");

    // Partly: what exists comes back, and what was left out is listed.
    let partial = ok(send(
        &app,
        Method::POST,
        &format!("/api/v1/publications/{id}/revisions/2/restore?partial=true"),
        &token,
        None,
        None,
    )
    .await)
    .await;
    assert_eq!(partial["left_out"].as_array().unwrap().len(), 2);
    assert_eq!(partial["publication"]["title"], "Étude");
    assert_eq!(partial["publication"]["categories"][0]["slug"], "etudes");
    assert_eq!(partial["publication"]["categories"].as_array().unwrap().len(), 1);
    assert_eq!(partial["publication"]["links"], json!([]));
    // A read token cannot restore; an admin one can.
    let reader = app.token_of(Scope::Read);
    let forbidden =
        send(&app, Method::POST, &format!("/api/v1/publications/{id}/revisions/1/restore"), &reader, None, None).await;
    forbidden.problem(403, "INSUFFICIENT_SCOPE");
    ok(send(&app, Method::POST, &format!("/api/v1/publications/{id}/revisions/4/restore"), &admin, None, None).await)
        .await;
    let missing =
        send(&app, Method::POST, &format!("/api/v1/publications/{id}/revisions/99/restore"), &admin, None, None).await;
    missing.problem(404, "NOT_FOUND");
}

/// RFC 7396, to check the diff with.
fn merge(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = json!({});
    }
    let target = target.as_object_mut().unwrap();
    for (key, value) in patch {
        if value.is_null() {
            target.remove(key);
        } else {
            merge(target.entry(key.clone()).or_insert(Value::Null), value);
        }
    }
}

async fn the_diff_turns_the_current_detail_into_the_revision(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let token = app.token_of(Scope::Read);
    let editor = app.token_of(Scope::Write);
    let uri = "/api/v1/publications/concertation-fournisseurs-ia-ayants-droit";
    let patch = json!({"title": "Un autre titre", "authors": ["A. Autrice"], "categories": ["etudes-publications"], "summary": null});
    ok(app.write(Method::PATCH, uri, &editor, patch).await).await;
    let diff = app.get_with(&format!("{uri}/revisions/1/diff"), &token).await;
    assert_eq!(diff.status, 200);
    assert_eq!(diff.header("content-type"), Some("application/merge-patch+json"));
    let diff = diff.json();
    let keys: Vec<&str> = diff.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["title", "summary", "authors", "categories"]);
    let mut current = app.get_with(uri, &token).await.json();
    merge(&mut current, &diff);
    let revision = app.get_with(&format!("{uri}/revisions/1"), &token).await.json()["publication"].clone();
    assert_eq!(content(&current), content(&revision));
    let same = app.get_with(&format!("{uri}/revisions/2/diff"), &token).await.json();
    assert_eq!(same, json!({}), "the newest revision is the current state");
    // Without a token, none of it.
    app.get(&format!("{uri}/revisions")).await.problem(401, "UNAUTHORIZED");
    app.get(&format!("{uri}/revisions/1/diff")).await.problem(401, "UNAUTHORIZED");
}

async fn a_write_that_changes_nothing_records_nothing(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token();
    let body = json!({"title": "Étude", "summary": "Résumé", "body": "<p>Texte</p>"});
    ok(app.write(Method::POST, "/api/v1/publications", &token, body.clone()).await).await;
    ok(app.write(Method::PUT, "/api/v1/publications/etude", &token, body.clone()).await).await;
    ok(app.write(Method::PATCH, "/api/v1/publications/etude", &token, json!({"title": "Étude"})).await).await;
    assert_eq!(revisions(&app, &token, "etude").await.len(), 1);
    ok(app.write(Method::PATCH, "/api/v1/publications/etude", &token, json!({"title": "Étude 2"})).await).await;
    let history = revisions(&app, &token, "etude").await;
    assert_eq!(history.len(), 2);
    assert_eq!(history[0]["changed"], json!(["title"]));
    assert_eq!(history[0]["reason"], "update");
}

async fn concurrent_writers_leave_one_revision_per_acknowledged_write(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token_of(Scope::Write);
    ok(app.write(Method::POST, "/api/v1/publications", &token, json!({"title": "Disputée"})).await).await;
    let writes = (0..32).map(|index| {
        let (app, token) = (&app, token.clone());
        async move {
            if index % 4 == 3 {
                let link = json!({"rel": "source", "url": format!("https://example.org/{index}"), "title": "Source"});
                app.write(Method::POST, "/api/v1/publications/disputee/links", &token, link).await
            } else {
                let patch = json!({"title": format!("Disputée {index}")});
                app.write(Method::PATCH, "/api/v1/publications/disputee", &token, patch).await
            }
        }
    });
    let answers = join_all(writes).await;
    let acknowledged = answers.iter().filter(|answer| answer.status.is_success()).count();
    for answer in &answers {
        assert!(answer.status.is_success() || answer.status == 503, "{}", String::from_utf8_lossy(&answer.body));
    }
    assert!(acknowledged >= 16, "most writes went through ({acknowledged})");
    let history = revisions(&app, &token, "disputee").await;
    assert_eq!(history.len(), 1 + acknowledged, "one revision per acknowledged write, and the creation");
    let versions: std::collections::BTreeSet<i64> =
        history.iter().map(|revision| revision["version"].as_i64().unwrap()).collect();
    assert_eq!(versions.len(), history.len(), "each revision records its own version");
    let detail = app.get_with("/api/v1/publications/disputee", &token).await.json();
    assert_eq!(history[0]["version"], detail["version"]);
}

async fn retention_keeps_the_newest_and_every_status_change(backend: Backend) {
    let app = TestApp::start_with(backend, Demo::Never, |settings| settings.history.revisions_keep = 4);
    let token = app.token();
    ok(app.write(Method::POST, "/api/v1/publications", &token, json!({"title": "Version 1"})).await).await;
    let mut titles = vec![String::new(), "Version 1".to_owned()];
    for number in 2..=14 {
        let mut patch = json!({"title": format!("Version {number}")});
        // Revisions 5 and 9 change the status.
        match number {
            5 => patch["status"] = json!("published"),
            9 => patch["status"] = json!("archived"),
            _ => {}
        }
        ok(app.write(Method::PATCH, "/api/v1/publications/version-1", &token, patch).await).await;
        titles.push(format!("Version {number}"));
    }
    let kept: Vec<i64> = revisions(&app, &token, "version-1")
        .await
        .iter()
        .map(|revision| revision["number"].as_i64().unwrap())
        .collect();
    assert_eq!(kept, [14, 13, 12, 11, 9, 5, 1], "the newest 4, and every status change (the creation's too)");
    for number in &kept {
        let revision = app.get_with(&format!("/api/v1/publications/version-1/revisions/{number}"), &token).await.json();
        assert_eq!(revision["publication"]["title"], titles[*number as usize], "revision {number} reads whole");
    }
    let pruned = app.get_with("/api/v1/publications/version-1/revisions/7", &token).await;
    pruned.problem(404, "NOT_FOUND");
    let page = app.get_with("/api/v1/publications/version-1/revisions?per_page=2&page=2", &token).await;
    assert_eq!(page.header("x-total-count"), Some("7"));
    assert_eq!(page.json()["data"][0]["number"], 12);
}

async fn a_trashed_publication_leaves_every_surface_and_comes_back(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let token = app.token_of(Scope::Write);
    let reader = app.token_of(Scope::Read);
    let article = "concertation-fournisseurs-ia-ayants-droit";
    let related = app.get(&format!("/api/v1/publications/{article}/related")).await.json();
    let victim = related["data"][0].clone();
    let (id, slug) = (victim["id"].as_i64().unwrap(), victim["slug"].as_str().unwrap().to_owned());
    let word = slug.split('-').max_by_key(|word| word.len()).unwrap().to_owned();
    let surfaces = [
        "/api/v1/publications".to_owned(),
        format!("/api/v1/publications?q={word}"),
        format!("/api/v1/publications/{article}"),
        format!("/api/v1/publications/{article}/related"),
        format!("/api/v1/publications/{article}/links"),
        "/api/v1/categories".to_owned(),
        "/api/v1/categories/etudes-publications".to_owned(),
        "/api/v1/feeds/publications.atom".to_owned(),
        "/api/v1/feeds/publications.json".to_owned(),
    ];
    let shows = |body: &[u8]| String::from_utf8_lossy(body).contains(&slug);
    let mut before = Vec::new();
    for uri in &surfaces {
        let answer = app.get(uri).await;
        assert_eq!(answer.status, 200, "{uri}");
        before.push(answer.body.clone());
    }
    assert!(before.iter().filter(|body| shows(body)).count() >= 6, "the surfaces show it at first");
    let counts = |body: &Vec<u8>| -> Value { serde_json::from_slice(body).unwrap() };
    let count_before = counts(&before[5])["data"][0]["publication_count"].clone();

    let tag = app.get_with(&format!("/api/v1/publications/{id}"), &token).await.header("etag").unwrap().to_owned();
    ok(send(&app, Method::DELETE, &format!("/api/v1/publications/{slug}"), &token, None, Some(&tag)).await).await;
    for uri in &surfaces {
        for answer in [app.get(uri).await, app.get_with(uri, &reader).await] {
            assert_eq!(answer.status, 200, "{uri}");
            assert!(!shows(&answer.body), "{uri} does not show it: {}", String::from_utf8_lossy(&answer.body));
        }
    }
    assert_eq!(
        counts(&app.get("/api/v1/categories").await.body)["data"][0]["publication_count"],
        count_before.as_i64().unwrap() - 1
    );
    for uri in [format!("/api/v1/publications/{id}"), format!("/api/v1/publications/{slug}")] {
        app.get_with(&uri, &reader).await.problem(404, "NOT_FOUND");
    }
    let trash = app.get_with("/api/v1/trash", &reader).await;
    assert_eq!(trash.status, 200);
    let trash = trash.json();
    assert_eq!(trash["data"][0]["id"], id);
    assert_eq!(trash["data"][0]["slug"], slug.as_str());
    assert!(trash["data"][0]["trashed_by"].as_str().unwrap().starts_with("test-"));
    app.get("/api/v1/trash").await.problem(401, "UNAUTHORIZED");
    // Its history stays readable by its id, the trash last.
    let history = revisions(&app, &reader, &id.to_string()).await;
    assert_eq!(history[0]["reason"], "trash");
    let number = history[0]["number"].as_i64().unwrap();
    let snapshot = app.get_with(&format!("/api/v1/publications/{id}/revisions/{number}"), &reader).await.json();
    assert_eq!(snapshot["publication"]["slug"], slug.as_str());
    let by_slug = app.get_with(&format!("/api/v1/publications/{slug}/revisions"), &reader).await;
    by_slug.problem(404, "NOT_FOUND");

    let back = send(&app, Method::POST, &format!("/api/v1/trash/{id}/restore"), &token, None, None).await;
    assert_eq!(back.status, 201, "{}", String::from_utf8_lossy(&back.body));
    assert_eq!(back.header("location"), Some(format!("/api/v1/publications/{id}").as_str()));
    let back = back.json();
    assert_eq!(back["publication"]["id"], id);
    assert_eq!(back["publication"]["slug"], slug.as_str());
    for (uri, body) in surfaces.iter().zip(&before) {
        let answer = app.get(uri).await;
        assert_eq!(shows(&answer.body), shows(body), "{uri} shows it again as before");
    }
    let link_before: Value = serde_json::from_slice(&before[4]).unwrap();
    let link_after = app.get(&format!("/api/v1/publications/{article}/links")).await.json();
    assert_eq!(link_after, link_before, "the article's link to it is back as it was");
    let history = revisions(&app, &reader, &id.to_string()).await;
    let reasons: Vec<&str> = history.iter().take(2).map(|revision| revision["reason"].as_str().unwrap()).collect();
    assert_eq!(reasons, ["untrash", "trash"]);
    assert_eq!(app.get_with("/api/v1/trash", &reader).await.json()["data"], json!([]));
    let again = send(&app, Method::POST, &format!("/api/v1/trash/{id}/restore"), &token, None, None).await;
    again.problem(404, "NOT_FOUND");
}

async fn a_trashed_slug_taken_meanwhile_is_a_conflict_unless_another_is_given(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token_of(Scope::Write);
    let id = ok(app.write(Method::POST, "/api/v1/publications", &token, json!({"title": "Rapport"})).await).await["id"]
        .as_i64()
        .unwrap();
    ok(send(&app, Method::DELETE, "/api/v1/publications/rapport", &token, None, None).await).await;
    let other = ok(app.write(Method::POST, "/api/v1/publications", &token, json!({"title": "Rapport"})).await).await;
    assert_eq!(other["slug"], "rapport", "the slug is free while it is in the trash");
    let refused = send(&app, Method::POST, &format!("/api/v1/trash/{id}/restore"), &token, None, None).await;
    let problem = refused.problem(409, "CONFLICT");
    assert!(problem["detail"].as_str().unwrap().contains("'rapport'"));
    let invalid =
        send(&app, Method::POST, &format!("/api/v1/trash/{id}/restore?slug=Pas%20un%20slug"), &token, None, None).await;
    invalid.problem(400, "INVALID_PARAMETER");
    let back =
        send(&app, Method::POST, &format!("/api/v1/trash/{id}/restore?slug=rapport-initial"), &token, None, None).await;
    assert_eq!(ok(back).await["publication"]["slug"], "rapport-initial");
    assert_eq!(app.get_with(&format!("/api/v1/publications/{id}"), &token).await.json()["title"], "Rapport");
}

async fn purging_removes_the_history(backend: Backend) {
    let app = TestApp::new(backend).await;
    let editor = app.token_of(Scope::Write);
    let admin = app.token_of(Scope::Admin);
    let mut ids = Vec::new();
    for title in ["Un", "Deux"] {
        let created = ok(app.write(Method::POST, "/api/v1/publications", &editor, json!({"title": title})).await).await;
        let id = created["id"].as_i64().unwrap();
        ok(send(&app, Method::DELETE, &format!("/api/v1/publications/{id}"), &editor, None, None).await).await;
        ids.push(id);
    }
    send(&app, Method::DELETE, &format!("/api/v1/trash/{}", ids[0]), &editor, None, None)
        .await
        .problem(403, "INSUFFICIENT_SCOPE");
    let purged = send(&app, Method::DELETE, &format!("/api/v1/trash/{}", ids[0]), &admin, None, None).await;
    assert_eq!(purged.status, 204);
    send(&app, Method::POST, &format!("/api/v1/trash/{}/restore", ids[0]), &editor, None, None)
        .await
        .problem(404, "NOT_FOUND");
    send(&app, Method::DELETE, &format!("/api/v1/trash/{}", ids[0]), &admin, None, None)
        .await
        .problem(404, "NOT_FOUND");
    // After the trash's days, the purger takes what is left.
    {
        use diesel::prelude::*;
        use parution::db::schema::{publication_revisions, trash};
        let mut connection = app.connection();
        let long_ago = parution::db::now() - chrono::TimeDelta::days(31);
        diesel::update(trash::table).set(trash::trashed_at.eq(long_ago)).execute(&mut *connection).unwrap();
        let settings = parution::config::HistorySettings::default();
        let purged = parution::trash::purger::purge_expired(&app.pool, settings).await.unwrap();
        assert_eq!(purged, 1);
        let left: i64 = publication_revisions::table.count().get_result(&mut *connection).unwrap();
        assert_eq!(left, 0, "no history is left of either");
    }
    assert_eq!(app.get_with("/api/v1/trash", &editor).await.json()["data"], json!([]));
}

async fn history_starts_at_the_first_edit_of_a_publication_written_without_it(backend: Backend) {
    use diesel::prelude::*;
    let app = TestApp::new(backend).await;
    let token = app.token();
    // As an import writes it: through the store, at the version its file
    // gives, with no revision.
    let id = insert_publication(
        &mut app.connection(),
        NewPublication { slug: "importee", title: "Importée", ..Default::default() },
    );
    diesel::sql_query(format!("UPDATE publications SET version = 4 WHERE id = {id}"))
        .execute(&mut *app.connection())
        .unwrap();
    assert_eq!(revisions(&app, &token, "importee").await, Vec::<Value>::new());
    for title in ["Importée, revue", "Importée, revue encore"] {
        ok(app.write(Method::PATCH, "/api/v1/publications/importee", &token, json!({"title": title})).await).await;
    }
    let history = revisions(&app, &token, "importee").await;
    let reasons: Vec<&str> = history.iter().map(|revision| revision["reason"].as_str().unwrap()).collect();
    assert_eq!(reasons, ["update", "update"], "not a creation: it existed before its history");
    assert!(history[1]["changed"].as_array().unwrap().len() > 5, "the first lists every field");
    assert_eq!(history[0]["changed"], json!(["title"]));
    let first = app.get_with("/api/v1/publications/importee/revisions/1", &token).await.json();
    assert_eq!(first["publication"]["title"], "Importée, revue");
    assert_eq!(first["publication"]["version"], 5);
}
