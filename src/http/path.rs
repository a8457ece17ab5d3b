//! The `{ref}` of a path: an id or a slug, parsed once, and a former slug
//! turned into a redirect to the current URL.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::Method;
use actix_web::{FromRequest, HttpRequest};

use crate::db::DbConnection;
use crate::domain::Reference;
use crate::error::ApiError;
use crate::publications::visibility::Viewer;
use crate::slug_history::{self, Kind};

/// Where `{ref}` sits in every path that has one:
/// `/api/v1/{publications|categories}/{ref}/…`.
const REF_SEGMENT: usize = 4;

/// The `{ref}` of the request's path.
#[derive(Clone, Debug)]
pub struct PathRef {
    pub reference: Reference,
    kind: Kind,
    /// The path and query, to build the current URL when redirecting.
    path: String,
    query: String,
    keep_method: bool,
}

impl FromRequest for PathRef {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Self::from_path(request))
    }
}

impl PathRef {
    fn from_path(request: &HttpRequest) -> Result<Self, ApiError> {
        let kind = match request.path().split('/').nth(REF_SEGMENT - 1) {
            Some("categories") => Kind::Category,
            _ => Kind::Publication,
        };
        let raw = request.match_info().get("ref").unwrap_or_default();
        let reference = Reference::parse_or_not_found(raw, kind.noun())?;
        Ok(Self {
            reference,
            kind,
            path: request.path().to_owned(),
            query: request.query_string().to_owned(),
            keep_method: !matches!(*request.method(), Method::GET | Method::HEAD),
        })
    }

    /// Runs `work` on the reference. When it finds nothing and the
    /// reference is a former slug of an item that `viewer` may see, the
    /// answer is a redirect to that item's current URL instead; when it
    /// names a publication that has expired (by id, slug or former slug),
    /// a 410.
    pub fn resolve<T>(
        &self,
        connection: &mut DbConnection,
        viewer: &Viewer,
        work: impl FnOnce(&mut DbConnection, &Reference) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        match work(connection, &self.reference) {
            Err(ApiError::NotFound(message)) => {
                if let Reference::Slug(former) = &self.reference
                    && let Some(current) = slug_history::current_slug(connection, self.kind, former, viewer)?
                {
                    return Err(self.moved_to(&current));
                }
                if self.kind == Kind::Publication
                    && !viewer.access.is_editor()
                    && let Some((slug, at)) = slug_history::expired_publication(connection, &self.reference, viewer.at)?
                {
                    let at = at.and_utc().to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
                    return Err(ApiError::Expired(format!("the publication '{slug}' left public view at {at}")));
                }
                Err(ApiError::NotFound(message))
            }
            other => other,
        }
    }

    fn moved_to(&self, slug: &str) -> ApiError {
        let mut segments: Vec<&str> = self.path.split('/').collect();
        if let Some(segment) = segments.get_mut(REF_SEGMENT) {
            *segment = slug;
        }
        let mut location = segments.join("/");
        if !self.query.is_empty() {
            location.push('?');
            location.push_str(&self.query);
        }
        ApiError::Moved {
            location,
            detail: format!("this {}'s slug is now '{slug}'", self.kind.noun()),
            keep_method: self.keep_method,
        }
    }
}
