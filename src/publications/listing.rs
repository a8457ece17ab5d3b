//! The list service: a list request's parameters become a filter under
//! the visibility rule; its page is read, its total and facets come from
//! the count cache while the catalogue has not changed, and the page is
//! answered with its links. The publication list, a category's list and
//! the feeds all go through here.

use std::sync::Arc;

use actix_web::HttpRequest;
use chrono::NaiveDateTime;
use diesel::QueryResult;

use crate::auth::Access;
use crate::cache::CountCache;
use crate::categories::dto::Localiser;
use crate::categories::tree::CategoryTree;
use crate::change::{Dependencies, ListScope};
use crate::db::{CatalogueState, DbConnection};
use crate::domain::Reference;
use crate::error::ApiError;
use crate::http::represented::Represented;
use crate::pagination::{self, Pagination};

use super::cursor::{self, Cursor};
use super::dto::{Facets, PublicationPage, PublicationSummary};
use super::facets::{self, FacetCounts};
use super::list::{self, Position, PublicationFilter, SearchPlan};
use super::list_query::PublicationListQuery;
use super::lookups::{self, Languages, SummaryRecord};
use super::search_plan::{self, Planned};
use super::visibility::{Viewer, may_see};

/// The filter a list query asks for, checked against what `viewer` may
/// see. `within` restricts it further to a category's subtree; `tree` is
/// the category tree its category references are read in; `languages`,
/// the catalogue's, those a search naming none is analysed in.
pub fn filter(
    tree: &CategoryTree,
    languages: &Languages,
    query: &PublicationListQuery,
    viewer: Viewer,
    within: Option<Vec<i32>>,
) -> Result<PublicationFilter, ApiError> {
    if query.status.iter().any(|status| !may_see(viewer.access, *status)) {
        return Err(ApiError::Unauthorized(
            "listing publications that are not published (drafts, scheduled, expired, archived) needs an API token: send Authorization: Bearer <token>".into(),
        ));
    }
    Ok(PublicationFilter {
        category_ids: category_filter(tree, &query.category)?,
        within_category_ids: within,
        language: query.language.clone(),
        statuses: query.status.clone(),
        published_after: query.published_after,
        published_before: query.published_before,
        updated_after: query.updated_after,
        search: query.search(languages.present()),
        ..PublicationFilter::new(viewer)
    })
}

/// The catalogue's languages, when `query` searches without naming a
/// language (its search is analysed in each); none otherwise.
pub fn languages(
    connection: &mut DbConnection,
    cache: &CountCache,
    state: &CatalogueState,
    query: &PublicationListQuery,
) -> QueryResult<Languages> {
    if query.q.is_none() || query.language.is_some() {
        return Ok(Languages::default());
    }
    cache.get(connection, state, "languages", lookups::languages)
}

/// Turns category references into the ids of those categories and all their
/// descendants.
pub fn category_filter(tree: &CategoryTree, references: &[String]) -> Result<Option<Vec<i32>>, ApiError> {
    if references.is_empty() {
        return Ok(None);
    }
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

/// What a list answers, before rendering.
pub struct Listed {
    /// What the list lets in.
    pub scope: ListScope,
    pub total: i64,
    /// Whether `total` is an estimate (a broad search).
    pub estimated: bool,
    pub records: Vec<SummaryRecord>,
    pub next: Option<Cursor>,
    pub facets: Option<Arc<FacetCounts>>,
    /// The instant it was read at.
    pub at: NaiveDateTime,
}

/// Runs a list: its page, and its total and facets from the cache when the
/// catalogue has not changed since they were counted. `key` names the list
/// (path and parameters but the position); `revision` is the catalogue's,
/// read before anything else.
pub fn run(
    connection: &mut DbConnection,
    cache: &CountCache,
    key: &str,
    query: &PublicationListQuery,
    filter: &PublicationFilter,
    state: &CatalogueState,
) -> Result<Listed, ApiError> {
    let (total, estimated, plan, counting) = match &filter.search {
        None => {
            let total = cache.get(connection, state, key, |connection| list::total(connection, filter))?.count;
            (total, false, SearchPlan::default(), None)
        }
        Some(search) => {
            let Planned { total, estimated, plan, counting } =
                search_plan::plan(connection, cache, state, key, query, filter, search)?;
            let about = if estimated { "about " } else { "" };
            log::debug!("{key}: {about}{total} match(es), read as {plan:?}");
            (total, estimated, plan, Some(counting))
        }
    };
    let (records, next) = list::page(connection, filter, query.sort, &query.position, &plan)?;
    let facets = if query.facets == Default::default() {
        None
    } else {
        let counted = PublicationFilter { drive: counting.unwrap_or_default(), ..filter.clone() };
        let facets =
            cache.get(connection, state, key, |connection| facets::facets(connection, &counted, query.facets))?;
        Some(Arc::new(facets))
    };
    let scope = ListScope { order: Some(query.sort.order()), ..filter.scope() };
    Ok(Listed { scope, total, estimated, records, next, facets, at: filter.viewer.at })
}

/// The answer to a list request.
pub fn respond(
    request: &HttpRequest,
    access: Access,
    query: &PublicationListQuery,
    listed: Listed,
    names: &Localiser,
) -> Result<Represented, ApiError> {
    let page = match &query.position {
        Position::Page(page) => Some(page.page),
        Position::After(..) => None,
    };
    let fingerprint = cursor::fingerprint(request.query_string());
    let next_cursor = listed.next.map(|cursor| cursor.encode(&fingerprint));
    let pagination = Pagination::new(page, query.per_page, listed.total, next_cursor).estimated(listed.estimated);
    let shown: Vec<i32> = listed.records.iter().map(|record| record.row.id).collect();
    let at = listed.at;
    let mut data: Vec<PublicationSummary> =
        listed.records.into_iter().map(|record| PublicationSummary::new(record, at)).collect();
    names.rename(data.iter_mut().flat_map(|summary| summary.categories.iter_mut()));
    let facets = listed.facets.map(|facets| Facets::named(&facets, names));
    let body = PublicationPage { data, pagination, facets };
    let dependencies = Dependencies::page(listed.scope, shown);
    Ok(pagination::respond(request, access, &body, &body.pagination)?.depends_on(dependencies))
}

/// The name of a list in the count cache: its path and its parameters,
/// but not its position.
pub fn key(request: &HttpRequest) -> String {
    format!("{} {}", request.path(), cursor::fingerprint(request.query_string()))
}
