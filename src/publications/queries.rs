//! Publication queries. Only published publications are read here.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::expression::BoxableExpression;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Nullable};

use crate::auth::Access;
use crate::categories::dto::CategorySummary;
use crate::db::fragment::{Raw, in_ids};
use crate::db::schema::{categories, links, publication_categories, publications};
use crate::db::search::{self, Drive, Field};
use crate::db::{self, Backend, DbConnection, MultiBackend};
use crate::domain::{Reference, Status};
use crate::links::dto::LinkRel;
use crate::pagination::PageRequest;
use crate::search::SearchQuery;

use super::cursor::{Cursor, Key};

/// The columns of a list item (no body).
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = publications)]
pub struct SummaryRow {
    pub id: i32,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub status: String,
    pub language: String,
    pub published_at: Option<NaiveDateTime>,
    pub authors: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub version: i32,
}

/// A list item with its categories.
pub struct SummaryRecord {
    pub row: SummaryRow,
    pub categories: Vec<CategorySummary>,
}

/// One publication with its body and categories.
pub struct PublicationRecord {
    pub row: SummaryRow,
    pub body: String,
    pub categories: Vec<CategorySummary>,
}

/// What a list is restricted to. Every field narrows it (AND).
#[derive(Clone, Debug, Default)]
pub struct PublicationFilter {
    /// Any of these categories (descendants already expanded).
    pub category_ids: Option<Vec<i32>>,
    /// And any of these: the subtree of the category being listed.
    pub within_category_ids: Option<Vec<i32>>,
    pub language: Option<String>,
    /// Any of these statuses.
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

fn published() -> publications::BoxedQuery<'static, MultiBackend> {
    publications::table.filter(publications::status.eq(Status::Published.as_str())).into_boxed()
}

/// What `access` may read: published publications, or all of them.
fn visible(access: Access) -> publications::BoxedQuery<'static, MultiBackend> {
    match access {
        Access::Public => published(),
        Access::Editor => publications::table.into_boxed(),
    }
}

/// Narrows any boxed query whose FROM clause holds `publications` (alone
/// or joined, grouped or not) to what `filter` asks for.
macro_rules! narrowed {
    ($query:expr, $filter:expr, $backend:expr) => {{
        let filter: &PublicationFilter = $filter;
        let statuses: Vec<&str> = filter.statuses.iter().map(|status| status.as_str()).collect();
        let mut query = if filter.search.is_some() && filter.drive == Drive::Matches && $backend == Backend::Sqlite {
            // When the search's few matches drive the query, the status
            // index must not (SQLite's planner, without statistics, prefers
            // it): `status || ''` cannot use that index. The statuses are
            // fixed words, written inline. PostgreSQL's planner knows how
            // many rows each status holds: the expression would hide it.
            let quoted: Vec<String> = statuses.iter().map(|status| format!("'{status}'")).collect();
            $query.filter(Raw::<Bool>::new(format!("(publications.status || '') IN ({})", quoted.join(", "))))
        } else if let [status] = statuses.as_slice() {
            // One status is an equality, which PostgreSQL walks in the
            // order of the (status, date) index; `= ANY(…)` would make it
            // sort every row of the status first.
            $query.filter(publications::status.eq(*status))
        } else {
            $query.filter(publications::status.eq_any(statuses))
        };
        // To list, EXISTS, correlated on the publication: a list in date
        // order stops after one page of matches instead of gathering every
        // match first. To count, the filings lead: only the rows filed there
        // are read. An alias keeps it valid in a query that joins the filing
        // table. The ids are bound (a padded list): SQLite keeps the
        // statement prepared; PostgreSQL plans it for the categories at hand.
        for ids in [&filter.category_ids, &filter.within_category_ids].into_iter().flatten() {
            let condition = if filter.counting {
                "publications.id IN (SELECT filed.publication_id FROM publication_categories AS filed \
                 WHERE filed.category_id"
            } else {
                "EXISTS (SELECT 1 FROM publication_categories AS filed \
                 WHERE filed.publication_id = publications.id AND filed.category_id"
            };
            query = query.filter(Raw::<Bool>::new(condition).in_ids(ids).sql(")").keep($backend == Backend::Sqlite));
        }
        if let Some(language) = &filter.language {
            query = query.filter(publications::language.eq(language));
        }
        if let Some(after) = filter.published_after {
            query = query.filter(publications::published_at.ge(after));
        }
        if let Some(before) = filter.published_before {
            query = query.filter(publications::published_at.lt(before));
        }
        if let Some(after) = filter.updated_after {
            query = query.filter(publications::updated_at.ge(after));
        }
        if let Some(search) = &filter.search {
            query = query.filter(search::matches($backend, filter.search_field, search, filter.drive));
            if filter.without_title_matches {
                query = query.filter(diesel::dsl::not(search::matches($backend, Field::Title, search, filter.drive)));
            }
        }
        query
    }};
}

