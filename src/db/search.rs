//! The SQL of full-text search (and of a year), the one place where the two
//! backends differ in more than their migrations: FTS5 on SQLite, a `tsvector` with a
//! GIN index on PostgreSQL. Both index the same terms, made in Rust by
//! `crate::search`, and match the same way: every group of a query, phrases
//! as adjacent terms.
//!
//! A search narrows a list in one of two ways ([`Drive`]): through the
//! index's matches, whose cost grows with how many publications match, or
//! by walking the list in its order and asking the index about each row
//! until the page is full, whose cost grows with how few do.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Integer, Nullable, Text};

use super::DbConnection;
use super::fragment::Raw;
use super::schema::publications;
use crate::search::{Document, SearchQuery, analyser, sort_key};

/// Which terms a query looks at.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Field {
    /// The title only.
    Title,
    /// Title, summary and body.
    #[default]
    All,
}

/// How a search narrows a list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Drive {
    /// The index gives its matches, then the list reads, sorts and pages
    /// them: for terms few publications hold.
    #[default]
    Matches,
    /// The list is read in its order (an index range) until the page is
    /// full, each row checked against the matches, read once into a set:
    /// for terms that are neither rare nor everywhere.
    OrderInMatches,
    /// The list is read in its order, each row checked against the index
    /// itself: for terms most publications hold, whose matches cost more
    /// to read than the few rows a page needs.
    OrderProbing,
}

/// Publications that match `query` in `field`, as a condition on any query
/// whose FROM clause holds `publications`, in the form `drive` asks for.
pub fn matches(backend: super::Backend, field: Field, query: &SearchQuery, drive: Drive) -> Raw<Bool> {
    // A unary plus keeps the planner from reading the list by the match
    // set's ids: the list's order index must lead.
    let id = match drive {
        Drive::Matches => "publications.id",
        Drive::OrderInMatches | Drive::OrderProbing => "+publications.id",
    };
    let (prefix, term) = match (backend, drive) {
        (super::Backend::Sqlite, Drive::Matches | Drive::OrderInMatches) => (
            format!("{id} IN (SELECT rowid FROM publication_search WHERE publication_search MATCH "),
            query.to_fts5(sqlite_column(field)),
        ),
        (super::Backend::Sqlite, Drive::OrderProbing) => (
            "EXISTS (SELECT 1 FROM publication_search WHERE publication_search.rowid = publications.id \
             AND publication_search MATCH "
                .to_owned(),
            query.to_fts5(sqlite_column(field)),
        ),
        (super::Backend::Postgres, Drive::Matches | Drive::OrderInMatches) => (
            format!(
                "{id} IN (SELECT publication_id FROM publication_search WHERE {} @@ to_tsquery('simple', ",
                postgres_column(field)
            ),
            query.to_tsquery(),
        ),
        (super::Backend::Postgres, Drive::OrderProbing) => (
            format!(
                "EXISTS (SELECT 1 FROM publication_search WHERE publication_search.publication_id = publications.id \
                 AND {} @@ to_tsquery('simple', ",
                postgres_column(field)
            ),
            query.to_tsquery(),
        ),
    };
    let close = if backend == super::Backend::Postgres { "))" } else { ")" };
    // The text comes from a few forms; the words are bound. PostgreSQL
    // plans each search for its words, so only SQLite keeps it prepared.
    Raw::new(prefix).text(term).sql(close).keep(backend == super::Backend::Sqlite)
}

fn sqlite_column(field: Field) -> &'static str {
    match field {
        Field::Title => "title_terms",
        Field::All => "all_terms",
    }
}

fn postgres_column(field: Field) -> &'static str {
    match field {
        Field::Title => "title_vector",
        Field::All => "all_vector",
    }
}

/// How many publications, whatever their status, match `query` in
/// `field`, counted up to `cap` (what reading its matches costs, read no
/// further than needed to tell), and the highest id among those counted:
/// when the count stops at `cap`, the matches are about `cap` in every
/// `reach` publications.
pub fn breadth(connection: &mut DbConnection, field: Field, query: &SearchQuery, cap: i64) -> QueryResult<(i64, i64)> {
    if let DbConnection::Postgresql(_) = connection
        && let Some(known) = breadth_from_statistics(connection, field, query, cap)?
    {
        return Ok(known);
    }
    let counted: Raw<(BigInt, BigInt)> = match connection {
        DbConnection::Sqlite(_) => Raw::new(
            "SELECT count(*), coalesce(max(rowid), 0) FROM (SELECT rowid FROM publication_search \
             WHERE publication_search MATCH ",
        )
        .text(query.to_fts5(sqlite_column(field))),
        DbConnection::Postgresql(_) => Raw::new(format!(
            "SELECT count(*), CAST(coalesce(max(publication_id), 0) AS bigint) FROM (SELECT publication_id \
             FROM publication_search WHERE {} @@ to_tsquery('simple', ",
            postgres_column(field)
        ))
        .text(query.to_tsquery())
        .sql(")")
        // Planned for its words, as the search itself.
        .keep(false),
    };
    counted.sql(" LIMIT ").big_int(cap).sql(") AS matched").get_result(connection)
}

