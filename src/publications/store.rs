//! The publication store: the only code that inserts, updates or deletes
//! publication rows, their filings under categories and their search
//! index entries. The write service, the importer and the demo loader all
//! write through it, so that what a write of a publication does is decided
//! here, once.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::change::{Change, Stamps};
use crate::db::schema::{publication_categories, publications};
use crate::db::{self, DbConnection};
use crate::domain::Status;
use crate::search::{self, Document};

/// A publication's columns as a write sets them, and where it is filed.
#[derive(Clone, Debug)]
pub struct PublicationValues {
    pub slug: String,
    pub title: String,
    pub summary: String,
    /// Sanitised HTML.
    pub body: String,
    pub status: Status,
    pub language: String,
    pub published_at: Option<NaiveDateTime>,
    pub authors: Vec<String>,
    /// The categories it is filed under, in order.
    pub category_ids: Vec<i32>,
}

impl PublicationValues {
    /// What the search index holds for these values: their text analysed
    /// in their language.
    pub fn document(&self) -> Document {
        search::analyser(&self.language).document(&self.title, &self.summary, &self.body)
    }
}

/// The columns both an insert and an update write, borrowed.
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
    authors: String,
    sort_title: String,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    version: i32,
}

fn columns<'a>(values: &'a PublicationValues, stamps: &Stamps) -> Columns<'a> {
    Columns {
        slug: &values.slug,
        title: &values.title,
        summary: &values.summary,
        body: &values.body,
        status: values.status.as_str(),
        language: &values.language,
        published_at: values.published_at,
        // A list of strings always serialises.
        authors: serde_json::to_string(&values.authors).unwrap_or_else(|_| "[]".to_owned()),
        sort_title: search::sort_key(&values.title),
        created_at: stamps.created_at,
        updated_at: stamps.updated_at,
        version: stamps.version,
    }
}

/// Inserts a publication, files and indexes it; returns its id.
/// `document` is `values.document()`, which a bulk load makes beforehand.
pub fn insert(
    connection: &mut DbConnection,
    values: &PublicationValues,
    document: &Document,
    stamps: &Stamps,
) -> QueryResult<i32> {
    let id = diesel::insert_into(publications::table)
        .values(columns(values, stamps))
        .returning(publications::id)
        .get_result(connection)?;
    file(connection, id, &values.category_ids)?;
    // Ids are never reused: there is no entry to replace.
    db::search::index_new(connection, id, document)?;
    Ok(id)
}

/// Writes `values` over publication `id`, refiles and reindexes it. With
/// `expected`, only while the row is at that version: `false` when it is
/// not (another writer came first).
pub fn update(
    connection: &mut DbConnection,
    id: i32,
    expected: Option<i32>,
    values: &PublicationValues,
    document: &Document,
    stamps: &Stamps,
) -> QueryResult<bool> {
    let columns = columns(values, stamps);
    let updated = match expected {
        Some(version) => {
            diesel::update(publications::table.filter(publications::id.eq(id).and(publications::version.eq(version))))
                .set(columns)
                .execute(connection)?
        }
        None => diesel::update(publications::table.find(id)).set(columns).execute(connection)?,
    };
    if updated == 0 {
        return Ok(false);
    }
    diesel::delete(publication_categories::table.filter(publication_categories::publication_id.eq(id)))
        .execute(connection)?;
    file(connection, id, &values.category_ids)?;
    db::search::index(connection, id, document)?;
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

/// Marks publication `id` as changed by `change` (its links changed): its
/// version goes up.
pub fn touch(connection: &mut DbConnection, id: i32, change: &Change) -> QueryResult<()> {
    diesel::update(publications::table.find(id))
        .set((publications::version.eq(publications::version + 1), publications::updated_at.eq(change.at)))
        .execute(connection)
        .map(drop)
}

/// Deletes publication `id` at `version`, with its links, the links to it
/// and its filing; `false` when it is no longer at that version.
pub fn delete(connection: &mut DbConnection, id: i32, version: i32) -> QueryResult<bool> {
    let deleted =
        diesel::delete(publications::table.filter(publications::id.eq(id).and(publications::version.eq(version))))
            .execute(connection)?;
    Ok(deleted > 0)
}
