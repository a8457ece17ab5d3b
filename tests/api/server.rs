//! A real server over TCP: what in-process tests cannot see.

use std::sync::Arc;

use actix_web::HttpServer;

use crate::helpers::{Backend, TestApp, exchange};

#[actix_web::test]
async fn head_answers_the_get_headers_without_a_body() {
    let app = TestApp::with_demo(Backend::Sqlite).await;
    let pool = app.pool.clone();
    let document = Arc::new(parution::openapi::document());
    let server = HttpServer::new(move || {
        parution::startup::app(parution::startup::Shared::new(
            pool.clone(),
            &document,
            parution::config::HttpSettings::default(),
        ))
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let address = server.addrs()[0];
    let running = server.run();
    let handle = running.handle();
    actix_web::rt::spawn(running);

    let ((get_head, get_body), (head_head, head_body)) = actix_web::web::block(move || {
        (exchange(address, "GET", "/api/v1/publications"), exchange(address, "HEAD", "/api/v1/publications"))
    })
    .await
    .unwrap();
    handle.stop(true).await;

    assert!(head_head.starts_with("HTTP/1.1 200 OK"), "{head_head}");
    assert!(head_body.is_empty(), "HEAD has no body");
    assert!(get_body.contains("Concertation"));
    let length = |head: &str| {
        head.lines().find_map(|line| line.to_lowercase().strip_prefix("content-length: ").map(str::to_owned))
    };
    assert_eq!(length(&head_head), length(&get_head));
    assert!(head_head.to_lowercase().contains("x-total-count: 4"));
    let header = |head: &str, name: &str| {
        head.lines().find_map(|line| line.to_lowercase().strip_prefix(&format!("{name}: ")).map(str::to_owned))
    };
    for name in ["etag", "last-modified", "cache-control", "vary", "link", "content-type"] {
        assert!(header(&get_head, name).is_some(), "GET has {name}");
        assert_eq!(header(&head_head, name), header(&get_head, name), "HEAD has GET's {name}");
    }
}
