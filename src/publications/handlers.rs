//! HTTP handlers for publications: parse, query, answer.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, put, web};

use crate::auth::{Access, Editor};
use crate::body::{JsonObject, MergePatch};
use crate::cache::CountCache;
use crate::categories::queries as category_queries;
use crate::db::search::{Drive, Field};
use crate::db::{self, DbConnection, Pool};
use crate::domain::{Reference, Status};
use crate::error::{
    ApiError, BadRequest, BodyErrors, Conflict, NotFound, OrNotFound, PreconditionFailed, Unauthorized, Unavailable,
};
use crate::http::path::PathRef;
use crate::http::represented::Represented;
use crate::links::queries as link_queries;
use crate::pagination::{self, Page, Pagination};
use crate::preconditions::IfMatch;
use crate::query::NoQuery;

use super::cursor;
use super::dto::{Publication, PublicationSummaries, PublicationSummary};
use super::input::{PublicationInput, PublicationPatch};
use super::listing::PublicationListQuery;
use super::queries::{self, Position, PublicationFilter, SearchPlan, Sort};
use super::writes;

/// The filter a list query asks for, checked against what `access` may
/// see. `within` restricts it further to a category's subtree.
pub fn filter(
    connection: &mut DbConnection,
    query: &PublicationListQuery,
    access: Access,
    within: Option<Vec<i32>>,
) -> Result<PublicationFilter, ApiError> {
    if !access.is_editor() && query.status.iter().any(|status| *status != Status::Published) {
        return Err(ApiError::Unauthorized(
            "listing drafts or archived publications needs an API token: send Authorization: Bearer <token>".into(),
        ));
    }
    Ok(PublicationFilter {
        category_ids: category_filter(connection, &query.category)?,
        within_category_ids: within,
        language: query.language.clone(),
        statuses: query.status.clone(),
        published_after: query.published_after,
        published_before: query.published_before,
        updated_after: query.updated_after,
        search: query.search(),
        ..PublicationFilter::default()
    })
}

/// What a list answers, before rendering.
pub struct Listed {
    pub total: i64,
    /// Whether `total` is an estimate (a broad search).
    pub estimated: bool,
    pub records: Vec<queries::SummaryRecord>,
    pub next: Option<cursor::Cursor>,
    pub facets: Option<std::sync::Arc<queries::FacetCounts>>,
}

/// Runs a list: its page, and its total and facets from the cache when the
/// catalogue has not changed since they were counted. `key` names the list
/// (path and parameters but the position); `revision` is the catalogue's,
/// read before anything else.
pub fn run_list(
    connection: &mut DbConnection,
    cache: &CountCache,
    key: &str,
    query: &PublicationListQuery,
    filter: &PublicationFilter,
    revision: i64,
) -> Result<Listed, ApiError> {
    let (total, estimated, plan, counting) = match &filter.search {
        None => {
            let total = cache.total(revision, key, || queries::count(connection, filter))?;
            (total, false, SearchPlan::default(), None)
        }
        Some(search) => {
            let planned = plan_search(connection, cache, revision, key, query, filter, search)?;
            let Planned { total, estimated, plan, counting } = planned;
            let about = if estimated { "about " } else { "" };
            log::debug!("{key}: {about}{total} match(es), read as {plan:?}");
            (total, estimated, plan, Some(counting))
        }
    };
    let (records, next) = queries::page(connection, filter, query.sort, &query.position, &plan)?;
    let facets = if query.facets == Default::default() {
        None
    } else {
        let counted = PublicationFilter { drive: counting.unwrap_or_default(), ..filter.clone() };
        Some(cache.facets(revision, key, || queries::facets(connection, &counted, query.facets))?)
    };
    Ok(Listed { total, estimated, records, next, facets })
}

/// Up to how many matches a search's breadth is counted.
const BREADTH_CAP: i64 = 20_000;

/// What each way of reading a search costs, in tenths of a microsecond
/// (measured on 100 000 publications with SQLite): a match read from the
/// index, a match looked up in the list and sorted, a row of the list's
/// order read and checked against a set of matches, a row checked against
/// the index itself.
const MATCH_READ: i64 = 2;
const MATCH_LOOKUP: i64 = 35;
const ROW_IN_SET: i64 = 2;
const ROW_PROBED: i64 = 250;

