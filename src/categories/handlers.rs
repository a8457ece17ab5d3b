//! HTTP handlers for categories.

use std::collections::HashMap;
use std::future::{Ready, ready};
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpRequest, HttpResponse, delete, get, patch, post, put, web};
use utoipa::IntoParams;

use crate::auth::{Access, Editor};
use crate::body::{JsonObject, MergePatch};
use crate::cache::CountCache;
use crate::change::Dependencies;
use crate::db::{self, CatalogueState, DbConnection, Pool};
use crate::domain::Reference;
use crate::error::{
    ApiError, BadRequest, BodyErrors, Conflict, Forbidden, NotFound, PreconditionFailed, Unauthorized, Unavailable,
};
use crate::http::language::{Lang, LangOnly, LangParameter};
use crate::http::path::PathRef;
use crate::http::represented::Represented;
use crate::preconditions::IfMatch;
use crate::publications::dto::PublicationPage;
use crate::publications::list_query::PublicationListQuery;
use crate::publications::listing;
use crate::publications::visibility::Viewer;
use crate::query::{NoQuery, QueryParams};

use super::dto::{Categories, Category, CategoryDetail, CategoryNode, Localiser};
use super::input::{CategoryInput, CategoryPatch};

use super::queries;
use super::tree::CategoryTree;
use super::writes;

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
            QueryParams::parse(request.query_string(), &["tree", "lang"])
                .and_then(|params| Ok(Self { tree: params.boolean("tree", false)? })),
        )
    }
}

/// List categories
///
/// Every category with its count of published publications: flat and depth
/// first by default (each category followed by its descendants, siblings
/// ordered by `position`, then `name`), or nested with `tree=true`.
#[utoipa::path(
    tag = "categories",
    params(CategoryListQuery, LangParameter),
    security((), ("bearer" = ["read"])),
    responses(
        (status = 200, description = "All categories.", body = Categories),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 503, response = Unavailable),
    )
)]
#[get("/categories")]
pub async fn list_categories(
    pool: web::Data<Pool>,
    cache: web::Data<CountCache>,
    access: Access,
    query: CategoryListQuery,
    lang: Lang,
) -> Result<Represented, ApiError> {
    let (tree, counts, state) = db::run(&pool, move |connection| {
        let state = db::catalogue_state(connection)?;
        let (tree, counts) = tree_and_counts(connection, &cache, &state)?;
        Ok((tree, counts, state))
    })
    .await?;
    let names = Localiser::new(tree.clone(), &lang);
    let data = if query.tree {
        CategoryNode::forest(&tree, None, &counts, &names)
    } else {
        CategoryNode::flat(&tree, &counts, &names)
    };
    Ok(Represented::json(&Categories { data }, access)?.as_of(&state).depends_on(Dependencies::categories()))
}

/// Get a category
///
/// One category by id or slug, with its direct `children` and its
/// `ancestors` from the root down (a breadcrumb).
#[utoipa::path(
    tag = "categories",
    params(("ref" = String, Path, description = "The category's id or slug.",
        example = "veille-industrie-phonographique"), LangParameter),
    security((), ("bearer" = ["read"])),
    responses(
        (status = 200, description = "The category.", body = CategoryDetail,
            headers(("ETag" = String, description = "The category's version, for `If-Match`."))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    )
)]
#[get("/categories/{ref}")]
pub async fn get_category(
    pool: web::Data<Pool>,
    cache: web::Data<CountCache>,
    access: Access,
    target: PathRef,
    LangOnly(lang): LangOnly,
) -> Result<Represented, ApiError> {
    let (detail, state) = db::run(&pool, move |connection| {
        let state = db::catalogue_state(connection)?;
        let detail = target.resolve(connection, &Viewer::as_of(access, &state), |connection, reference| {
            detail(connection, Some((&cache, &state)), reference, &lang)
        })?;
        Ok((detail, state))
    })
    .await?;
    let version = detail.category.version;
    Ok(Represented::json(&detail, access)?.at_version(version).as_of(&state).depends_on(Dependencies::categories()))
}

/// The answer to a write: the category as it now is, with its `ETag`.
fn written(detail: &CategoryDetail, status: StatusCode) -> Result<Represented, ApiError> {
    Ok(Represented::json(detail, Access::Editor)?.at_version(detail.category.version).with_status(status))
}

/// Every category's publication count, by id.
type Counts = Arc<HashMap<i32, i64>>;

