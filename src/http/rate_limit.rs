//! Rate limiting, off unless `PARUTION_RATE_LIMIT` is set (`600/min`):
//! per token when one is sent, else per client address, taken from
//! `X-Forwarded-For` only when the connection comes from a trusted proxy
//! (`PARUTION_TRUSTED_PROXIES`). While on, every answer carries the IETF
//! draft's `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` and
//! `RateLimit-Policy`; past the limit, a `429` problem with `Retry-After`.
//! The probes (`/health`, `/ready`) and `/metrics` are never limited. The limit is kept
//! in memory, per replica.
//!
//! The bucket is GCRA (`governor`): the limit is also the burst, and one
//! request's worth comes back every window ÷ limit.

use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, ResponseError, web};
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

use crate::config::{Network, RateLimit};
use crate::error::ApiError;

/// Who a request counts against.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Client {
    /// A token, by a hash of it (the secret itself is not kept).
    Token(u128),
    Address(IpAddr),
    Unknown,
}

type Keyed = RateLimiter<Client, DefaultKeyedStateStore<Client>, DefaultClock, StateInformationMiddleware>;

/// The limiter of a process, shared by its workers.
pub struct Limiter {
    limit: RateLimit,
    trusted: Vec<Network>,
    keyed: Keyed,
    checks: AtomicU64,
}

/// How often (in requests) clients that have their whole allowance back are
/// forgotten, so that memory follows the active clients only.
const FORGET_EVERY: u64 = 4096;

impl Limiter {
    pub fn new(limit: RateLimit, trusted: Vec<Network>) -> Self {
        let period = limit.window / limit.requests.get();
        let quota = Quota::with_period(period.max(Duration::from_nanos(1)))
            .expect("a period of at least a nanosecond")
            .allow_burst(limit.requests);
        Self { limit, trusted, keyed: RateLimiter::keyed(quota).with_middleware(), checks: AtomicU64::new(0) }
    }

    /// The client a request counts against.
    fn client(&self, request: &ServiceRequest) -> Client {
        // A malformed Authorization header counts against the address.
        if let Ok(Some(token)) = crate::auth::bearer(request.request()) {
            return Client::Token(xxhash_rust::xxh3::xxh3_128(token.as_bytes()));
        }
        let Some(peer) = request.peer_addr().map(|address| address.ip().to_canonical()) else {
            return Client::Unknown;
        };
        Client::Address(self.forwarded_for(request, peer))
    }

    /// The client's address: the peer, or, when the peer is a trusted proxy,
    /// the nearest address in `X-Forwarded-For` that is not one.
    fn forwarded_for(&self, request: &ServiceRequest, peer: IpAddr) -> IpAddr {
        let trusted = |address: IpAddr| self.trusted.iter().any(|network| network.contains(address));
        if !trusted(peer) {
            return peer;
        }
        let chain: Vec<IpAddr> = request
            .headers()
            .get_all(HeaderName::from_static("x-forwarded-for"))
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .filter_map(|address| address.trim().parse::<IpAddr>().ok())
            .map(|address| address.to_canonical())
            .collect();
        chain
            .iter()
            .rev()
            .copied()
            .find(|address| !trusted(*address))
            .or_else(|| chain.first().copied())
            .unwrap_or(peer)
    }

    /// Counts a request: what to tell the client, or the 429.
    fn check(&self, client: &Client) -> Result<Allowance, ApiError> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % FORGET_EVERY == FORGET_EVERY - 1 {
            self.keyed.retain_recent();
            self.keyed.shrink_to_fit();
        }
        let limit = self.limit.requests.get();
        let per_request = self.limit.window / limit;
        match self.keyed.check_key(client) {
            Ok(snapshot) => {
                let remaining = snapshot.remaining_burst_capacity();
                // Seconds until the whole allowance is back.
                let reset = (per_request * (limit - remaining.min(limit))).as_secs_f64().ceil() as u64;
                Ok(Allowance { remaining, reset })
            }
            Err(not_until) => {
                let wait = not_until.wait_time_from(self.keyed.clock().now());
                let retry_after = wait.as_secs_f64().ceil().max(1.0) as u64;
                Err(ApiError::RateLimited {
                    detail: format!(
                        "more than {limit} requests in {} s from this client; retry in {retry_after} s",
                        self.limit.window.as_secs()
                    ),
                    retry_after,
                })
            }
        }
    }

    fn headers(&self, remaining: u32, reset: u64) -> [(HeaderName, HeaderValue); 4] {
        let limit = self.limit.requests.get();
        [
            (HeaderName::from_static("ratelimit-limit"), HeaderValue::from(limit)),
            (HeaderName::from_static("ratelimit-remaining"), HeaderValue::from(remaining)),
            (HeaderName::from_static("ratelimit-reset"), HeaderValue::from(reset)),
            (
                HeaderName::from_static("ratelimit-policy"),
                HeaderValue::from_str(&format!("{limit};w={}", self.limit.window.as_secs()))
                    .unwrap_or(HeaderValue::from_static("")),
            ),
        ]
    }
}

/// What a client has left.
struct Allowance {
    remaining: u32,
    reset: u64,
}

/// The paths never limited: what load balancers and orchestrators probe.
fn exempt(path: &str) -> bool {
    matches!(path, "/health" | "/ready" | "/metrics")
}

/// Limits requests when a limiter is configured.
pub async fn middleware(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody + 'static>>, Error> {
    let limiter = request.app_data::<web::Data<Option<Limiter>>>().cloned();
    let Some(limiter) = limiter.filter(|limiter| limiter.is_some() && !exempt(request.path())) else {
        return Ok(next.call(request).await?.map_into_left_body());
    };
    let limiter = limiter.as_ref().as_ref().expect("checked above");
    match limiter.check(&limiter.client(&request)) {
        Ok(allowance) => {
            let mut response = next.call(request).await?;
            for (name, value) in limiter.headers(allowance.remaining, allowance.reset) {
                response.headers_mut().insert(name, value);
            }
            Ok(response.map_into_left_body())
        }
        Err(error) => {
            let retry_after = match &error {
                ApiError::RateLimited { retry_after, .. } => *retry_after,
                _ => 1,
            };
            let mut response = error.error_response();
            for (name, value) in limiter.headers(0, retry_after) {
                response.headers_mut().insert(name, value);
            }
            Ok(request.into_response(response).map_into_right_body())
        }
    }
}