/// How a search's page is read: whichever of its ways reads least, from
/// how many publications hold its terms (`breadth`), how many of the list
/// match, and how many rows the list has. These counts are made once per
/// catalogue revision and shared by every request; each is itself read the
/// cheaper way. A broad search's total is estimated ([`ESTIMATE_ABOVE`]).
fn plan_search(
    connection: &mut DbConnection,
    cache: &CountCache,
    revision: i64,
    key: &str,
    query: &PublicationListQuery,
    filter: &PublicationFilter,
    search: &crate::search::SearchQuery,
) -> Result<Planned, ApiError> {
    // The list the search narrows, shared by every search of it.
    let unsearched = PublicationFilter { search: None, ..filter.clone() };
    let size =
        cache.total(revision, &format!("unsearched {unsearched:?}"), || queries::count(connection, &unsearched))?;
    let mut breadth = |field: Field| {
        cache.breadth(revision, &format!("breadth {field:?} {:?}", search.groups), || {
            db::search::breadth(connection, field, search, BREADTH_CAP)
        })
    };
    let (breadth_all, reach_all) = breadth(Field::All)?;
    let relevance = query.sort == Sort::Relevance;
    let (breadth_title, reach_title) = if relevance { breadth(Field::Title)? } else { (0, 0) };
    let catalogue = if relevance || breadth_all >= ESTIMATE_ABOVE {
        cache.total(revision, "catalogue", || queries::catalogue_size(connection))?
    } else {
        0
    };
    // Counting reads every match: looked up one by one, or found in the
    // whole list read in order.
    let counting_for = |breadth: i64| {
        if breadth.saturating_mul(MATCH_LOOKUP) > size.saturating_mul(ROW_IN_SET) {
            Drive::OrderInMatches
        } else {
            Drive::Matches
        }
    };
    let counting = counting_for(breadth_all);
    let mut count = |suffix: &str, filter: PublicationFilter, drive: Drive| {
        let filter = PublicationFilter { drive, ..filter };
        cache.total(revision, &format!("{key}{suffix}"), || queries::count(connection, &filter))
    };
    // A broad search's total is estimated: the share of the catalogue its
    // matches hold, applied to the list it narrows.
    let estimated = breadth_all >= ESTIMATE_ABOVE;
    let total = if estimated {
        estimate(size, breadth_all, reach_all, catalogue)
    } else {
        count("", filter.clone(), counting)?
    };
    let needed = match &query.position {
        Position::Page(page) => page.offset() + page.per_page + 1,
        Position::After(_, per_page) => per_page + 1,
    };
    // Reading the matches costs their whole doclist: at least the list's.
    let read = breadth_all.max(total).saturating_mul(MATCH_READ);
    let drive = |matching: i64| {
        // In order, `needed` matches take this many rows of the list.
        let walked = (needed.saturating_mul(size) / matching.max(1)).min(size);
        let costs = [
            (read.saturating_add(matching.saturating_mul(MATCH_LOOKUP)), Drive::Matches),
            (read.saturating_add(walked.saturating_mul(ROW_IN_SET)), Drive::OrderInMatches),
            (walked.saturating_mul(ROW_PROBED), Drive::OrderProbing),
        ];
        costs.into_iter().min_by_key(|(cost, _)| *cost).map_or(Drive::Matches, |(_, drive)| drive)
    };
    if !relevance {
        return Ok(Planned {
            total,
            estimated,
            plan: SearchPlan { all: drive(total), ..SearchPlan::default() },
            counting,
        });
    }
    // Where the title matches end matters past the first page only: it is
    // counted then; otherwise only the plan uses it, and an estimate does.
    let past_first = matches!(&query.position, Position::Page(page) if page.offset() > 0);
    let title_total = if past_first {
        let titles = PublicationFilter { search_field: Field::Title, ..filter.clone() };
        count(" titles", titles, counting_for(breadth_title))?
    } else {
        estimate(size, breadth_title, reach_title, catalogue)
    };
    let plan = SearchPlan {
        all: drive(total - title_total),
        title: drive(title_total),
        title_total: past_first.then_some(title_total),
    };
    Ok(Planned { total, estimated, plan, counting })
}

/// Above how many matches (of any status) a search's total is estimated
/// rather than counted: counting reads every match, some milliseconds per
/// thousand, and a list of `ESTIMATE_ABOVE` or more is paged through, not
/// counted by its reader.
pub const ESTIMATE_ABOVE: i64 = 2_000;

