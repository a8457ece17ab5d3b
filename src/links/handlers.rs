//! HTTP handlers for links.

use actix_web::{HttpRequest, HttpResponse, get, web};

use crate::db::{self, Pool};
use crate::domain::Reference;
use crate::error::{ApiError, BadRequest, NotFound, Unavailable};
use crate::publications::handlers::find_id;
use crate::query::QueryParams;

use super::dto::Links;
use super::queries;

/// List a publication's links
///
/// The related links of a published publication, ordered by `position`.
/// Links to publications that are not published are left out.
#[utoipa::path(
    tag = "links",
    params(("ref" = String, Path, description = "The publication's id or slug.",
        example = "concertation-fournisseurs-ia-ayants-droit")),
    responses(
        (status = 200, description = "The publication's links.", body = Links),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    )
)]
#[get("/publications/{ref}/links")]
pub async fn list_publication_links(
    pool: web::Data<Pool>,
    path: web::Path<String>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    QueryParams::parse(request.query_string(), &[])?;
    let reference = Reference::parse_or_not_found(&path, "publication")?;
    let data = db::run(&pool, move |connection| {
        let id = find_id(connection, &reference)?;
        Ok(queries::of_publication(connection, id)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(Links { data }))
}
