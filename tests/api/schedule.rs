//! Scheduled releases and expiry: exact at the instant on every surface,
//! through the caches, on every process; the release calendar; what
//! happens once at a transition.

use actix_web::http::Method;
use actix_web::test::{self, TestRequest};
use chrono::{NaiveDateTime, SecondsFormat, SubsecRound, TimeDelta, Utc};
use diesel::prelude::*;
use parution::db::schema::scheduled_transitions;
use parution::schedule::transitions;
use serde_json::{Value, json};

use crate::backend_tests;
use parution::startup;

use crate::helpers::{
    Answer, Backend, NewPublication, TestApp, day, get_on, insert_category, insert_link, insert_publication,
};

backend_tests!(
    a_scheduled_publication_appears_on_every_surface_at_its_instant,
    an_expired_publication_leaves_every_surface_and_answers_410,
    validators_and_cache_lifetimes_follow_the_transitions,
    every_process_flips_at_the_instant,
    schedules_are_checked_and_times_converted_to_utc,
    the_calendar_lists_announced_releases_only,
    a_transition_is_announced_once_across_processes_and_after_a_restart,
    the_announcer_runs_at_the_instant,
);

/// An instant `millis` from now, as the API writes it.
fn from_now(millis: i64) -> (NaiveDateTime, String) {
    let at = (Utc::now() + TimeDelta::milliseconds(millis)).trunc_subsecs(3);
    (at.naive_utc(), at.to_rfc3339_opts(SecondsFormat::Millis, true))
}

/// Sleeps until `at` and `margin_ms` more.
async fn until(at: NaiveDateTime, margin_ms: i64) {
    let wait = (at + TimeDelta::milliseconds(margin_ms) - Utc::now().naive_utc()).to_std().unwrap_or_default();
    actix_web::rt::time::sleep(wait).await;
}

fn total(answer: &Answer) -> i64 {
    answer.header("x-total-count").and_then(|count| count.parse().ok()).expect("X-Total-Count")
}

fn body(answer: &Answer) -> String {
    String::from_utf8_lossy(&answer.body).into_owned()
}

/// The category `etudes`, a published neighbour filed under it, and a
/// publication written by `body`, filed there too, linked from the
/// neighbour, renamed once (so it has a former slug): its id.
async fn catalogue(app: &TestApp, token: &str, mut fields: Value) -> i32 {
    let connection = &mut app.connection();
    let etudes = insert_category(connection, "etudes", "Études", None, 0);
    let neighbour = insert_publication(
        connection,
        NewPublication { slug: "voisine", title: "La voisine", categories: &[etudes], ..Default::default() },
    );
    fields["slug"] = json!("rapport-ancien");
    fields["title"] = json!("Rapport sur les orchidées");
    fields["categories"] = json!(["etudes"]);
    let created = app.write(Method::POST, "/api/v1/publications", token, fields).await;
    assert_eq!(created.status.as_u16(), 201, "{}", body(&created));
    let id = created.json()["id"].as_i64().unwrap() as i32;
    let renamed = app
        .write(Method::PATCH, &format!("/api/v1/publications/{id}"), token, json!({"slug": "rapport-embargo"}))
        .await;
    assert_eq!(renamed.status.as_u16(), 200, "{}", body(&renamed));
    insert_link(connection, neighbour, "related", Ok(id), 0);
    id
}

/// Whether a reader without a token finds publication `id`
/// (`rapport-embargo`) on each surface, by name.
async fn surfaces(get: impl AsyncFn(&str) -> Answer, id: i32) -> Vec<(&'static str, bool)> {
    let slug = "rapport-embargo";
    let listed = |answer: &Answer| body(answer).contains(slug);
    let facet = |answer: &Answer| {
        answer.json()["facets"]["category"].as_array().unwrap().iter().any(|facet| facet["count"] == 2)
    };
    let count = |answer: &Answer, at: &str| answer.json().pointer(at).and_then(Value::as_i64) == Some(2);
    vec![
        ("detail by slug", get(&format!("/api/v1/publications/{slug}")).await.status == 200),
        ("detail by id", get(&format!("/api/v1/publications/{id}")).await.status == 200),
        ("former slug", get("/api/v1/publications/rapport-ancien").await.status == 301),
        ("list", listed(&get("/api/v1/publications").await)),
        ("total", total(&get("/api/v1/publications").await) == 2),
        ("facets", facet(&get("/api/v1/publications?facets=category").await)),
        ("search", listed(&get("/api/v1/publications?q=orchid%C3%A9es").await)),
        ("category's list", listed(&get("/api/v1/categories/etudes/publications").await)),
        ("category count", count(&get("/api/v1/categories/etudes").await, "/publication_count")),
        ("category tree counts", count(&get("/api/v1/categories").await, "/data/0/publication_count")),
        ("related", listed(&get("/api/v1/publications/voisine/related").await)),
        ("links", listed(&get("/api/v1/publications/voisine/links").await)),
        ("atom feed", listed(&get("/api/v1/feeds/publications.atom").await)),
        ("json feed", listed(&get("/api/v1/feeds/publications.json").await)),
    ]
}

