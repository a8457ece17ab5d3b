//! The release calendar's handlers: JSON, one page at a time, and
//! iCalendar for calendar applications.

use actix_web::{HttpRequest, get, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

use crate::auth::Access;
use crate::cache::CountCache;
use crate::categories::dto::CategorySummary;
use crate::categories::dto::Localiser;
use crate::categories::queries as category_queries;
use crate::categories::tree::CategoryTree;
use crate::config::HttpSettings;
use crate::db::{self, Pool};
use crate::error::{ApiError, BadRequest, NotModified, Unauthorized, Unavailable};
use crate::http::language::{Lang, LangParameter};
use crate::http::represented::Represented;
use crate::pagination::{self, PageRequest, Pagination};
use crate::publications::list_query::MAX_CATEGORIES;
use crate::publications::listing::category_filter;
use crate::publications::lookups::SummaryRecord;
use crate::publications::visibility::Viewer;
use crate::query::QueryParams;

use super::ics;
use super::queries::{self, ScheduleFilter};

/// The most events a calendar file holds.
const MAX_EVENTS: i64 = 1000;

const CALENDAR: &str = "text/calendar; charset=utf-8";

/// The filters of the release calendar.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ScheduleQuery {
    /// Only releases filed under this category (id or slug) or one of its
    /// descendants; repeat it for any of several.
    #[param(required = false, style = Form, explode, example = json!(["etudes-publications"]))]
    pub category: Vec<String>,
    /// Only releases in this language (a BCP 47 tag).
    #[param(required = false, example = "fr")]
    pub language: Option<String>,
    /// Released at or after this date (from midnight UTC) or date-time
    /// (RFC 3339).
    #[param(required = false, example = "2026-12-01")]
    pub after: Option<String>,
    /// Released before this date (a date includes its whole day) or
    /// date-time.
    #[param(required = false, example = "2027-01-01")]
    pub before: Option<String>,
}

/// The position of a page of the calendar.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SchedulePage {
    /// The page to return, from 1.
    #[param(required = false, minimum = 1, maximum = 1000000, default = 1)]
    pub page: i64,
    /// How many releases a page holds.
    #[param(required = false, minimum = 1, maximum = 100, default = 20)]
    pub per_page: i64,
}

/// The query of a calendar request, checked.
struct Asked {
    categories: Vec<String>,
    language: Option<String>,
    after: Option<chrono::NaiveDateTime>,
    before: Option<chrono::NaiveDateTime>,
}

impl Asked {
    fn parse(params: &QueryParams) -> Result<Self, ApiError> {
        Ok(Self {
            categories: params.texts("category", MAX_CATEGORIES)?,
            language: params.language("language")?,
            after: params.instant("after", false)?,
            before: params.instant("before", true)?,
        })
    }

    fn filter(self, tree: &CategoryTree, viewer: Viewer) -> Result<ScheduleFilter, ApiError> {
        Ok(ScheduleFilter {
            viewer,
            category_ids: category_filter(tree, &self.categories)?,
            language: self.language,
            after: self.after,
            before: self.before,
        })
    }
}

/// A coming release: what may be told of a publication before it is out.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 12,
    "slug": "chiffres-cles-2026",
    "title": "Chiffres clés 2026",
    "language": "fr",
    "published_at": "2026-12-05T09:00:00Z",
    "categories": [{"id": 1, "slug": "etudes-publications", "name": "Études & publications", "lang": "fr"}],
    "announce": true
}))]
pub struct Release {
    pub id: i32,
    /// The slug it will be found under.
    pub slug: String,
    pub title: String,
    /// A BCP 47 language tag.
    pub language: String,
    /// When it comes out (UTC).
    pub published_at: DateTime<Utc>,
    /// The categories it is filed under, in its order.
    pub categories: Vec<CategorySummary>,
    /// Whether it is in the public calendar (token holders also see those
    /// that are not).
    pub announce: bool,
}

impl From<SummaryRecord> for Release {
    fn from(record: SummaryRecord) -> Self {
        let row = record.row;
        Self {
            id: row.id,
            slug: row.slug,
            title: row.title,
            language: row.language,
            published_at: row.published_at.unwrap_or_default().and_utc(),
            categories: record.categories,
            announce: row.announce,
        }
    }
}

/// One page of the calendar.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Page_Release)]
pub struct ReleasePage {
    pub data: Vec<Release>,
    pub pagination: Pagination,
}