fn filtered(filter: &PublicationFilter, backend: Backend) -> publications::BoxedQuery<'_, MultiBackend> {
    narrowed!(publications::table.into_boxed(), filter, backend)
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
    // Only published publications are sure to have a date.
    let dateless = filter.statuses.iter().any(|status| *status != Status::Published);
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

/// How many publications there are, whatever their status: what a
/// search's matches are a share of.
pub fn catalogue_size(connection: &mut DbConnection) -> QueryResult<i64> {
    publications::table.count().get_result(connection)
}

/// A publication that `access` may read, by id or slug.
pub fn find(connection: &mut DbConnection, reference: &Reference, access: Access) -> QueryResult<PublicationRecord> {
    let (row, body) =
        by_reference(reference, access).select((SummaryRow::as_select(), publications::body)).first(connection)?;
    let categories = categories_of(connection, &[row.id])?.remove(&row.id).unwrap_or_default();
    Ok(PublicationRecord { row, body, categories })
}

/// The bodies of publications `ids`.
pub fn bodies(connection: &mut DbConnection, ids: &[i32]) -> QueryResult<HashMap<i32, String>> {
    Ok(publications::table
        .filter(in_ids(publications::id, ids))
        .select((publications::id, publications::body))
        .load::<(i32, String)>(connection)?
        .into_iter()
        .collect())
}

/// The id of a publication that `access` may read, by id or slug.
pub fn find_id(connection: &mut DbConnection, reference: &Reference, access: Access) -> QueryResult<i32> {
    by_reference(reference, access).select(publications::id).first(connection)
}

/// The id and title of a publication that `access` may read, by id or slug.
pub fn find_title(connection: &mut DbConnection, reference: &Reference, access: Access) -> QueryResult<(i32, String)> {
    by_reference(reference, access).select((publications::id, publications::title)).first(connection)
}

fn by_reference(reference: &Reference, access: Access) -> publications::BoxedQuery<'static, MultiBackend> {
    match reference {
        Reference::Id(id) => visible(access).filter(publications::id.eq(*id)),
        Reference::Slug(slug) => visible(access).filter(publications::slug.eq(slug.clone())),
    }
}

/// The publications that `access` may read linked to `id` by a `related`
/// link, in either direction, newest first (drafts, undated, last).
pub fn related(connection: &mut DbConnection, id: i32, access: Access) -> QueryResult<Vec<SummaryRecord>> {
    let outgoing: Vec<Option<i32>> = links::table
        .filter(links::publication_id.eq(id).and(links::rel.eq(LinkRel::Related.as_str())))
        .select(links::target_id)
        .load(connection)?;
    let incoming: Vec<i32> = links::table
        .filter(links::target_id.eq(id).and(links::rel.eq(LinkRel::Related.as_str())))
        .select(links::publication_id)
        .load(connection)?;
    let ids: Vec<i32> = outgoing.into_iter().flatten().chain(incoming).filter(|&other| other != id).collect();
    let rows = visible(access)
        .filter(in_ids(publications::id, &ids))
        .order((publications::published_at.is_null(), publications::published_at.desc(), publications::id.desc()))
        .select(SummaryRow::as_select())
        .load(connection)?;
    with_categories(connection, rows)
}

