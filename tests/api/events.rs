//! The event log and the change feed, through HTTP, on both backends: each
//! change a reader could see is one event, drafts only for tokens,
//! whatever leaves a view is a tombstone there, cursors hold and expire,
//! a long poll wakes on a write, and a mirror built from nothing by the
//! feed alone equals the catalogue after a thousand random changes.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use actix_web::http::Method;
use actix_web::test::TestRequest;
use chrono::TimeDelta;
use parution::db;
use parution::schedule::transitions;
use parution::tokens::Scope;
use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::{Answer, Backend, TestApp};

backend_tests!(
    each_change_is_one_event_and_drafts_are_for_tokens_only,
    what_leaves_a_filtered_view_is_a_tombstone_there,
    scheduled_transitions_are_events_once,
    cursors_are_checked_and_expire_with_the_events_kept,
    a_long_poll_answers_as_soon_as_something_happens,
    a_mirror_built_from_the_feed_alone_equals_the_catalogue,
);

async fn send(app: &TestApp, method: Method, uri: &str, token: &str, body: Option<Value>) -> Value {
    let mut request =
        TestRequest::default().method(method).uri(uri).insert_header(("Authorization", format!("Bearer {token}")));
    if let Some(body) = body {
        request = request.insert_header(("Content-Type", "application/json")).set_payload(body.to_string());
    }
    let answer = app.call(request).await;
    assert!(answer.status.is_success(), "{uri}: {}: {}", answer.status, String::from_utf8_lossy(&answer.body));
    if answer.body.is_empty() { Value::Null } else { answer.json() }
}

async fn feed(app: &TestApp, query: &str, token: Option<&str>) -> Answer {
    let uri = format!("/api/v1/changes?{query}");
    match token {
        Some(token) => app.get_with(&uri, token).await,
        None => app.get(&uri).await,
    }
}

/// Every event of the feed from `cursor` (from its start when `None`) to
/// its end; the cursor to go on from.
async fn drain(app: &TestApp, filters: &str, token: Option<&str>, cursor: Option<String>) -> (Vec<Value>, String) {
    let mut events = Vec::new();
    let mut cursor = cursor;
    loop {
        let query = match &cursor {
            Some(cursor) => format!("{filters}&limit=50&cursor={cursor}"),
            None => format!("{filters}&limit=50"),
        };
        let page = feed(app, &query, token).await;
        assert_eq!(page.status, 200, "{}", String::from_utf8_lossy(&page.body));
        let page = page.json();
        events.extend(page["data"].as_array().unwrap().iter().cloned());
        cursor = Some(page["next_cursor"].as_str().unwrap().to_owned());
        if page["has_more"] == false {
            return (events, cursor.unwrap());
        }
    }
}

fn kinds(events: &[Value]) -> Vec<String> {
    events.iter().map(|event| event["type"].as_str().unwrap().to_owned()).collect()
}

/// The end of the feed for a view, with no snapshot.
async fn end_of(app: &TestApp, filters: &str, token: Option<&str>) -> String {
    let page = feed(app, &format!("{filters}&snapshot=false"), token).await;
    assert_eq!(page.status, 200);
    page.json()["next_cursor"].as_str().unwrap().to_owned()
}

