//! The `parution` binary itself.

use std::process::Command;

use crate::helpers::{Backend, TestApp};

fn parution() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_parution"));
    command.env_remove("PARUTION_DATABASE_URL").env("RUST_LOG", "warn");
    command
}

/// An address nothing listens on now.
fn free_address() -> std::net::SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

/// `parution serve` on `url` and `address`, one worker, its log (at
/// `info`) piped.
fn serve(url: &str, address: std::net::SocketAddr) -> Command {
    let mut command = parution();
    command
        .args(["serve", "--database-url", url, "--bind", &address.to_string(), "--workers", "1"])
        .env("RUST_LOG", "info")
        .stderr(std::process::Stdio::piped());
    command
}

#[test]
fn openapi_prints_the_committed_document() {
    let output = parution().arg("openapi").output().unwrap();

    assert!(output.status.success());
    let committed = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json")).unwrap();
    assert!(output.stdout == committed, "`parution openapi` prints openapi/openapi.json");
}

#[actix_web::test]
async fn migrate_creates_the_schema_without_demo_content() {
    let folder = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", folder.path().join("nested/new.db").display());

    let output = parution().args(["migrate", "--database-url", &url]).output().unwrap();

    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let pool = parution::startup::prepare(&crate::helpers::settings(&url), parution::startup::Demo::Never).unwrap();
    let document = std::sync::Arc::new(parution::openapi::document());
    let app = actix_web::test::init_service(parution::startup::app(parution::startup::Shared::new(
        pool,
        &document,
        parution::config::HttpSettings::default(),
    )))
    .await;
    let request = actix_web::test::TestRequest::get().uri("/api/v1/publications").to_request();
    let body: serde_json::Value = actix_web::test::call_and_read_body_json(&app, request).await;
    assert_eq!(body["pagination"]["total"], 0);
}

#[test]
fn an_unsupported_database_url_fails_loudly() {
    for (url, explanation) in [
        ("mysql://localhost/parution", "use sqlite://PATH or postgres://"),
        ("postgress://localhost/parution", "use sqlite://PATH or postgres://"),
        ("data/parution.db", "use sqlite://PATH or postgres://"),
        ("sqlite://", "a sqlite:// URL needs a file path"),
    ] {
        let output = parution().args(["migrate", "--database-url", url]).output().unwrap();

        assert!(!output.status.success(), "{url} is refused");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(explanation), "{url}: {stderr}");
    }
}

#[actix_web::test]
async fn seed_demo_loads_the_demo_content_once() {
    let app = TestApp::new(Backend::Sqlite).await;

    for _ in 0..2 {
        let output = parution().args(["seed-demo", "--database-url", &app.url]).output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    }

    assert_eq!(app.get("/api/v1/publications").await.header("x-total-count"), Some("4"));
}

/// The access log names each request's id, as the answer does.
#[test]
fn the_access_log_names_the_request_id() {
    use std::io::{BufRead, BufReader};

    let folder = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", folder.path().join("log.db").display());
    let address = free_address();
    let mut server = serve(&url, address).spawn().unwrap();
    let mut lines = BufReader::new(server.stderr.take().unwrap()).lines();
    lines
        .by_ref()
        .find(|line| line.as_ref().is_ok_and(|line| line.contains("listens on")))
        .expect("the server starts")
        .unwrap();

    let (head, _) = crate::helpers::exchange_with(address, "GET", "/health", "X-Request-Id: log-check-7\r\n");
    assert!(head.to_lowercase().contains("x-request-id: log-check-7"), "{head}");
    let logged = lines.by_ref().find(|line| line.as_ref().is_ok_and(|line| line.contains("GET /health")));
    server.kill().unwrap();
    server.wait().unwrap();
    let logged = logged.expect("an access log line").unwrap();
    assert!(logged.contains("request_id=log-check-7"), "{logged}");
}

/// SIGTERM: the server stops accepting at once, lets a request in flight
/// finish, and exits cleanly.
#[test]
fn a_stop_signal_finishes_the_request_in_flight_and_refuses_new_ones() {
    use std::io::{BufRead, BufReader};
    use std::net::TcpStream;

    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;

    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("stop.db");
    let url = format!("sqlite://{}", path.display());
    let created =
        parution().args(["token", "create", "--name", "stop"]).env("PARUTION_DATABASE_URL", &url).output().unwrap();
    let token = String::from_utf8(created.stdout).unwrap().trim().to_owned();
    let address = free_address();
    let mut server =
        serve(&url, address).args(["--lock-timeout-ms", "20000", "--shutdown-timeout", "20"]).spawn().unwrap();
    let mut log = BufReader::new(server.stderr.take().unwrap()).lines();
    log.by_ref().find(|line| line.as_ref().is_ok_and(|line| line.contains("listens on"))).unwrap().unwrap();

    // A write that waits for a lock held here: in flight when the signal comes.
    let mut holder = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
    holder.batch_execute("BEGIN IMMEDIATE").unwrap();
    let in_flight = std::thread::spawn(move || {
        let body = r#"{"name": "Pendant l'arrêt"}"#;
        let headers = format!(
            "Authorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        );
        crate::helpers::exchange_with_body(address, "POST", "/api/v1/categories", &headers, body)
    });
    std::thread::sleep(std::time::Duration::from_millis(500));
    let stopped = Command::new("kill").args(["-TERM", &server.id().to_string()]).status().unwrap();
    assert!(stopped.success());

    let refused = (0..40).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(50));
        TcpStream::connect(address).is_err()
    });
    holder.batch_execute("COMMIT").unwrap();
    let (head, _body) = in_flight.join().unwrap();
    let status = server.wait().unwrap();

    assert!(refused, "new connections are refused once the signal came");
    assert!(head.starts_with("HTTP/1.1 201"), "the request in flight finished: {head} {_body}");
    assert!(status.success(), "a clean exit: {status}");
}

