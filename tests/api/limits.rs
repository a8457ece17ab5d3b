//! Every input has a bound, answered with its 4xx problem before the work
//! the input would cost, and leaving nothing changed. How fast, and with how
//! much memory, a real server refuses each one under repetition is measured
//! outside the suite (`.ci/limits.py`).

use actix_web::http::Method;
use actix_web::test::TestRequest;
use serde_json::json;

use crate::helpers::{Backend, NewPublication, TestApp, insert_category, insert_publication};

crate::backend_tests!(
    bodies_over_a_mebibyte_or_nested_too_deep_are_refused,
    query_strings_and_cursors_are_bounded,
    headers_are_bounded,
    a_publication_holds_at_most_100_links_and_100_files,
);

fn publish(app: &TestApp, slug: &str) -> i32 {
    insert_publication(&mut app.connection(), NewPublication { slug, ..NewPublication::default() })
}

async fn bodies_over_a_mebibyte_or_nested_too_deep_are_refused(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token();
    let post = |body: Vec<u8>| {
        TestRequest::post()
            .uri("/api/v1/categories")
            .insert_header(("Authorization", format!("Bearer {token}")))
            .insert_header(("Content-Type", "application/json"))
            .set_payload(body)
    };
    // One byte over, declared by Content-Length.
    let mut over = br#"{"name": ""#.to_vec();
    over.resize(1024 * 1024 - 1, b'a');
    over.extend_from_slice(br#""}"#);
    assert_eq!(over.len(), 1024 * 1024 + 1);
    let problem = app.call(post(over)).await.problem(413, "PAYLOAD_TOO_LARGE");
    assert_eq!(problem["detail"], "the body is larger than 1048576 bytes");

    // Without a length: read until the limit, then refused.
    let (mut sender, payload) = actix_http::h1::Payload::create(false);
    for _ in 0..20 {
        sender.feed_data(actix_web::web::Bytes::from(vec![b' '; 64 * 1024]));
    }
    sender.feed_eof();
    let request = TestRequest::post()
        .uri("/api/v1/categories")
        .insert_header(("Authorization", format!("Bearer {}", app.token())))
        .insert_header(("Content-Type", "application/json"))
        .to_request();
    let (request, _) = request.replace_payload(actix_http::Payload::from(payload));
    app.call_request(request).await.problem(413, "PAYLOAD_TOO_LARGE");

    // JSON nested deeper than 128 levels is malformed, however it is nested.
    let deep = |depth: usize, open: &str, close: &str| {
        format!(r#"{{"name": "Profond", "description": {}{}}}"#, open.repeat(depth), close.repeat(depth)).into_bytes()
    };
    for (open, close) in [("[", "]"), (r#"{"a":"#, "}")] {
        let problem = app.call(post(deep(200, open, close))).await.problem(400, "MALFORMED_BODY");
        assert!(problem["detail"].as_str().unwrap().contains("recursion limit exceeded"), "{problem}");
    }
    // As deep as a whole mebibyte allows, unclosed.
    let mut opened = br#"{"name": "#.to_vec();
    opened.resize(1024 * 1024, b'[');
    app.call(post(opened)).await.problem(400, "MALFORMED_BODY");
    // 127 levels are read (and refused for what they hold, not their depth).
    let answer = app.call(post(deep(120, "[", "]"))).await;
    let problem = answer.problem(422, "VALIDATION_FAILED");
    assert_eq!(problem["errors"][0]["field"], "description");

    // A merge patch too.
    let created = app.write(Method::POST, "/api/v1/categories", &app.token(), json!({"name": "Études"})).await;
    assert_eq!(created.status, 201);
    let patch = TestRequest::patch()
        .uri("/api/v1/categories/etudes")
        .insert_header(("Authorization", format!("Bearer {}", app.token())))
        .insert_header(("Content-Type", "application/merge-patch+json"))
        .set_payload(deep(200, r#"{"a":"#, "}"));
    app.call(patch).await.problem(400, "MALFORMED_BODY");

    let categories = app.get("/api/v1/categories").await.json();
    assert_eq!(categories["data"].as_array().unwrap().len(), 1, "only the one written: {categories}");
    assert_eq!(categories["data"][0]["version"], 1);
}

async fn query_strings_and_cursors_are_bounded(backend: Backend) {
    let app = TestApp::new(backend).await;
    publish(&app, "etude");
    for index in 0..50 {
        insert_category(&mut app.connection(), &format!("c{index}"), &format!("Catégorie {index}"), None, index);
    }
    // 50 categories are read, the 51st is refused.
    let categories = |count: usize| (0..count).map(|index| format!("category=c{index}")).collect::<Vec<_>>().join("&");
    let fifty = app.get(&format!("/api/v1/publications?{}", categories(50))).await;
    assert_eq!(fifty.status, 200, "{}", String::from_utf8_lossy(&fifty.body));
    let problem = app.get(&format!("/api/v1/publications?{}", categories(51))).await.problem(400, "INVALID_PARAMETER");
    assert_eq!(problem["errors"][0]["field"], "category");

    // Thousands of values within the target's 16 KiB: one refusal, naming
    // the first parameter the endpoint does not take.
    let many = vec!["x=1"; 3000].join("&");
    let problem = app.get(&format!("/api/v1/publications?{many}")).await.problem(400, "INVALID_PARAMETER");
    assert_eq!(problem["errors"][0]["field"], "x");
    let repeated = vec!["per_page=1"; 1400].join("&");
    let problem = app.get(&format!("/api/v1/publications?{repeated}")).await.problem(400, "INVALID_PARAMETER");
    assert_eq!(problem["errors"][0]["code"], "repeated");
    // A search is 200 characters at most.
    let problem =
        app.get(&format!("/api/v1/publications?q={}", "mot+".repeat(51))).await.problem(400, "INVALID_PARAMETER");
    assert_eq!(problem["errors"][0]["field"], "q");

    // A cursor of any length up to the target's limit is read and refused;
    // past it, the whole target is.
    for length in [10, 1000, 16_000] {
        let cursor = "A".repeat(length);
        let problem = app.get(&format!("/api/v1/publications?cursor={cursor}")).await.problem(400, "INVALID_PARAMETER");
        assert_eq!(problem["errors"][0]["code"], "invalid_cursor");
        let problem = app.get(&format!("/api/v1/changes?cursor={cursor}")).await.problem(400, "INVALID_PARAMETER");
        assert_eq!(problem["errors"][0]["field"], "cursor");
    }
    let cursor = "A".repeat(17_000);
    let problem = app.get(&format!("/api/v1/publications?cursor={cursor}")).await.problem(414, "URI_TOO_LONG");
    assert_eq!(problem["detail"], "the request target is 17028 bytes long; at most 16384 are read");
}

async fn headers_are_bounded(backend: Backend) {
    let app = TestApp::new(backend).await;
    publish(&app, "etude");
    let with_headers = |headers: Vec<(String, String)>| {
        let mut request = TestRequest::get().uri("/api/v1/publications/etude");
        for header in headers {
            request = request.append_header(header);
        }
        request
    };
    let numbered = |count: usize, size: usize| -> Vec<(String, String)> {
        (0..count).map(|index| (format!("x-extra-{index}"), "v".repeat(size))).collect()
    };
    // 64 fields are read, 65 are too many.
    let answer = app.call(with_headers(numbered(64, 10))).await;
    assert_eq!(answer.status, 200, "{}", String::from_utf8_lossy(&answer.body));
    let problem = app.call(with_headers(numbered(65, 10))).await.problem(431, "HEADERS_TOO_LARGE");
    assert!(problem["detail"].as_str().unwrap().starts_with("the request has 65 header fields"), "{problem}");
    // 32 KiB in all are read, one byte more is too long, in one field or in several.
    let exact = vec![("x-long".to_owned(), "v".repeat(32 * 1024 - "x-long".len()))];
    let answer = app.call(with_headers(exact)).await;
    assert_eq!(answer.status, 200, "{}", String::from_utf8_lossy(&answer.body));
    let one = vec![("x-long".to_owned(), "v".repeat(32 * 1024 - "x-long".len() + 1))];
    let problem = app.call(with_headers(one)).await.problem(431, "HEADERS_TOO_LARGE");
    assert!(problem["detail"].as_str().unwrap().contains("in 32769 bytes"), "{problem}");
    app.call(with_headers(numbered(20, 2000))).await.problem(431, "HEADERS_TOO_LARGE");

    // The answer to a write carries the same refusal and changes nothing,
    // and the security headers are on it as on every answer.
    let mut request = TestRequest::post()
        .uri("/api/v1/categories")
        .insert_header(("Authorization", format!("Bearer {}", app.token())))
        .insert_header(("Content-Type", "application/json"))
        .set_payload(json!({"name": "Refusée"}).to_string());
    for (name, value) in numbered(70, 5) {
        request = request.append_header((name, value));
    }
    let refused = app.call(request).await;
    refused.problem(431, "HEADERS_TOO_LARGE");
    assert_eq!(refused.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(app.get("/api/v1/categories").await.json()["data"], json!([]));

    // Headers with lists are read within those bounds: 4 000 entity tags,
    // or 2 000 language ranges, cost one pass each.
    let tags = (1000..5000).map(|index| format!("\"{index}\"")).collect::<Vec<_>>().join(",");
    let request = TestRequest::delete()
        .uri("/api/v1/publications/etude")
        .insert_header(("Authorization", format!("Bearer {}", app.token())))
        .insert_header(("If-Match", tags));
    app.call(request).await.problem(412, "PRECONDITION_FAILED");
    let ranges = (0..2000).map(|index| format!("x{index};q=0.5")).collect::<Vec<_>>().join(",");
    let request = TestRequest::get().uri("/api/v1/categories").insert_header(("Accept-Language", ranges));
    assert_eq!(app.call(request).await.status, 200);
}

async fn a_publication_holds_at_most_100_links_and_100_files(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token();
    publish(&app, "etude");
    for index in 0..100 {
        let link = json!({"url": format!("https://example.org/{index}"), "title": format!("Lien {index}")});
        let answer = app.write(Method::POST, "/api/v1/publications/etude/links", &token, link).await;
        assert_eq!(answer.status, 201, "link {index}: {}", String::from_utf8_lossy(&answer.body));
    }
    let version = app.get("/api/v1/publications/etude").await.json()["version"].clone();
    let link = json!({"url": "https://example.org/101", "title": "Un de trop"});
    let problem =
        app.write(Method::POST, "/api/v1/publications/etude/links", &token, link).await.problem(409, "CONFLICT");
    assert!(problem["detail"].as_str().unwrap().contains("has 100 links"), "{problem}");
    let detail = app.get("/api/v1/publications/etude").await.json();
    assert_eq!(detail["links"].as_array().unwrap().len(), 100);
    assert_eq!(detail["version"], version, "the refused link changed nothing");

    for index in 0..100 {
        let request = TestRequest::post()
            .uri(&format!("/api/v1/publications/etude/attachments?role=annex&filename=annexe-{index}.txt"))
            .insert_header(("Authorization", format!("Bearer {token}")))
            .insert_header(("Content-Type", "text/plain"))
            .set_payload(format!("Annexe numéro {index}.\n"));
        let answer = app.call(request).await;
        assert_eq!(answer.status, 201, "file {index}: {}", String::from_utf8_lossy(&answer.body));
    }
    let request = TestRequest::post()
        .uri("/api/v1/publications/etude/attachments?role=annex&filename=de-trop.txt")
        .insert_header(("Authorization", format!("Bearer {token}")))
        .insert_header(("Content-Type", "text/plain"))
        .set_payload("Une de trop.\n");
    let problem = app.call(request).await.problem(409, "CONFLICT");
    assert!(problem["detail"].as_str().unwrap().contains("has 100 attachments"), "{problem}");
    let listed = app.get("/api/v1/publications/etude/attachments").await.json();
    assert_eq!(
        listed["pagination"]["total"].as_i64().or(listed["data"].as_array().map(|data| data.len() as i64)),
        Some(100)
    );
}