async fn each_change_is_one_event_and_drafts_are_for_tokens_only(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token_of(Scope::Write);
    let admin = app.token();
    let public_start = end_of(&app, "", None).await;
    let token_start = end_of(&app, "", Some(&token)).await;
    let typed = "type=publication.unpublished,category.deleted";
    let typed_start = end_of(&app, typed, None).await;

    let category = send(&app, Method::POST, "/api/v1/categories", &token, Some(json!({"name": "Études"}))).await;
    let draft = send(
        &app,
        Method::POST,
        "/api/v1/publications",
        &token,
        Some(json!({"title": "Brouillon", "body": "Texte secret", "categories": [category["id"]]})),
    )
    .await;
    let id = draft["id"].as_i64().unwrap();
    let uri = format!("/api/v1/publications/{id}");
    send(&app, Method::PATCH, &uri, &token, Some(json!({"title": "Brouillon revu"}))).await;
    send(
        &app,
        Method::PATCH,
        &uri,
        &token,
        Some(json!({"status": "published", "published_at": "2025-01-01T00:00:00Z"})),
    )
    .await;
    send(&app, Method::PATCH, &uri, &token, Some(json!({"title": "Étude parue"}))).await;
    // A write that changes nothing still moves the version: an event
    // with no field changed.
    send(&app, Method::PATCH, &uri, &token, Some(json!({"title": "Étude parue"}))).await;
    send(&app, Method::PATCH, &uri, &token, Some(json!({"status": "draft"}))).await;
    send(&app, Method::DELETE, &uri, &token, None).await;
    send(&app, Method::POST, &format!("/api/v1/trash/{id}/restore"), &token, None).await;
    send(&app, Method::DELETE, &uri, &token, None).await;
    send(&app, Method::DELETE, &format!("/api/v1/trash/{id}"), &admin, None).await;
    let category_uri = format!("/api/v1/categories/{}", category["id"]);
    send(&app, Method::PATCH, &category_uri, &token, Some(json!({"name": "Études et rapports"}))).await;
    send(&app, Method::DELETE, &category_uri, &token, None).await;

    let (all, _) = drain(&app, "", Some(&token), Some(token_start)).await;
    assert_eq!(
        kinds(&all),
        [
            "category.created",
            "publication.created",
            "publication.updated",
            "publication.published",
            "publication.updated",
            "publication.updated",
            "publication.unpublished",
            "publication.removed",
            "publication.untrashed",
            "publication.removed",
            "category.updated",
            "category.deleted",
        ],
        "purging the trash tells nothing more: the publication left every view when it was trashed"
    );
    let causes: Vec<&str> = all.iter().filter_map(|event| event["cause"].as_str()).collect();
    assert_eq!(causes, ["publication.trashed", "publication.trashed"]);
    let seqs: Vec<i64> = all.iter().map(|event| event["seq"].as_i64().unwrap()).collect();
    assert!(seqs.windows(2).all(|pair| pair[0] < pair[1]), "in order: {seqs:?}");
    let edit = &all[2];
    assert_eq!(edit["changed"], json!(["title"]));
    assert_eq!((edit["id"].as_i64(), edit["language"].as_str()), (Some(id), Some("fr")));
    assert_eq!(edit["categories"], json!([category["id"]]));
    assert_eq!(edit["href"], format!("/api/v1/publications/{id}"));
    assert_eq!(edit["version"], 2);
    assert_eq!(all[5]["changed"], json!([]));
    assert_eq!(all[10]["changed"], json!(["name"]));
    assert!(all[11]["tombstone"] == true && all[7]["tombstone"] == true && all[6]["tombstone"] == false);

    // Without a token: the draft's life is hidden until it is published;
    // it leaves when it is unpublished; nothing of it after that.
    let (public, _) = drain(&app, "", None, Some(public_start)).await;
    assert_eq!(
        kinds(&public),
        [
            "category.created",
            "publication.published",
            "publication.updated",
            "publication.updated",
            "publication.removed",
            "category.updated",
            "category.deleted"
        ]
    );
    assert_eq!(public[4]["cause"], "publication.unpublished");
    assert!(!String::from_utf8_lossy(&feed(&app, "", None).await.body).contains("secret"));
    // A filter by type takes a tombstone by its cause, too.
    let (unpublished, _) = drain(&app, typed, None, Some(typed_start)).await;
    assert_eq!(kinds(&unpublished), ["publication.removed", "category.deleted"]);
}

async fn what_leaves_a_filtered_view_is_a_tombstone_there(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token_of(Scope::Write);
    let one = send(&app, Method::POST, "/api/v1/categories", &token, Some(json!({"name": "Un"}))).await;
    let two = send(&app, Method::POST, "/api/v1/categories", &token, Some(json!({"name": "Deux"}))).await;
    let filter = format!("category={}", one["slug"].as_str().unwrap());
    let start = end_of(&app, &filter, None).await;
    let start_en = end_of(&app, "language=en", None).await;
    let publication = send(
        &app,
        Method::POST,
        "/api/v1/publications",
        &token,
        Some(json!({"title": "Étude", "status": "published", "published_at": "2025-01-01T00:00:00Z", "categories": [one["id"]]})),
    )
    .await;
    let uri = format!("/api/v1/publications/{}", publication["id"]);
    send(&app, Method::PATCH, &uri, &token, Some(json!({"categories": [two["id"]]}))).await;
    send(&app, Method::PATCH, &uri, &token, Some(json!({"title": "Étude ailleurs"}))).await;
    send(&app, Method::PATCH, &uri, &token, Some(json!({"categories": [one["id"], two["id"]], "language": "en"})))
        .await;
    send(&app, Method::PATCH, &uri, &token, Some(json!({"language": "fr"}))).await;

    let (events, _) = drain(&app, &filter, None, Some(start)).await;
    let seen: Vec<(String, bool)> =
        events.iter().map(|event| (event["type"].as_str().unwrap().to_owned(), event["tombstone"] == true)).collect();
    assert_eq!(
        seen,
        [
            ("publication.created".to_owned(), false),
            ("publication.removed".to_owned(), true),
            ("publication.updated".to_owned(), false),
            ("publication.updated".to_owned(), false),
        ],
        "moved out: a tombstone; the edit elsewhere: nothing; moved back: an event"
    );
    assert_eq!(events[1]["cause"], "publication.updated");
    assert_eq!(events[1]["categories"], json!([two["id"]]), "a tombstone carries its categories");
    let (english, _) = drain(&app, "language=en", None, Some(start_en)).await;
    assert_eq!(kinds(&english), ["publication.updated", "publication.removed"]);
    assert_eq!(english[1]["language"], "fr");

    // The snapshot of a filtered view holds what is in it.
    let (snapshot, _) = drain(&app, &format!("category={}", two["id"]), None, None).await;
    let publications: Vec<&Value> = snapshot.iter().filter(|event| event["type"] == "publication.snapshot").collect();
    assert_eq!(publications.len(), 1);
    assert_eq!(publications[0]["categories"], json!([one["id"], two["id"]]));
    let (none, _) = drain(&app, "language=de", None, None).await;
    assert!(none.iter().all(|event| event["resource"] == "category"));
}