/// What PostgreSQL's statistics tell of a search's breadth, as
/// [`breadth`] answers it, when they can: every term of the query is one of
/// the column's most common (`ANALYZE` keeps those with their frequency),
/// and together they match at least [`STATISTICS_FROM`] of the catalogue.
/// Counting such matches reads them all (a GIN index cannot stop early):
/// 20 ms for a term in every publication of 100 000, against a lookup here.
/// Terms are taken as independent. Phrases, and rarer terms, are counted.
fn breadth_from_statistics(
    connection: &mut DbConnection,
    field: Field,
    query: &SearchQuery,
    cap: i64,
) -> QueryResult<Option<(i64, i64)>> {
    let [groups] = query.alternatives.as_slice() else {
        return Ok(None);
    };
    let terms: Option<Vec<&String>> =
        groups.iter().map(|group| if let [term] = group.as_slice() { Some(term) } else { None }).collect();
    let Some(terms) = terms.filter(|terms| !terms.is_empty()) else {
        return Ok(None);
    };
    let statistics = statistics(connection, field)?;
    let share: Option<f64> = terms.iter().map(|term| statistics.shares.get(term.as_str())).product();
    let rows = statistics.rows;
    let Some(share) = share.filter(|share| *share >= STATISTICS_FROM && rows >= 1.0) else {
        return Ok(None);
    };
    let matches = (share * rows).round() as i64;
    Ok(Some(if matches >= cap { (cap, (cap as f64 / share).round() as i64) } else { (matches, rows.round() as i64) }))
}

/// What `ANALYZE` found of a column of search terms: its most common terms,
/// each with the share of rows that hold it, and the rows it saw.
#[derive(Default)]
struct Statistics {
    shares: std::collections::HashMap<String, f64>,
    rows: f64,
}

/// How long statistics read from PostgreSQL are used (they change when
/// autovacuum analyzes the table, after many writes).
const STATISTICS_KEPT: std::time::Duration = std::time::Duration::from_secs(60);

/// The statistics of `field`'s column, read from `pg_stats` at most once
/// every [`STATISTICS_KEPT`] by the process (a read costs milliseconds).
fn statistics(connection: &mut DbConnection, field: Field) -> QueryResult<std::sync::Arc<Statistics>> {
    use std::sync::{Arc, Mutex};
    use std::time::Instant;

    use diesel::sql_types::Double;
    type Kept = Vec<(Field, Instant, Arc<Statistics>)>;
    static KEPT: Mutex<Kept> = Mutex::new(Vec::new());
    let kept = |kept: &Kept| {
        kept.iter()
            .find(|(of, read, _)| *of == field && read.elapsed() < STATISTICS_KEPT)
            .map(|(_, _, statistics)| statistics.clone())
    };
    if let Some(statistics) = kept(&KEPT.lock().unwrap_or_else(|poisoned| poisoned.into_inner())) {
        return Ok(statistics);
    }
    let read: Option<(String, String, f64)> = Raw::<(Text, Text, Double)>::new(
        "SELECT array_to_string(most_common_elems::text::text[], ' '), \
         array_to_string(most_common_elem_freqs, ' '), \
         CAST((SELECT reltuples FROM pg_class WHERE oid = to_regclass('publication_search')) AS double precision) \
         FROM pg_stats WHERE schemaname = current_schema() AND tablename = 'publication_search' AND attname = ",
    )
    .text(postgres_column(field).to_owned())
    .get_result(connection)
    .optional()?;
    let statistics = Arc::new(read.map_or_else(Statistics::default, |(elements, frequencies, rows)| {
        Statistics {
            shares: elements
                .split(' ')
                .map(str::to_owned)
                .zip(frequencies.split(' ').filter_map(|frequency| frequency.parse().ok()))
                .collect(),
            rows,
        }
    }));
    let mut kept = KEPT.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    kept.retain(|(of, _, _)| *of != field);
    kept.push((field, Instant::now(), statistics.clone()));
    Ok(statistics)
}

/// The share of the catalogue above which a search's breadth is read from
/// PostgreSQL's statistics rather than counted.
const STATISTICS_FROM: f64 = 0.02;

/// The year of a publication's `published_at`, in each backend's SQL.
pub fn year_published(backend: super::Backend) -> Raw<Nullable<Integer>> {
    Raw::new(match backend {
        super::Backend::Sqlite => "CAST(strftime('%Y', publications.published_at) AS INTEGER)",
        super::Backend::Postgres => "CAST(EXTRACT(YEAR FROM publications.published_at) AS INTEGER)",
    })
}