/// What a search plan says: the total (estimated or not), how to read the
/// page, and how to count.
struct Planned {
    total: i64,
    estimated: bool,
    plan: SearchPlan,
    counting: Drive,
}

/// The matches among `size` publications, when `breadth` matches were
/// found among the first `reach` ids (all of them when the count did not
/// stop at its cap: `catalogue` publications): rounded to two significant
/// figures, as an estimate reads.
fn estimate(size: i64, breadth: i64, reach: i64, catalogue: i64) -> i64 {
    let among = if breadth >= BREADTH_CAP { reach } else { catalogue };
    let share = breadth as f64 / among.max(breadth).max(1) as f64;
    let estimate = (size as f64 * share).round() as i64;
    let unit = 10_i64.pow(estimate.max(1).ilog10().saturating_sub(1));
    ((estimate + unit / 2) / unit * unit).clamp(0, size)
}

/// The answer to a list request.
pub fn list_response(
    request: &HttpRequest,
    access: Access,
    query: &PublicationListQuery,
    listed: Listed,
) -> Result<Represented, ApiError> {
    let page = match &query.position {
        Position::Page(page) => Some(page.page),
        Position::After(..) => None,
    };
    let fingerprint = cursor::fingerprint(request.query_string());
    let next_cursor = listed.next.map(|cursor| cursor.encode(&fingerprint));
    let pagination = Pagination::new(page, query.per_page, listed.total, next_cursor).estimated(listed.estimated);
    let data = listed.records.into_iter().map(Into::into).collect();
    let facets = listed.facets.map(|facets| (*facets).clone().into());
    pagination::respond(request, access, Page::<PublicationSummary> { data, pagination, facets })
}

/// The name of a list in the count cache: its path and its parameters,
/// but not its position.
pub fn list_key(request: &HttpRequest) -> String {
    format!("{} {}", request.path(), cursor::fingerprint(request.query_string()))
}

/// Turns category references into the ids of those categories and all their
/// descendants.
pub fn category_filter(connection: &mut DbConnection, references: &[String]) -> Result<Option<Vec<i32>>, ApiError> {
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
    // Repeated or nested categories name the same ids: each goes to SQL once.
    ids.sort_unstable();
    ids.dedup();
    Ok(Some(ids))
}

/// List and search publications
///
/// Published publications, newest first by default, one page at a time;
/// with `q`, a French full-text search, title matches first. Filters
/// combine with AND; repeated values of one filter with OR. Pagination is
/// also given by the `Link` (first, prev, next, last) and `X-Total-Count`
/// headers.
#[utoipa::path(
    tag = "publications",
    params(PublicationListQuery),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "One page of publications.", body = Page<PublicationSummary>,
            headers(
                ("Link" = String, description = "RFC 8288 links to the first, previous, next and last pages."),
                ("X-Total-Count" = i64, description = "How many publications match, on all pages: an estimate when `pagination.total_is_estimate` is true (a broad search)."),
            )),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 503, response = Unavailable),
    )
)]
#[get("/publications")]
pub async fn list_publications(
    pool: web::Data<Pool>,
    cache: web::Data<CountCache>,
    access: Access,
    query: PublicationListQuery,
    request: HttpRequest,
) -> Result<Represented, ApiError> {
    let key = list_key(&request);
    let (query, listed, state) = db::run(&pool, move |connection| {
        let state = db::catalogue_state(connection)?;
        let filter = filter(connection, &query, access, None)?;
        let listed = run_list(connection, &cache, &key, &query, &filter, state.revision)?;
        Ok((query, listed, state))
    })
    .await?;
    Ok(list_response(&request, access, &query, listed)?.modified_at(state.changed_at))
}

