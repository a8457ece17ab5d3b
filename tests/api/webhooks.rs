//! Webhooks, on both backends: managed with an admin token, each endpoint
//! receives what its view shows, deliveries are signed as Standard
//! Webhooks says, and — with real server processes and a real receiver —
//! a receiver that was down gets every event, a server killed mid-burst
//! loses none it acknowledged, and two servers on one PostgreSQL database
//! deliver each event once.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::http::Method;
use actix_web::test::TestRequest;
use parution::tokens::Scope;
use parution::webhooks::{signature, store};
use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::{Answer, Backend, Scratch, TestApp, exchange_with_body, scratch_database, settings};

backend_tests!(
    managing_webhooks_needs_admin_and_checks_its_input,
    each_endpoint_receives_what_its_view_shows,
    a_receiver_down_then_back_gets_every_event_signed,
    a_server_killed_mid_burst_loses_no_acknowledged_event,
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

async fn managing_webhooks_needs_admin_and_checks_its_input(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (admin, writer) = (app.token(), app.token_of(Scope::Write));
    let hook = json!({"url": "https://partenaire.example.org/hooks/parution", "events": ["publication.*"]});
    send(&app, Method::POST, "/api/v1/webhooks", &writer, Some(hook.clone()), None)
        .await
        .problem(403, "INSUFFICIENT_SCOPE");
    app.get("/api/v1/webhooks").await.problem(401, "UNAUTHORIZED");
    for (bad, field) in [
        (json!({"url": "http://127.0.0.1:9/hook"}), "url"),
        (json!({"url": "http://localhost/hook"}), "url"),
        (json!({"url": "http://169.254.169.254/latest"}), "url"),
        (json!({"url": "ftp://example.org/"}), "url"),
        (json!({"description": "sans adresse"}), "url"),
        (json!({"url": "https://example.org/", "events": ["publication"]}), "events[0]"),
        (json!({"url": "https://example.org/", "events": []}), "events"),
        (json!({"url": "https://example.org/", "secret": "mine"}), "secret"),
    ] {
        let answer = send(&app, Method::POST, "/api/v1/webhooks", &admin, Some(bad.clone()), None).await;
        let problem = answer.problem(422, "VALIDATION_FAILED");
        assert_eq!(problem["errors"][0]["field"], field, "{bad}");
    }
    let created = send(&app, Method::POST, "/api/v1/webhooks", &admin, Some(hook), None).await;
    assert_eq!(created.status, 201);
    let location = created.header("location").unwrap().to_owned();
    let created = created.json();
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    assert_eq!((created["status"].as_str(), created["include_drafts"].as_bool()), (Some("active"), Some(false)));
    let read = app.get_with(&location, &admin).await;
    assert_eq!(read.status, 200);
    assert!(!String::from_utf8_lossy(&read.body).contains(&secret), "the secret is shown once");
    let tag = read.header("etag").unwrap().to_owned();
    let listed = app.get_with("/api/v1/webhooks", &admin).await.json();
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);

    let patch = json!({"enabled": false, "description": "en pause"});
    send(&app, Method::PATCH, &location, &admin, Some(patch.clone()), Some("\"7-x\""))
        .await
        .problem(412, "PRECONDITION_FAILED");
    let patched = send(&app, Method::PATCH, &location, &admin, Some(patch), Some(&tag)).await;
    assert_eq!(patched.status, 200);
    let patched = patched.json();
    assert_eq!((patched["status"].as_str(), patched["description"].as_str()), (Some("disabled"), Some("en pause")));
    assert_eq!(patched["disabled_reason"], "disabled by an administrator");
    send(&app, Method::PATCH, &location, &admin, Some(json!({"url": "http://10.0.0.1/"})), None)
        .await
        .problem(422, "VALIDATION_FAILED");
    let enabled = send(&app, Method::PATCH, &location, &admin, Some(json!({"enabled": true})), None).await.json();
    assert_eq!((enabled["status"].as_str(), enabled["disabled_reason"].as_str()), (Some("active"), None));

    let rotated = send(&app, Method::POST, &format!("{location}/rotate-secret"), &admin, None, None).await;
    assert_eq!(rotated.status, 200);
    let rotated = rotated.json();
    assert_ne!(rotated["secret"], secret);
    assert!(rotated["previous_secret_valid_until"].is_string());

    assert_eq!(send(&app, Method::DELETE, &location, &admin, None, None).await.status, 204);
    app.get_with(&location, &admin).await.problem(404, "NOT_FOUND");
    app.get_with("/api/v1/webhooks/abc", &admin).await.problem(404, "NOT_FOUND");
}