fn shown(surfaces: &[(&'static str, bool)]) -> Vec<&'static str> {
    surfaces.iter().filter(|(_, shown)| *shown).map(|(name, _)| *name).collect()
}

fn hidden(surfaces: &[(&'static str, bool)]) -> Vec<&'static str> {
    surfaces.iter().filter(|(_, shown)| !*shown).map(|(name, _)| *name).collect()
}

async fn a_scheduled_publication_appears_on_every_surface_at_its_instant(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token();
    let (release, written) = from_now(2000);
    let id = catalogue(&app, &token, json!({"status": "published", "published_at": written})).await;

    let service = test::init_service(startup::app(app.shared())).await;
    let before = surfaces(async |uri: &str| get_on(&service, uri).await, id).await;
    assert!(Utc::now().naive_utc() < release, "the first look ended before the release");
    assert_eq!(shown(&before), Vec::<&str>::new(), "nothing shows it before its instant");
    let editor = app.get_with(&format!("/api/v1/publications/{id}"), &token).await.json();
    assert_eq!(editor["status"], "scheduled", "a token holder sees it, scheduled");

    until(release, 20).await;
    let after = surfaces(async |uri: &str| get_on(&service, uri).await, id).await;
    let late = Utc::now().naive_utc() - release;
    assert_eq!(hidden(&after), Vec::<&str>::new(), "everything shows it from its instant");
    assert!(late < TimeDelta::seconds(1), "every surface looked at within 1 s of the instant: {late}");
    let editor = app.get_with(&format!("/api/v1/publications/{id}"), &token).await.json();
    assert_eq!(editor["status"], "published");
}

async fn an_expired_publication_leaves_every_surface_and_answers_410(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token();
    let (expiry, written) = from_now(2000);
    let id = catalogue(&app, &token, json!({"status": "published", "unpublish_at": written})).await;

    let service = test::init_service(startup::app(app.shared())).await;
    let before = surfaces(async |uri: &str| get_on(&service, uri).await, id).await;
    assert!(Utc::now().naive_utc() < expiry, "the first look ended before the expiry");
    assert_eq!(hidden(&before), Vec::<&str>::new(), "everything shows it until its expiry");

    until(expiry, 20).await;
    let after = surfaces(async |uri: &str| get_on(&service, uri).await, id).await;
    let late = Utc::now().naive_utc() - expiry;
    assert!(late < TimeDelta::seconds(1), "every surface looked at within 1 s of the expiry: {late}");
    assert_eq!(shown(&after), Vec::<&str>::new(), "nothing shows it from its expiry");
    for uri in [
        "/api/v1/publications/rapport-embargo",
        &format!("/api/v1/publications/{id}"),
        "/api/v1/publications/rapport-ancien",
    ] {
        let gone = app.get(uri).await;
        let problem = gone.problem(410, "EXPIRED");
        assert!(problem["detail"].as_str().unwrap().contains("rapport-embargo"), "{problem}");
        let max_age = gone.header("cache-control").unwrap();
        assert!(max_age.starts_with("public, max-age="), "{max_age}");
    }
    assert_eq!(app.get("/api/v1/publications/nulle-part").await.status, 404, "what never was is still a 404");
    let editor = app.get_with(&format!("/api/v1/publications/{id}"), &token).await;
    assert_eq!(editor.status, 200, "a token holder still reads it");
    assert_eq!(editor.json()["status"], "expired");
    let expired = app.get_with("/api/v1/publications?status=expired", &token).await.json();
    assert_eq!(expired["data"][0]["id"], id);
    app.get("/api/v1/publications?status=expired").await.problem(401, "UNAUTHORIZED");
}

async fn validators_and_cache_lifetimes_follow_the_transitions(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token();
    let (release, written) = from_now(2500);
    catalogue(&app, &token, json!({"status": "published", "published_at": written})).await;

    let before = app.get("/api/v1/publications").await;
    let max_age = |answer: &Answer| -> i64 {
        let policy = answer.header("cache-control").unwrap();
        policy.strip_prefix("public, max-age=").and_then(|age| age.parse().ok()).expect(policy)
    };
    assert!(max_age(&before) <= 2, "kept no longer than the release: {}", max_age(&before));
    let detail = app.get("/api/v1/publications/voisine").await;
    assert!(max_age(&detail) <= 2, "nor is another publication's detail");
    let missing = app.get("/api/v1/publications/rapport-embargo").await;
    assert!(max_age(&missing) <= 2, "nor the 404 of the scheduled one");
    let tag = before.header("etag").unwrap().to_owned();
    let cached =
        app.call(TestRequest::get().uri("/api/v1/publications").insert_header(("If-None-Match", tag.clone()))).await;
    assert_eq!(cached.status, 304, "unchanged before the release");

    until(release, 20).await;
    let after =
        app.call(TestRequest::get().uri("/api/v1/publications").insert_header(("If-None-Match", tag.clone()))).await;
    assert_eq!(after.status, 200, "the copy from before the release is stale");
    assert_ne!(after.header("etag"), Some(tag.as_str()));
    let modified = chrono::DateTime::parse_from_rfc2822(after.header("last-modified").unwrap()).unwrap();
    assert!(modified.naive_utc() >= release - TimeDelta::seconds(1), "Last-Modified moves to the release");
    assert_eq!(max_age(&after), 60, "no transition to come: the full lifetime");
    let since = after.header("last-modified").unwrap().to_owned();
    let revalidated =
        app.call(TestRequest::get().uri("/api/v1/publications").insert_header(("If-Modified-Since", since))).await;
    assert_eq!(revalidated.status, 304);
}

async fn every_process_flips_at_the_instant(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token();
    let (release, written) = from_now(2000);
    let id = catalogue(&app, &token, json!({"status": "published", "published_at": written})).await;
    let other = app.another_process();
    let one = test::init_service(startup::app(app.shared())).await;
    let two = test::init_service(startup::app(other.shared.clone())).await;

    let first = surfaces(async |uri: &str| get_on(&one, uri).await, id).await;
    let second = surfaces(async |uri: &str| get_on(&two, uri).await, id).await;
    assert!(Utc::now().naive_utc() < release, "the first look ended before the release");
    assert_eq!((shown(&first), shown(&second)), (Vec::new(), Vec::new()));

    until(release, 20).await;
    let first = surfaces(async |uri: &str| get_on(&one, uri).await, id).await;
    let second = surfaces(async |uri: &str| get_on(&two, uri).await, id).await;
    let late = Utc::now().naive_utc() - release;
    assert!(late < TimeDelta::seconds(1), "both processes looked at within 1 s of the instant: {late}");
    assert_eq!((hidden(&first), hidden(&second)), (Vec::new(), Vec::new()), "both processes show it");
}

async fn schedules_are_checked_and_times_converted_to_utc(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token();
    let (_, past) = from_now(-60_000);
    let (_, soon) = from_now(3_600_000);
    let (_, later) = from_now(7_200_000);
    let refused = |body: Value, field: &'static str, code: &'static str| (body, field, code);
    for (body, field, code) in [
        refused(json!({"title": "A", "status": "scheduled", "published_at": past}), "published_at", "not_in_future"),
        refused(json!({"title": "A", "status": "scheduled"}), "published_at", "not_in_future"),
        refused(json!({"title": "A", "status": "expired", "unpublish_at": soon}), "unpublish_at", "not_in_past"),
        refused(
            json!({"title": "A", "status": "published", "published_at": later, "unpublish_at": soon}),
            "unpublish_at",
            "before_published_at",
        ),
        refused(
            json!({"title": "A", "status": "published", "unpublish_at": past}),
            "unpublish_at",
            "before_published_at",
        ),
        refused(json!({"title": "A", "published_at": "2026-13-01"}), "published_at", "invalid_datetime"),
        refused(json!({"title": "A", "unpublish_at": "demain"}), "unpublish_at", "invalid_datetime"),
        refused(json!({"title": "A", "announce": "oui"}), "announce", "not_a_boolean"),
    ] {
        let answer = app.write(Method::POST, "/api/v1/publications", &token, body.clone()).await;
        let problem = answer.problem(422, "VALIDATION_FAILED");
        assert_eq!(problem["errors"][0]["field"], field, "{body}");
        assert_eq!(problem["errors"][0]["code"], code, "{body}");
    }
    assert_eq!(app.publication_count(), 0, "a refused write changes nothing");

    // Paris time, on both sides of the daylight-saving changes of 2027: the
    // same wall-clock time in October is two instants an hour apart.
    for (given, stored) in [
        ("2027-03-28T01:30:00+01:00", "2027-03-28T00:30:00Z"),
        ("2027-03-28T03:30:00+02:00", "2027-03-28T01:30:00Z"),
        ("2027-10-31T02:30:00+02:00", "2027-10-31T00:30:00Z"),
        ("2027-10-31T02:30:00+01:00", "2027-10-31T01:30:00Z"),
        ("2027-12-05T10:00:00.123456789+01:00", "2027-12-05T09:00:00.123456Z"),
    ] {
        let created = app
            .write(
                Method::POST,
                "/api/v1/publications",
                &token,
                json!({"title": given, "status": "scheduled", "published_at": given}),
            )
            .await;
        assert_eq!(created.status, 201, "{}", body(&created));
        let publication = created.json();
        assert_eq!(publication["published_at"], stored, "{given}");
        assert_eq!(publication["status"], "scheduled");
        let read = app.get_with(&format!("/api/v1/publications/{}", publication["id"]), &token).await.json();
        assert_eq!(read["published_at"], stored, "{given}, read back");
    }

    let (_, written) = from_now(3_600_000);
    let created = app
        .write(
            Method::POST,
            "/api/v1/publications",
            &token,
            json!({"title": "Avis", "status": "published", "unpublish_at": written}),
        )
        .await;
    let id = created.json()["id"].clone();
    let patch = app
        .write(Method::PATCH, &format!("/api/v1/publications/{id}"), &token, json!({"unpublish_at": "2020-01-01"}))
        .await;
    assert_eq!(patch.problem(422, "VALIDATION_FAILED")["errors"][0]["field"], "unpublish_at");
    let read = app.get_with(&format!("/api/v1/publications/{id}"), &token).await;
    assert_eq!(read.tag_version(), Some(1), "the refused patch changed nothing");
    let cleared =
        app.write(Method::PATCH, &format!("/api/v1/publications/{id}"), &token, json!({"unpublish_at": null})).await;
    assert_eq!(cleared.json()["unpublish_at"], Value::Null);
}

async fn the_calendar_lists_announced_releases_only(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token();
    let connection = &mut app.connection();
    insert_category(connection, "etudes", "Études", None, 0);
    insert_category(connection, "notes", "Notes, avis; et brèves", None, 1);
    insert_publication(
        connection,
        NewPublication { slug: "sortie", published_at: Some(day(6, 1)), ..Default::default() },
    );
    let hours = |hours: i64| from_now(hours * 3_600_000).1;
    for (title, announce, language, category, at) in [
        ("Chiffres clés", true, "fr", "etudes", hours(1)),
        ("Embargo secret", false, "fr", "etudes", hours(2)),
        ("Key figures", true, "en", "notes", hours(3)),
    ] {
        let body = json!({"title": title, "status": "scheduled", "published_at": at, "announce": announce,
            "language": language, "categories": [category], "summary": "Ne pas divulguer."});
        assert_eq!(app.write(Method::POST, "/api/v1/publications", &token, body).await.status, 201);
    }
    let titles = |answer: &Answer| -> Vec<String> {
        answer.json()["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| item["title"].as_str().unwrap().to_owned())
            .collect()
    };

    let public = app.get("/api/v1/schedule").await;
    assert_eq!(titles(&public), ["Chiffres clés", "Key figures"], "announced ones, soonest first");
    assert_eq!(total(&public), 2);
    let mut keys: Vec<String> = public.json()["data"][0].as_object().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!(keys, ["announce", "categories", "id", "language", "published_at", "slug", "title"]);
    assert!(!body(&public).contains("divulguer"), "never the summary");
    assert_eq!(titles(&app.get("/api/v1/schedule?language=en").await), ["Key figures"]);
    assert_eq!(titles(&app.get("/api/v1/schedule?category=etudes").await), ["Chiffres clés"]);
    assert_eq!(titles(&app.get(&format!("/api/v1/schedule?after={}", hours(2))).await), ["Key figures"]);
    assert_eq!(titles(&app.get(&format!("/api/v1/schedule?before={}", hours(2))).await), ["Chiffres clés"]);
    assert_eq!(titles(&app.get("/api/v1/schedule?per_page=1&page=2").await), ["Key figures"]);
    app.get("/api/v1/schedule?after=demain").await.problem(400, "INVALID_PARAMETER");
    app.get("/api/v1/schedule?status=draft").await.problem(400, "INVALID_PARAMETER");
    let editor = app.get_with("/api/v1/schedule", &token).await;
    assert_eq!(titles(&editor), ["Chiffres clés", "Embargo secret", "Key figures"], "a token holder sees all");
    assert_eq!(editor.json()["data"][1]["announce"], false);

    let calendar = app.get("/api/v1/schedule.ics").await;
    assert_eq!(calendar.header("content-type"), Some("text/calendar; charset=utf-8"));
    let text = body(&calendar);
    assert!(text.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"), "{text}");
    assert_eq!(text.matches("BEGIN:VEVENT").count(), 2);
    assert!(!text.contains("Embargo") && !text.contains("divulguer"), "{text}");
    assert!(text.contains("SUMMARY;LANGUAGE=en:Key figures\r\n"), "{text}");
    assert!(text.contains("CATEGORIES:Notes\\, avis\\; et brèves\r\n"), "{text}");
    assert!(text.lines().all(|line| line.len() <= 75), "folded at 75 octets");
    let ids: Vec<&str> = text.lines().filter_map(|line| line.strip_prefix("UID:")).collect();
    let again = body(&app.get("/api/v1/schedule.ics").await);
    assert_eq!(ids, again.lines().filter_map(|line| line.strip_prefix("UID:")).collect::<Vec<_>>(), "stable UIDs");
    assert!(ids[0].starts_with("publication-") && ids[0].contains('@'), "{ids:?}");
}

/// The announcement rows of the database: (kind, announced by).
fn announcements(app: &TestApp) -> Vec<(String, Option<String>)> {
    scheduled_transitions::table
        .select((scheduled_transitions::kind, scheduled_transitions::announced_by))
        .order(scheduled_transitions::kind)
        .load(&mut app.connection())
        .unwrap()
}

async fn a_transition_is_announced_once_across_processes_and_after_a_restart(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token();
    let (release, written) = from_now(1000);
    let (expiry, ends) = from_now(1500);
    let created = app
        .write(
            Method::POST,
            "/api/v1/publications",
            &token,
            json!({"title": "Note", "status": "scheduled",
            "published_at": written, "unpublish_at": ends}),
        )
        .await;
    assert_eq!(created.status, 201);
    assert_eq!(announcements(&app), [("expiry".to_owned(), None), ("release".to_owned(), None)]);
    let now = Utc::now().naive_utc();
    assert!(transitions::announce_due(&mut app.connection(), "early", now).unwrap().is_empty(), "nothing due yet");

    // Nobody ran at the instants: the first process to start announces both,
    // late, once, however many start together.
    until(expiry, 50).await;
    let processes: Vec<_> = (0..4)
        .map(|process| {
            let pool = app.another_process_pool();
            std::thread::spawn(move || {
                let mut connection = pool.get().unwrap();
                transitions::announce_due(&mut connection, &format!("process-{process}"), Utc::now().naive_utc())
                    .unwrap()
            })
        })
        .collect();
    let announced: Vec<_> = processes.into_iter().flat_map(|process| process.join().unwrap()).collect();
    let mut kinds: Vec<&str> = announced.iter().map(|transition| transition.kind.as_str()).collect();
    kinds.sort_unstable();
    assert_eq!(kinds, ["expiry", "release"], "each announced once");
    assert!(announced.iter().all(|transition| transition.due_at == release || transition.due_at == expiry));
    assert!(announcements(&app).iter().all(|(_, by)| by.as_deref().is_some_and(|by| by.starts_with("process-"))));
    assert!(transitions::announce_due(&mut app.connection(), "late", Utc::now().naive_utc()).unwrap().is_empty());

    // A new schedule replaces the one not yet announced; announced ones stay.
    let (_, moved) = from_now(3_600_000);
    let id = created.json()["id"].clone();
    let patched = app
        .write(
            Method::PATCH,
            &format!("/api/v1/publications/{id}"),
            &token,
            json!({"published_at": moved, "unpublish_at": null}),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", body(&patched));
    assert_eq!(announcements(&app).len(), 3, "two announced, one to come");
}

async fn the_announcer_runs_at_the_instant(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token();
    let (release, written) = from_now(1500);
    let body = json!({"title": "Note", "status": "scheduled", "published_at": written});
    assert_eq!(app.write(Method::POST, "/api/v1/publications", &token, body).await.status, 201);
    let running = actix_web::rt::spawn(transitions::run(app.pool.clone(), "announcer".into()));
    until(release, 600).await;
    running.abort();
    let announced_at: Option<NaiveDateTime> =
        scheduled_transitions::table.select(scheduled_transitions::announced_at).first(&mut app.connection()).unwrap();
    let late = announced_at.expect("announced") - release;
    assert!(late >= TimeDelta::zero() && late < TimeDelta::milliseconds(500), "announced {late} after its instant");
}
