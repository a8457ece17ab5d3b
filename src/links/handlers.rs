//! HTTP handlers for links.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};

use crate::auth::{Access, Editor};
use crate::body::{JsonObject, MergePatch};
use crate::change::Dependencies;
use crate::db::{self, DbConnection, Pool};
use crate::domain::Reference;
use crate::error::{
    ApiError, BadRequest, BodyErrors, Conflict, Forbidden, Gone, NotFound, OrNotFound, PreconditionFailed,
    Unauthorized, Unavailable,
};
use crate::http::path::PathRef;
use crate::http::represented::Represented;
use crate::preconditions::IfMatch;
use crate::publications::lookups::find_id;
use crate::publications::visibility::Viewer;
use crate::query::NoQuery;

use super::dto::{Link, Links};
use super::input::{LinkInput, LinkPatch};
use super::{queries, writes};

/// List a publication's links
///
/// The related links of a publication, ordered by `position`. Without a
/// token, links to publications that are not published are left out.
#[utoipa::path(
    tag = "links",
    params(("ref" = String, Path, description = "The publication's id or slug.",
        example = "concertation-fournisseurs-ia-ayants-droit")),
    security((), ("bearer" = ["read"])),
    responses(
        (status = 200, description = "The publication's links.", body = Links),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 410, response = Gone),
        (status = 503, response = Unavailable),
    )
)]
#[get("/publications/{ref}/links")]
pub async fn list_publication_links(
    pool: web::Data<Pool>,
    access: Access,
    target: PathRef,
    _: NoQuery,
) -> Result<Represented, ApiError> {
    let (id, (data, targets), state) = db::run(&pool, move |connection| {
        let state = db::catalogue_state(connection)?;
        let viewer = Viewer::as_of(access, &state);
        let (id, shown) = target.resolve(connection, &viewer, |connection, reference| {
            let id = find_id(connection, reference, &viewer)?;
            Ok((id, queries::shown(connection, id, &viewer)?))
        })?;
        Ok((id, shown, state))
    })
    .await?;
    let dependencies = Dependencies::publications(std::iter::once(id).chain(targets));
    Ok(Represented::json(&Links { data }, access)?.as_of(&state).depends_on(dependencies))
}

/// The `{link_id}` of the path, or the 404 it earns.
fn link_id(request: &HttpRequest) -> Result<i32, ApiError> {
    Reference::id_or_not_found(request.match_info().get("link_id").unwrap_or_default(), "link")
}

/// The answer to a write: the link as it now is, with its `ETag`.
fn written(link: &Link, status: StatusCode) -> Result<Represented, ApiError> {
    Ok(Represented::json(link, Access::Editor)?.at_version(link.version).with_status(status))
}

/// One link as `viewer` may see it, or a 404.
fn find(connection: &mut DbConnection, publication_id: i32, id: i32, viewer: &Viewer) -> Result<Link, ApiError> {
    let not_found = || ApiError::NotFound(format!("publication {publication_id} has no link {id}"));
    queries::one(connection, publication_id, id, viewer).or_not_found(not_found)?.ok_or_else(not_found)
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
    security((), ("bearer" = ["read"])),
    responses(
        (status = 200, description = "The link.", body = Link,
            headers(("ETag" = String, description = "The link's version, for `If-Match`."))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 410, response = Gone),
        (status = 503, response = Unavailable),
    )
)]
#[get("/publications/{ref}/links/{link_id}")]
pub async fn get_publication_link(
    pool: web::Data<Pool>,
    access: Access,
    target: PathRef,
    request: HttpRequest,
    _: NoQuery,
) -> Result<Represented, ApiError> {
    let link_id = link_id(&request)?;
    let (publication_id, link, state) = db::run(&pool, move |connection| {
        let state = db::catalogue_state(connection)?;
        let viewer = Viewer::as_of(access, &state);
        let (publication_id, link) = target.resolve(connection, &viewer, |connection, reference| {
            let publication_id = find_id(connection, reference, &viewer)?;
            Ok((publication_id, find(connection, publication_id, link_id, &viewer)?))
        })?;
        Ok((publication_id, link, state))
    })
    .await?;
    let version = link.version;
    let shown = std::iter::once(publication_id).chain(link.target.as_ref().map(|target| target.id));
    Ok(Represented::json(&link, access)?
        .at_version(version)
        .as_of(&state)
        .depends_on(Dependencies::publications(shown)))
}

/// Add a link to a publication
///
/// Exactly one of `url` (an absolute http or https URL) and `target`
/// (another publication) is given. Without `position`, the link goes after
/// the last one. The publication's `version` goes up. A publication has at
/// most 100 links: one more is a 409.
#[utoipa::path(
    tag = "links",
    params(("ref" = String, Path, description = "The publication's id or slug.")),
    request_body(content = LinkInput, content_type = "application/json"),
    security(("bearer" = ["write"])),
    responses(
        BodyErrors,
        (status = 201, description = "The link was added.", body = Link,
            headers(
                ("Location" = String, description = "The new link's URL."),
                ("ETag" = String, description = "The link's version, for `If-Match`."),
            )),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
#[post("/publications/{ref}/links")]
pub async fn create_publication_link(
    pool: web::Data<Pool>,
    editor: Editor,
    target: PathRef,
    body: JsonObject,
    _: NoQuery,
) -> Result<Represented, ApiError> {
    let input = LinkInput::from_json(body.0)?;
    let (publication_id, link) = editor
        .write(&pool, move |connection, change| {
            let viewer = Viewer::editor();
            let (publication_id, id) = target.resolve(connection, &viewer, |connection, reference| {
                writes::create(connection, change, reference, input.clone())
            })?;
            Ok((publication_id, find(connection, publication_id, id, &viewer)?))
        })
        .await?;
    let location = format!("/api/v1/publications/{publication_id}/links/{}", link.id);
    Ok(written(&link, StatusCode::CREATED)?.with_header(header::LOCATION, location))
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
        (LinkPatch = "application/merge-patch+json"),
        (LinkPatch = "application/json"),
    )),
    security(("bearer" = ["write"])),
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
    target: PathRef,
    request: HttpRequest,
    body: MergePatch,
    _: NoQuery,
    if_match: IfMatch,
) -> Result<Represented, ApiError> {
    let id = link_id(&request)?;
    let link = editor
        .write(&pool, move |connection, change| {
            let viewer = Viewer::editor();
            let publication_id = target.resolve(connection, &viewer, |connection, reference| {
                writes::patch(connection, change, reference, id, &if_match, body.clone())
            })?;
            find(connection, publication_id, id, &viewer)
        })
        .await?;
    written(&link, StatusCode::OK)
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
    security(("bearer" = ["write"])),
    responses(
        (status = 204, description = "The link was deleted."),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 412, response = PreconditionFailed),
        (status = 503, response = Unavailable),
    )
)]
#[delete("/publications/{ref}/links/{link_id}")]
pub async fn delete_publication_link(
    pool: web::Data<Pool>,
    editor: Editor,
    target: PathRef,
    request: HttpRequest,
    _: NoQuery,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let id = link_id(&request)?;
    editor
        .write(&pool, move |connection, change| {
            target.resolve(connection, &Viewer::editor(), |connection, reference| {
                writes::delete(connection, change, reference, id, &if_match)
            })
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
