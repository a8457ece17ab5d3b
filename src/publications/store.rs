//! The publication store: the only code that inserts, updates or deletes
//! publication rows, their filings under categories and their search
//! index entries. The write service, the importer and the demo loader all
//! write through it, so that what a write of a publication does is decided
//! here, once: each records in its change what the publication was and is
//! now, for the change log.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::change::{Change, Seen, Stamps, Terms, Touched, changed_terms};
use crate::db::schema::{publication_categories, publications, scheduled_transitions};
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
    /// When it leaves public view.
    pub unpublish_at: Option<NaiveDateTime>,
    /// Whether its coming release is in the public calendar.
    pub announce: bool,
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
    unpublish_at: Option<NaiveDateTime>,
    announce: bool,
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
        unpublish_at: values.unpublish_at,
        announce: values.announce,
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
    change: &Change,
    values: &PublicationValues,
    document: &Document,
    stamps: &Stamps,
) -> QueryResult<i32> {
    let id = diesel::insert_into(publications::table)
        .values(columns(values, stamps))
        .returning(publications::id)
        .get_result(connection)?;
    written(connection, change, id, values, document, stamps)?;
    Ok(id)
}

/// Inserts publication `id` again, as it comes back from the trash: the
/// id it had (ids are never given twice, so it is free).
pub fn reinsert(
    connection: &mut DbConnection,
    change: &Change,
    id: i32,
    values: &PublicationValues,
    document: &Document,
    stamps: &Stamps,
) -> QueryResult<()> {
    diesel::insert_into(publications::table)
        .values(Copied { id, columns: columns(values, stamps) })
        .execute(connection)?;
    written(connection, change, id, values, document, stamps)
}

/// What follows the insertion of row `id`: its filing, its schedule, its
/// index entry, the change log.
fn written(
    connection: &mut DbConnection,
    change: &Change,
    id: i32,
    values: &PublicationValues,
    document: &Document,
    stamps: &Stamps,
) -> QueryResult<()> {
    file(connection, id, &values.category_ids)?;
    schedule(connection, id, values, change.at)?;
    // Ids are never reused: there is no entry to replace.
    db::search::index_new(connection, id, document)?;
    change.record(|| {
        let after = Some(Box::new(seen(values, document, stamps, change.at)));
        Touched::Publication { id, before: None, after, terms_changed: Vec::new() }
    });
    Ok(())
}

/// Writes `values` over publication `id`, refiles and reindexes it. With
/// `expected`, only while the row is at that version: `false` when it is
/// not (another writer came first).
pub fn update(
    connection: &mut DbConnection,
    change: &Change,
    id: i32,
    expected: Option<i32>,
    values: &PublicationValues,
    document: &Document,
    stamps: &Stamps,
) -> QueryResult<bool> {
    let before = if change.records() { seen_now(connection, id, change.at)? } else { None };
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
    schedule(connection, id, values, change.at)?;
    db::search::index(connection, id, document)?;
    change.record(|| {
        let (before, indexed) = before.unzip();
        let terms_changed = changed_terms(&indexed.unwrap_or_default(), &document.all_terms);
        let after = Some(Box::new(seen(values, document, stamps, change.at)));
        Touched::Publication { id, before, after, terms_changed }
    });
    Ok(true)
}

/// A new publication of a bulk load.
pub struct NewPublication<'a> {
    pub values: &'a PublicationValues,
    pub document: &'a Document,
    pub stamps: Stamps,
}

