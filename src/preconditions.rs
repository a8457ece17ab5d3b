//! Entity tags and `If-Match`: every single resource carries an `ETag`
//! derived from its `version`; a write that names a stale one is refused.

use actix_web::HttpRequest;
use actix_web::http::header;

use crate::error::ApiError;

/// The `ETag` of a resource at `version`.
pub fn etag(version: i32) -> String {
    format!("\"{version}\"")
}

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
        // A tag that is not one of ours matches nothing either.
        Self::Versions(tags.iter().filter_map(|tag| tag.strip_prefix('"')?.strip_suffix('"')?.parse().ok()).collect())
    }

    /// Refuses the write unless the resource, now at `version`, matches.
    pub fn check(&self, version: i32) -> Result<(), ApiError> {
        match self {
            Self::Versions(versions) if !versions.contains(&version) => Err(ApiError::PreconditionFailed(format!(
                "If-Match does not match the current version {}; fetch it again",
                etag(version)
            ))),
            _ => Ok(()),
        }
    }
}
