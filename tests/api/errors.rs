use actix_web::test::TestRequest;

use crate::backend_tests;
use crate::helpers::{Backend, TestApp};

backend_tests!(
    bad_query_parameters_are_refused_naming_the_parameter,
    unknown_routes_answer_a_404_problem,
    wrong_methods_answer_a_405_problem_with_allow,
    errors_never_leak_internals,
);

async fn bad_query_parameters_are_refused_naming_the_parameter(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let cases = [
        ("/api/v1/publications?per_page=1000", "per_page", "out_of_range"),
        ("/api/v1/publications?per_page=0", "per_page", "out_of_range"),
        ("/api/v1/publications?per_page=-1", "per_page", "out_of_range"),
        ("/api/v1/publications?page=0", "page", "out_of_range"),
        ("/api/v1/publications?page=abc", "page", "not_an_integer"),
        ("/api/v1/publications?page=", "page", "not_an_integer"),
        ("/api/v1/publications?page=1.5", "page", "not_an_integer"),
        ("/api/v1/publications?page=99999999999999999999", "page", "not_an_integer"),
        ("/api/v1/publications?page=1&page=2", "page", "repeated"),
        ("/api/v1/publications?categroy=x", "categroy", "unknown"),
        ("/api/v1/publications?category=", "category", "empty"),
        ("/api/v1/publications?language=", "language", "empty"),
        ("/api/v1/publications?language=%00", "language", "invalid_language"),
        ("/api/v1/publications?language=fr_FR", "language", "invalid_language"),
        ("/api/v1/categories/etudes-publications/publications?language=x", "language", "invalid_language"),
        ("/api/v1/publications?q=%22%22", "q", "no_terms"),
        ("/api/v1/publications?sort=newest", "sort", "invalid_choice"),
        ("/api/v1/publications?sort=relevance", "sort", "needs_q"),
        ("/api/v1/publications?status=online", "status", "invalid_choice"),
        ("/api/v1/publications?published_after=yesterday", "published_after", "invalid_datetime"),
        ("/api/v1/publications?published_before=2025-13-01", "published_before", "invalid_datetime"),
        ("/api/v1/publications?updated_after=2025-12-01T25:00:00Z", "updated_after", "invalid_datetime"),
        ("/api/v1/publications/1?page=2", "page", "unknown"),
        ("/api/v1/publications/1/links?x=1", "x", "unknown"),
        ("/api/v1/publications/1/related?x=1", "x", "unknown"),
        ("/api/v1/categories?tree=yes", "tree", "not_a_boolean"),
        ("/api/v1/categories?tre=true", "tre", "unknown"),
        ("/api/v1/categories/etudes-publications?tree=true", "tree", "unknown"),
        ("/api/v1/categories/etudes-publications/publications?category=x", "category", "unknown"),
        ("/api/v1/categories/etudes-publications/publications?per_page=101", "per_page", "out_of_range"),
        ("/health?verbose=1", "verbose", "unknown"),
        ("/ready?verbose=1", "verbose", "unknown"),
    ];
    for (uri, parameter, code) in cases {
        let problem = app.get(uri).await.problem(400, "INVALID_PARAMETER");
        assert_eq!(problem["errors"][0]["field"], parameter, "{uri}");
        assert_eq!(problem["errors"][0]["code"], code, "{uri}");
        assert!(problem["detail"].as_str().unwrap().contains(parameter), "{uri}: {problem}");
    }
}

async fn unknown_routes_answer_a_404_problem(backend: Backend) {
    let app = TestApp::new(backend).await;

    for uri in [
        "/",
        "/api",
        "/api/v2/publications",
        "/api/v1/publications/",
        "/api/v1/authors",
        "/api/v1/publications/1/comments",
    ] {
        let problem = app.get(uri).await.problem(404, "NOT_FOUND");
        assert!(problem["detail"].as_str().unwrap().starts_with("no route has the path"), "{uri}");
    }
}

async fn wrong_methods_answer_a_405_problem_with_allow(backend: Backend) {
    let app = TestApp::new(backend).await;

    for (request, uri, allowed) in [
        (TestRequest::delete(), "/api/v1/publications", "GET, HEAD, POST, OPTIONS"),
        (TestRequest::post(), "/api/v1/publications/1", "GET, HEAD, PUT, PATCH, DELETE, OPTIONS"),
        (TestRequest::put(), "/api/v1/publications/1/links", "GET, HEAD, POST, OPTIONS"),
        (TestRequest::put(), "/api/v1/publications/1/links/2", "GET, HEAD, PATCH, DELETE, OPTIONS"),
        (TestRequest::post(), "/api/v1/publications/1/related", "GET, HEAD, OPTIONS"),
        (TestRequest::patch(), "/api/v1/categories", "GET, HEAD, POST, OPTIONS"),
        (TestRequest::post(), "/api/v1/categories/etudes", "GET, HEAD, PUT, PATCH, DELETE, OPTIONS"),
        (TestRequest::delete(), "/api/v1/categories/etudes/publications", "GET, HEAD, OPTIONS"),
        (TestRequest::post(), "/health", "GET, HEAD, OPTIONS"),
        (TestRequest::post(), "/openapi.json", "GET, HEAD, OPTIONS"),
    ] {
        let answer = app.call(request.uri(uri)).await;
        answer.problem(405, "METHOD_NOT_ALLOWED");
        assert_eq!(answer.header("allow"), Some(allowed), "{uri}");
    }
}

async fn errors_never_leak_internals(backend: Backend) {
    let app = TestApp::new(backend).await;

    for uri in [
        "/api/v1/publications/'%20OR%201=1",
        "/api/v1/publications?category=%27%3B%20DROP%20TABLE%20publications",
        "/api/v1/categories/%00",
        "/api/v1/publications/%00",
        "/api/v1/publications/%00/links",
        "/api/v1/publications/%FF%FE",
    ] {
        let answer = app.get(uri).await;
        assert!(answer.status.is_client_error(), "{uri}: {}", answer.status);
        let text = String::from_utf8_lossy(&answer.body).to_lowercase();
        for leak in ["select", "sqlite", "postgres", "diesel", "/src/", "panicked"] {
            assert!(!text.contains(leak), "{uri} leaks {leak}: {text}");
        }
    }
    let still_there = app.get("/api/v1/publications").await;
    assert_eq!(still_there.status, 200);
}
