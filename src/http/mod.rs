//! The HTTP layer: what applies to every response, wired once in
//! `startup::app` so that no handler sets these headers itself.
//!
//! From the outside in: the access log, the request id, `finish` (URI
//! length, preflight status, cache policy of redirects and errors, one
//! `Vary`), CORS, the rate limit (when configured), compression (`Compress`, skipped for tiny bodies), the
//! choice of database (anonymous reads go to the read replica when there is
//! one), the response cache (anonymous reads kept until the catalogue
//! changes), then the routes. Handlers answer represented resources through
//! [`represented::Represented`], which sets the validators and answers 304.

pub mod access_log;
pub mod cors;
pub mod language;
pub mod path;
pub mod rate_limit;
pub mod read_replica;
pub mod represented;
pub mod request_id;
pub mod response_cache;

use std::collections::HashSet;
use std::future::Future;

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::{Error, HttpResponse, ResponseError, web};

use self::represented::max_age;
use self::response_cache::ResponseCache;
use crate::config::HttpSettings;
use crate::db;
use crate::error::ApiError;

/// Bodies smaller than this are sent as they are: below one packet,
/// compressing saves no round trip and costs CPU on both sides.
pub const MIN_COMPRESSED_SIZE: u64 = 1024;

/// The longest request target answered; a longer one is a 414. It holds
/// the longest list query the document allows (50 categories, a 200-character
/// search, a cursor), percent-encoded.
pub const MAX_URI_LENGTH: usize = 16 * 1024;

/// The most header fields a request may have, and their most bytes in
/// all (names and values), `X-Request-Id` aside: more is a 431 problem. Past 96 fields or
/// 128 KiB the HTTP layer itself refuses the request (a 431 without a
/// body) before it reaches this.
pub const MAX_HEADERS: usize = 64;
pub const MAX_HEADER_BYTES: usize = 32 * 1024;

/// How long a 404 or a 410 may be cached: a draft published a moment
/// later must not stay hidden behind it.
const NOT_FOUND_MAX_AGE: u32 = 5;

/// Marks a tiny body so that `Compress`, which runs outside this, leaves it
/// as it is; `finish` removes the mark before the answer leaves.
pub fn skip_tiny_bodies<S, B>(
    request: ServiceRequest,
    service: &S,
) -> impl Future<Output = Result<ServiceResponse<B>, Error>> + use<S, B>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody,
{
    let response = service.call(request);
    async move {
        let mut response = response.await?;
        let tiny = matches!(response.response().body().size(), actix_web::body::BodySize::Sized(size) if size < MIN_COMPRESSED_SIZE);
        if tiny && !response.headers().contains_key(header::CONTENT_ENCODING) {
            response.headers_mut().insert(header::CONTENT_ENCODING, HeaderValue::from_static("identity"));
        }
        Ok(response)
    }
}

/// A request refused before it is read: a target of `length` bytes over
/// [`MAX_URI_LENGTH`] (414), headers over [`MAX_HEADERS`] or
/// [`MAX_HEADER_BYTES`] (431).
fn refusal(request: &ServiceRequest, length: usize) -> Option<ApiError> {
    if length > MAX_URI_LENGTH {
        return Some(ApiError::UriTooLong { length, limit: MAX_URI_LENGTH });
    }
    // X-Request-Id aside: the server gives every request one before this.
    let fields = request.headers().iter().filter(|(name, _)| **name != request_id::X_REQUEST_ID);
    let (count, bytes) =
        fields.fold((0, 0), |(count, bytes), (name, value)| (count + 1, bytes + name.as_str().len() + value.len()));
    (count > MAX_HEADERS || bytes > MAX_HEADER_BYTES).then_some(ApiError::HeadersTooLarge {
        count,
        bytes,
        max_count: MAX_HEADERS,
        max_bytes: MAX_HEADER_BYTES,
    })
}

