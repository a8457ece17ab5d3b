//! HTTP handlers for links.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};

use crate::auth::{Access, Editor};
use crate::body::{JsonObject, MergePatch};
use crate::db::{self, DbConnection, Pool};
use crate::domain::Reference;
use crate::error::{
    ApiError, BadRequest, BodyErrors, NotFound, OrNotFound, PreconditionFailed, Unauthorized, Unavailable,
};
use crate::preconditions::IfMatch;
use crate::publications::handlers::find_id;
use crate::query::QueryParams;
use crate::responses::{cache_for, resource};

use super::dto::{Link, Links};
use super::input::LinkInput;
use super::{queries, writes};

/// List a publication's links
///
/// The related links of a publication, ordered by `position`. Without a
/// token, links to publications that are not published are left out.
#[utoipa::path(
    tag = "links",
    params(("ref" = String, Path, description = "The publication's id or slug.",
        example = "concertation-fournisseurs-ia-ayants-droit")),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The publication's links.", body = Links),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    )
)]
#[get("/publications/{ref}/links")]
pub async fn list_publication_links(
    pool: web::Data<Pool>,
    access: Access,
    path: web::Path<String>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    QueryParams::parse(request.query_string(), &[])?;
    let reference = Reference::parse_or_not_found(&path, "publication")?;
    let data = db::run(&pool, move |connection| {
        let id = find_id(connection, &reference, access)?;
        Ok(queries::of_publication(connection, id, access)?)
    })
    .await?;
    let mut response = HttpResponse::Ok();
    cache_for(&mut response, access);
    Ok(response.json(Links { data }))
}

/// One link as `access` may see it, or a 404.
fn find(connection: &mut DbConnection, publication_id: i32, id: i32, access: Access) -> Result<Link, ApiError> {
    let not_found = || ApiError::NotFound(format!("publication {publication_id} has no link {id}"));
    queries::one(connection, publication_id, id, access).or_not_found(not_found)?.ok_or_else(not_found)
}

/// Get a link
///
/// One link of a publication, with its `ETag` for `If-Match`. Without a
/// token, a link to a publication that is not published is not found.
#[utoipa::path(
    tag = "links",
    params(
        ("ref" = String, Path, description = "The publication's id or slug.", example = "concertation-fournisseurs-ia-ayants-droit"),
        ("link_id" = i32, Path, description = "The link's id."),
    ),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The link.", body = Link,
            headers(("ETag" = String, description = "The link's version, for `If-Match`."))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    )
)]
#[get("/publications/{ref}/links/{link_id}")]
pub async fn get_publication_link(
    pool: web::Data<Pool>,
    access: Access,
    path: web::Path<(String, String)>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    QueryParams::parse(request.query_string(), &[])?;
    let (publication, link) = path.into_inner();
    let reference = Reference::parse_or_not_found(&publication, "publication")?;
    let link_id = Reference::id_or_not_found(&link, "link")?;
    let link = db::run(&pool, move |connection| {
        let publication_id = find_id(connection, &reference, access)?;
        find(connection, publication_id, link_id, access)
    })
    .await?;
    Ok(resource(HttpResponse::Ok(), link.version, access, &link))
}

/// Add a link to a publication
///
/// Exactly one of `url` (an absolute http or https URL) and `target`
/// (another publication) is given. Without `position`, the link goes after
/// the last one. The publication's `version` goes up.
#[utoipa::path(
    tag = "links",
    params(("ref" = String, Path, description = "The publication's id or slug.")),
    request_body(content = LinkInput, content_type = "application/json"),
    security(("bearer" = [])),
    responses(
        BodyErrors,
        (status = 201, description = "The link was added.", body = Link,
            headers(
                ("Location" = String, description = "The new link's URL."),
                ("ETag" = String, description = "The link's version, for `If-Match`."),
            )),
        (status = 404, response = NotFound),
    )
)]
#[post("/publications/{ref}/links")]
pub async fn create_publication_link(
    pool: web::Data<Pool>,
    editor: Editor,
    path: web::Path<String>,
    request: HttpRequest,
    body: JsonObject,
) -> Result<HttpResponse, ApiError> {
    QueryParams::parse(request.query_string(), &[])?;
    let reference = Reference::parse_or_not_found(&path, "publication")?;
    let input = LinkInput::from_json(body.0)?;
    let (publication_id, link) = db::run(&pool, move |connection| {
        db::write_transaction(connection, |connection| {
            let (publication_id, id) = writes::create(connection, &reference, input)?;
            Ok((publication_id, find(connection, publication_id, id, Access::Editor)?))
        })
    })
    .await?;
    log::info!("token {} added link {} to publication {publication_id}", editor.token_id, link.id);
    let mut created = HttpResponse::Created();
    created.insert_header((header::LOCATION, format!("/api/v1/publications/{publication_id}/links/{}", link.id)));
    Ok(resource(created, link.version, Access::Editor, &link))
}

