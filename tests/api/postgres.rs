//! What only PostgreSQL can show: the same answers as SQLite for the same
//! data, and several server processes sharing one database.

use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use parution::startup::Demo;
use serde_json::Value;

use crate::backend_tests;
use crate::helpers::{
    Backend, NewPublication, TestApp, day, exchange, insert_category, insert_link, insert_publication, scratch_database,
};

backend_tests!(serve_loads_the_demo_content_into_a_new_sqlite_database_only);

async fn serve_loads_the_demo_content_into_a_new_sqlite_database_only(backend: Backend) {
    let app = TestApp::start(backend, Demo::IntoNewSqlite);
    let expected = match backend {
        Backend::Sqlite => "4",
        Backend::Postgres => "0",
    };
    assert_eq!(app.get("/api/v1/publications").await.header("x-total-count"), Some(expected));

    // Preparing the same database again never loads it twice, and `--demo`
    // loads it into PostgreSQL too.
    parution::startup::prepare(&crate::helpers::settings(&app.url), Demo::IntoNewSqlite).unwrap();
    assert_eq!(app.get("/api/v1/publications").await.header("x-total-count"), Some(expected));
    parution::startup::prepare(&crate::helpers::settings(&app.url), Demo::Always).unwrap();
    assert_eq!(app.get("/api/v1/publications").await.header("x-total-count"), Some("4"));
}

/// The same catalogue, written in the same order, into either backend.
fn fill(app: &TestApp) {
    let connection = &mut app.connection();
    let root = insert_category(connection, "racine", "Racine", None, 2);
    let child = insert_category(connection, "enfant", "Enfant", Some(root), 0);
    let other = insert_category(connection, "autre", "Autre", None, 1);
    let mut ids = Vec::new();
    for number in 0..40u32 {
        let slug = format!("publication-{number:02}");
        let categories = match number % 4 {
            0 => vec![root],
            1 => vec![child],
            2 => vec![child, other],
            _ => vec![],
        };
        let status = ["published", "published", "published", "draft", "archived"][number as usize % 5];
        let published_at = (status != "draft").then(|| day(1 + number % 12, 1 + number % 3));
        let language = if number % 7 == 0 { "en" } else { "fr" };
        let title = format!("Étude n° {number} : l’été");
        ids.push(insert_publication(
            connection,
            NewPublication { slug: &slug, title: &title, status, language, published_at, categories: &categories },
        ));
    }
    for pair in ids.windows(3).step_by(3) {
        insert_link(connection, pair[0], "related", Ok(pair[1]), 0);
        insert_link(connection, pair[2], "related", Ok(pair[0]), 1);
        insert_link(connection, pair[0], "attachment", Err("https://example.org/annexe.pdf"), 2);
    }
}

/// Drops the times that record when a row was written, which differ
/// between two databases filled one after the other.
fn without_write_times(mut value: Value) -> Value {
    match &mut value {
        Value::Object(object) => {
            object.remove("created_at");
            object.remove("updated_at");
            for item in object.values_mut() {
                *item = without_write_times(item.take());
            }
        }
        Value::Array(items) => {
            for item in items.iter_mut() {
                *item = without_write_times(item.take());
            }
        }
        _ => {}
    }
    value
}