/// The category tree, and every category's publication count: from the
/// cache while the catalogue is at `revision`.
fn tree_and_counts(
    connection: &mut DbConnection,
    cache: &CountCache,
    state: &CatalogueState,
) -> Result<(Arc<CategoryTree>, Counts), ApiError> {
    let counts = cache
        .get(connection, state, "category counts", |connection| queries::publication_counts(connection, state.at))?;
    Ok((queries::kept_tree(connection, cache, state)?, Arc::new(counts.counts)))
}

/// One category with its children and ancestors, or a 404: from the cache
/// while the catalogue is at `revision`, or read afresh without one (inside
/// a write, whose changes are not committed yet; only the counts it shows
/// are counted).
fn detail(
    connection: &mut DbConnection,
    cache: Option<(&CountCache, &CatalogueState)>,
    reference: &Reference,
    lang: &Lang,
) -> Result<CategoryDetail, ApiError> {
    let (tree, counts) = match cache {
        Some((cache, state)) => tree_and_counts(connection, cache, state)?,
        None => {
            let tree = queries::tree(connection)?;
            let row = tree.find(reference).ok_or_else(|| ApiError::no_such("category", reference))?;
            let shown: Vec<i32> =
                std::iter::once(row.id).chain(tree.children(Some(row.id)).map(|child| child.id)).collect();
            let counts = Arc::new(queries::publication_counts_of(connection, &tree, &shown)?);
            (Arc::new(tree), counts)
        }
    };
    let row = tree.find(reference).ok_or_else(|| ApiError::no_such("category", reference))?;
    let names = Localiser::new(tree.clone(), lang);
    Ok(CategoryDetail {
        category: Category::new(row, &counts, &names),
        children: tree.children(Some(row.id)).map(|child| Category::new(child, &counts, &names)).collect(),
        ancestors: tree.ancestors(row.id).into_iter().map(|row| names.summary(row)).collect(),
    })
}

/// Create a category
///
/// The body is a JSON object of which only `name` is required. The answer
/// is the new category, with its `Location` and `ETag`.
#[utoipa::path(
    tag = "categories",
    request_body(content = CategoryInput, content_type = "application/json"),
    security(("bearer" = ["write"])),
    responses(
        BodyErrors,
        (status = 201, description = "The category was created.", body = CategoryDetail,
            headers(
                ("Location" = String, description = "The new category's URL."),
                ("ETag" = String, description = "The category's version, for `If-Match`."),
            )),
        (status = 409, response = Conflict),
    )
)]
#[post("/categories")]
pub async fn create_category(
    pool: web::Data<Pool>,
    editor: Editor,
    body: JsonObject,
    _: NoQuery,
) -> Result<Represented, ApiError> {
    let input = CategoryInput::from_json(body.0)?;
    let detail = editor
        .write(&pool, move |connection, change| {
            let id = writes::create(connection, change, input.clone())?;
            detail(connection, None, &Reference::Id(id), &Lang::default())
        })
        .await?;
    let id = detail.category.id;
    Ok(written(&detail, StatusCode::CREATED)?.with_header(header::LOCATION, format!("/api/v1/categories/{id}")))
}

/// Replace a category
///
/// The body is a whole category: absent fields take their defaults, and an
/// absent `slug` keeps the current one. Honours `If-Match`.
#[utoipa::path(
    tag = "categories",
    params(
        ("ref" = String, Path, description = "The category's id or slug."),
        ("If-Match" = Option<String>, Header, description = "The `ETag` the change is based on; a stale one is a 412."),
    ),
    request_body(content = CategoryInput, content_type = "application/json"),
    security(("bearer" = ["write"])),
    responses(
        BodyErrors,
        (status = 200, description = "The category as replaced.", body = CategoryDetail,
            headers(("ETag" = String, description = "The category's new version."))),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed),
    )
)]
#[put("/categories/{ref}")]
pub async fn replace_category(
    pool: web::Data<Pool>,
    editor: Editor,
    target: PathRef,
    body: JsonObject,
    _: NoQuery,
    if_match: IfMatch,
) -> Result<Represented, ApiError> {
    let input = CategoryInput::from_json(body.0)?;
    let detail = editor
        .write(&pool, move |connection, change| {
            let id = target.resolve(connection, &Viewer::editor(), |connection, reference| {
                writes::replace(connection, change, reference, &if_match, input.clone())
            })?;
            detail(connection, None, &Reference::Id(id), &Lang::default())
        })
        .await?;
    written(&detail, StatusCode::OK)
}