/// Inserts many new publications at once, files and indexes them; returns
/// their ids, in order. On PostgreSQL, statements of many rows each (rows,
/// filings, index entries), with ids taken from the sequence beforehand,
/// instead of a dozen round trips a row; on SQLite, which has no round
/// trips, row by row.
pub fn insert_many(connection: &mut DbConnection, change: &Change, new: &[NewPublication]) -> QueryResult<Vec<i32>> {
    let DbConnection::Postgresql(postgres) = connection else {
        return new
            .iter()
            .map(|publication| {
                insert(connection, change, publication.values, publication.document, &publication.stamps)
            })
            .collect();
    };
    if new.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i32> = diesel::sql_query(
        "SELECT CAST(nextval(pg_get_serial_sequence('publications', 'id')) AS integer) AS id \
         FROM generate_series(1, $1)",
    )
    .bind::<diesel::sql_types::Integer, _>(new.len() as i32)
    .load::<NextId>(postgres)?
    .into_iter()
    .map(|next| next.id)
    .collect();
    let rows: Vec<Copied> = new
        .iter()
        .zip(&ids)
        .map(|(publication, id)| Copied { id: *id, columns: columns(publication.values, &publication.stamps) })
        .collect();
    for rows in rows.chunks(crate::db::ROWS_A_STATEMENT) {
        diesel::insert_into(publications::table).values(rows).execute(postgres)?;
    }
    let filings: Vec<Filing> = new
        .iter()
        .zip(&ids)
        .flat_map(|(publication, id)| {
            publication.values.category_ids.iter().enumerate().map(|(position, category_id)| Filing {
                publication_id: *id,
                category_id: *category_id,
                position: position as i32,
            })
        })
        .collect();
    for filings in filings.chunks(crate::db::ROWS_A_STATEMENT) {
        diesel::insert_into(publication_categories::table).values(filings).execute(postgres)?;
    }
    for (publication, id) in new.iter().zip(&ids) {
        schedule(connection, *id, publication.values, change.at)?;
    }
    let documents: Vec<(i32, &Document)> =
        ids.iter().copied().zip(new.iter().map(|publication| publication.document)).collect();
    db::search::index_many(connection, &documents)?;
    for (publication, id) in new.iter().zip(&ids) {
        let id = *id;
        change.record(|| {
            let after = Some(Box::new(seen(publication.values, publication.document, &publication.stamps, change.at)));
            Touched::Publication { id, before: None, after, terms_changed: Vec::new() }
        });
    }
    Ok(ids)
}

#[derive(QueryableByName)]
struct NextId {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    id: i32,
}

/// A row of a bulk load, with the id it was given.
#[derive(Insertable)]
#[diesel(table_name = publications)]
struct Copied<'a> {
    id: i32,
    #[diesel(embed)]
    columns: Columns<'a>,
}