#[actix_web::test]
#[cfg_attr(not(postgres_tests), ignore = "PostgreSQL suite skipped: set PARUTION_TEST_DATABASE_URL to run it")]
async fn both_backends_give_the_same_answers_for_the_same_data() {
    let sqlite = TestApp::with_demo(Backend::Sqlite).await;
    let postgres = TestApp::with_demo(Backend::Postgres).await;
    fill(&sqlite);
    fill(&postgres);

    let uris = [
        "/api/v1/publications",
        "/api/v1/publications?per_page=7&page=3",
        "/api/v1/publications?per_page=100",
        "/api/v1/publications?category=racine",
        "/api/v1/publications?category=enfant&category=autre&per_page=50",
        "/api/v1/publications?language=en",
        "/api/v1/publications?page=99",
        "/api/v1/publications?q=etude&per_page=100",
        "/api/v1/publications?q=%C3%89TUDES+%C3%A9t%C3%A9&per_page=100",
        "/api/v1/publications?q=%22etude+n%22&sort=title&per_page=100",
        "/api/v1/publications?q=concertations+ayants",
        "/api/v1/publications?q=droit&category=racine&language=fr",
        "/api/v1/publications?sort=title&per_page=100",
        "/api/v1/publications?facets=category,year,language&q=etude",
        "/api/v1/categories/racine/publications?facets=category,year,language",
        "/api/v1/publications?sort=-title&per_page=7&page=2",
        "/api/v1/publications?sort=published_at&published_after=2025-03-01&published_before=2025-09-30",
        "/api/v1/publications/publication-00",
        "/api/v1/publications/4",
        "/api/v1/publications/publication-00/links",
        "/api/v1/publications/publication-01/related",
        "/api/v1/publications/concertation-fournisseurs-ia-ayants-droit",
        "/api/v1/publications/concertation-fournisseurs-ia-ayants-droit/related",
        "/api/v1/publications/publication-03",
        "/api/v1/categories",
        "/api/v1/categories?tree=true",
        "/api/v1/categories/enfant",
        "/api/v1/categories/racine/publications?per_page=5&page=2",
        "/api/v1/publications?per_page=0",
        "/api/v1/publications/inconnue",
    ];
    for uri in uris {
        let (expected, actual) = (sqlite.get(uri).await, postgres.get(uri).await);
        assert_eq!(expected.status, actual.status, "{uri}");
        assert_eq!(expected.header("link"), actual.header("link"), "{uri}");
        assert_eq!(expected.header("x-total-count"), actual.header("x-total-count"), "{uri}");
        assert_eq!(without_write_times(expected.json()), without_write_times(actual.json()), "{uri}");
    }
}

/// A server process, stopped when dropped.
struct Replica {
    process: Child,
    address: SocketAddr,
}

impl Replica {
    fn start(database_url: &str) -> Self {
        // The port is free now; the server binds it a moment later.
        let address = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        let process = Command::new(env!("CARGO_BIN_EXE_parution"))
            .args(["serve", "--bind", &address.to_string(), "--workers", "1", "--pool-size", "2"])
            .env("PARUTION_DATABASE_URL", database_url)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .expect("the server starts");
        Self { process, address }
    }

    fn wait_until_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(self.address).is_err() {
            assert!(Instant::now() < deadline, "the replica on {} never listened", self.address);
            std::thread::sleep(Duration::from_millis(50));
        }
        let (head, _) = exchange(self.address, "GET", "/ready");
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    }

    fn get(&self, path: &str) -> Value {
        let (head, body) = exchange(self.address, "GET", path);
        assert!(head.starts_with("HTTP/1.1 200"), "{path}: {head}");
        serde_json::from_str(&body).unwrap()
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

#[test]
#[cfg_attr(not(postgres_tests), ignore = "PostgreSQL suite skipped: set PARUTION_TEST_DATABASE_URL to run it")]
fn two_replicas_on_one_database_see_each_change_at_once() {
    let (url, _database) = scratch_database(Backend::Postgres);
    // Both start on an empty database at once: they take turns to migrate.
    let replicas = [Replica::start(&url), Replica::start(&url)];
    for replica in &replicas {
        replica.wait_until_ready();
    }
    assert_eq!(replicas[1].get("/api/v1/publications")["pagination"]["total"], 0, "PostgreSQL is not seeded");

    let pool = parution::db::connect(
        &url.parse().unwrap(),
        1,
        parution::config::DatabaseSettings::new(url.parse().unwrap()).waits(),
    )
    .unwrap();
    insert_publication(&mut pool.get().unwrap(), NewPublication { slug: "partagee", ..Default::default() });

    for replica in &replicas {
        let list = replica.get("/api/v1/publications");
        assert_eq!(list["pagination"]["total"], 1);
        assert_eq!(list["data"][0]["slug"], "partagee");
    }
}
