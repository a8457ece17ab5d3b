//! Anonymous reads go to the read replica while it answers, everything else
//! to the primary. The "replica" here is a second database holding other
//! content, so that each answer tells which database gave it.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::http::Method;
use diesel::prelude::*;
use parution::startup::{self, Demo};
use serde_json::json;

use crate::backend_tests;
use crate::helpers::{Backend, NewPublication, Scratch, TestApp, insert_publication, scratch_database, settings};

backend_tests!(
    anonymous_reads_go_to_the_replica_and_the_rest_to_the_primary,
    kept_answers_follow_the_replica_they_were_read_from,
    reads_use_the_primary_until_the_replica_answers,
);

/// A migrated database holding the demo content and one publication the
/// primary lacks.
fn replica(backend: Backend) -> (String, Scratch) {
    let (url, scratch) = scratch_database(backend);
    let pool = startup::prepare(&settings(&url), Demo::Always).expect("the replica is prepared");
    insert_publication(
        &mut pool.get().unwrap(),
        NewPublication { slug: "seulement-sur-la-replique", ..NewPublication::default() },
    );
    (url, scratch)
}

/// A connection to the replica's database, straight.
fn replica_connection(url: &str) -> parution::db::PooledConnection {
    parution::db::connect(&url.parse().unwrap(), 1, settings(url).waits()).unwrap().get().unwrap()
}

const ON_REPLICA: &str = "/api/v1/publications/seulement-sur-la-replique";