async fn scheduled_transitions_are_events_once(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token_of(Scope::Write);
    let start = end_of(&app, "", None).await;
    let token_start = end_of(&app, "", Some(&token)).await;
    let soon = (db::now() + TimeDelta::milliseconds(700)).and_utc().to_rfc3339();
    let later = (db::now() + TimeDelta::milliseconds(1400)).and_utc().to_rfc3339();
    send(
        &app,
        Method::POST,
        "/api/v1/publications",
        &token,
        Some(json!({"title": "À paraître", "status": "published", "published_at": soon, "unpublish_at": later})),
    )
    .await;
    std::thread::sleep(Duration::from_millis(1500));
    let pool = app.another_process_pool();
    // Two processes notice the transitions at once: each is announced once.
    let (first, second) = (pool.clone(), pool.clone());
    let one =
        std::thread::spawn(move || transitions::announce_due(&mut first.get().unwrap(), "un", db::now()).unwrap());
    let two =
        std::thread::spawn(move || transitions::announce_due(&mut second.get().unwrap(), "deux", db::now()).unwrap());
    let announced = one.join().unwrap().len() + two.join().unwrap().len();
    assert_eq!(announced, 2);
    let (public, _) = drain(&app, "", None, Some(start)).await;
    assert_eq!(kinds(&public), ["publication.published", "publication.removed"]);
    assert_eq!(public[1]["cause"], "publication.expired");
    let (all, _) = drain(&app, "", Some(&token), Some(token_start)).await;
    assert_eq!(kinds(&all), ["publication.created", "publication.published", "publication.expired"]);
}

async fn cursors_are_checked_and_expire_with_the_events_kept(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token_of(Scope::Write);
    let cursor = end_of(&app, "", None).await;
    for bad in [
        "cursor=abc",
        "limit=0",
        "limit=1001",
        "wait=61",
        "type=publication",
        "language=x_y",
        "category=%20",
        "snapshot=peut-etre",
        "inconnu=1",
    ] {
        let answer = feed(&app, bad, None).await;
        answer.problem(400, "INVALID_PARAMETER");
    }
    // A cursor made for other filters or another audience is refused.
    feed(&app, &format!("cursor={cursor}&language=fr"), None).await.problem(400, "INVALID_PARAMETER");
    feed(&app, &format!("cursor={cursor}"), Some(&token)).await.problem(400, "INVALID_PARAMETER");
    for title in ["Un", "Deux", "Trois"] {
        send(
            &app,
            Method::POST,
            "/api/v1/publications",
            &token,
            Some(json!({"title": title, "status": "published", "published_at": "2025-01-01T00:00:00Z"})),
        )
        .await;
    }
    let first = feed(&app, &format!("cursor={cursor}&limit=1"), None).await.json();
    assert_eq!((first["data"].as_array().unwrap().len(), first["has_more"].as_bool()), (1, Some(true)));
    let next = first["next_cursor"].as_str().unwrap().to_owned();
    // Pruned: every event older than a day later is gone; the cursors
    // before them expire.
    let pruned = db::events::prune(&mut app.connection(), db::now() + TimeDelta::days(1), 2).unwrap();
    assert_eq!(pruned, 2);
    feed(&app, &format!("cursor={cursor}"), None).await.problem(410, "CURSOR_EXPIRED");
    let still = feed(&app, &format!("cursor={next}"), None).await;
    assert_eq!(still.status, 410, "the event after it is pruned too");
    let (rest, _) = drain(&app, "", None, None).await;
    assert_eq!(kinds(&rest), ["publication.snapshot"; 3], "starting over from a snapshot");
}

