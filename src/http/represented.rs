//! One answer for every represented resource: its bytes, its validators
//! (`ETag`, `Last-Modified`), who may cache it (`Cache-Control`, `Vary`),
//! and the `304` that a matching `If-None-Match` or `If-Modified-Since`
//! earns.
//!
//! The `ETag` is a hash of the bytes sent (XXH3, 128 bits). A validator
//! built from what an answer depends on (the item's version, its
//! categories' and its links' targets' versions, who asks, the time for
//! scheduled content) must be kept in step with every new dependency and
//! goes wrong silently when one is missed; the hash of the bytes changes
//! exactly when the bytes do. Measured on the seed article (4.2 KiB): 150 ns
//! to hash, against 2.7 µs to serialise it and hundreds of microseconds to
//! read it from the database. An item's tag starts with its `version`
//! (`"3-…"`), which is what `If-Match` compares: a write conflicts with
//! another change to the item, not with the rename of one of its
//! categories.
//!
//! `Last-Modified` is when the catalogue last changed (a time the database
//! keeps, never the clock at answer time): never earlier than the change
//! that made these bytes, so `If-Modified-Since` never hides one. Content
//! that becomes visible at an instant without a write (scheduled
//! publishing) will have to raise it to that instant; the `ETag`, a hash of
//! the bytes, needs nothing.

use actix_web::http::header::{self, HeaderName, HeaderValue, HttpDate};
use actix_web::http::{Method, StatusCode};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, Responder, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::NaiveDateTime;
use serde::Serialize;

use crate::auth::Access;
use crate::change::Dependencies;
use crate::config::HttpSettings;
use crate::db::CatalogueState;
use crate::error::ApiError;

const JSON: &str = "application/json";

/// A represented resource, ready to be answered.
#[derive(Clone)]
pub struct Represented {
    status: StatusCode,
    content_type: &'static str,
    body: Bytes,
    /// The entity tag, without its quotes.
    tag: String,
    last_modified: Option<NaiveDateTime>,
    /// The instant it was made at, when it was made from a catalogue state.
    made_at: Option<NaiveDateTime>,
    /// When it may change without a write (the next scheduled release or
    /// expiry): no cache may keep it past that instant.
    fresh_until: Option<NaiveDateTime>,
    access: Access,
    headers: Vec<(HeaderName, HeaderValue)>,
    /// What it shows: what a cache must know to tell when it is stale.
    dependencies: Dependencies,
}

/// How long anonymous reads and redirects may be cached, from the app's
/// settings.
pub fn max_age(settings: Option<&web::Data<HttpSettings>>) -> u32 {
    settings.map_or(HttpSettings::DEFAULT_MAX_AGE, |settings| settings.cache_max_age)
}

/// The opaque part of an entity tag: a hash of `bytes`.
fn digest(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(xxhash_rust::xxh3::xxh3_128(bytes).to_be_bytes())
}

impl Represented {
    /// `body` as JSON, for `access`.
    pub fn json(body: &impl Serialize, access: Access) -> Result<Self, ApiError> {
        let body = serde_json::to_vec(body).map_err(ApiError::internal)?;
        Ok(Self::bytes(JSON, body, access))
    }

    /// Bytes of any media type, for `access`.
    pub fn bytes(content_type: &'static str, body: Vec<u8>, access: Access) -> Self {
        Self {
            status: StatusCode::OK,
            content_type,
            tag: digest(&body),
            body: body.into(),
            last_modified: None,
            made_at: None,
            fresh_until: None,
            access,
            headers: Vec::new(),
            dependencies: Dependencies::anything(),
        }
    }

    /// What the answer shows, so that a cache keeps it through changes that
    /// could not alter it (without this, any change does).
    pub fn depends_on(mut self, dependencies: Dependencies) -> Self {
        self.dependencies = dependencies;
        self
    }

    pub fn dependencies(&self) -> &Dependencies {
        &self.dependencies
    }

    /// An item at `version`: its tag starts with the version, which
    /// `If-Match` compares.
    pub fn at_version(mut self, version: i32) -> Self {
        self.tag = format!("{version}-{}", self.tag);
        self
    }

    /// When what the answer is made of last changed.
    pub fn modified_at(mut self, at: NaiveDateTime) -> Self {
        self.last_modified = Some(at);
        self
    }

    /// Made from the catalogue as `state` found it: modified when it last
    /// changed (a write, or a release or expiry since), and kept by no
    /// cache past its next release or expiry.
    pub fn as_of(mut self, state: &CatalogueState) -> Self {
        self.last_modified = Some(state.modified_at());
        self.made_at = Some(state.at);
        self.fresh_until = state.next_transition;
        self
    }

    /// The instant it was made at, when it was made from a catalogue state.
    pub fn made_at(&self) -> Option<NaiveDateTime> {
        self.made_at
    }

