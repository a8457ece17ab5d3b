//! Cross-origin requests: any origin may read, only the configured ones
//! may write.

use actix_cors::Cors;
use actix_web::http::{Method, header};

use crate::config::HttpSettings;

/// How long a browser may keep a preflight's answer (Chromium keeps at
/// most two hours).
const PREFLIGHT_MAX_AGE: usize = 7200;

/// Whether a request, or the request a preflight asks about, only reads.
fn reads(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The CORS policy. A refused origin gets no grant (the browser then
/// refuses), never an error.
pub fn policy(settings: &HttpSettings) -> Cors {
    let writers: Vec<String> = settings
        .cors_origins
        .iter()
        .map(|origin| origin.trim().to_owned())
        .filter(|origin| !origin.is_empty())
        .collect();
    Cors::default()
        .allowed_origin_fn(move |origin, request| {
            let method = if request.method == Method::OPTIONS {
                request
                    .headers()
                    .get(header::ACCESS_CONTROL_REQUEST_METHOD)
                    .and_then(|value| Method::from_bytes(value.as_bytes()).ok())
                    .unwrap_or(Method::OPTIONS)
            } else {
                request.method.clone()
            };
            reads(&method) || origin.to_str().is_ok_and(|origin| writers.iter().any(|allowed| allowed == origin))
        })
        .allowed_methods([
            Method::GET,
            Method::HEAD,
            Method::OPTIONS,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            header::IF_MODIFIED_SINCE,
            header::HeaderName::from_static("x-request-id"),
        ])
        .expose_headers([
            header::ETAG,
            header::LAST_MODIFIED,
            header::LINK,
            header::LOCATION,
            header::RETRY_AFTER,
            header::HeaderName::from_static("x-total-count"),
            header::HeaderName::from_static("x-request-id"),
        ])
        .max_age(PREFLIGHT_MAX_AGE)
        .block_on_origin_mismatch(false)
}