/// What every answer gets on its way out: a 414 for an overlong target,
/// a 431 for too many or too long headers,
/// 204 for preflights (and no grant, rather than an error, for a refused
/// one), the cache policy of redirects and errors, one `Vary` header, and
/// the security headers ([`secure`]).
pub fn finish<S, B>(
    request: ServiceRequest,
    service: &S,
) -> impl Future<Output = Result<ServiceResponse<EitherBody<B, BoxBody>>, Error>> + use<S, B>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody,
{
    let max_age = max_age(request.app_data::<web::Data<HttpSettings>>());
    let read = matches!(*request.method(), Method::GET | Method::HEAD);
    let cache = request.app_data::<web::Data<ResponseCache>>().filter(|_| read).cloned();
    // Before the answer is made: a transition after this may have come
    // before the answer did.
    let started = db::now();
    let preflight =
        request.method() == Method::OPTIONS && request.headers().contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    let page = if request.path().starts_with("/docs") { Page::Docs } else { Page::Api };
    let uri = request.uri();
    let length = uri.path().len() + uri.query().map_or(0, |query| query.len() + 1);
    let refused = refusal(&request, length);
    let next = match refused {
        Some(error) => Err((request, error)),
        None => Ok(service.call(request)),
    };
    async move {
        let mut response = match next {
            Ok(call) => call.await?.map_into_left_body(),
            Err((request, error)) => request.into_response(error.error_response()).map_into_right_body(),
        };
        if preflight {
            let granted =
                response.status().is_success() && response.headers().contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN);
            if granted {
                *response.response_mut().status_mut() = StatusCode::NO_CONTENT;
            } else {
                // No grant is the whole answer: the browser refuses the
                // request, and nothing looks like a fault of the server.
                let mut refused = HttpResponse::NoContent();
                refused.insert_header((
                    header::VARY,
                    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
                ));
                response = response.into_response(refused.finish().map_into_right_body());
            }
        }
        let headers = response.headers_mut();
        if headers.get(header::CONTENT_ENCODING).is_some_and(|value| value == "identity") {
            headers.remove(header::CONTENT_ENCODING);
        }
        if !headers.contains_key(header::CACHE_CONTROL) {
            // A redirect, a 404 or a 410 may change at the next release or
            // expiry (a former slug of a scheduled publication, one that
            // expires): kept no longer than that, as the catalogue's state
            // says (one read for every such answer waiting on it).
            let shareable = matches!(
                response.status(),
                StatusCode::MOVED_PERMANENTLY
                    | StatusCode::PERMANENT_REDIRECT
                    | StatusCode::NOT_FOUND
                    | StatusCode::GONE
            );
            let state = match cache.filter(|_| shareable) {
                Some(cache) => cache.current().await,
                None => None,
            };
            let max_age = match state {
                // A transition came while the answer was made: it may show
                // the catalogue from before it.
                Some(state) if state.last_transition.is_some_and(|last| last > started) => 0,
                Some(state) => {
                    state.next_transition.map_or(max_age, |next| max_age.min(db::seconds_until(next, db::now())))
                }
                None => max_age,
            };
            let policy = match response.status() {
                StatusCode::MOVED_PERMANENTLY | StatusCode::PERMANENT_REDIRECT => {
                    Some(format!("public, max-age={max_age}"))
                }
                StatusCode::NOT_FOUND | StatusCode::GONE => {
                    Some(format!("public, max-age={}", max_age.min(NOT_FOUND_MAX_AGE)))
                }
                StatusCode::NOT_MODIFIED => None,
                status if status.as_u16() >= 300 => Some("no-store".to_owned()),
                _ => None,
            };
            if let Some(policy) = policy.and_then(|policy| HeaderValue::from_str(&policy).ok()) {
                response.headers_mut().insert(header::CACHE_CONTROL, policy);
            }
        }
        merge_vary(response.headers_mut());
        secure(response.headers_mut(), page);
        Ok(response)
    }
}

/// What an answer is, for its content security policy.
#[derive(Clone, Copy)]
enum Page {
    /// The interactive documentation: Swagger UI, its scripts and styles
    /// served by the binary itself.
    Docs,
    /// Everything else: data, never a page to render.
    Api,
}

/// The policy of API answers: nothing may load, run or frame them.
pub const API_POLICY: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// The policy of `/docs`: Swagger UI's own scripts, styles (and the style
/// attributes it sets), fonts and images from the binary, its inline SVG
/// icons, and requests to this origin (the document, "Try it out");
/// nothing from elsewhere, and no framing.
pub const DOCS_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; \
    form-action 'none'";

/// The security headers every answer gets, errors and `304`s included:
/// never sniffed into another type, never framed, no `Referer` leaving
/// with its URL, and readable from other origins (reads are public; CORS
/// decides what a browser script may do).
fn secure(headers: &mut header::HeaderMap, page: Page) {
    let policy = match page {
        Page::Docs => DOCS_POLICY,
        Page::Api => API_POLICY,
    };
    for (name, value) in [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CONTENT_SECURITY_POLICY, policy),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::CROSS_ORIGIN_RESOURCE_POLICY, "cross-origin"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
}

/// Folds every `Vary` header into one, each name once.
fn merge_vary(headers: &mut header::HeaderMap) {
    let mut seen = HashSet::new();
    let names: Vec<String> = headers
        .get_all(header::VARY)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .filter(|name| !name.is_empty() && seen.insert(name.to_ascii_lowercase()))
        .map(str::to_owned)
        .collect();
    if let Ok(value) = HeaderValue::from_str(&names.join(", "))
        && !names.is_empty()
    {
        headers.insert(header::VARY, value);
    }
}