fn with_categories(connection: &mut DbConnection, rows: Vec<SummaryRow>) -> QueryResult<Vec<SummaryRecord>> {
    let ids: Vec<i32> = rows.iter().map(|row| row.id).collect();
    let mut categories = categories_of(connection, &ids)?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let categories = categories.remove(&row.id).unwrap_or_default();
            SummaryRecord { row, categories }
        })
        .collect())
}

/// The categories of several publications in one query, each list in the
/// order the publication gives them.
fn categories_of(connection: &mut DbConnection, ids: &[i32]) -> QueryResult<HashMap<i32, Vec<CategorySummary>>> {
    let rows: Vec<(i32, i32, String, String)> = publication_categories::table
        .inner_join(categories::table)
        .filter(in_ids(publication_categories::publication_id, ids))
        .order((publication_categories::publication_id, publication_categories::position, categories::id))
        .select((publication_categories::publication_id, categories::id, categories::slug, categories::name))
        .load(connection)?;
    let mut grouped: HashMap<i32, Vec<CategorySummary>> = HashMap::new();
    for (publication_id, id, slug, name) in rows {
        grouped.entry(publication_id).or_default().push(CategorySummary { id, slug, name });
    }
    Ok(grouped)
}

/// The columns a write sets.
pub struct PublicationChanges {
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub body: String,
    pub status: Status,
    pub language: String,
    pub published_at: Option<NaiveDateTime>,
    /// A JSON array of strings.
    pub authors: String,
    pub category_ids: Vec<i32>,
}

/// The columns both an insert and an update write, borrowed from a change.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = publications, treat_none_as_null = true)]
struct Columns<'a> {
    slug: &'a str,
    title: &'a str,
    summary: &'a str,
    body: &'a str,
    status: &'a str,
    language: &'a str,
    published_at: Option<NaiveDateTime>,
    authors: &'a str,
}

impl PublicationChanges {
    fn columns(&self) -> Columns<'_> {
        Columns {
            slug: &self.slug,
            title: &self.title,
            summary: &self.summary,
            body: &self.body,
            status: self.status.as_str(),
            language: &self.language,
            published_at: self.published_at,
            authors: &self.authors,
        }
    }
}

/// The slugs that are `base` or start with `base-` (an index range).
pub fn slugs_from(connection: &mut DbConnection, base: &str) -> QueryResult<Vec<String>> {
    publications::table
        .filter(
            publications::slug
                .eq(base)
                .or(publications::slug.ge(format!("{base}-")).and(publications::slug.lt(format!("{base}.")))),
        )
        .select(publications::slug)
        .load(connection)
}

/// Whether a publication other than `except` has `slug`.
pub fn slug_taken(connection: &mut DbConnection, slug: &str, except: Option<i32>) -> QueryResult<bool> {
    let mut query = publications::table.filter(publications::slug.eq(slug)).into_boxed();
    if let Some(id) = except {
        query = query.filter(publications::id.ne(id));
    }
    Ok(query.count().get_result::<i64>(connection)? > 0)
}

/// Inserts a publication and files it; returns its id.
pub fn insert(connection: &mut DbConnection, changes: &PublicationChanges) -> QueryResult<i32> {
    let now = db::now();
    let id = diesel::insert_into(publications::table)
        .values((changes.columns(), publications::created_at.eq(now), publications::updated_at.eq(now)))
        .returning(publications::id)
        .get_result(connection)?;
    file(connection, id, &changes.category_ids)?;
    search::index(connection, id, &changes.title, &changes.summary, &changes.body)?;
    Ok(id)
}