#[derive(Insertable)]
#[diesel(table_name = publication_categories)]
struct Filing {
    publication_id: i32,
    category_id: i32,
    position: i32,
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

/// Records the releases and expiries of publication `id` still to come
/// at `at`, for what must happen once at their instant
/// (`schedule::transitions`), replacing those not yet announced.
fn schedule(connection: &mut DbConnection, id: i32, values: &PublicationValues, at: NaiveDateTime) -> QueryResult<()> {
    diesel::delete(
        scheduled_transitions::table
            .filter(scheduled_transitions::publication_id.eq(id).and(scheduled_transitions::announced_at.is_null())),
    )
    .execute(connection)?;
    if values.status != Status::Published {
        return Ok(());
    }
    for (kind, due) in [(Transition::RELEASE, values.published_at), (Transition::EXPIRY, values.unpublish_at)] {
        if let Some(due) = due.filter(|due| *due > at) {
            diesel::insert_into(scheduled_transitions::table)
                .values((
                    scheduled_transitions::publication_id.eq(id),
                    scheduled_transitions::kind.eq(kind),
                    scheduled_transitions::due_at.eq(due),
                ))
                .execute(connection)?;
        }
    }
    Ok(())
}

/// The kinds of scheduled transition.
pub struct Transition;

impl Transition {
    pub const RELEASE: &'static str = "release";
    pub const EXPIRY: &'static str = "expiry";
}

/// Marks publication `id` as changed by `change` (its links changed): its
/// version goes up.
pub fn touch(connection: &mut DbConnection, id: i32, change: &Change) -> QueryResult<()> {
    let before = if change.records() { seen_now(connection, id, change.at)?.map(|(seen, _)| seen) } else { None };
    diesel::update(publications::table.find(id))
        .set((publications::version.eq(publications::version + 1), publications::updated_at.eq(change.at)))
        .execute(connection)?;
    change.record(|| {
        let after = before.clone().map(|seen| Box::new(Seen { updated_at: change.at, ..*seen }));
        Touched::Publication { id, before, after, terms_changed: Vec::new() }
    });
    Ok(())
}

/// Puts publication `id` in translation group `group` (`None`: in none).
/// Not an edit of the publication: its version stays; the caches learn
/// that what lists its translations changed.
pub fn set_translation_group(
    connection: &mut DbConnection,
    change: &Change,
    id: i32,
    group: Option<i32>,
) -> QueryResult<()> {
    diesel::update(publications::table.find(id)).set(publications::translation_group.eq(group)).execute(connection)?;
    change.record(|| Touched::Linked { id });
    Ok(())
}

/// Deletes publication `id` at `version`, with its links, the links to it
/// and its filing; `false` when it is no longer at that version.
pub fn delete(connection: &mut DbConnection, change: &Change, id: i32, version: i32) -> QueryResult<bool> {
    let before = if change.records() { seen_now(connection, id, change.at)?.map(|(seen, _)| seen) } else { None };
    let deleted =
        diesel::delete(publications::table.filter(publications::id.eq(id).and(publications::version.eq(version))))
            .execute(connection)?;
    if deleted > 0 {
        change.record(|| Touched::Publication { id, before, after: None, terms_changed: Vec::new() });
    }
    Ok(deleted > 0)
}

/// What the change log keeps of publication `id` as written at `at`.
fn seen(values: &PublicationValues, document: &Document, stamps: &Stamps, at: NaiveDateTime) -> Seen {
    Seen {
        status: values.status,
        public: values.status.at(values.published_at, values.unpublish_at, at).is_public(),
        slug: values.slug.clone(),
        title: search::sort_key(&values.title),
        language: values.language.clone(),
        categories: values.category_ids.clone(),
        published_at: values.published_at,
        unpublish_at: values.unpublish_at,
        updated_at: stamps.updated_at,
        terms: Terms::of(&document.all_terms),
    }
}

/// What the change log keeps of publication `id` as it stands in the
/// database, seen at `at`, if it exists.
pub fn seen_stored(connection: &mut DbConnection, id: i32, at: NaiveDateTime) -> QueryResult<Option<Box<Seen>>> {
    Ok(seen_now(connection, id, at)?.map(|(seen, _)| seen))
}

/// What the change log keeps of publication `id` as it stands in the
/// database, seen at `at`, if it exists, and the terms it is indexed with.
fn seen_now(connection: &mut DbConnection, id: i32, at: NaiveDateTime) -> QueryResult<Option<(Box<Seen>, String)>> {
    type Row = (String, String, String, String, Option<NaiveDateTime>, Option<NaiveDateTime>, NaiveDateTime);
    let row: Option<Row> = publications::table
        .find(id)
        .select((
            publications::status,
            publications::slug,
            publications::sort_title,
            publications::language,
            publications::published_at,
            publications::unpublish_at,
            publications::updated_at,
        ))
        .first(connection)
        .optional()?;
    let Some((status, slug, title, language, published_at, unpublish_at, updated_at)) = row else {
        return Ok(None);
    };
    let categories = publication_categories::table
        .filter(publication_categories::publication_id.eq(id))
        .order(publication_categories::position)
        .select(publication_categories::category_id)
        .load(connection)?;
    let terms = db::search::indexed_terms(connection, id)?.unwrap_or_default();
    let status = Status::from_stored(&status);
    let seen = Seen {
        status,
        public: status.at(published_at, unpublish_at, at).is_public(),
        slug,
        title,
        language,
        categories,
        published_at,
        unpublish_at,
        updated_at,
        terms: Terms::of(&terms),
    };
    Ok(Some((Box::new(seen), terms)))
}