async fn a_long_poll_answers_as_soon_as_something_happens(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token_of(Scope::Write);
    let cursor = end_of(&app, "", None).await;
    let started = Instant::now();
    let empty = feed(&app, &format!("cursor={cursor}&wait=1"), None).await.json();
    assert!(started.elapsed() >= Duration::from_millis(900), "waited");
    assert_eq!(empty["data"], json!([]));
    let writer = async {
        actix_web::rt::time::sleep(Duration::from_millis(300)).await;
        send(
            &app,
            Method::POST,
            "/api/v1/publications",
            &token,
            Some(json!({"title": "Attendue", "status": "published", "published_at": "2025-01-01T00:00:00Z"})),
        )
        .await
    };
    let started = Instant::now();
    let (page, _) = futures_util::future::join(feed(&app, &format!("cursor={cursor}&wait=20"), None), writer).await;
    let waited = started.elapsed();
    let page = page.json();
    assert_eq!(kinds(page["data"].as_array().unwrap()), ["publication.created"]);
    assert!(waited < Duration::from_secs(5), "answered {waited:?} after, not at the end of the wait");
    assert_eq!(page["has_more"], false);
}

/// A publication as a mirror keeps it, from the events alone.
type Mirror = BTreeMap<i64, (String, i64, String, Vec<i64>)>;

fn apply(mirror: &mut Mirror, events: &[Value]) {
    for event in events {
        if event["type"] == "catalogue.imported" {
            panic!("no bulk load here");
        }
        if event["resource"] != "publication" {
            continue;
        }
        let id = event["id"].as_i64().unwrap();
        if event["tombstone"] == true {
            mirror.remove(&id);
        } else {
            let categories = event["categories"].as_array().unwrap().iter().map(|id| id.as_i64().unwrap()).collect();
            mirror.insert(
                id,
                (
                    event["slug"].as_str().unwrap().to_owned(),
                    event["version"].as_i64().unwrap(),
                    event["language"].as_str().unwrap().to_owned(),
                    categories,
                ),
            );
        }
    }
}

/// The catalogue as the list answers it, for `token` (anonymous: `None`),
/// filed directly under `category` when given.
async fn catalogue(app: &TestApp, token: Option<&str>, category: Option<i64>) -> Mirror {
    let mut listed = Mirror::new();
    let statuses = if token.is_some() {
        "&status=draft&status=published&status=archived&status=scheduled&status=expired"
    } else {
        ""
    };
    let mut page = 1;
    loop {
        let uri = format!("/api/v1/publications?per_page=100&page={page}&sort=title{statuses}");
        let answer = match token {
            Some(token) => app.get_with(&uri, token).await,
            None => app.get(&uri).await,
        };
        assert_eq!(answer.status, 200, "{}", String::from_utf8_lossy(&answer.body));
        let answer = answer.json();
        for item in answer["data"].as_array().unwrap() {
            let categories: Vec<i64> = item["categories"]
                .as_array()
                .unwrap()
                .iter()
                .map(|category| category["id"].as_i64().unwrap())
                .collect();
            if category.is_some_and(|category| !categories.contains(&category)) {
                continue;
            }
            listed.insert(
                item["id"].as_i64().unwrap(),
                (
                    item["slug"].as_str().unwrap().to_owned(),
                    item["version"].as_i64().unwrap(),
                    item["language"].as_str().unwrap().to_owned(),
                    categories,
                ),
            );
        }
        if page >= answer["pagination"]["total_pages"].as_i64().unwrap() {
            return listed;
        }
        page += 1;
    }
}

/// A small deterministic generator (no dependency for it).
struct Random(u64);

impl Random {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % bound
    }
}