/// Get a publication
///
/// One publication by id or slug, with its body, its categories and its
/// links. Without a token, only a published one; with a token, any.
#[utoipa::path(
    tag = "publications",
    params(("ref" = String, Path, description = "The publication's id or slug.",
        example = "concertation-fournisseurs-ia-ayants-droit")),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The publication.", body = Publication,
            headers(("ETag" = String, description = "The publication's version, for `If-Match`."))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    )
)]
#[get("/publications/{ref}")]
pub async fn get_publication(
    pool: web::Data<Pool>,
    access: Access,
    target: PathRef,
    _: NoQuery,
) -> Result<Represented, ApiError> {
    let (publication, state) = db::run(&pool, move |connection| {
        let state = db::catalogue_state(connection)?;
        let publication = target.resolve(connection, access, |connection, reference| {
            let record = queries::find(connection, reference, access).or_not_found(|| not_found(reference))?;
            let links = link_queries::of_publication(connection, record.row.id, access)?;
            Ok(Publication::new(record, links))
        })?;
        Ok((publication, state))
    })
    .await?;
    let version = publication.summary.version;
    Ok(Represented::json(&publication, access)?.at_version(version).modified_at(state.changed_at))
}

/// The answer to a write: the publication as it now is, with its `ETag`.
fn written(publication: &Publication, status: StatusCode) -> Result<Represented, ApiError> {
    Ok(Represented::json(publication, Access::Editor)?.at_version(publication.summary.version).with_status(status))
}

/// A publication as the API shows it to a token holder.
fn detail(connection: &mut DbConnection, id: i32) -> Result<Publication, ApiError> {
    let record = writes::current(connection, &Reference::Id(id))?;
    let links = link_queries::of_publication(connection, id, Access::Editor)?;
    Ok(Publication::new(record, links))
}

/// Create a publication
///
/// The body is a JSON object of which only `title` is required. The answer
/// is the new publication, with its `Location` and `ETag`.
#[utoipa::path(
    tag = "publications",
    request_body(content = PublicationInput, content_type = "application/json"),
    security(("bearer" = [])),
    responses(
        BodyErrors,
        (status = 201, description = "The publication was created.", body = Publication,
            headers(
                ("Location" = String, description = "The new publication's URL."),
                ("ETag" = String, description = "The publication's version, for `If-Match`."),
            )),
        (status = 409, response = Conflict),
    )
)]
#[post("/publications")]
pub async fn create_publication(
    pool: web::Data<Pool>,
    editor: Editor,
    body: JsonObject,
    _: NoQuery,
) -> Result<Represented, ApiError> {
    let input = PublicationInput::from_json(body.0)?;
    let publication = db::write(&pool, move |connection| {
        let id = writes::create(connection, input.clone())?;
        detail(connection, id)
    })
    .await?;
    let id = publication.summary.id;
    log::info!("token {} created publication {id}", editor.token_id);
    Ok(written(&publication, StatusCode::CREATED)?.with_header(header::LOCATION, format!("/api/v1/publications/{id}")))
}

/// Replace a publication
///
/// The body is a whole publication, as for a creation: absent fields take
/// their defaults, and an absent `slug` keeps the current one. Honours
/// `If-Match`.
#[utoipa::path(
    tag = "publications",
    params(
        ("ref" = String, Path, description = "The publication's id or slug."),
        ("If-Match" = Option<String>, Header, description = "The `ETag` the change is based on; a stale one is a 412."),
    ),
    request_body(content = PublicationInput, content_type = "application/json"),
    security(("bearer" = [])),
    responses(
        BodyErrors,
        (status = 200, description = "The publication as replaced.", body = Publication,
            headers(("ETag" = String, description = "The publication's new version."))),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed),
    )
)]
#[put("/publications/{ref}")]
pub async fn replace_publication(
    pool: web::Data<Pool>,
    editor: Editor,
    target: PathRef,
    body: JsonObject,
    _: NoQuery,
    if_match: IfMatch,
) -> Result<Represented, ApiError> {
    let input = PublicationInput::from_json(body.0)?;
    let publication = db::write(&pool, move |connection| {
        let id = target.resolve(connection, Access::Editor, |connection, reference| {
            writes::replace(connection, reference, &if_match, input.clone())
        })?;
        detail(connection, id)
    })
    .await?;
    log::info!("token {} replaced publication {}", editor.token_id, publication.summary.id);
    written(&publication, StatusCode::OK)
}

