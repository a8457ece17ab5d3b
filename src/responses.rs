//! Answers about one resource: its body, its `ETag`, and who may cache it.

use actix_web::http::header;
use actix_web::{HttpResponse, HttpResponseBuilder};
use serde::Serialize;

use crate::auth::Access;
use crate::preconditions::etag;

/// Marks an answer read with a token as private: no shared cache may keep
/// what only a token holder may see.
pub fn cache_for(builder: &mut HttpResponseBuilder, access: Access) {
    if access.is_editor() {
        builder.insert_header((header::CACHE_CONTROL, "private, no-store"));
    }
}

/// One resource at `version`, with its `ETag`.
pub fn resource<T: Serialize>(
    mut builder: HttpResponseBuilder,
    version: i32,
    access: Access,
    body: &T,
) -> HttpResponse {
    builder.insert_header((header::ETAG, etag(version)));
    cache_for(&mut builder, access);
    builder.json(body)
}
