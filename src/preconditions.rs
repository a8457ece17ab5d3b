//! `If-Match`: a single resource's `ETag` starts with its `version`
//! (`"3-…"`, see `http::represented`); a write that names a stale version
//! is refused.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest};

use crate::error::ApiError;

/// What `If-Match` asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IfMatch {
    /// No `If-Match`: the write applies to whatever is current.
    Absent,
    /// `If-Match: *`: the resource must exist.
    Any,
    /// The resource must be at one of these versions.
    Versions(Vec<i32>),
}

impl IfMatch {
    pub fn from_request(request: &HttpRequest) -> Self {
        let values: Vec<&str> =
            request.headers().get_all(header::IF_MATCH).filter_map(|value| value.to_str().ok()).collect();
        if values.is_empty() {
            return Self::Absent;
        }
        let tags: Vec<&str> = values.iter().flat_map(|value| value.split(',')).map(str::trim).collect();
        if tags.contains(&"*") {
            return Self::Any;
        }
        // Weak tags never match: If-Match compares strongly (RFC 9110).
        // A tag that is not one of ours matches nothing either. What is
        // compared is the version before the dash: the rest changes with
        // what the answer shows of other resources (a category's name, a
        // link target's title), which a write does not conflict with. A
        // bare version ("3") is accepted too.
        Self::Versions(
            tags.iter()
                .filter_map(|tag| {
                    let opaque = tag.strip_prefix('"')?.strip_suffix('"')?;
                    opaque.split_once('-').map_or(opaque, |(version, _)| version).parse().ok()
                })
                .collect(),
        )
    }

    /// Refuses the write unless the resource, now at `version`, matches.
    pub fn check(&self, version: i32) -> Result<(), ApiError> {
        match self {
            Self::Versions(versions) if !versions.contains(&version) => Err(ApiError::PreconditionFailed(format!(
                "If-Match does not match the current version ({version}); fetch the resource again and send its ETag"
            ))),
            _ => Ok(()),
        }
    }
}

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Self::from_request(request)))
    }
}