/// Replaces a publication at `version` and its filing; `false` when it is
/// no longer at that version.
pub fn update(connection: &mut DbConnection, id: i32, version: i32, changes: &PublicationChanges) -> QueryResult<bool> {
    let updated =
        diesel::update(publications::table.filter(publications::id.eq(id).and(publications::version.eq(version))))
            .set((changes.columns(), publications::updated_at.eq(db::now()), publications::version.eq(version + 1)))
            .execute(connection)?;
    if updated == 0 {
        return Ok(false);
    }
    diesel::delete(publication_categories::table.filter(publication_categories::publication_id.eq(id)))
        .execute(connection)?;
    file(connection, id, &changes.category_ids)?;
    search::index(connection, id, &changes.title, &changes.summary, &changes.body)?;
    Ok(true)
}

fn file(connection: &mut DbConnection, id: i32, category_ids: &[i32]) -> QueryResult<()> {
    for (position, category_id) in category_ids.iter().enumerate() {
        diesel::insert_into(publication_categories::table)
            .values((
                publication_categories::publication_id.eq(id),
                publication_categories::category_id.eq(category_id),
                publication_categories::position.eq(position as i32),
            ))
            .execute(connection)?;
    }
    Ok(())
}

/// Marks a publication as changed (its links changed): `version` + 1.
pub fn touch(connection: &mut DbConnection, id: i32) -> QueryResult<()> {
    diesel::update(publications::table.find(id))
        .set((publications::version.eq(publications::version + 1), publications::updated_at.eq(db::now())))
        .execute(connection)
        .map(drop)
}

/// Deletes a publication at `version`, with its links and filing; `false`
/// when it is no longer at that version.
pub fn delete(connection: &mut DbConnection, id: i32, version: i32) -> QueryResult<bool> {
    let deleted =
        diesel::delete(publications::table.filter(publications::id.eq(id).and(publications::version.eq(version))))
            .execute(connection)?;
    Ok(deleted > 0)
}

/// Counts for a list's filter chips, most first.
#[derive(Clone, Debug, Default)]
pub struct FacetCounts {
    /// `(slug, name, count)` of the categories publications are filed
    /// under directly.
    pub category: Option<Vec<(String, String, i64)>>,
    /// `(year, count)` by year of publication, newest first.
    pub year: Option<Vec<(i32, i64)>>,
    /// `(language, count)`.
    pub language: Option<Vec<(String, i64)>>,
}

/// Which facets a list asks for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FacetSet {
    pub category: bool,
    pub year: bool,
    pub language: bool,
}

/// Counts the publications of the filtered list by category, by year of
/// publication and by language, one grouped query each.
pub fn facets(connection: &mut DbConnection, filter: &PublicationFilter, wanted: FacetSet) -> QueryResult<FacetCounts> {
    use diesel::dsl::count_star;
    let backend = db::backend(connection);
    let filter = &PublicationFilter { counting: true, ..filter.clone() };
    let mut counts = FacetCounts::default();
    if wanted.category {
        let grouped = publications::table
            .inner_join(publication_categories::table.inner_join(categories::table))
            .group_by((categories::id, categories::slug, categories::name))
            .select((categories::slug, categories::name, count_star()))
            .into_boxed();
        let mut rows: Vec<(String, String, i64)> = narrowed!(grouped, filter, backend).load(connection)?;
        rows.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
        counts.category = Some(rows);
    }
    if wanted.year {
        let year = db::search::year_published(backend);
        let grouped = publications::table.group_by(year.clone()).select((year, count_star())).into_boxed();
        let mut rows: Vec<(Option<i32>, i64)> = narrowed!(grouped, filter, backend).load(connection)?;
        rows.sort_by_key(|row| std::cmp::Reverse(row.0));
        counts.year = Some(rows.into_iter().filter_map(|(year, count)| Some((year?, count))).collect());
    }
    if wanted.language {
        let grouped = publications::table
            .group_by(publications::language)
            .select((publications::language, count_star()))
            .into_boxed();
        let mut rows: Vec<(String, i64)> = narrowed!(grouped, filter, backend).load(connection)?;
        rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        counts.language = Some(rows);
    }
    Ok(counts)
}
