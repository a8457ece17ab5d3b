//! HTTP handlers for categories.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, HttpResponse, get, web};
use utoipa::IntoParams;

use crate::db::{self, Pool};
use crate::domain::Reference;
use crate::error::{ApiError, BadRequest, NotFound, Unavailable};
use crate::pagination::{self, Page, PageRequest};
use crate::publications::dto::PublicationSummary;
use crate::publications::queries::{self as publication_queries, PublicationFilter};
use crate::query::QueryParams;

use super::dto::{Categories, Category, CategoryDetail, CategoryNode, CategorySummary};
use super::queries;
use super::tree::CategoryTree;

/// The query parameters of the category list.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CategoryListQuery {
    /// `true` nests categories under their parents' `children`; `false`
    /// lists them flat, depth first (each one followed by its descendants).
    #[param(required = false, default = false)]
    pub tree: bool,
}

impl FromRequest for CategoryListQuery {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            QueryParams::parse(request.query_string(), &["tree"])
                .and_then(|params| Ok(Self { tree: params.boolean("tree", false)? })),
        )
    }
}

/// The query parameters of a category's publications.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CategoryPublicationsQuery {
    /// The page to return, from 1.
    #[param(required = false, minimum = 1, maximum = 1000000, default = 1)]
    pub page: i64,
    /// How many publications a page holds.
    #[param(required = false, minimum = 1, maximum = 100, default = 20)]
    pub per_page: i64,
    /// Only publications in this language (BCP 47 tag, e.g. `fr`).
    #[param(required = false, example = "fr")]
    pub language: Option<String>,
}

impl FromRequest for CategoryPublicationsQuery {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let parse = || {
            let params = QueryParams::parse(request.query_string(), &["page", "per_page", "language"])?;
            let page = PageRequest::from_params(&params)?;
            Ok(Self { page: page.page, per_page: page.per_page, language: params.language("language")? })
        };
        ready(parse())
    }
}

/// List categories
///
/// Every category with its count of published publications: flat and depth
/// first by default (each category followed by its descendants, siblings
/// ordered by `position`, then `name`), or nested with `tree=true`.
#[utoipa::path(
    tag = "categories",
    params(CategoryListQuery),
    responses(
        (status = 200, description = "All categories.", body = Categories),
        (status = 400, response = BadRequest),
        (status = 503, response = Unavailable),
    )
)]
#[get("/categories")]
pub async fn list_categories(pool: web::Data<Pool>, query: CategoryListQuery) -> Result<HttpResponse, ApiError> {
    let (tree, counts) =
        db::run(&pool, |connection| Ok((queries::tree(connection)?, queries::publication_counts(connection)?))).await?;
    let data = if query.tree { CategoryNode::forest(&tree, None, &counts) } else { CategoryNode::flat(&tree, &counts) };
    Ok(HttpResponse::Ok().json(Categories { data }))
}

/// Get a category
///
/// One category by id or slug, with its direct `children` and its
/// `ancestors` from the root down (a breadcrumb).
#[utoipa::path(
    tag = "categories",
    params(("ref" = String, Path, description = "The category's id or slug.",
        example = "veille-industrie-phonographique")),
    responses(
        (status = 200, description = "The category.", body = CategoryDetail),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    )
)]
#[get("/categories/{ref}")]
pub async fn get_category(
    pool: web::Data<Pool>,
    path: web::Path<String>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    QueryParams::parse(request.query_string(), &[])?;
    let reference = Reference::parse_or_not_found(&path, "category")?;
    let (tree, counts) =
        db::run(&pool, |connection| Ok((queries::tree(connection)?, queries::publication_counts(connection)?))).await?;
    let row = tree.find(&reference).ok_or_else(|| ApiError::no_such("category", &reference))?;
    let detail = CategoryDetail {
        category: Category::new(row, &counts),
        children: tree.children(Some(row.id)).map(|child| Category::new(child, &counts)).collect(),
        ancestors: tree.ancestors(row.id).into_iter().map(CategorySummary::from).collect(),
    };
    Ok(HttpResponse::Ok().json(detail))
}

/// List a category's publications
///
/// The same as the publication list, restricted to this category and its
/// descendants.
#[utoipa::path(
    tag = "categories",
    params(
        ("ref" = String, Path, description = "The category's id or slug.", example = "etudes-publications"),
        CategoryPublicationsQuery,
    ),
    responses(
        (status = 200, description = "One page of publications.", body = Page<PublicationSummary>,
            headers(
                ("Link" = String, description = "RFC 8288 links to the first, previous, next and last pages."),
                ("X-Total-Count" = i64, description = "How many publications match, on all pages."),
            )),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    )
)]
#[get("/categories/{ref}/publications")]
pub async fn list_category_publications(
    pool: web::Data<Pool>,
    path: web::Path<String>,
    query: CategoryPublicationsQuery,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let reference = Reference::parse_or_not_found(&path, "category")?;
    let page = PageRequest { page: query.page, per_page: query.per_page };
    let (total, records) = db::run(&pool, move |connection| {
        let tree: CategoryTree = queries::tree(connection)?;
        let category = tree.find(&reference).ok_or_else(|| ApiError::no_such("category", &reference))?;
        let filter = PublicationFilter { category_ids: Some(tree.subtree_ids(category.id)), language: query.language };
        Ok(publication_queries::list(connection, &filter, page)?)
    })
    .await?;
    let data: Vec<PublicationSummary> = records.into_iter().map(Into::into).collect();
    Ok(pagination::respond(&request, page, total, data))
}
