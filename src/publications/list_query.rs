//! The query parameters of publication lists: parsed and checked at the
//! edge, documented from the same struct.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use chrono::NaiveDateTime;
use utoipa::IntoParams;

use crate::domain::Status;
use crate::error::ApiError;
use crate::pagination::PageRequest;
use crate::query::QueryParams;
use crate::search::{self, SearchQuery};

use super::cursor::{Cursor, fingerprint};
use super::facets::FacetSet;
use super::list::{Position, Sort};

/// The most categories a list may be filtered by.
pub const MAX_CATEGORIES: usize = 50;

const SORTS: &[(&str, Sort)] = &[
    ("-published_at", Sort::PublishedDesc),
    ("published_at", Sort::PublishedAsc),
    ("title", Sort::TitleAsc),
    ("-title", Sort::TitleDesc),
    ("-updated_at", Sort::UpdatedDesc),
    ("updated_at", Sort::UpdatedAsc),
    ("relevance", Sort::Relevance),
];

/// The query parameters of a publication list. Filters combine with AND;
/// the values of a repeated filter with OR.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PublicationListQuery {
    /// The page to return, from 1.
    #[param(required = false, minimum = 1, maximum = 1000000, default = 1)]
    pub page: i64,
    /// How many publications a page holds.
    #[param(required = false, minimum = 1, maximum = 100, default = 20)]
    pub per_page: i64,
    /// Where to continue: the `next_cursor` of the previous page. Keyset
    /// based, so deep pages cost no more than the first and items added
    /// meanwhile never make one repeat or be skipped. Not with `page`; keep
    /// every other parameter as it was.
    #[param(required = false)]
    pub cursor: Option<String>,
    /// Counts to return beside the page, for the current filter: any of
    /// `category`, `year` and `language`, comma-separated or repeated.
    #[param(required = false, value_type = Option<String>, example = "category,year,language")]
    pub facets: FacetSet,
    /// The start of the page: a page number, or a decoded cursor.
    #[param(ignore = true)]
    pub position: Position,
    /// Full-text search over title, summary and body: case- and
    /// accent-insensitive, French stems (`concertations` finds
    /// `concertation`), every word required, `"quoted words"` as a phrase.
    #[param(required = false, example = "concertation \"ayants droit\"")]
    pub q: Option<String>,
    /// Only publications filed under this category or one of its
    /// descendants, given by slug or id. Repeat it for any of several.
    #[param(required = false, style = Form, explode, example = json!(["etudes-publications"]))]
    pub category: Vec<String>,
    /// Only publications in this language (BCP 47 tag, e.g. `fr`).
    #[param(required = false, example = "fr")]
    pub language: Option<String>,
    /// Only publications with this status, as of the request; repeat it
    /// for several. Default `published`; the others need a token.
    #[param(required = false, style = Form, explode, inline)]
    pub status: Vec<Status>,
    /// Published at or after this date (`2025-01-01`, from midnight UTC) or
    /// date-time (RFC 3339).
    #[param(required = false, value_type = Option<String>, example = "2025-01-01")]
    pub published_after: Option<NaiveDateTime>,
    /// Published on or before this date (`2025-12-31`, to the end of that
    /// day UTC) or date-time (RFC 3339, inclusive).
    #[param(required = false, value_type = Option<String>, example = "2025-12-31")]
    pub published_before: Option<NaiveDateTime>,
    /// Changed at or after this date or date-time (inclusive): what to
    /// fetch again to mirror the catalogue. Sorts by `updated_at` unless
    /// `sort` says otherwise.
    #[param(required = false, value_type = Option<String>, example = "2025-12-01T00:00:00Z")]
    pub updated_after: Option<NaiveDateTime>,
    /// The order: `-published_at` (default without `q`), `published_at`,
    /// `title`, `-title`, `-updated_at`, `updated_at`, or `relevance`
    /// (default with `q`: title matches first, then newest). Ties break on
    /// `id`.
    #[param(required = false, value_type = Option<String>, example = "-published_at")]
    pub sort: Sort,
}

