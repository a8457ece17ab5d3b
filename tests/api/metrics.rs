//! `/metrics`: Prometheus text whose counters and histograms move with
//! traffic, by route template, never by raw path.

use crate::backend_tests;
use crate::helpers::{Backend, TestApp};

backend_tests!(metrics_follow_traffic_by_route_template);

/// The value of the sample `series` (name and labels, as written).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

async fn metrics_follow_traffic_by_route_template(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let slug = "concertation-fournisseurs-ia-ayants-droit";
    let detail = r#"{method="GET",route="/api/v1/publications/{ref}",status="200"}"#;
    let before = app.get("/metrics").await;
    assert_eq!(before.status, 200);
    assert!(before.header("content-type").unwrap().starts_with("text/plain; version=0.0.4"));
    let before = String::from_utf8(before.body).unwrap();
    let counted = |text: &str| sample(text, &format!("parution_http_requests_total{detail}")).unwrap_or(0.0);

    for _ in 0..2 {
        assert_eq!(app.get(&format!("/api/v1/publications/{slug}")).await.status, 200);
    }
    assert_eq!(app.get("/api/v1/publications/no-such-thing").await.status, 404);
    assert_eq!(app.get("/no/route/here").await.status, 404);
    let text = String::from_utf8(app.get("/metrics").await.body).unwrap();

    assert_eq!(counted(&text) - counted(&before), 2.0, "{text}");
    let missing = r#"parution_http_requests_total{method="GET",route="/api/v1/publications/{ref}",status="404"}"#;
    assert_eq!(sample(&text, missing), Some(1.0));
    let unmatched = r#"parution_http_requests_total{method="GET",route="unmatched",status="404"}"#;
    assert_eq!(sample(&text, unmatched), Some(1.0));
    let timed = r#"parution_http_request_duration_seconds_count{method="GET",route="/api/v1/publications/{ref}"}"#;
    assert_eq!(sample(&text, timed), Some(3.0));
    assert!(!text.contains(slug) && !text.contains("no-such-thing"), "paths never become labels");
    assert_eq!(sample(&text, "parution_http_requests_in_flight"), Some(1.0), "the scrape itself");
    assert_eq!(sample(&text, r#"parution_publications{status="published"}"#), Some(4.0));
    assert_eq!(sample(&text, r#"parution_publications{status="draft"}"#), Some(0.0));
    assert!(sample(&text, "parution_categories").is_some_and(|count| count >= 1.0));
    assert!(sample(&text, "parution_links").is_some());
    assert!(sample(&text, "parution_db_pool_connections").is_some_and(|count| count >= 1.0));
    assert!(sample(&text, "parution_db_pool_idle_connections").is_some());
    assert!(sample(&text, "parution_db_pool_wait_seconds_count").is_some_and(|count| count >= 1.0));
    assert!(sample(&text, "process_resident_memory_bytes").is_some_and(|bytes| bytes > 0.0));
    assert!(sample(&text, "process_open_fds").is_some_and(|files| files > 0.0));
}