/// Patch a publication
///
/// A JSON Merge Patch (RFC 7396): members given replace the current ones,
/// `null` clears one that can be empty. Sent as `application/merge-patch+json`
/// or `application/json`. Honours `If-Match`.
#[utoipa::path(
    tag = "publications",
    params(
        ("ref" = String, Path, description = "The publication's id or slug."),
        ("If-Match" = Option<String>, Header, description = "The `ETag` the change is based on; a stale one is a 412."),
    ),
    request_body(content(
        (PublicationPatch = "application/merge-patch+json"),
        (PublicationPatch = "application/json"),
    )),
    security(("bearer" = [])),
    responses(
        BodyErrors,
        (status = 200, description = "The publication as patched.", body = Publication,
            headers(("ETag" = String, description = "The publication's new version."))),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed),
    )
)]
#[patch("/publications/{ref}")]
pub async fn patch_publication(
    pool: web::Data<Pool>,
    editor: Editor,
    target: PathRef,
    body: MergePatch,
    _: NoQuery,
    if_match: IfMatch,
) -> Result<Represented, ApiError> {
    let publication = db::write(&pool, move |connection| {
        let id = target.resolve(connection, Access::Editor, |connection, reference| {
            writes::patch(connection, reference, &if_match, body.clone())
        })?;
        detail(connection, id)
    })
    .await?;
    log::info!("token {} patched publication {}", editor.token_id, publication.summary.id);
    written(&publication, StatusCode::OK)
}

/// Delete a publication
///
/// Deletes the publication, its own links, and the links of other
/// publications to it. Honours `If-Match`.
#[utoipa::path(
    tag = "publications",
    params(
        ("ref" = String, Path, description = "The publication's id or slug."),
        ("If-Match" = Option<String>, Header, description = "The `ETag` the deletion is based on; a stale one is a 412."),
    ),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "The publication was deleted."),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 412, response = PreconditionFailed),
        (status = 503, response = Unavailable),
    )
)]
#[delete("/publications/{ref}")]
pub async fn delete_publication(
    pool: web::Data<Pool>,
    editor: Editor,
    target: PathRef,
    _: NoQuery,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let id = db::write(&pool, move |connection| {
        target.resolve(connection, Access::Editor, |connection, reference| {
            writes::delete(connection, reference, &if_match)
        })
    })
    .await?;
    log::info!("token {} deleted publication {id}", editor.token_id);
    Ok(HttpResponse::NoContent().finish())
}

/// List related publications
///
/// The published publications that a `related` link joins to this one, in
/// either direction, newest first.
#[utoipa::path(
    tag = "publications",
    params(("ref" = String, Path, description = "The publication's id or slug.",
        example = "concertation-fournisseurs-ia-ayants-droit")),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The related publications.", body = PublicationSummaries),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    )
)]
#[get("/publications/{ref}/related")]
pub async fn list_related_publications(
    pool: web::Data<Pool>,
    access: Access,
    target: PathRef,
    _: NoQuery,
) -> Result<Represented, ApiError> {
    let (records, state) = db::run(&pool, move |connection| {
        let state = db::catalogue_state(connection)?;
        let records = target.resolve(connection, access, |connection, reference| {
            let id = find_id(connection, reference, access)?;
            Ok(queries::related(connection, id, access)?)
        })?;
        Ok((records, state))
    })
    .await?;
    let data = records.into_iter().map(Into::into).collect();
    Ok(Represented::json(&PublicationSummaries { data }, access)?.modified_at(state.changed_at))
}

fn not_found(reference: &Reference) -> ApiError {
    ApiError::no_such("publication", reference)
}

/// The id of a publication `access` may read, or the 404 that names what
/// was asked for.
pub fn find_id(connection: &mut DbConnection, reference: &Reference, access: Access) -> Result<i32, ApiError> {
    queries::find_id(connection, reference, access).or_not_found(|| not_found(reference))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_estimate_is_the_matches_share_applied_to_the_list_to_two_figures() {
        // Counted to the end: 3 000 of the 10 000 publications match; the
        // list searched holds 90 000 (reach is not used).
        assert_eq!(estimate(90_000, 3_000, 100_000, 10_000), 27_000);
        // Stopped at the cap: 20 000 matches among the first 47 000 ids.
        assert_eq!(estimate(90_000, BREADTH_CAP, 47_000, 100_000), 38_000);
        // Two significant figures, never more than the list.
        assert_eq!(estimate(1_234, 2_500, 2_500, 2_500), 1_200);
        assert_eq!(estimate(2_000, 2_000, 3_000, 3_000), 1_300);
        assert_eq!(estimate(7, 5_000, 5_000, 5_000), 7);
        assert_eq!(estimate(0, 5_000, 5_000, 5_000), 0);
    }
}