impl PublicationListQuery {
    const PARAMETERS: &[&str] = &[
        "page",
        "per_page",
        "cursor",
        "q",
        "category",
        "language",
        "status",
        "published_after",
        "published_before",
        "updated_after",
        "sort",
        "facets",
        "lang",
    ];

    /// `q`, analysed in the language the list asks for, or, when it asks
    /// for none, in each language of `present` (the catalogue's).
    pub fn search<'a>(&self, present: impl IntoIterator<Item = &'a str>) -> Option<SearchQuery> {
        let q = self.q.as_deref()?;
        match &self.language {
            Some(language) => search::analyser(language).query(q),
            None => search::query_in(q, present),
        }
    }

    fn analysed(q: &str, language: Option<&str>) -> Option<SearchQuery> {
        search::analyser(language.unwrap_or(search::DEFAULT_LANGUAGE)).query(q)
    }

    fn parse(query: &str) -> Result<Self, ApiError> {
        let params = QueryParams::parse(query, Self::PARAMETERS)?;
        let page = PageRequest::from_params(&params)?;
        let category = params.texts("category", MAX_CATEGORIES)?;
        let q = params.text("q")?.map(str::to_owned);
        if let Some(q) = &q
            && q.chars().count() > search::MAX_QUERY_LENGTH
        {
            return Err(ApiError::invalid_parameter(
                "q",
                "too_long",
                format!("must be at most {} characters", search::MAX_QUERY_LENGTH),
            ));
        }
        let language = params.language("language")?;
        if let Some(q) = &q
            && Self::analysed(q, language.as_deref()).is_none()
        {
            return Err(ApiError::invalid_parameter("q", "no_terms", "must hold at least one word"));
        }
        let mut status = Vec::new();
        for raw in params.all("status") {
            let Some(value) = Status::parse(raw) else {
                return Err(ApiError::invalid_parameter(
                    "status",
                    "invalid_choice",
                    format!("must be draft, scheduled, published, expired or archived, got '{raw}'"),
                ));
            };
            if !status.contains(&value) {
                status.push(value);
            }
        }
        if status.is_empty() {
            status.push(Status::Published);
        }
        let updated_after = params.instant("updated_after", false)?;
        let sort = match params.text("sort")? {
            Some(raw) => SORTS.iter().find(|(name, _)| *name == raw).map(|(_, sort)| *sort).ok_or_else(|| {
                let names: Vec<&str> = SORTS.iter().map(|(name, _)| *name).collect();
                ApiError::invalid_parameter(
                    "sort",
                    "invalid_choice",
                    format!("must be one of {}, got '{raw}'", names.join(", ")),
                )
            })?,
            None if q.is_some() => Sort::Relevance,
            None if updated_after.is_some() => Sort::UpdatedAsc,
            None => Sort::PublishedDesc,
        };
        if sort == Sort::Relevance && q.is_none() {
            return Err(ApiError::invalid_parameter("sort", "needs_q", "relevance needs a search: give q"));
        }
        let cursor = params.text("cursor")?.map(str::to_owned);
        let position = match &cursor {
            Some(_) if params.single("page")?.is_some() => {
                return Err(ApiError::invalid_parameter("cursor", "with_page", "give either page or cursor, not both"));
            }
            Some(raw) => Position::After(Cursor::decode(raw, &fingerprint(query), sort)?, page.per_page),
            None => Position::Page(page),
        };
        let mut facets = FacetSet::default();
        for name in params.all("facets").iter().flat_map(|value| value.split(',')) {
            match name {
                "category" => facets.category = true,
                "year" => facets.year = true,
                "language" => facets.language = true,
                _ => {
                    return Err(ApiError::invalid_parameter(
                        "facets",
                        "invalid_choice",
                        format!("must list category, year or language, got '{name}'"),
                    ));
                }
            }
        }
        Ok(Self {
            page: page.page,
            per_page: page.per_page,
            cursor,
            facets,
            position,
            q,
            category,
            language,
            status,
            published_after: params.instant("published_after", false)?,
            published_before: params.instant("published_before", true)?,
            updated_after,
            sort,
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