async fn a_mirror_built_from_the_feed_alone_equals_the_catalogue(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token_of(Scope::Write);
    let admin = app.token();
    let mut categories = Vec::new();
    for name in ["Rapports", "Notes", "Données"] {
        categories.push(
            send(&app, Method::POST, "/api/v1/categories", &token, Some(json!({"name": name}))).await["id"]
                .as_i64()
                .unwrap(),
        );
    }
    let filtered = categories[0];
    let (mut public, mut tokens, mut narrow) = (Mirror::new(), Mirror::new(), Mirror::new());
    let mut cursors: [Option<String>; 3] = [None, None, None];
    let views = ["", "", &format!("category={filtered}")];
    let mut random = Random(0x5eed_0000_0000_0001 ^ backend as u64);
    let mut existing: Vec<i64> = Vec::new();
    let mut trashed: Vec<i64> = Vec::new();
    let pool = app.another_process_pool();
    for step in 0..1000 {
        let now = db::now();
        let pick = |random: &mut Random, from: &Vec<i64>| from[random.below(from.len() as u64) as usize];
        let filed: Vec<i64> = categories.iter().copied().filter(|_| random.below(2) == 0).collect();
        match random.below(10) {
            0..=2 => {
                let (status, published_at, unpublish_at) = match random.below(5) {
                    0 => ("draft", None, None),
                    1 => ("published", Some(now + TimeDelta::milliseconds(random.below(3000) as i64)), None),
                    2 => (
                        "published",
                        Some(now - TimeDelta::days(1)),
                        Some(now + TimeDelta::milliseconds(random.below(3000) as i64)),
                    ),
                    _ => ("published", Some(now - TimeDelta::days(1)), None),
                };
                let mut body = json!({"title": format!("Étude {step}"), "status": status, "categories": filed,
                    "language": if random.below(4) == 0 { "en" } else { "fr" }});
                if let Some(at) = published_at {
                    body["published_at"] = json!(at.and_utc().to_rfc3339());
                }
                if let Some(at) = unpublish_at {
                    body["unpublish_at"] = json!(at.and_utc().to_rfc3339());
                }
                existing.push(
                    send(&app, Method::POST, "/api/v1/publications", &token, Some(body)).await["id"].as_i64().unwrap(),
                );
            }
            3..=5 if !existing.is_empty() => {
                let id = pick(&mut random, &existing);
                let patch = match random.below(4) {
                    0 => json!({"title": format!("Étude {step} revue")}),
                    1 => json!({"categories": filed}),
                    2 => json!({"status": "draft"}),
                    _ => {
                        json!({"status": "published", "published_at": (now - TimeDelta::hours(1)).and_utc().to_rfc3339(), "unpublish_at": null})
                    }
                };
                send(&app, Method::PATCH, &format!("/api/v1/publications/{id}"), &token, Some(patch)).await;
            }
            6 if !existing.is_empty() => {
                let id = pick(&mut random, &existing);
                send(&app, Method::DELETE, &format!("/api/v1/publications/{id}"), &token, None).await;
                existing.retain(|kept| *kept != id);
                trashed.push(id);
            }
            7 if !trashed.is_empty() => {
                let id = pick(&mut random, &trashed);
                trashed.retain(|kept| *kept != id);
                if random.below(2) == 0 {
                    send(&app, Method::POST, &format!("/api/v1/trash/{id}/restore"), &token, None).await;
                    existing.push(id);
                } else {
                    send(&app, Method::DELETE, &format!("/api/v1/trash/{id}"), &admin, None).await;
                }
            }
            _ => {}
        }
        // The releases and expiries due, as a server's runner announces them.
        transitions::announce_due(&mut pool.get().unwrap(), "test", db::now()).unwrap();
        // The mirrors follow as they go; the narrow one starts midway.
        if step % 50 == 49 {
            for (index, mirror) in [&mut public, &mut tokens, &mut narrow].into_iter().enumerate() {
                if index == 2 && step < 500 {
                    continue;
                }
                let token = (index == 1).then_some(token.as_str());
                let (events, cursor) = drain(&app, views[index], token, cursors[index].take()).await;
                apply(mirror, &events);
                cursors[index] = Some(cursor);
            }
        }
    }
    std::thread::sleep(Duration::from_millis(3100));
    transitions::announce_due(&mut pool.get().unwrap(), "test", db::now()).unwrap();
    for (index, mirror) in [&mut public, &mut tokens, &mut narrow].into_iter().enumerate() {
        let token = (index == 1).then_some(token.as_str());
        let (events, _) = drain(&app, views[index], token, cursors[index].take()).await;
        apply(mirror, &events);
    }
    assert!(public.len() > 20 && tokens.len() > public.len(), "{} public, {} in all", public.len(), tokens.len());
    assert_eq!(public, catalogue(&app, None, None).await, "the public mirror");
    assert_eq!(tokens, catalogue(&app, Some(&token), None).await, "the token holder's mirror");
    assert_eq!(narrow, catalogue(&app, None, Some(filtered)).await, "the mirror of one category");
    // A mirror started now from nothing is the same.
    let mut fresh = Mirror::new();
    let (events, _) = drain(&app, "", None, None).await;
    apply(&mut fresh, &events);
    assert_eq!(fresh, public);
}
