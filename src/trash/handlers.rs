//! HTTP handlers for the trash.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::{Access, Admin, Editor, Reader};
use crate::config::HistorySettings;
use crate::db::{self, Pool};
use crate::domain::{Reference, is_slug};
use crate::error::{ApiError, BadRequest, Conflict, Forbidden, NotFound, Unauthorized, Unavailable};
use crate::history::trash::{self, TrashRow};
use crate::http::represented::Represented;
use crate::pagination::{self, PageRequest, Pagination};
use crate::publications::history;
use crate::query::{NoQuery, QueryParams};
use crate::revisions::dto::Restoration;

/// A publication in the trash.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 42,
    "slug": "etude-retiree",
    "title": "Une étude retirée",
    "trashed_at": "2026-12-01T10:00:00Z",
    "trashed_by": "redaction",
    "purge_at": "2026-12-31T10:00:00Z",
    "revision": 7
}))]
pub struct TrashItem {
    /// The publication's id, which it keeps when put back.
    pub id: i32,
    /// The slug it had (free for others while it is in the trash).
    pub slug: String,
    pub title: String,
    pub trashed_at: DateTime<Utc>,
    /// The name of the token that moved it there.
    pub trashed_by: String,
    /// When it will be purged, with its history.
    pub purge_at: DateTime<Utc>,
    /// The revision that recorded it as it was trashed.
    pub revision: i32,
}

impl TrashItem {
    fn new(row: TrashRow, days: u32) -> Self {
        Self {
            id: row.publication_id,
            slug: row.slug,
            title: row.title,
            trashed_at: row.trashed_at.and_utc(),
            trashed_by: row.trashed_by,
            purge_at: (row.trashed_at + TimeDelta::days(i64::from(days))).and_utc(),
            revision: row.revision,
        }
    }
}

/// One page of the trash, most recently trashed first.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Page_TrashItem)]
pub struct TrashPage {
    pub data: Vec<TrashItem>,
    pub pagination: Pagination,
}

fn days(settings: Option<&web::Data<HistorySettings>>) -> u32 {
    settings.map_or(HistorySettings::default().trash_days, |settings| settings.trash_days)
}

/// List the trash
///
/// The publications moved to the trash, most recently first, with when
/// each will be purged (`PARUTION_TRASH_DAYS` after, 30 by default).
#[utoipa::path(
    tag = "trash",
    params(
        ("page" = Option<i64>, Query, description = "The page to return, from 1.", minimum = 1, maximum = 1000000),
        ("per_page" = Option<i64>, Query, description = "How many items a page holds.", minimum = 1, maximum = 100),
    ),
    security(("bearer" = ["read"])),
    responses(
        (status = 200, description = "One page of the trash.", body = TrashPage,
            headers(
                ("Link" = String, description = "RFC 8288 links to the first, previous, next and last pages."),
                ("X-Total-Count" = i64, description = "How many publications are in the trash."),
            )),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 503, response = Unavailable),
    )
)]
#[get("/trash")]
pub async fn list_trash(
    pool: web::Data<Pool>,
    settings: Option<web::Data<HistorySettings>>,
    _: Reader,
    request: HttpRequest,
) -> Result<Represented, ApiError> {
    let params = QueryParams::parse(request.query_string(), &["page", "per_page"])?;
    let page = PageRequest::from_params(&params)?;
    let (rows, total) =
        db::run(&pool, move |connection| Ok(trash::list(connection, page.per_page, page.offset())?)).await?;
    let days = days(settings.as_ref());
    let data = rows.into_iter().map(|row| TrashItem::new(row, days)).collect();
    let body = TrashPage { data, pagination: Pagination::new(Some(page.page), page.per_page, total, None) };
    pagination::respond(&request, Access::Editor, &body, &body.pagination)
}

/// The id of the path's trashed publication, or the 404 it would be.
fn trashed_id(request: &HttpRequest) -> Result<i32, ApiError> {
    Reference::id_or_not_found(request.match_info().get("id").unwrap_or_default(), "publication in the trash")
}

/// Put a publication back from the trash
///
/// The publication comes back with its id, content, status, categories,
/// links, history and former slugs, and the links other publications had
/// to it come back too. If another publication took its slug meanwhile,
/// a 409 names it, unless `slug` gives another one. If it refers to
/// something that no longer exists (a deleted category, a link's target),
/// a 409 (`MISSING_REFERENCES`) lists each one and nothing changes; with
/// `partial=true` they are left out and listed. An `untrash` revision
/// records it.
#[utoipa::path(
    tag = "trash",
    params(
        ("id" = i32, Path, description = "The publication's id."),
        ("slug" = Option<String>, Query, description = "The slug to put it back under, if not its own."),
        ("partial" = Option<bool>, Query, description = "Put back what still exists, leaving out (and listing) the rest."),
    ),
    security(("bearer" = ["write"])),
    responses(
        (status = 201, description = "The publication is back.", body = Restoration,
            headers(
                ("Location" = String, description = "The publication's URL."),
                ("ETag" = String, description = "The publication's version."),
            )),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 503, response = Unavailable),
    )
)]
#[post("/trash/{id}/restore")]
pub async fn restore_from_trash(
    pool: web::Data<Pool>,
    editor: Editor,
    request: HttpRequest,
) -> Result<Represented, ApiError> {
    let params = QueryParams::parse(request.query_string(), &["slug", "partial"])?;
    let partial = params.boolean("partial", false)?;
    let slug = params.text("slug")?.map(str::to_owned);
    if let Some(slug) = &slug
        && (!is_slug(slug) || slug.bytes().all(|byte| byte.is_ascii_digit()))
    {
        return Err(ApiError::invalid_parameter(
            "slug",
            "invalid_slug",
            "lowercase letters, digits and hyphens, 1 to 200, not digits alone",
        ));
    }
    let id = trashed_id(&request)?;
    let restored = editor
        .write(&pool, move |connection, change| history::untrash(connection, change, id, slug.clone(), partial))
        .await?;
    let version = restored.publication.summary.version;
    Ok(Represented::json(&Restoration::from(restored), Access::Editor)?
        .at_version(version)
        .with_status(StatusCode::CREATED)
        .with_header(header::LOCATION, format!("/api/v1/publications/{id}")))
}

/// Purge a publication from the trash
///
/// For good: the publication and its whole history are removed, and its
/// files released. Publications stay in the trash `PARUTION_TRASH_DAYS`
/// (30 by default), then are purged without this.
#[utoipa::path(
    tag = "trash",
    params(("id" = i32, Path, description = "The publication's id.")),
    security(("bearer" = ["admin"])),
    responses(
        (status = 204, description = "The publication is purged."),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    )
)]
#[delete("/trash/{id}")]
pub async fn purge_from_trash(
    pool: web::Data<Pool>,
    admin: Admin,
    request: HttpRequest,
    _: NoQuery,
) -> Result<HttpResponse, ApiError> {
    let id = trashed_id(&request)?;
    admin.write(&pool, move |connection, _| history::purge(connection, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