/// Polls `condition` for up to five seconds.
async fn eventually(what: &str, mut condition: impl AsyncFnMut() -> bool) {
    let started = Instant::now();
    while !condition().await {
        assert!(started.elapsed() < Duration::from_secs(5), "{what}: not within 5 s");
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn anonymous_reads_go_to_the_replica_and_the_rest_to_the_primary(backend: Backend) {
    let mut app = TestApp::with_demo(backend).await;
    let (replica_url, _replica) = replica(backend);
    app.read_from(&replica_url);
    let token = app.token();

    let anonymous = app.get(ON_REPLICA).await;
    assert_eq!(anonymous.status, 200, "an anonymous read is answered by the replica");
    assert_eq!(app.get("/api/v1/publications").await.header("x-total-count"), Some("5"));
    let with_token = app.get_with(ON_REPLICA, &token).await;
    with_token.problem(404, "NOT_FOUND");
    let head = app.call(actix_web::test::TestRequest::default().method(Method::HEAD).uri(ON_REPLICA)).await;
    assert_eq!(head.status, 200, "HEAD reads like GET");

    // A write goes to the primary, and its author reads it back there.
    let created = app
        .write(
            Method::POST,
            "/api/v1/publications",
            &token,
            json!({"slug": "ecrite-sur-le-primaire", "title": "Écrite sur le primaire", "status": "published"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", String::from_utf8_lossy(&created.body));
    assert_eq!(app.publication_count(), 5);
    assert_eq!(app.get_with("/api/v1/publications/ecrite-sur-le-primaire", &token).await.status, 200);
    app.get("/api/v1/publications/ecrite-sur-le-primaire").await.problem(404, "NOT_FOUND");

    // The probes speak of the primary, and report the replica.
    let ready = app.get("/ready").await.json();
    let primary_revision = ready["catalogue_revision"].as_i64().unwrap();
    assert_eq!(ready["read_replica"]["reachable"], true);
    let replica_revision = parution::db::catalogue_revision(&mut replica_connection(&replica_url)).unwrap();
    assert_eq!(ready["read_replica"]["catalogue_revision"], replica_revision);
    let metrics = String::from_utf8(app.get("/metrics").await.body).unwrap();
    assert!(metrics.contains("\nparution_read_replica_up 1\n"), "{metrics}");
    assert!(metrics.contains(&format!("\nparution_catalogue_revision {primary_revision}\n")));
}

async fn kept_answers_follow_the_replica_they_were_read_from(backend: Backend) {
    let mut app = TestApp::with_demo(backend).await;
    let (replica_url, _replica) = replica(backend);
    let replica = app.read_from(&replica_url);
    let token = app.token();
    assert_eq!(app.get(ON_REPLICA).await.json()["title"], "seulement-sur-la-replique");

    // A write on the primary only: the replica has not changed, so what
    // was read from it may be served again.
    let patched = app
        .write(Method::PATCH, "/api/v1/publications/seulement-sur-la-replique", &token, json!({"title": "Jamais vu"}))
        .await;
    patched.problem(404, "NOT_FOUND");
    assert_eq!(app.get(ON_REPLICA).await.json()["title"], "seulement-sur-la-replique");

    // The change reaches the replica (as streaming replication would bring
    // it): the next anonymous read sees it, kept answer or not.
    let revision_before = replica.revision().unwrap();
    let connection = &mut replica_connection(&replica_url);
    diesel::sql_query("UPDATE publications SET title = 'Répliqué' WHERE slug = 'seulement-sur-la-replique'")
        .execute(connection)
        .unwrap();
    assert_eq!(app.get(ON_REPLICA).await.json()["title"], "Répliqué");
    eventually("the check reads the replica's new revision", async || replica.revision().unwrap() > revision_before)
        .await;
}

async fn reads_use_the_primary_until_the_replica_answers(backend: Backend) {
    let mut app = TestApp::with_demo(backend).await;
    let (replica_url, _replica) = replica(backend);
    // A proxy that refuses connections stands for a replica that is down.
    let proxy = Proxy::new(&replica_url, backend);
    let replica = app.read_from(&proxy.url);
    assert!(!replica.is_reachable());
    app.get(ON_REPLICA).await.problem(404, "NOT_FOUND");
    assert_eq!(app.get("/api/v1/publications").await.header("x-total-count"), Some("4"));
    let ready = app.get("/ready").await;
    assert_eq!(ready.status, 200, "an unreachable replica leaves the server ready");
    assert_eq!(ready.json()["read_replica"], json!({"reachable": false}));

    proxy.start();
    eventually("anonymous reads go to the replica once it answers", async || app.get(ON_REPLICA).await.status == 200)
        .await;
    assert_eq!(app.get("/ready").await.json()["read_replica"]["reachable"], true);
}

#[actix_web::test]
#[cfg_attr(not(postgres_tests), ignore = "PostgreSQL suite skipped: set PARUTION_TEST_DATABASE_URL to run it")]
async fn reads_fall_back_to_the_primary_when_the_replica_stops() {
    let mut app = TestApp::with_demo(Backend::Postgres).await;
    let (replica_url, _replica) = replica(Backend::Postgres);
    let proxy = Proxy::new(&replica_url, Backend::Postgres);
    proxy.start();
    let replica = app.read_from(&proxy.url);
    assert!(replica.is_reachable());
    assert_eq!(app.get(ON_REPLICA).await.status, 200);

    // It goes away with connections open: the next reads are answered by
    // the primary, none fails.
    proxy.stop();
    for _ in 0..20 {
        let answer = app.get(ON_REPLICA).await;
        assert_eq!(answer.status, 404, "{}", String::from_utf8_lossy(&answer.body));
        let list = app.get("/api/v1/publications").await;
        assert_eq!((list.status.as_u16(), list.header("x-total-count")), (200, Some("4")));
    }
    assert_eq!(app.get("/ready").await.json()["read_replica"]["reachable"], false);
}

/// Stands between the app and the replica: refuses connections while
/// stopped, and cuts those open when it stops. On SQLite, where there is no
/// connection to cut, the replica's URL names a file that can be opened
/// only once the proxy runs.
struct Proxy {
    url: String,
    inner: ProxyKind,
}

enum ProxyKind {
    Tcp { listen: SocketAddr, target: SocketAddr, running: Arc<AtomicBool>, open: Arc<Mutex<Vec<TcpStream>>> },
    File { real: std::path::PathBuf, exposed: std::path::PathBuf },
}

impl Proxy {
    fn new(replica_url: &str, backend: Backend) -> Self {
        match backend {
            Backend::Postgres => {
                let mut url = url::Url::parse(replica_url).unwrap();
                let target = (url.host_str().unwrap(), url.port().unwrap_or(5432));
                let target = std::net::ToSocketAddrs::to_socket_addrs(&target).unwrap().next().unwrap();
                let listen = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
                url.set_port(Some(listen.port())).unwrap();
                url.set_host(Some("127.0.0.1")).unwrap();
                let inner =
                    ProxyKind::Tcp { listen, target, running: Arc::new(AtomicBool::new(false)), open: Arc::default() };
                Self { url: url.to_string(), inner }
            }
            Backend::Sqlite => {
                let real = std::path::PathBuf::from(replica_url.strip_prefix("sqlite://").unwrap());
                let folder = real.parent().unwrap().join("hors-ligne");
                let exposed = folder.join("parution.db");
                Self { url: format!("sqlite://{}", exposed.display()), inner: ProxyKind::File { real, exposed } }
            }
        }
    }

    fn start(&self) {
        match &self.inner {
            ProxyKind::Tcp { listen, target, running, open } => {
                let listener = TcpListener::bind(listen).unwrap();
                listener.set_nonblocking(true).unwrap();
                running.store(true, Ordering::SeqCst);
                let (target, running, open) = (*target, running.clone(), open.clone());
                std::thread::spawn(move || {
                    while running.load(Ordering::SeqCst) {
                        let Ok((client, _)) = listener.accept() else {
                            std::thread::sleep(Duration::from_millis(5));
                            continue;
                        };
                        client.set_nonblocking(false).unwrap();
                        let server = TcpStream::connect(target).unwrap();
                        open.lock().unwrap().extend([client.try_clone().unwrap(), server.try_clone().unwrap()]);
                        for (mut from, mut to) in
                            [(client.try_clone().unwrap(), server.try_clone().unwrap()), (server, client)]
                        {
                            std::thread::spawn(move || {
                                let _ = std::io::copy(&mut from, &mut to);
                                let _ = to.shutdown(std::net::Shutdown::Both);
                            });
                        }
                    }
                });
            }
            ProxyKind::File { real, exposed } => {
                std::fs::create_dir_all(exposed.parent().unwrap()).unwrap();
                std::os::unix::fs::symlink(real, exposed).unwrap();
            }
        }
    }

    fn stop(&self) {
        match &self.inner {
            ProxyKind::Tcp { running, open, .. } => {
                running.store(false, Ordering::SeqCst);
                // The listener closes within its next poll.
                std::thread::sleep(Duration::from_millis(50));
                for stream in open.lock().unwrap().drain(..) {
                    let _ = stream.shutdown(std::net::Shutdown::Both);
                }
            }
            ProxyKind::File { exposed, .. } => {
                std::fs::remove_dir_all(exposed.parent().unwrap()).unwrap();
            }
        }
    }
}
