//! HTTP handlers for publications: parse, query, answer.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, HttpResponse, get, web};
use utoipa::IntoParams;

use crate::categories::queries as category_queries;
use crate::db::{self, DbConnection, Pool};
use crate::domain::Reference;
use crate::error::{ApiError, BadRequest, NotFound, OrNotFound, Unavailable};
use crate::links::queries as link_queries;
use crate::pagination::{self, Page, PageRequest};
use crate::query::QueryParams;

use super::dto::{Publication, PublicationSummaries, PublicationSummary};
use super::queries::{self, PublicationFilter};

/// The query parameters of the publication list.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PublicationListQuery {
    /// The page to return, from 1.
    #[param(required = false, minimum = 1, maximum = 1000000, default = 1)]
    pub page: i64,
    /// How many publications a page holds.
    #[param(required = false, minimum = 1, maximum = 100, default = 20)]
    pub per_page: i64,
    /// Only publications filed under this category or one of its
    /// descendants, given by slug or id. Repeat it for any of several.
    #[param(required = false, style = Form, explode, example = json!(["etudes-publications"]))]
    pub category: Vec<String>,
    /// Only publications in this language (BCP 47 tag, e.g. `fr`).
    #[param(required = false, example = "fr")]
    pub language: Option<String>,
}

impl PublicationListQuery {
    const PARAMETERS: &[&str] = &["page", "per_page", "category", "language"];

    fn parse(query: &str) -> Result<Self, ApiError> {
        let params = QueryParams::parse(query, Self::PARAMETERS)?;
        let page = PageRequest::from_params(&params)?;
        let category = params.all("category");
        if category.contains(&"") {
            return Err(ApiError::invalid_parameter("category", "empty", "must not be empty"));
        }
        Ok(Self {
            page: page.page,
            per_page: page.per_page,
            category: category.into_iter().map(str::to_owned).collect(),
            language: params.language("language")?,
        })
    }
}

impl FromRequest for PublicationListQuery {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Self::parse(request.query_string()))
    }
}

/// Turns category references into the ids of those categories and all their
/// descendants.
fn category_filter(connection: &mut DbConnection, references: &[String]) -> Result<Option<Vec<i32>>, ApiError> {
    if references.is_empty() {
        return Ok(None);
    }
    let tree = category_queries::tree(connection)?;
    let mut ids = Vec::new();
    for raw in references {
        let category = Reference::parse(raw).and_then(|reference| tree.find(&reference)).ok_or_else(|| {
            ApiError::invalid_parameter("category", "unknown", format!("no category has the id or slug '{raw}'"))
        })?;
        ids.extend(tree.subtree_ids(category.id));
    }
    Ok(Some(ids))
}

/// List published publications
///
/// Newest first (`published_at` descending, ties broken on `id`), one page
/// at a time. Filters combine with AND; repeated `category` values combine
/// with OR. Pagination is also given by the `Link` (first, prev, next, last)
/// and `X-Total-Count` headers.
#[utoipa::path(
    tag = "publications",
    params(PublicationListQuery),
    responses(
        (status = 200, description = "One page of publications.", body = Page<PublicationSummary>,
            headers(
                ("Link" = String, description = "RFC 8288 links to the first, previous, next and last pages."),
                ("X-Total-Count" = i64, description = "How many publications match, on all pages."),
            )),
        (status = 400, response = BadRequest),
        (status = 503, response = Unavailable),
    )
)]
#[get("/publications")]
pub async fn list_publications(
    pool: web::Data<Pool>,
    query: PublicationListQuery,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let page = PageRequest { page: query.page, per_page: query.per_page };
    let (total, records) = db::run(&pool, move |connection| {
        let filter =
            PublicationFilter { category_ids: category_filter(connection, &query.category)?, language: query.language };
        Ok(queries::list(connection, &filter, page)?)
    })
    .await?;
    let data: Vec<PublicationSummary> = records.into_iter().map(Into::into).collect();
    Ok(pagination::respond(&request, page, total, data))
}

/// Get a publication
///
/// One published publication by id or slug, with its body, its categories
/// and its links.
#[utoipa::path(
    tag = "publications",
    params(("ref" = String, Path, description = "The publication's id or slug.",
        example = "concertation-fournisseurs-ia-ayants-droit")),
    responses(
        (status = 200, description = "The publication.", body = Publication),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    )
)]
#[get("/publications/{ref}")]
pub async fn get_publication(
    pool: web::Data<Pool>,
    path: web::Path<String>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    QueryParams::parse(request.query_string(), &[])?;
    let reference = Reference::parse_or_not_found(&path, "publication")?;
    let publication = db::run(&pool, move |connection| {
        let record = queries::find(connection, &reference).or_not_found(|| not_found(&reference))?;
        let links = link_queries::of_publication(connection, record.row.id)?;
        Ok(Publication::new(record, links))
    })
    .await?;
    Ok(HttpResponse::Ok().json(publication))
}

/// List related publications
///
/// The published publications that a `related` link joins to this one, in
/// either direction, newest first.
#[utoipa::path(
    tag = "publications",
    params(("ref" = String, Path, description = "The publication's id or slug.",
        example = "concertation-fournisseurs-ia-ayants-droit")),
    responses(
        (status = 200, description = "The related publications.", body = PublicationSummaries),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    )
)]
#[get("/publications/{ref}/related")]
pub async fn list_related_publications(
    pool: web::Data<Pool>,
    path: web::Path<String>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    QueryParams::parse(request.query_string(), &[])?;
    let reference = Reference::parse_or_not_found(&path, "publication")?;
    let records = db::run(&pool, move |connection| {
        let id = find_id(connection, &reference)?;
        Ok(queries::related(connection, id)?)
    })
    .await?;
    let data = records.into_iter().map(Into::into).collect();
    Ok(HttpResponse::Ok().json(PublicationSummaries { data }))
}

fn not_found(reference: &Reference) -> ApiError {
    ApiError::no_such("publication", reference)
}

/// The id of a published publication, or the 404 that names what was asked for.
pub fn find_id(connection: &mut DbConnection, reference: &Reference) -> Result<i32, ApiError> {
    queries::find_id(connection, reference).or_not_found(|| not_found(reference))
}
