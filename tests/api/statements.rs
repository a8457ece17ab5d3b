//! The reads' statements are prepared once per connection and kept: no
//! read runs SQL that the connection had to prepare again. SQLite only: on
//! PostgreSQL, a search is planned for its words at every execution, on
//! purpose.

use std::sync::Mutex;

use actix_web::test::TestRequest;
use diesel::connection::{Instrumentation, InstrumentationEvent};
use parution::startup::Demo;

use crate::helpers::{Backend, TestApp};

/// The database whose connections are watched.
static WATCHED: Mutex<Option<String>> = Mutex::new(None);
/// (connection, "run" or "kept", SQL) for the watched database.
static EVENTS: Mutex<Vec<(usize, &'static str, String)>> = Mutex::new(Vec::new());
static CONNECTIONS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// One per connection of the test binary; records only the watched ones.
struct Recorder {
    connection: usize,
    watched: bool,
}

impl Instrumentation for Recorder {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        let record = |kind, sql: String| EVENTS.lock().unwrap().push((self.connection, kind, sql));
        match event {
            InstrumentationEvent::StartEstablishConnection { url, .. } => {
                self.watched = WATCHED.lock().unwrap().as_deref().is_some_and(|watched| watched.ends_with(url));
            }
            InstrumentationEvent::StartQuery { query, .. } if self.watched => record("run", query.to_string()),
            InstrumentationEvent::CacheQuery { sql, .. } if self.watched => record("kept", sql.to_owned()),
            _ => {}
        }
    }
}

#[actix_web::test]
async fn reads_run_statements_kept_prepared() {
    diesel::connection::set_default_instrumentation(|| {
        let connection = CONNECTIONS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Some(Box::new(Recorder { connection, watched: false }))
    })
    .unwrap();
    let app = TestApp::start_with(Backend::Sqlite, Demo::Always, |settings| {
        *WATCHED.lock().unwrap() = Some(settings.database_url.redacted());
    });
    // What the set-up ran (migrations, the demo content) is not a read;
    // what it prepared and kept stays kept.
    EVENTS.lock().unwrap().retain(|(_, kind, _)| *kind == "kept");
    let slug = "concertation-fournisseurs-ia-ayants-droit";
    let reads = [
        "/api/v1/publications?category=etudes-publications".to_owned(),
        "/api/v1/publications?category=etudes-publications&category=veille-industrie-phonographique".to_owned(),
        "/api/v1/publications?q=intelligence".to_owned(),
        "/api/v1/publications?q=%22ayants+droit%22+d%C3%A9veloppeurs".to_owned(),
        "/api/v1/publications?facets=category,year,language&language=fr".to_owned(),
        format!("/api/v1/publications/{slug}"),
        format!("/api/v1/publications/{slug}/links"),
        format!("/api/v1/publications/{slug}/related"),
        "/api/v1/categories".to_owned(),
        "/api/v1/categories/etudes-publications".to_owned(),
    ];
    // Twice, the second time past the response cache (whose key holds the
    // host), so that the same statements run again.
    for host in ["round-one.example", "round-two.example"] {
        for read in &reads {
            let answer = app.call(TestRequest::get().uri(read).insert_header(("Host", host))).await;
            assert!(answer.status.is_success(), "{read}: {}", answer.status);
        }
    }
    let events = EVENTS.lock().unwrap().clone();
    let runs: Vec<_> = events.iter().filter(|(_, kind, _)| *kind == "run").collect();
    assert!(runs.len() > 3 * reads.len(), "the reads ran their queries: {}", runs.len());
    let unkept: Vec<&String> = runs
        .iter()
        .filter(|(connection, _, run)| {
            !events.iter().any(|(other, kind, kept)| other == connection && *kind == "kept" && run.starts_with(kept))
        })
        .map(|(_, _, run)| run)
        .collect();
    assert!(unkept.is_empty(), "statements prepared at every run: {unkept:#?}");
}