    /// The same answer, served again from a cache at `state`: kept by no
    /// cache past the next transition `state` knows of (a write since it
    /// was made may have scheduled one, without altering it).
    pub fn served_at(mut self, state: &CatalogueState) -> Self {
        self.fresh_until = state.next_transition;
        self
    }

    /// How long a cache may keep it from now: `max_age`, or less when a
    /// release or expiry comes sooner.
    pub fn max_age(&self, max_age: u32) -> u32 {
        self.fresh_until.map_or(max_age, |until| max_age.min(crate::db::seconds_until(until, crate::db::now())))
    }

    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    pub fn with_header(mut self, name: HeaderName, value: impl TryInto<HeaderValue>) -> Self {
        if let Ok(value) = value.try_into() {
            self.headers.push((name, value));
        }
        self
    }

    /// How many bytes it takes to keep.
    pub fn weight(&self) -> usize {
        let headers: usize = self.headers.iter().map(|(name, value)| name.as_str().len() + value.len()).sum();
        let dependencies = self.dependencies.weight();
        self.body.len() + self.tag.len() + headers + dependencies + std::mem::size_of::<Self>()
    }

    /// The `ETag` header's value.
    pub fn etag(&self) -> String {
        format!("\"{}\"", self.tag)
    }

    /// Whether the client's copy is current (RFC 9110, 13.1.2 and 13.1.3):
    /// `If-None-Match` when sent (weak comparison, `*` for any), else
    /// `If-Modified-Since`.
    fn not_modified(&self, request: &HttpRequest) -> bool {
        let headers = request.headers();
        let tags: Vec<&str> = headers
            .get_all(header::IF_NONE_MATCH)
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .collect();
        if !tags.is_empty() {
            let opaque = |tag: &str| tag.strip_prefix("W/").unwrap_or(tag).to_owned();
            let ours = self.etag();
            return tags.iter().any(|tag| *tag == "*" || opaque(tag) == ours);
        }
        let since = headers.get(header::IF_MODIFIED_SINCE).and_then(|value| value.to_str().ok());
        match (since.and_then(|since| since.parse::<HttpDate>().ok()), self.last_modified) {
            (Some(since), Some(modified)) => {
                let since = std::time::SystemTime::from(since);
                let modified = std::time::SystemTime::from(modified.and_utc());
                // HTTP dates count whole seconds.
                modified.duration_since(std::time::UNIX_EPOCH).map(|at| at.as_secs()).unwrap_or_default()
                    <= since.duration_since(std::time::UNIX_EPOCH).map(|at| at.as_secs()).unwrap_or_default()
            }
            _ => false,
        }
    }
}

impl Responder for Represented {
    type Body = actix_web::body::BoxBody;

    fn respond_to(self, request: &HttpRequest) -> HttpResponse {
        let max_age = self.max_age(max_age(request.app_data::<web::Data<HttpSettings>>()));
        let read = self.status == StatusCode::OK && matches!(*request.method(), Method::GET | Method::HEAD);
        // In the last second before a transition, the whole answer rather
        // than a 304: a shared cache that revalidates gets `max-age=0` on a
        // 304 and keeps its copy for the max-age that copy came with
        // (nginx does), past the transition.
        let transition_imminent =
            self.fresh_until.is_some_and(|until| crate::db::seconds_until(until, crate::db::now()) == 0);
        let status = if read && !transition_imminent && self.not_modified(request) {
            StatusCode::NOT_MODIFIED
        } else {
            self.status
        };
        // What anybody may be given, the response cache may keep.
        let shareable = read && self.access == Access::Public;
        let mut response = HttpResponse::build(status);
        if shareable {
            response.extensions_mut().insert(Shareable(self.clone()));
        }
        response.insert_header((header::ETAG, self.etag()));
        if let Some(modified) = self.last_modified {
            let modified = std::time::SystemTime::from(modified.and_utc());
            response.insert_header((header::LAST_MODIFIED, HttpDate::from(modified)));
        }
        let cache_control = match self.access {
            Access::Editor => "private, no-store".to_owned(),
            Access::Public if read => format!("public, max-age={max_age}"),
            Access::Public => "no-store".to_owned(),
        };
        response.insert_header((header::CACHE_CONTROL, cache_control));
        // The same URL answers differently with a token, in another
        // encoding, and (its category names) in another language.
        response.insert_header((header::VARY, "Accept-Encoding, Accept-Language, Authorization"));
        for (name, value) in self.headers {
            response.append_header((name, value));
        }
        if status == StatusCode::NOT_MODIFIED {
            return response.finish();
        }
        response.content_type(self.content_type).body(self.body)
    }
}

/// A copy of an answer anybody may be given, left on the response for the
/// response cache.
pub struct Shareable(pub Represented);