/// With `PARUTION_LOG_FORMAT=json`, every line is one JSON object; the
/// access line carries the request's fields, and no token appears.
#[test]
fn json_logs_are_one_object_a_line_with_the_request_fields() {
    use std::io::{BufRead, BufReader};

    let folder = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", folder.path().join("json-log.db").display());
    let created = parution().args(["token", "--database-url", &url, "create", "--name", "logs"]).output().unwrap();
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let secret = String::from_utf8(created.stdout).unwrap().trim().to_owned();
    let address = free_address();
    let mut server = serve(&url, address).env("PARUTION_LOG_FORMAT", "json").spawn().unwrap();
    let mut lines = BufReader::new(server.stderr.take().unwrap()).lines().map(|line| line.unwrap());
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let started = line.contains("listens on");
        seen.push(line);
        if started {
            break;
        }
    }
    let headers = format!("X-Request-Id: json-check-1\r\nAuthorization: Bearer {secret}\r\n");
    let path = "/api/v1/publications/concertation-fournisseurs-ia-ayants-droit";
    let (head, _) = crate::helpers::exchange_with(address, "GET", path, &headers);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    for line in lines.by_ref() {
        let access = line.contains("parution::access");
        seen.push(line);
        if access {
            break;
        }
    }
    server.kill().unwrap();
    server.wait().unwrap();

    let records: Vec<serde_json::Value> =
        seen.iter().map(|line| serde_json::from_str(line).unwrap_or_else(|error| panic!("{error}: {line}"))).collect();
    for record in &records {
        for field in ["time", "level", "target", "message"] {
            assert!(record.get(field).is_some(), "{field} in {record}");
        }
    }
    let access = records.iter().find(|record| record["target"] == "parution::access").expect("an access line");
    assert_eq!(access["request_id"], "json-check-1");
    assert_eq!(access["method"], "GET");
    assert_eq!(access["route"], "/api/v1/publications/{ref}", "the route's template, not the path");
    assert_eq!(access["status"], 200);
    assert!(access["duration_ms"].as_f64().is_some_and(|ms| ms >= 0.0), "{access}");
    assert!(access["bytes"].as_u64().is_some_and(|bytes| bytes > 0), "{access}");
    assert_eq!(access["token"], "logs", "who asked: the token's name");
    assert!(seen.iter().all(|line| !line.contains(&secret)), "the token is never logged");
}

/// With `PARUTION_METRICS_BIND`, metrics have their own address, and the
/// public one does not serve them.
#[test]
fn metrics_can_have_an_address_of_their_own() {
    use std::io::{BufRead, BufReader};

    let folder = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", folder.path().join("metrics.db").display());
    let (address, metrics) = (free_address(), free_address());
    let mut server = serve(&url, address).env("PARUTION_METRICS_BIND", metrics.to_string()).spawn().unwrap();
    let mut lines = BufReader::new(server.stderr.take().unwrap()).lines();
    lines.by_ref().find(|line| line.as_ref().is_ok_and(|line| line.contains("listens on"))).unwrap().unwrap();

    let (head, _) = crate::helpers::exchange(address, "GET", "/api/v1/categories");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let (public, _) = crate::helpers::exchange(address, "GET", "/metrics");
    let (head, body) = crate::helpers::exchange(metrics, "GET", "/metrics");
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(public.starts_with("HTTP/1.1 404"), "{public}");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        body.contains(r#"parution_http_requests_total{method="GET",route="/api/v1/categories",status="200"} 1"#),
        "{body}"
    );
}

/// `parution health` exits 0 while the server is ready, 1 once it is gone
/// or when the URL answers an error.
#[test]
fn health_exits_0_while_the_server_is_ready_and_1_after() {
    use std::io::{BufRead, BufReader};

    let folder = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", folder.path().join("health.db").display());
    let address = free_address();
    let mut server = serve(&url, address).spawn().unwrap();
    let mut log = BufReader::new(server.stderr.take().unwrap()).lines();
    log.by_ref().find(|line| line.as_ref().is_ok_and(|line| line.contains("listens on"))).unwrap().unwrap();
    let health =
        |path: &str| parution().args(["health", "--url", &format!("http://{address}{path}")]).output().unwrap();

    let ready = health("/ready");
    assert!(ready.status.success(), "{}", String::from_utf8_lossy(&ready.stderr));
    assert!(String::from_utf8_lossy(&ready.stdout).contains(": 200"));
    // Without --url: /ready where PARUTION_BIND says, a wildcard asked on loopback.
    let wildcard = format!("0.0.0.0:{}", address.port());
    let bound = parution().arg("health").env("PARUTION_BIND", &wildcard).output().unwrap();
    assert!(bound.status.success(), "{}", String::from_utf8_lossy(&bound.stderr));
    assert!(String::from_utf8_lossy(&bound.stdout).contains(&format!("127.0.0.1:{}/ready", address.port())));
    let missing = health("/nowhere");
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("404"), "{}", String::from_utf8_lossy(&missing.stderr));

    server.kill().unwrap();
    server.wait().unwrap();
    let gone = health("/ready");
    assert_eq!(gone.status.code(), Some(1));
}