/// Patch a link
///
/// A JSON Merge Patch (RFC 7396), sent as `application/merge-patch+json` or
/// `application/json`. Giving `url` replaces `target` and the other way
/// round. Honours `If-Match`; the publication's `version` goes up.
#[utoipa::path(
    tag = "links",
    params(
        ("ref" = String, Path, description = "The publication's id or slug."),
        ("link_id" = i32, Path, description = "The link's id."),
        ("If-Match" = Option<String>, Header, description = "The link's `ETag` the change is based on; a stale one is a 412."),
    ),
    request_body(content(
        (LinkInput = "application/merge-patch+json", example = json!({"position": 0, "title": "Le rapport"})),
        (LinkInput = "application/json"),
    )),
    security(("bearer" = [])),
    responses(
        BodyErrors,
        (status = 200, description = "The link as patched.", body = Link,
            headers(("ETag" = String, description = "The link's new version."))),
        (status = 404, response = NotFound),
        (status = 412, response = PreconditionFailed),
    )
)]
#[patch("/publications/{ref}/links/{link_id}")]
pub async fn patch_publication_link(
    pool: web::Data<Pool>,
    editor: Editor,
    path: web::Path<(String, String)>,
    request: HttpRequest,
    body: MergePatch,
) -> Result<HttpResponse, ApiError> {
    QueryParams::parse(request.query_string(), &[])?;
    let (publication, link) = path.into_inner();
    let reference = Reference::parse_or_not_found(&publication, "publication")?;
    let id = Reference::id_or_not_found(&link, "link")?;
    let if_match = IfMatch::from_request(&request);
    let link = db::run(&pool, move |connection| {
        db::write_transaction(connection, |connection| {
            let publication_id = writes::patch(connection, &reference, id, &if_match, body)?;
            find(connection, publication_id, id, Access::Editor)
        })
    })
    .await?;
    log::info!("token {} patched link {id} of publication {publication}", editor.token_id);
    Ok(resource(HttpResponse::Ok(), link.version, Access::Editor, &link))
}

/// Delete a link
///
/// Honours `If-Match`; the publication's `version` goes up.
#[utoipa::path(
    tag = "links",
    params(
        ("ref" = String, Path, description = "The publication's id or slug."),
        ("link_id" = i32, Path, description = "The link's id."),
        ("If-Match" = Option<String>, Header, description = "The link's `ETag` the deletion is based on; a stale one is a 412."),
    ),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "The link was deleted."),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 412, response = PreconditionFailed),
        (status = 503, response = Unavailable),
    )
)]
#[delete("/publications/{ref}/links/{link_id}")]
pub async fn delete_publication_link(
    pool: web::Data<Pool>,
    editor: Editor,
    path: web::Path<(String, String)>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    QueryParams::parse(request.query_string(), &[])?;
    let (publication, link) = path.into_inner();
    let reference = Reference::parse_or_not_found(&publication, "publication")?;
    let id = Reference::id_or_not_found(&link, "link")?;
    let if_match = IfMatch::from_request(&request);
    db::run(&pool, move |connection| {
        db::write_transaction(connection, |connection| writes::delete(connection, &reference, id, &if_match))
    })
    .await?;
    log::info!("token {} deleted link {id} of publication {publication}", editor.token_id);
    Ok(HttpResponse::NoContent().finish())
}
