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
    pub fn from_request(request: &HttpRequest) -> Result<Self, ApiError> {
        let headers: Vec<_> = request.headers().get_all(header::IF_MATCH).collect();
        if headers.is_empty() {
            return Ok(Self::Absent);
        }
        // A value that is not a list of entity tags matches no version: the
        // write is refused (412) rather than made without its condition.
        let values: Vec<&str> = headers.iter().filter_map(|value| value.to_str().ok()).collect();
        let tags: Vec<&str> = values.iter().flat_map(|value| value.split(',')).map(str::trim).collect();
        // `*` stands alone (RFC 9110); in a list it is malformed.
        if tags == ["*"] {
            return Ok(Self::Any);
        }
        // Weak tags never match: If-Match compares strongly (RFC 9110).
        // A tag that is not one of ours matches nothing either. What is
        // compared is the version before the dash: the rest changes with
        // what the answer shows of other resources (a category's name, a
        // link target's title), which a write does not conflict with. A
        // bare version ("3") is accepted too.
        Ok(Self::Versions(
            tags.iter()
                .filter_map(|tag| {
                    let opaque = tag.strip_prefix('"')?.strip_suffix('"')?;
                    opaque.split_once('-').map_or(opaque, |(version, _)| version).parse().ok()
                })
                .collect(),
        ))
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
        ready(Self::from_request(request))
    }
}
