//! One access log line per request, outermost, so that it sees the final
//! status, the request id and the whole duration. Besides its message (the
//! familiar `peer "METHOD target HTTP/1.1" status bytes duration "agent"`)
//! it carries fields: `request_id`, `method`, `route` (the route's template,
//! never the raw path: `/api/v1/publications/{ref}`), `status`,
//! `duration_ms` and `bytes`; with a token, `token`: its name, who made the
//! request (for a write, its author). Headers are not logged, so no
//! token's secret is.

use std::time::Instant;

use actix_web::Error;
use actix_web::HttpMessage;
use actix_web::body::{BodySize, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;

use crate::change::Author;

pub async fn middleware(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, Error> {
    if !log::log_enabled!(target: "parution::access", log::Level::Info) {
        return next.call(request).await;
    }
    let started = Instant::now();
    let peer = request.peer_addr().map_or_else(|| "-".to_owned(), |address| address.ip().to_string());
    let method = request.method().to_string();
    let target = request.uri().path_and_query().map_or_else(|| request.path().to_owned(), ToString::to_string);
    let version = request.version();
    let agent =
        request.headers().get(header::USER_AGENT).and_then(|value| value.to_str().ok()).unwrap_or("-").to_owned();
    let response = next.call(request).await?;
    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    let route = response.request().match_pattern().unwrap_or_else(|| "-".to_owned());
    let status = response.status().as_u16();
    let bytes = match response.response().body().size() {
        BodySize::Sized(size) => size,
        _ => 0,
    };
    let request_id = response
        .headers()
        .get(super::request_id::X_REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("-")
        .to_owned();
    let message = format!("{peer} \"{method} {target} {version:?}\" {status} {bytes} {duration_ms:.3}ms \"{agent}\"");
    let duration_ms = (duration_ms * 1000.0).round() / 1000.0;
    let (request_id, method, route) = (request_id.as_str(), method.as_str(), route.as_str());
    match response.request().extensions().get::<Author>() {
        Some(Author::Token { name, .. }) => log::info!(
            target: "parution::access",
            request_id, method, route, status, duration_ms, bytes, token = name.as_str();
            "{message}"
        ),
        _ => log::info!(
            target: "parution::access",
            request_id, method, route, status, duration_ms, bytes;
            "{message}"
        ),
    }
    Ok(response)
}
