//! The SQL of publication lists: what a list is restricted to (one
//! condition, under the visibility rule), the orders it comes in, where a
//! page starts (an offset or a cursor), and how many rows it holds.

use chrono::NaiveDateTime;
use diesel::expression::BoxableExpression;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Nullable};

use crate::auth::Access;
use crate::cache::Maintained;
use crate::change::{ListScope, Order, Touched};
use crate::db::fragment::Raw;
use crate::db::schema::publications;
use crate::db::search::{self, Drive, Field};
use crate::db::{self, Backend, DbConnection, MultiBackend};
use crate::domain::Status;
use crate::pagination::PageRequest;
use crate::search::SearchQuery;

use super::cursor::{Cursor, Key};
use super::lookups::{SummaryRecord, SummaryRow, with_categories};
use super::visibility::{StatusIndex, Viewer, visible_among};

/// What a list is restricted to. Every field narrows it (AND).
#[derive(Clone, Debug)]
pub struct PublicationFilter {
    /// Who reads the list, and when: the visibility rule applies first.
    pub viewer: Viewer,
    /// Any of these categories (descendants already expanded).
    pub category_ids: Option<Vec<i32>>,
    /// And any of these: the subtree of the category being listed.
    pub within_category_ids: Option<Vec<i32>>,
    pub language: Option<String>,
    /// Any of these statuses (of those the viewer may see).
    pub statuses: Vec<Status>,
    /// `published_at` at or after this time.
    pub published_after: Option<NaiveDateTime>,
    /// `published_at` strictly before this time.
    pub published_before: Option<NaiveDateTime>,
    /// `updated_at` at or after this time.
    pub updated_after: Option<NaiveDateTime>,
    pub search: Option<SearchQuery>,
    /// Where the search looks: everywhere, or the title only (the first
    /// part of relevance order).
    pub search_field: Field,
    /// Leaves out what the search matches in the title (the second part
    /// of relevance order).
    pub without_title_matches: bool,
    /// How the search narrows the list.
    pub drive: Drive,
    /// Whether every row is read (a count) rather than the first of an
    /// order: then the filings of the categories asked for lead, instead
    /// of each row's filing being checked in the list's order.
    pub counting: bool,
}

impl PublicationFilter {
    /// The published publications that `viewer` may see, unfiltered.
    pub fn new(viewer: Viewer) -> Self {
        Self {
            viewer,
            category_ids: None,
            within_category_ids: None,
            language: None,
            statuses: vec![Status::Published],
            published_after: None,
            published_before: None,
            updated_after: None,
            search: None,
            search_field: Field::default(),
            without_title_matches: false,
            drive: Drive::default(),
            counting: false,
        }
    }

    /// What the filter's rows are, as a cache key: every field but the
    /// viewer's instant, so that requests a moment apart share a count.
    pub fn key(&self) -> String {
        let Self {
            viewer,
            category_ids,
            within_category_ids,
            language,
            statuses,
            published_after,
            published_before,
            updated_after,
            search,
            search_field,
            without_title_matches,
            drive,
            counting,
        } = self;
        format!(
            "{:?} {category_ids:?} {within_category_ids:?} {language:?} {statuses:?} {published_after:?} \
             {published_before:?} {updated_after:?} {search:?} {search_field:?} {without_title_matches} {drive:?} \
             {counting}",
            viewer.access
        )
    }

    /// What the filter lets in, as changes are told against it (a count's:
    /// no order).
    pub fn scope(&self) -> ListScope {
        ListScope {
            phrases: self.search.as_ref().is_some_and(SearchQuery::beyond_terms),
            order: None,
            public_only: self.viewer.access == Access::Public,
            statuses: self.statuses.clone(),
            categories: [&self.category_ids, &self.within_category_ids].into_iter().flatten().cloned().collect(),
            language: self.language.clone(),
            published_after: self.published_after,
            published_before: self.published_before,
            updated_after: self.updated_after,
            terms: self.search.as_ref().map(SearchQuery::common_terms),
        }
    }