/// List coming releases
///
/// The publications scheduled to come out, soonest first, that editors
/// chose to announce (`announce: true`): their title, time, language and
/// categories, never their summary, body, links or files. With a token,
/// every scheduled publication, announced or not. A release leaves the
/// calendar at its instant, when the publication itself appears.
#[utoipa::path(
    tag = "schedule",
    params(ScheduleQuery, SchedulePage, LangParameter),
    security((), ("bearer" = ["read"])),
    responses(
        (status = 200, description = "One page of coming releases.", body = ReleasePage,
            headers(
                ("Link" = String, description = "RFC 8288 links to the first, previous, next and last pages."),
                ("X-Total-Count" = i64, description = "How many releases match, on all pages."),
            )),
        (status = 304, response = NotModified),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 503, response = Unavailable),
    )
)]
#[get("/schedule")]
pub async fn schedule(
    pool: web::Data<Pool>,
    cache: web::Data<CountCache>,
    access: Access,
    lang: Lang,
    request: HttpRequest,
) -> Result<Represented, ApiError> {
    let params = QueryParams::parse(
        request.query_string(),
        &["category", "language", "after", "before", "page", "per_page", "lang"],
    )?;
    let asked = Asked::parse(&params)?;
    let page = PageRequest::from_params(&params)?;
    let (records, total, state, tree) = db::run(&pool, move |connection| {
        let state = db::catalogue_state(connection)?;
        let tree = category_queries::kept_tree(connection, &cache, &state)?;
        let filter = asked.filter(&tree, Viewer::as_of(access, &state))?;
        let total = queries::count(connection, &filter)?;
        let records = queries::coming(connection, &filter, page.per_page, page.offset())?;
        Ok((records, total, state, tree))
    })
    .await?;
    let mut data: Vec<Release> = records.into_iter().map(Release::from).collect();
    Localiser::new(tree, &lang).rename(data.iter_mut().flat_map(|release| release.categories.iter_mut()));
    let body = ReleasePage { data, pagination: Pagination::new(Some(page.page), page.per_page, total, None) };
    Ok(pagination::respond(&request, access, &body, &body.pagination)?.as_of(&state))
}

/// Coming releases (iCalendar)
///
/// The same releases as an iCalendar file (RFC 5545), for a calendar
/// application to subscribe to: one event per release at its instant
/// (UTC), with its title, categories and the URL the publication will
/// have; its `UID` stays with the publication, so a moved release moves
/// the event. At most 1 000 events, soonest first.
#[utoipa::path(
    tag = "schedule",
    params(ScheduleQuery, LangParameter),
    security((), ("bearer" = ["read"])),
    responses(
        (status = 200, description = "An iCalendar file.", content_type = "text/calendar", body = String),
        (status = 304, response = NotModified),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 503, response = Unavailable),
    )
)]
#[get("/schedule.ics")]
pub async fn schedule_ics(
    pool: web::Data<Pool>,
    cache: web::Data<CountCache>,
    settings: web::Data<HttpSettings>,
    access: Access,
    lang: Lang,
    request: HttpRequest,
) -> Result<Represented, ApiError> {
    let params = QueryParams::parse(request.query_string(), &["category", "language", "after", "before", "lang"])?;
    let asked = Asked::parse(&params)?;
    let (mut records, state, tree) = db::run(&pool, move |connection| {
        let state = db::catalogue_state(connection)?;
        let tree = category_queries::kept_tree(connection, &cache, &state)?;
        let filter = asked.filter(&tree, Viewer::as_of(access, &state))?;
        Ok((queries::coming(connection, &filter, MAX_EVENTS, 0)?, state, tree))
    })
    .await?;
    Localiser::new(tree, &lang).rename(records.iter_mut().flat_map(|record| record.categories.iter_mut()));
    let connection = request.connection_info();
    let api = format!("{}://{}", connection.scheme(), connection.host());
    let authority = settings.authority(connection.host());
    let events: Vec<ics::Event> = records
        .into_iter()
        .map(|record| {
            let row = record.row;
            ics::Event {
                uid: format!("publication-{}@{authority}", row.id),
                at: row.published_at.unwrap_or_default(),
                modified: row.updated_at,
                sequence: row.version,
                url: settings.publication_url(&api, &row.slug, row.id),
                title: row.title,
                language: row.language,
                categories: record.categories.into_iter().map(|category| category.name).collect(),
            }
        })
        .collect();
    let body = ics::calendar("Publications à paraître", &events, state.modified_at());
    Ok(Represented::bytes(CALENDAR, body.into_bytes(), access).as_of(&state))
}