async fn each_endpoint_receives_what_its_view_shows(backend: Backend) {
    let app = TestApp::new(backend).await;
    let admin = app.token();
    let register = |body: Value| {
        let (app, admin) = (&app, admin.clone());
        async move {
            let answer = send(app, Method::POST, "/api/v1/webhooks", &admin, Some(body), None).await;
            assert_eq!(answer.status, 201);
            answer.json()["id"].as_i64().unwrap()
        }
    };
    let public = register(json!({"url": "https://public.example.org/"})).await;
    let drafts = register(json!({"url": "https://interne.example.org/", "include_drafts": true})).await;
    let categories = register(json!({"url": "https://categories.example.org/", "events": ["category.*"]})).await;
    let draft = send(&app, Method::POST, "/api/v1/publications", &admin, Some(json!({"title": "Brouillon"})), None)
        .await
        .json();
    send(
        &app,
        Method::PATCH,
        &format!("/api/v1/publications/{}", draft["id"]),
        &admin,
        Some(json!({"status": "published", "published_at": "2025-01-01T00:00:00Z"})),
        None,
    )
    .await;
    send(&app, Method::POST, "/api/v1/categories", &admin, Some(json!({"name": "Notes"})), None).await;
    let fanned = store::fan_out(&mut app.connection(), parution::db::now(), 100).unwrap();
    assert_eq!(fanned, 3);
    assert_eq!(store::fan_out(&mut app.connection(), parution::db::now(), 100).unwrap(), 0, "each event once");

    let deliveries = |id: i64| {
        let (app, admin) = (&app, admin.clone());
        async move {
            let page = app.get_with(&format!("/api/v1/webhooks/{id}/deliveries"), &admin).await;
            assert_eq!(page.status, 200);
            let mut data = page.json()["data"].as_array().unwrap().clone();
            data.reverse();
            data
        }
    };
    let types = |data: &[Value]| {
        data.iter().map(|delivery| delivery["event_type"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
    };
    let public_log = deliveries(public).await;
    assert_eq!(types(&public_log), ["publication.published", "category.created"]);
    assert_eq!(types(&deliveries(drafts).await), ["publication.created", "publication.published", "category.created"]);
    assert_eq!(types(&deliveries(categories).await), ["category.created"]);
    let first = &public_log[0];
    assert_eq!(first["message_id"], format!("evt_{}", first["event_seq"]));
    assert_eq!((first["status"].as_str(), first["attempts"].as_i64()), (Some("pending"), Some(0)));

    let ping = send(&app, Method::POST, &format!("/api/v1/webhooks/{public}/ping"), &admin, None, None).await;
    assert_eq!(ping.status, 202);
    assert_eq!(ping.json()["event_type"], "webhook.ping");
    let again = send(
        &app,
        Method::POST,
        &format!("/api/v1/webhooks/{public}/deliveries/{}/redeliver", first["id"]),
        &admin,
        None,
        None,
    )
    .await;
    assert_eq!(again.status, 202);
    assert_eq!(again.json()["message_id"], first["message_id"], "the same message, for the receiver to drop");
    send(&app, Method::POST, &format!("/api/v1/webhooks/{public}/deliveries/999999/redeliver"), &admin, None, None)
        .await
        .problem(404, "NOT_FOUND");
    assert_eq!(deliveries(public).await.len(), 4);
}

/// A webhook receiver: it checks each delivery's signature and keeps the
/// messages; it answers 204, or is down.
struct Receiver {
    address: SocketAddr,
    secret: Arc<Mutex<String>>,
    received: Arc<Mutex<Vec<(String, Value)>>>,
    bad_signatures: Arc<Mutex<usize>>,
    stop: Arc<AtomicBool>,
}

impl Receiver {
    /// A receiver on a free port, not listening yet.
    fn new() -> Self {
        let address = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        Self {
            address,
            secret: Arc::default(),
            received: Arc::default(),
            bad_signatures: Arc::default(),
            stop: Arc::default(),
        }
    }

    fn url(&self) -> String {
        format!("http://{}/hooks/parution", self.address)
    }

    fn listen(&self) {
        let listener = TcpListener::bind(self.address).expect("the receiver's port is free");
        listener.set_nonblocking(true).unwrap();
        let (secret, received, bad, stop) =
            (self.secret.clone(), self.received.clone(), self.bad_signatures.clone(), self.stop.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                let Ok((mut stream, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(5));
                    continue;
                };
                stream.set_nonblocking(false).unwrap();
                let mut request = Vec::new();
                let mut buffer = [0u8; 8192];
                let (head, body) = loop {
                    let read = stream.read(&mut buffer).unwrap_or(0);
                    if read == 0 {
                        break (String::new(), String::new());
                    }
                    request.extend_from_slice(&buffer[..read]);
                    let text = String::from_utf8_lossy(&request).into_owned();
                    if let Some((head, body)) = text.split_once("\r\n\r\n") {
                        let length = head
                            .lines()
                            .find_map(|line| {
                                line.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse::<usize>().unwrap())
                            })
                            .unwrap_or(0);
                        if body.len() >= length {
                            break (head.to_owned(), body.to_owned());
                        }
                    }
                };
                if head.is_empty() {
                    // The sender went away mid-request (a server killed).
                    continue;
                }
                let header = |name: &str| {
                    head.lines()
                        .find_map(|line| {
                            line.split_once(':')
                                .filter(|(key, _)| key.eq_ignore_ascii_case(name))
                                .map(|(_, value)| value.trim().to_owned())
                        })
                        .unwrap_or_default()
                };
                let (id, timestamp, signatures) =
                    (header("webhook-id"), header("webhook-timestamp"), header("webhook-signature"));
                let expected = signature::sign(&secret.lock().unwrap(), &id, timestamp.parse().unwrap_or(0), &body);
                if signatures.split(' ').any(|signature| signature == expected) {
                    received.lock().unwrap().push((id, serde_json::from_str(&body).unwrap()));
                } else {
                    *bad.lock().unwrap() += 1;
                }
                let _ = stream.write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
            }
        });
    }

    /// The ids of the publications whose creation it received.
    fn created(&self) -> BTreeSet<i64> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, body)| body["type"] == "publication.created")
            .map(|(_, body)| body["data"]["id"].as_i64().unwrap())
            .collect()
    }

    fn wait_for(&self, wanted: &BTreeSet<i64>, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            let created = self.created();
            if wanted.is_subset(&created) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{} of {} creations received; missing {:?}",
                wanted.intersection(&created).count(),
                wanted.len(),
                wanted.difference(&created).take(10).collect::<Vec<_>>()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// A server process, killed when dropped.
struct Server {
    process: Child,
    address: SocketAddr,
}

impl Server {
    fn start(database_url: &str) -> Self {
        let address = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        let process = Command::new(env!("CARGO_BIN_EXE_parution"))
            .args(["serve", "--bind", &address.to_string(), "--workers", "2", "--pool-size", "4"])
            .env("PARUTION_DATABASE_URL", database_url)
            .env("PARUTION_WEBHOOKS_ALLOW_PRIVATE", "true")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .expect("the server starts");
        let server = Self { process, address };
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(address).is_err() {
            assert!(Instant::now() < deadline, "the server on {address} never listened");
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    fn request(&self, method: &str, path: &str, token: &str, body: &Value) -> (u16, Value) {
        request(self.address, method, path, token, body)
    }

    fn kill(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

fn request(address: SocketAddr, method: &str, path: &str, token: &str, body: &Value) -> (u16, Value) {
    let text = if body.is_null() { String::new() } else { body.to_string() };
    let headers = format!(
        "Authorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        text.len()
    );
    let (head, body) = exchange_with_body(address, method, path, &headers, &text);
    let status = head.split(' ').nth(1).and_then(|status| status.parse().ok()).unwrap_or(0);
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

/// A database served by a process, an admin token, and a webhook to
/// `receiver`.
fn served(backend: Backend, receiver: &Receiver) -> (String, Scratch, Server, String) {
    let (url, scratch) = scratch_database(backend);
    let server = Server::start(&url);
    let pool = parution::db::connect(&url.parse().unwrap(), 1, settings(&url).waits()).unwrap();
    let token = parution::tokens::create(&mut pool.get().unwrap(), "admin", Scope::Admin, None).unwrap().unwrap().1;
    let (status, created) = server.request("POST", "/api/v1/webhooks", &token, &json!({"url": receiver.url()}));
    assert_eq!(status, 201, "{created}");
    *receiver.secret.lock().unwrap() = created["secret"].as_str().unwrap().to_owned();
    (url, scratch, server, token)
}

fn publish(address: SocketAddr, token: &str, title: &str) -> Option<i64> {
    let body = json!({"title": title, "status": "published", "published_at": "2025-01-01T00:00:00Z"});
    let (status, created) = request(address, "POST", "/api/v1/publications", token, &body);
    (status == 201).then(|| created["id"].as_i64().unwrap())
}

async fn a_receiver_down_then_back_gets_every_event_signed(backend: Backend) {
    let receiver = Receiver::new();
    let (_url, _scratch, server, token) = served(backend, &receiver);
    let written: BTreeSet<i64> =
        (0..20).filter_map(|n| publish(server.address, &token, &format!("Étude {n}"))).collect();
    assert_eq!(written.len(), 20);
    std::thread::sleep(Duration::from_secs(2));
    assert!(receiver.created().is_empty());
    receiver.listen();
    receiver.wait_for(&written, Duration::from_secs(40));
    assert_eq!(*receiver.bad_signatures.lock().unwrap(), 0, "every delivery is signed with the secret");
    let (_, log) = server.request("GET", "/api/v1/webhooks/1/deliveries?per_page=100", &token, &Value::Null);
    let delivered: Vec<&Value> =
        log["data"].as_array().unwrap().iter().filter(|d| d["status"] == "delivered").collect();
    assert!(
        delivered.iter().all(|delivery| delivery["attempts"].as_i64().unwrap() >= 2),
        "each failed once, then went"
    );
    let (_, hook) = server.request("GET", "/api/v1/webhooks/1", &token, &Value::Null);
    assert_eq!(hook["status"], "active", "a success ends the failures");
}

async fn a_server_killed_mid_burst_loses_no_acknowledged_event(backend: Backend) {
    let receiver = Receiver::new();
    receiver.listen();
    let (url, _scratch, mut server, token) = served(backend, &receiver);
    let acknowledged = Arc::new(Mutex::new(BTreeSet::new()));
    let address = server.address;
    let writers: Vec<_> = (0..4)
        .map(|writer| {
            let (acknowledged, token) = (acknowledged.clone(), token.clone());
            std::thread::spawn(move || {
                for n in 0.. {
                    // Each write either fails (the server is gone) or is
                    // acknowledged: only those count.
                    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        publish(address, &token, &format!("Rafale {writer}-{n}"))
                    }));
                    match outcome {
                        Ok(Some(id)) => {
                            acknowledged.lock().unwrap().insert(id);
                        }
                        _ => return,
                    }
                }
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(30);
    while acknowledged.lock().unwrap().len() < 80 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    server.kill();
    for writer in writers {
        let _ = writer.join();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() >= 80, "{} writes before the kill", acknowledged.len());
    let _restarted = Server::start(&url);
    // Deliveries claimed when the server died are tried again once their
    // lease ends.
    receiver.wait_for(&acknowledged, Duration::from_secs(75));
    assert_eq!(*receiver.bad_signatures.lock().unwrap(), 0);
}

#[test]
#[cfg_attr(not(postgres_tests), ignore = "PostgreSQL suite skipped: set PARUTION_TEST_DATABASE_URL to run it")]
fn two_servers_on_one_database_deliver_each_event_once() {
    let receiver = Receiver::new();
    receiver.listen();
    let (url, _scratch, first, token) = served(Backend::Postgres, &receiver);
    let second = Server::start(&url);
    let servers = [&first, &second];
    let written: BTreeSet<i64> =
        (0..60).filter_map(|n| publish(servers[n % 2].address, &token, &format!("Partagée {n}"))).collect();
    assert_eq!(written.len(), 60);
    receiver.wait_for(&written, Duration::from_secs(30));
    std::thread::sleep(Duration::from_secs(1));
    let mut times: BTreeMap<String, usize> = BTreeMap::new();
    for (id, _) in receiver.received.lock().unwrap().iter() {
        *times.entry(id.clone()).or_default() += 1;
    }
    let twice: Vec<&String> = times.iter().filter(|(_, count)| **count > 1).map(|(id, _)| id).collect();
    assert!(twice.is_empty(), "delivered more than once: {twice:?}");
}