    /// The filter as one condition on any query whose FROM clause holds
    /// `publications` (alone or joined, grouped or not).
    pub fn condition(&self, backend: Backend) -> Raw<Bool> {
        // When the search's few matches drive the query on SQLite, the
        // status index must not (its planner, without statistics, prefers
        // it). PostgreSQL's planner knows how many rows each status holds.
        let matches_lead = self.search.is_some() && self.drive == Drive::Matches && backend == Backend::Sqlite;
        let index = if matches_lead { StatusIndex::Avoided } else { StatusIndex::Usable };
        let mut conditions = vec![visible_among(&self.viewer, &self.statuses, index)];
        // To list, EXISTS, correlated on the publication: a list in date
        // order stops after one page of matches instead of gathering every
        // match first. To count, the filings lead: only the rows filed there
        // are read. An alias keeps it valid in a query that joins the filing
        // table. The ids are bound (a padded list): SQLite keeps the
        // statement prepared; PostgreSQL plans it for the categories at hand.
        for ids in [&self.category_ids, &self.within_category_ids].into_iter().flatten() {
            let filed = if self.counting {
                "publications.id IN (SELECT filed.publication_id FROM publication_categories AS filed \
                 WHERE filed.category_id"
            } else {
                "EXISTS (SELECT 1 FROM publication_categories AS filed \
                 WHERE filed.publication_id = publications.id AND filed.category_id"
            };
            conditions.push(Raw::new(filed).in_ids(ids).sql(")").keep(backend == Backend::Sqlite));
        }
        if let Some(language) = &self.language {
            conditions.push(Raw::new("publications.language = ").text(language.clone()));
        }
        if let Some(after) = self.published_after {
            conditions.push(Raw::new("publications.published_at >= ").timestamp(after));
        }
        if let Some(before) = self.published_before {
            conditions.push(Raw::new("publications.published_at < ").timestamp(before));
        }
        if let Some(after) = self.updated_after {
            conditions.push(Raw::new("publications.updated_at >= ").timestamp(after));
        }
        if let Some(query) = &self.search {
            conditions.push(search::matches(backend, self.search_field, query, self.drive));
            if self.without_title_matches {
                let in_title = search::matches(backend, Field::Title, query, self.drive);
                conditions.push(Raw::new("NOT (").append(in_title).sql(")"));
            }
        }
        Raw::all(conditions)
    }
}

/// The orders a list can come in; ties always break on `id`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sort {
    /// Newest first (`-published_at`); the default without `q`.
    PublishedDesc,
    /// Oldest first (`published_at`).
    PublishedAsc,
    /// By title, A to Z, accents and case folded (`title`).
    TitleAsc,
    /// By title, Z to A (`-title`).
    TitleDesc,
    /// Last changed first (`-updated_at`).
    UpdatedDesc,
    /// Least recently changed first (`updated_at`): incremental sync.
    UpdatedAsc,
    /// Title matches first, then newest first (`relevance`); needs `q`.
    Relevance,
}

impl Sort {
    /// The order, as a change can move an item in it.
    pub fn order(self) -> Order {
        match self {
            Self::PublishedDesc | Self::PublishedAsc => Order::Published,
            Self::TitleAsc | Self::TitleDesc => Order::Title,
            Self::UpdatedDesc | Self::UpdatedAsc => Order::Updated,
            Self::Relevance => Order::Relevance,
        }
    }
}

fn filtered(filter: &PublicationFilter, backend: Backend) -> publications::BoxedQuery<'static, MultiBackend> {
    publications::table.filter(filter.condition(backend)).into_boxed()
}

/// Orders a query; drafts without `published_at` come last in both
/// directions, on both backends. Only a list that may hold drafts orders
/// on `published_at IS NULL`: without it, the ordering is the one of the
/// `(status, published_at, id)` index and needs no sort. Relevance is read
/// in two parts (see [`relevance_rows`]), each newest first.
fn sorted<'a>(
    query: publications::BoxedQuery<'a, MultiBackend>,
    sort: Sort,
    filter: &PublicationFilter,
) -> publications::BoxedQuery<'a, MultiBackend> {
    use publications::{id, published_at, sort_title, updated_at};
    let drafts = filter.statuses.contains(&Status::Draft);
    match sort {
        Sort::PublishedDesc | Sort::Relevance if drafts => {
            query.order((published_at.is_null(), published_at.desc(), id.desc()))
        }
        Sort::PublishedDesc | Sort::Relevance => query.order((published_at.desc(), id.desc())),
        Sort::PublishedAsc if drafts => query.order((published_at.is_null(), published_at.asc(), id.asc())),
        Sort::PublishedAsc => query.order((published_at.asc(), id.asc())),
        Sort::TitleAsc => query.order((sort_title.asc(), id.asc())),
        Sort::TitleDesc => query.order((sort_title.desc(), id.desc())),
        Sort::UpdatedDesc => query.order((updated_at.desc(), id.desc())),
        Sort::UpdatedAsc => query.order((updated_at.asc(), id.asc())),
    }
}