/// Indexes one publication again: its entry replaced by `document`.
pub fn index(connection: &mut DbConnection, id: i32, document: &Document) -> QueryResult<()> {
    let delete = match connection {
        DbConnection::Sqlite(_) => "DELETE FROM publication_search WHERE rowid = $1",
        DbConnection::Postgresql(_) => "DELETE FROM publication_search WHERE publication_id = $1",
    };
    diesel::sql_query(delete).bind::<Integer, _>(id).execute(connection)?;
    index_new(connection, id, document)
}

/// The terms publication `id` is indexed with (all its fields), if any.
pub fn indexed_terms(connection: &mut DbConnection, id: i32) -> QueryResult<Option<String>> {
    let query = match connection {
        DbConnection::Sqlite(_) => "SELECT all_terms FROM publication_search WHERE rowid = ",
        DbConnection::Postgresql(_) => "SELECT all_terms FROM publication_search WHERE publication_id = ",
    };
    Raw::<Text>::new(query).big_int(i64::from(id)).get_result(connection).optional()
}

/// Indexes many publications just inserted: on PostgreSQL in statements of
/// a thousand entries.
pub fn index_many(connection: &mut DbConnection, documents: &[(i32, &Document)]) -> QueryResult<()> {
    let DbConnection::Postgresql(postgres) = connection else {
        return documents.iter().try_for_each(|(id, document)| index_new(connection, *id, document));
    };
    let rows: Vec<Entry> = documents
        .iter()
        .map(|(id, document)| Entry {
            publication_id: *id,
            title_terms: &document.title_terms,
            all_terms: &document.all_terms,
        })
        .collect();
    for rows in rows.chunks(super::ROWS_A_STATEMENT) {
        diesel::insert_into(postgres_index::publication_search::table).values(rows).execute(postgres)?;
    }
    Ok(())
}

/// PostgreSQL's index table, as a bulk load fills it (its vectors are
/// generated from the terms). SQLite's is a virtual FTS5 table.
mod postgres_index {
    diesel::table! {
        publication_search (publication_id) {
            publication_id -> Integer,
            title_terms -> Text,
            all_terms -> Text,
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = postgres_index::publication_search)]
struct Entry<'a> {
    publication_id: i32,
    title_terms: &'a str,
    all_terms: &'a str,
}

/// Indexes a publication just inserted: there is nothing to replace (ids
/// are never reused).
pub fn index_new(connection: &mut DbConnection, id: i32, document: &Document) -> QueryResult<()> {
    let insert = match connection {
        DbConnection::Sqlite(_) => "INSERT INTO publication_search (rowid, title_terms, all_terms) VALUES ($1, $2, $3)",
        DbConnection::Postgresql(_) => {
            "INSERT INTO publication_search (publication_id, title_terms, all_terms) VALUES ($1, $2, $3)"
        }
    };
    diesel::sql_query(insert)
        .bind::<Integer, _>(id)
        .bind::<Text, _>(&document.title_terms)
        .bind::<Text, _>(&document.all_terms)
        .execute(connection)?;
    Ok(())
}

#[derive(QueryableByName)]
struct Unindexed {
    #[diesel(sql_type = Integer)]
    id: i32,
    #[diesel(sql_type = Text)]
    language: String,
    #[diesel(sql_type = Text)]
    title: String,
    #[diesel(sql_type = Text)]
    summary: String,
    #[diesel(sql_type = Text)]
    body: String,
}

/// Indexes every publication the index does not hold (rows written
/// straight into the database, or before the index existed), and sets
/// their title's sort key. Returns how many there were.
pub fn index_missing(connection: &mut DbConnection) -> QueryResult<usize> {
    let key = match connection {
        DbConnection::Sqlite(_) => "rowid",
        DbConnection::Postgresql(_) => "publication_id",
    };
    // In batches, so that memory stays bounded whatever the catalogue's size.
    let mut indexed = 0;
    let mut after = 0;
    loop {
        let missing: Vec<Unindexed> = diesel::sql_query(format!(
            "SELECT id, language, title, summary, body FROM publications \
             WHERE id > {after} AND id NOT IN (SELECT {key} FROM publication_search) ORDER BY id LIMIT 500"
        ))
        .load(connection)?;
        let Some(last) = missing.last() else { return Ok(indexed) };
        after = last.id;
        for publication in &missing {
            diesel::update(publications::table.find(publication.id))
                .set(publications::sort_title.eq(sort_key(&publication.title)))
                .execute(connection)?;
            let analyser = analyser(&publication.language);
            index(
                connection,
                publication.id,
                &analyser.document(&publication.title, &publication.summary, &publication.body),
            )?;
        }
        indexed += missing.len();
    }
}
