//! Publication queries. Only published publications are read here.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::categories::dto::CategorySummary;
use crate::db::schema::{categories, links, publication_categories, publications};
use crate::db::{DbConnection, MultiBackend};
use crate::domain::{Reference, Status};
use crate::links::dto::LinkRel;
use crate::pagination::PageRequest;

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

/// What a list is restricted to.
#[derive(Debug, Default)]
pub struct PublicationFilter {
    /// Any of these categories (descendants already expanded).
    pub category_ids: Option<Vec<i32>>,
    pub language: Option<String>,
}

fn published() -> publications::BoxedQuery<'static, MultiBackend> {
    publications::table.filter(publications::status.eq(Status::Published.as_str())).into_boxed()
}

fn filtered(filter: &PublicationFilter) -> publications::BoxedQuery<'_, MultiBackend> {
    let mut query = published();
    if let Some(ids) = &filter.category_ids {
        query = query.filter(
            publications::id.eq_any(
                publication_categories::table
                    .filter(publication_categories::category_id.eq_any(ids))
                    .select(publication_categories::publication_id),
            ),
        );
    }
    if let Some(language) = &filter.language {
        query = query.filter(publications::language.eq(language));
    }
    query
}

/// One page of the filtered list, newest first (ties broken on id), with
/// the total count of the whole list.
pub fn list(
    connection: &mut DbConnection,
    filter: &PublicationFilter,
    page: PageRequest,
) -> QueryResult<(i64, Vec<SummaryRecord>)> {
    let total = filtered(filter).count().get_result(connection)?;
    let rows = filtered(filter)
        .order((publications::published_at.desc(), publications::id.desc()))
        .limit(page.per_page)
        .offset(page.offset())
        .select(SummaryRow::as_select())
        .load(connection)?;
    Ok((total, with_categories(connection, rows)?))
}

/// A published publication by id or slug.
pub fn find(connection: &mut DbConnection, reference: &Reference) -> QueryResult<PublicationRecord> {
    let (row, body) =
        by_reference(reference).select((SummaryRow::as_select(), publications::body)).first(connection)?;
    let categories = categories_of(connection, &[row.id])?.remove(&row.id).unwrap_or_default();
    Ok(PublicationRecord { row, body, categories })
}

/// The id of a published publication, by id or slug.
pub fn find_id(connection: &mut DbConnection, reference: &Reference) -> QueryResult<i32> {
    by_reference(reference).select(publications::id).first(connection)
}

fn by_reference(reference: &Reference) -> publications::BoxedQuery<'static, MultiBackend> {
    match reference {
        Reference::Id(id) => published().filter(publications::id.eq(*id)),
        Reference::Slug(slug) => published().filter(publications::slug.eq(slug.clone())),
    }
}

/// The published publications linked to `id` by a `related` link, in
/// either direction, newest first.
pub fn related(connection: &mut DbConnection, id: i32) -> QueryResult<Vec<SummaryRecord>> {
    let outgoing: Vec<Option<i32>> = links::table
        .filter(links::publication_id.eq(id).and(links::rel.eq(LinkRel::Related.as_str())))
        .select(links::target_id)
        .load(connection)?;
    let incoming: Vec<i32> = links::table
        .filter(links::target_id.eq(id).and(links::rel.eq(LinkRel::Related.as_str())))
        .select(links::publication_id)
        .load(connection)?;
    let ids: Vec<i32> = outgoing.into_iter().flatten().chain(incoming).filter(|&other| other != id).collect();
    let rows = published()
        .filter(publications::id.eq_any(ids))
        .order((publications::published_at.desc(), publications::id.desc()))
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
        .filter(publication_categories::publication_id.eq_any(ids))
        .order((publication_categories::publication_id, publication_categories::position, categories::id))
        .select((publication_categories::publication_id, categories::id, categories::slug, categories::name))
        .load(connection)?;
    let mut grouped: HashMap<i32, Vec<CategorySummary>> = HashMap::new();
    for (publication_id, id, slug, name) in rows {
        grouped.entry(publication_id).or_default().push(CategorySummary { id, slug, name });
    }
    Ok(grouped)
}