/// Keeps what comes strictly after `cursor` in `sort` order. Drafts without
/// `published_at` come last in either direction.
fn seek<'a>(
    query: publications::BoxedQuery<'a, MultiBackend>,
    sort: Sort,
    cursor: &Cursor,
    filter: &PublicationFilter,
) -> publications::BoxedQuery<'a, MultiBackend> {
    use publications::{id, published_at, sort_title, updated_at};
    type Condition = Box<dyn BoxableExpression<publications::table, MultiBackend, SqlType = Nullable<Bool>>>;
    /// After (at, cursor id) by published_at, nulls last. Written as a
    /// range (`published_at <= at`) narrowed by a filter, so the date index
    /// starts at the cursor whatever its depth; the dateless rows are added
    /// only when the list can hold some (drafts, archived).
    fn after_published(at: Option<NaiveDateTime>, cursor_id: i32, descending: bool, dateless: bool) -> Condition {
        let dated: Condition = match (at, descending) {
            (Some(at), true) => Box::new(published_at.le(at).and(published_at.lt(at).or(id.lt(cursor_id)))),
            (Some(at), false) => Box::new(published_at.ge(at).and(published_at.gt(at).or(id.gt(cursor_id)))),
            (None, true) => return Box::new(published_at.is_null().and(id.lt(cursor_id)).nullable()),
            (None, false) => return Box::new(published_at.is_null().and(id.gt(cursor_id)).nullable()),
        };
        if dateless { Box::new(dated.or(published_at.is_null().nullable())) } else { dated }
    }
    // Only published publications (scheduled and expired ones too) are
    // sure to have a date.
    let dateless = filter.statuses.iter().any(|status| status.stored() != Status::Published);
    let cursor_id = cursor.id;
    match (&cursor.key, sort) {
        (Key::Published(at), Sort::PublishedAsc) => query.filter(after_published(*at, cursor_id, false, dateless)),
        (Key::Published(at), _) => query.filter(after_published(*at, cursor_id, true, dateless)),
        (Key::Title(title), Sort::TitleDesc) => {
            query.filter(sort_title.le(title.clone()).and(sort_title.lt(title.clone()).or(id.lt(cursor_id))))
        }
        (Key::Title(title), _) => {
            query.filter(sort_title.ge(title.clone()).and(sort_title.gt(title.clone()).or(id.gt(cursor_id))))
        }
        (Key::Updated(at), Sort::UpdatedDesc) => {
            query.filter(updated_at.le(*at).and(updated_at.lt(*at).or(id.lt(cursor_id))))
        }
        (Key::Updated(at), _) => query.filter(updated_at.ge(*at).and(updated_at.gt(*at).or(id.gt(cursor_id)))),
        // Within one part of relevance order, which the filter selects.
        (Key::Relevance(_, at), _) => query.filter(after_published(*at, cursor_id, true, dateless)),
    }
}

/// Where a page starts: a page number, or a cursor.
#[derive(Clone, Debug)]
pub enum Position {
    Page(PageRequest),
    After(Cursor, i64),
}

/// How a search's page is read, chosen from what its terms cost.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SearchPlan {
    /// How the matches in every field are read.
    pub all: Drive,
    /// How the title matches are read (the first part of relevance order).
    pub title: Drive,
    /// How many title matches the list holds: where the second part of
    /// relevance order starts (needed past the first page only).
    pub title_total: Option<i64>,
}

/// One page of the filtered list in `sort` order, and the cursor after the
/// page when more follows.
pub fn page(
    connection: &mut DbConnection,
    filter: &PublicationFilter,
    sort: Sort,
    position: &Position,
    plan: &SearchPlan,
) -> QueryResult<(Vec<SummaryRecord>, Option<Cursor>)> {
    let per_page = match position {
        Position::Page(page) => page.per_page,
        Position::After(_, per_page) => *per_page,
    };
    let start = match position {
        Position::Page(page) => Start::Offset(page.offset()),
        Position::After(cursor, _) => Start::After(cursor.clone()),
    };
    // One more than a page tells whether another page follows.
    let mut rows = match (sort, &filter.search) {
        (Sort::Relevance, Some(_)) => relevance_rows(connection, filter, start, per_page + 1, plan)?,
        _ => {
            let filter = PublicationFilter { drive: plan.all, ..filter.clone() };
            rows(connection, &filter, sort, &start, per_page + 1)?
        }
    };
    let more = rows.len() as i64 > per_page;
    rows.truncate(per_page as usize);
    let next = rows
        .last()
        .filter(|_| more)
        .map(|(row, sort_title)| Cursor::after(row, sort_title, sort, filter.search.as_ref()));
    let rows = rows.into_iter().map(|(row, _)| row).collect();
    Ok((with_categories(connection, rows)?, next))
}

