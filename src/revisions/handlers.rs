//! HTTP handlers for the revisions of a publication.

use actix_web::{HttpRequest, get, post, web};
use serde_json::Value;

use crate::auth::{Access, Editor, Reader};
use crate::db::{self, DbConnection, Pool};
use crate::domain::Reference;
use crate::error::{
    ApiError, BadRequest, Conflict, Forbidden, NotFound, PreconditionFailed, Unauthorized, Unavailable,
};
use crate::history::store as revisions;
use crate::history::trash;
use crate::http::path::PathRef;
use crate::http::represented::Represented;
use crate::pagination::{self, PageRequest, Pagination};
use crate::preconditions::IfMatch;
use crate::publications::history;
use crate::publications::visibility::Viewer;
use crate::query::QueryParams;

use super::dto::{Restoration, Revision, RevisionPage, RevisionSummary};

const MERGE_PATCH: &str = "application/merge-patch+json";

/// The revision number of the path, or the 404 it would be.
fn number(request: &HttpRequest) -> Result<i32, ApiError> {
    Reference::id_or_not_found(request.match_info().get("number").unwrap_or_default(), "revision")
}

/// The id of publication `reference`, whatever its status, or in the
/// trash (by id): its history can be read there before it is put back.
fn publication_id(connection: &mut DbConnection, target: &PathRef) -> Result<i32, ApiError> {
    let viewer = Viewer::editor();
    let found = target.resolve(connection, &viewer, |connection, reference| {
        crate::publications::lookups::find_id(connection, reference, &viewer)
    });
    match (found, &target.reference) {
        (Err(ApiError::NotFound(message)), Reference::Id(id)) => match trash::find(connection, *id)? {
            Some(_) => Ok(*id),
            None => Err(ApiError::NotFound(message)),
        },
        (outcome, _) => outcome,
    }
}

/// List a publication's revisions
///
/// Newest first, one page at a time: who changed what, when, and why. Each
/// write that changed the publication (its content, status, categories or
/// links) made one; `PARUTION_REVISIONS_KEEP` (50 by default) are kept,
/// and every one that changed the status besides. A publication in the
/// trash keeps its history: it is read here by the publication's id.
#[utoipa::path(
    tag = "revisions",
    params(
        ("ref" = String, Path, description = "The publication's id or slug."),
        ("page" = Option<i64>, Query, description = "The page to return, from 1.", minimum = 1, maximum = 1000000),
        ("per_page" = Option<i64>, Query, description = "How many revisions a page holds.", minimum = 1, maximum = 100),
    ),
    security(("bearer" = ["read"])),
    responses(
        (status = 200, description = "One page of revisions.", body = RevisionPage,
            headers(
                ("Link" = String, description = "RFC 8288 links to the first, previous, next and last pages."),
                ("X-Total-Count" = i64, description = "How many revisions are kept."),
            )),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    )
)]
#[get("/publications/{ref}/revisions")]
pub async fn list_revisions(
    pool: web::Data<Pool>,
    _: Reader,
    target: PathRef,
    request: HttpRequest,
) -> Result<Represented, ApiError> {
    let params = QueryParams::parse(request.query_string(), &["page", "per_page"])?;
    let page = PageRequest::from_params(&params)?;
    let (rows, total) = db::run(&pool, move |connection| {
        let id = publication_id(connection, &target)?;
        Ok(revisions::list(connection, id, page.per_page, page.offset())?)
    })
    .await?;
    let data = rows.into_iter().map(RevisionSummary::from).collect();
    let body = RevisionPage { data, pagination: Pagination::new(Some(page.page), page.per_page, total, None) };
    pagination::respond(&request, Access::Editor, &body, &body.pagination)
}

