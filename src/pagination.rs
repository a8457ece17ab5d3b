//! Page-numbered lists: the `page`/`per_page` parameters, the `pagination`
//! member of a list's envelope, and the `Link` and `X-Total-Count` headers.

use actix_web::HttpRequest;
use actix_web::http::header;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Access;
use crate::error::ApiError;
use crate::http::represented::Represented;
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
    /// This page's number, from 1; `null` when the page was asked for by
    /// `cursor`.
    #[schema(example = 1)]
    pub page: Option<i64>,
    /// Items per page (at most 100).
    #[schema(example = 20)]
    pub per_page: i64,
    /// Items in the whole list: exact, unless `total_is_estimate`.
    #[schema(example = 3)]
    pub total: i64,
    /// Pages in the whole list (0 when it is empty), from `total`.
    #[schema(example = 1)]
    pub total_pages: i64,
    /// Whether `total` (and so `total_pages`, `X-Total-Count` and the
    /// `last` link) is an estimate, to two significant figures: a search
    /// whose words are in 2 000 publications or more is estimated from
    /// the share of the catalogue its matches hold, rather than counted.
    /// The `next` link and `next_cursor` are exact either way.
    #[schema(example = false)]
    pub total_is_estimate: bool,
    /// The `cursor` of the next page; `null` on the last page.
    #[schema(example = json!(null))]
    pub next_cursor: Option<String>,
}

impl Pagination {
    /// Where a page of `per_page` items sits among `total`; `page` is
    /// `None` when it was asked for by cursor.
    pub fn new(page: Option<i64>, per_page: i64, total: i64, next_cursor: Option<String>) -> Self {
        let total_pages = (total + per_page - 1) / per_page;
        Self { page, per_page, total, total_pages, next_cursor, total_is_estimate: false }
    }

    /// The same, its total an estimate when `estimated` says so.
    pub fn estimated(mut self, estimated: bool) -> Self {
        self.total_is_estimate = estimated;
        self
    }
}

/// Answers one page (`body`, which holds `pagination`) with its `Link`
/// (first, prev, next, last) and `X-Total-Count` headers. Links are
/// relative to the request's own path and keep its other parameters. A
/// page asked for by cursor links to the first page and, by cursor, to the
/// next one.
pub fn respond(
    request: &HttpRequest,
    access: Access,
    body: &impl Serialize,
    pagination: &Pagination,
) -> Result<Represented, ApiError> {
    let Pagination { page, total, total_pages, next_cursor, total_is_estimate, .. } = pagination;
    let link = |position: (&str, String), rel: &str| {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (key, value) in form_urlencoded::parse(request.query_string().as_bytes()) {
            if key != "page" && key != "cursor" {
                query.append_pair(&key, &value);
            }
        }
        query.append_pair(position.0, &position.1);
        format!("<{}?{}>; rel=\"{rel}\"", request.path(), query.finish())
    };
    let number = |number: i64| ("page", number.to_string());
    let last = (*total_pages).max(1);
    let mut links = vec![link(number(1), "first")];
    match page {
        Some(page) => {
            if *page > 1 {
                links.push(link(number((page - 1).min(last)), "prev"));
            }
            // An estimated total may be off: whether a page follows is
            // known from the page itself.
            let more = if *total_is_estimate { next_cursor.is_some() } else { page < total_pages };
            if more {
                links.push(link(number(page + 1), "next"));
            }
            links.push(link(number(last), "last"));
        }
        None => {
            if let Some(cursor) = next_cursor {
                links.push(link(("cursor", cursor.clone()), "next"));
            }
        }
    }

    let total = total.to_string();
    Ok(Represented::json(body, access)?
        .with_header(header::LINK, links.join(", "))
        .with_header(header::HeaderName::from_static("x-total-count"), total))
}
