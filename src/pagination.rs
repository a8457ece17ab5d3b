//! Page-numbered lists: the `page`/`per_page` parameters, the
//! `{data, pagination}` envelope, and the `Link` and `X-Total-Count` headers.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Access;
use crate::error::ApiError;
use crate::query::QueryParams;

pub const DEFAULT_PER_PAGE: i64 = 20;
pub const MAX_PER_PAGE: i64 = 100;
/// Deep enough for a million items at the smallest page size.
pub const MAX_PAGE: i64 = 1_000_000;

/// Which page of a list is asked for.
#[derive(Clone, Copy, Debug)]
pub struct PageRequest {
    pub page: i64,
    pub per_page: i64,
}

impl PageRequest {
    pub fn from_params(params: &QueryParams) -> Result<Self, ApiError> {
        Ok(Self {
            page: params.integer("page", 1, MAX_PAGE, 1)?,
            per_page: params.integer("per_page", 1, MAX_PER_PAGE, DEFAULT_PER_PAGE)?,
        })
    }

    pub fn offset(&self) -> i64 {
        (self.page - 1) * self.per_page
    }
}

/// Where a page sits in the whole list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Pagination {
    /// This page's number, from 1.
    #[schema(example = 1)]
    pub page: i64,
    /// Items per page (at most 100).
    #[schema(example = 20)]
    pub per_page: i64,
    /// Items in the whole list.
    #[schema(example = 3)]
    pub total: i64,
    /// Pages in the whole list (0 when it is empty).
    #[schema(example = 1)]
    pub total_pages: i64,
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T: ToSchema> {
    pub data: Vec<T>,
    pub pagination: Pagination,
}

/// Answers one page with its `Link` (first, prev, next, last) and
/// `X-Total-Count` headers. Links are relative to the request's own path and
/// keep its other parameters.
pub fn respond<T: Serialize + ToSchema>(
    request: &HttpRequest,
    access: Access,
    page: PageRequest,
    total: i64,
    data: Vec<T>,
) -> HttpResponse {
    let total_pages = (total + page.per_page - 1) / page.per_page;
    let link = |number: i64, rel: &str| {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (key, value) in form_urlencoded::parse(request.query_string().as_bytes()) {
            if key != "page" {
                query.append_pair(&key, &value);
            }
        }
        query.append_pair("page", &number.to_string());
        format!("<{}?{}>; rel=\"{rel}\"", request.path(), query.finish())
    };
    let last = total_pages.max(1);
    let mut links = vec![link(1, "first")];
    if page.page > 1 {
        links.push(link((page.page - 1).min(last), "prev"));
    }
    if page.page < total_pages {
        links.push(link(page.page + 1, "next"));
    }
    links.push(link(last, "last"));

    let mut response = HttpResponse::Ok();
    crate::responses::cache_for(&mut response, access);
    response
        .insert_header((header::LINK, links.join(", ")))
        .insert_header(("X-Total-Count", total.to_string()))
        .json(Page { data, pagination: Pagination { page: page.page, per_page: page.per_page, total, total_pages } })
}