/// Get a revision
///
/// A revision and its snapshot: the publication as its detail read then,
/// categories and links included.
#[utoipa::path(
    tag = "revisions",
    params(
        ("ref" = String, Path, description = "The publication's id or slug."),
        ("number" = i32, Path, description = "The revision's number."),
    ),
    security(("bearer" = ["read"])),
    responses(
        (status = 200, description = "The revision.", body = Revision),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    )
)]
#[get("/publications/{ref}/revisions/{number}")]
pub async fn get_revision(
    pool: web::Data<Pool>,
    _: Reader,
    target: PathRef,
    request: HttpRequest,
) -> Result<Represented, ApiError> {
    QueryParams::parse(request.query_string(), &[])?;
    let number = number(&request)?;
    let revision = db::run(&pool, move |connection| {
        let id = publication_id(connection, &target)?;
        let row = revisions::find(connection, id, number)?
            .ok_or_else(|| ApiError::NotFound(format!("publication {id} has no revision {number}")))?;
        let publication = history::revision_snapshot(connection, id, number)?;
        Ok(Revision { summary: row.into(), publication })
    })
    .await?;
    Represented::json(&revision, Access::Editor)
}

/// Compare a revision with now
///
/// The JSON Merge Patch (RFC 7396) that turns the publication's current
/// detail into the revision's (`version` and `updated_at` left out): the
/// members that differ, with the revision's values; `null` where the
/// revision had none. Empty (`{}`) when nothing differs.
#[utoipa::path(
    tag = "revisions",
    params(
        ("ref" = String, Path, description = "The publication's id or slug."),
        ("number" = i32, Path, description = "The revision's number."),
    ),
    security(("bearer" = ["read"])),
    responses(
        (status = 200, description = "The merge patch from now to the revision.",
            content_type = "application/merge-patch+json", body = Object,
            example = json!({"title": "Le titre d’alors", "categories": [{"id": 1, "slug": "etudes-publications", "name": "Études & publications", "lang": "fr"}]})),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    )
)]
#[get("/publications/{ref}/revisions/{number}/diff")]
pub async fn diff_revision(
    pool: web::Data<Pool>,
    _: Reader,
    target: PathRef,
    request: HttpRequest,
) -> Result<Represented, ApiError> {
    QueryParams::parse(request.query_string(), &[])?;
    let number = number(&request)?;
    let patch = db::run(&pool, move |connection| {
        let id = publication_id(connection, &target)?;
        let revision = history::revision_snapshot(connection, id, number)?;
        let current = history::detail(connection, id, db::now())?;
        history::diff(&current, &revision)
    })
    .await?;
    let body = serde_json::to_vec(&Value::Object(patch)).map_err(ApiError::internal)?;
    Ok(Represented::bytes(MERGE_PATCH, body, Access::Editor))
}

/// Restore a revision
///
/// Makes the publication equal to the revision — content, status, times,
/// categories and links — as a new version, recorded by a `restore`
/// revision. If the revision refers to something that no longer exists (a
/// deleted category, a link's target that was deleted or is in the trash),
/// the answer is a 409 (`MISSING_REFERENCES`) listing each one in `errors`
/// and nothing changes; with
/// `partial=true`, the restore leaves them out and lists them. A 409
/// (`CONFLICT`) too if the revision's slug is another publication's now.
/// Honours `If-Match`.
#[utoipa::path(
    tag = "revisions",
    params(
        ("ref" = String, Path, description = "The publication's id or slug."),
        ("number" = i32, Path, description = "The revision's number."),
        ("partial" = Option<bool>, Query, description = "Restore what still exists, leaving out (and listing) the rest."),
        ("If-Match" = Option<String>, Header, description = "The `ETag` the restore is based on; a stale one is a 412."),
    ),
    security(("bearer" = ["write"])),
    responses(
        (status = 200, description = "The publication as restored.", body = Restoration,
            headers(("ETag" = String, description = "The publication's new version."))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed),
        (status = 503, response = Unavailable),
    )
)]
#[post("/publications/{ref}/revisions/{number}/restore")]
pub async fn restore_revision(
    pool: web::Data<Pool>,
    editor: Editor,
    target: PathRef,
    if_match: IfMatch,
    request: HttpRequest,
) -> Result<Represented, ApiError> {
    let params = QueryParams::parse(request.query_string(), &["partial"])?;
    let partial = params.boolean("partial", false)?;
    let number = number(&request)?;
    let restored = editor
        .write(&pool, move |connection, change| {
            target.resolve(connection, &Viewer::editor(), |connection, reference| {
                history::restore(connection, change, reference, &if_match, number, partial)
            })
        })
        .await?;
    let version = restored.publication.summary.version;
    Ok(Represented::json(&Restoration::from(restored), Access::Editor)?.at_version(version))
}