/// Patch a category
///
/// A JSON Merge Patch (RFC 7396), sent as `application/merge-patch+json` or
/// `application/json`. Moving a category under itself or one of its
/// descendants is a 422. Honours `If-Match`.
#[utoipa::path(
    tag = "categories",
    params(
        ("ref" = String, Path, description = "The category's id or slug."),
        ("If-Match" = Option<String>, Header, description = "The `ETag` the change is based on; a stale one is a 412."),
    ),
    request_body(content(
        (CategoryPatch = "application/merge-patch+json"),
        (CategoryPatch = "application/json"),
    )),
    security(("bearer" = ["write"])),
    responses(
        BodyErrors,
        (status = 200, description = "The category as patched.", body = CategoryDetail,
            headers(("ETag" = String, description = "The category's new version."))),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed),
    )
)]
#[patch("/categories/{ref}")]
pub async fn patch_category(
    pool: web::Data<Pool>,
    editor: Editor,
    target: PathRef,
    body: MergePatch,
    _: NoQuery,
    if_match: IfMatch,
) -> Result<Represented, ApiError> {
    let detail = editor
        .write(&pool, move |connection, change| {
            let id = target.resolve(connection, &Viewer::editor(), |connection, reference| {
                writes::patch(connection, change, reference, &if_match, body.clone())
            })?;
            detail(connection, None, &Reference::Id(id), &Lang::default())
        })
        .await?;
    written(&detail, StatusCode::OK)
}

/// Delete a category
///
/// Only a category that holds nothing: one with publications filed under
/// it, or with child categories, is a 409 that names them. Honours
/// `If-Match`.
#[utoipa::path(
    tag = "categories",
    params(
        ("ref" = String, Path, description = "The category's id or slug."),
        ("If-Match" = Option<String>, Header, description = "The `ETag` the deletion is based on; a stale one is a 412."),
    ),
    security(("bearer" = ["write"])),
    responses(
        (status = 204, description = "The category was deleted."),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed),
        (status = 503, response = Unavailable),
    )
)]
#[delete("/categories/{ref}")]
pub async fn delete_category(
    pool: web::Data<Pool>,
    editor: Editor,
    target: PathRef,
    _: NoQuery,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    editor
        .write(&pool, move |connection, change| {
            target.resolve(connection, &Viewer::editor(), |connection, reference| {
                writes::delete(connection, change, reference, &if_match)
            })
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// List a category's publications
///
/// The same as the publication list, with its parameters, restricted to
/// this category and its descendants.
#[utoipa::path(
    tag = "categories",
    params(
        ("ref" = String, Path, description = "The category's id or slug.", example = "etudes-publications"),
        PublicationListQuery,
        LangParameter,
    ),
    security((), ("bearer" = ["read"])),
    responses(
        (status = 200, description = "One page of publications.", body = PublicationPage,
            headers(
                ("Link" = String, description = "RFC 8288 links to the first, previous, next and last pages."),
                ("X-Total-Count" = i64, description = "How many publications match, on all pages: an estimate when `pagination.total_is_estimate` is true (a broad search)."),
            )),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    )
)]
#[get("/categories/{ref}/publications")]
pub async fn list_category_publications(
    pool: web::Data<Pool>,
    cache: web::Data<CountCache>,
    access: Access,
    target: PathRef,
    query: PublicationListQuery,
    lang: Lang,
    request: HttpRequest,
) -> Result<Represented, ApiError> {
    let key = listing::key(&request);
    let (query, listed, state, tree) = db::run(&pool, move |connection| {
        let state = db::catalogue_state(connection)?;
        let viewer = Viewer::as_of(access, &state);
        let tree = queries::kept_tree(connection, &cache, &state)?;
        let category = target.resolve(connection, &viewer, |_, reference| {
            tree.find(reference).ok_or_else(|| ApiError::no_such("category", reference))
        })?;
        let languages = listing::languages(connection, &cache, &state, &query)?;
        let filter = listing::filter(&tree, &languages, &query, viewer, Some(tree.subtree_ids(category.id)))?;
        let listed = listing::run(connection, &cache, &key, &query, &filter, &state)?;
        Ok((query, listed, state, tree))
    })
    .await?;
    let names = Localiser::new(tree, &lang);
    Ok(listing::respond(&request, access, &query, listed, &names)?.as_of(&state))
}