/// Where rows start: after so many, or after a cursor.
enum Start {
    Offset(i64),
    After(Cursor),
}

/// At most `limit` rows of the filtered list in `sort` order from `start`.
fn rows(
    connection: &mut DbConnection,
    filter: &PublicationFilter,
    sort: Sort,
    start: &Start,
    limit: i64,
) -> QueryResult<Vec<(SummaryRow, String)>> {
    let backend = db::backend(connection);
    let query = match start {
        Start::Offset(offset) => sorted(filtered(filter, backend), sort, filter).offset(*offset),
        Start::After(cursor) => sorted(seek(filtered(filter, backend), sort, cursor, filter), sort, filter),
    };
    query.limit(limit).select((SummaryRow::as_select(), publications::sort_title)).load(connection)
}

/// Relevance order is two ranges read one after the other: the title
/// matches, newest first, then the other matches, newest first. Each is
/// read only as far as the page needs, so a page costs what its rows do,
/// not what every match would.
fn relevance_rows(
    connection: &mut DbConnection,
    filter: &PublicationFilter,
    start: Start,
    limit: i64,
    plan: &SearchPlan,
) -> QueryResult<Vec<(SummaryRow, String)>> {
    let titles = PublicationFilter { search_field: Field::Title, drive: plan.title, ..filter.clone() };
    let others = PublicationFilter { without_title_matches: true, drive: plan.all, ..filter.clone() };
    // Where each part starts; the first is skipped when the page starts
    // in the second.
    let (first, second) = match start {
        Start::Offset(0) => (Some(Start::Offset(0)), Start::Offset(0)),
        Start::Offset(offset) => {
            let title_total = match plan.title_total {
                Some(total) => total,
                None => count(connection, &titles)?,
            };
            if offset < title_total {
                (Some(Start::Offset(offset)), Start::Offset(0))
            } else {
                (None, Start::Offset(offset - title_total))
            }
        }
        Start::After(cursor) => {
            let Key::Relevance(title_match, at) = cursor.key else {
                return Ok(Vec::new());
            };
            let within = Start::After(Cursor { key: Key::Published(at), id: cursor.id });
            if title_match { (Some(within), Start::Offset(0)) } else { (None, within) }
        }
    };
    let mut found = match &first {
        Some(start) => rows(connection, &titles, Sort::PublishedDesc, start, limit)?,
        None => Vec::new(),
    };
    let missing = limit - found.len() as i64;
    if missing > 0 {
        found.extend(rows(connection, &others, Sort::PublishedDesc, &second, missing)?);
    }
    Ok(found)
}

/// How many publications the filtered list holds.
pub fn count(connection: &mut DbConnection, filter: &PublicationFilter) -> QueryResult<i64> {
    let backend = db::backend(connection);
    let filter = PublicationFilter { counting: true, ..filter.clone() };
    filtered(&filter, backend).count().get_result(connection)
}

/// A list's total, kept current through writes: a publication that enters
/// the list adds one, one that leaves it takes one away.
#[derive(Clone, Debug)]
pub struct Total {
    scope: ListScope,
    pub count: i64,
}

/// The filtered list's total, to keep.
pub fn total(connection: &mut DbConnection, filter: &PublicationFilter) -> QueryResult<Total> {
    Ok(Total { scope: filter.scope(), count: count(connection, filter)? })
}

impl Maintained for Total {
    fn apply(&mut self, touched: &Touched) -> bool {
        let Some((left, entered)) = self.scope.moved(touched) else { return false };
        self.count += i64::from(entered.is_some()) - i64::from(left.is_some());
        true
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;

    #[test]
    fn a_filter_read_a_moment_later_has_the_same_key() {
        let now = Viewer::now(Access::Public);
        let later = Viewer { at: now.at + TimeDelta::seconds(1), ..now };
        assert_eq!(PublicationFilter::new(now).key(), PublicationFilter::new(later).key());
        let editor = Viewer { access: Access::Editor, ..now };
        assert_ne!(PublicationFilter::new(now).key(), PublicationFilter::new(editor).key());
        let french = PublicationFilter { language: Some("fr".into()), ..PublicationFilter::new(now) };
        assert_ne!(PublicationFilter::new(now).key(), french.key());
    }
}
