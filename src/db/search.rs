//! The SQL of full-text search (and of a year), the one place where the two
//! backends differ in more than their migrations: FTS5 on SQLite, a `tsvector` with a
//! GIN index on PostgreSQL. Both index the same terms, made in Rust by
//! `crate::search`, and match the same way: every group of a query, phrases
//! as adjacent terms.

use diesel::dsl::sql;
use diesel::expression::BoxableExpression;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Integer, Nullable, Text};

use super::schema::publications;
use super::{DbConnection, MultiBackend};
use crate::search::{Document, SearchQuery, sort_key};

/// Which terms a query looks at.
#[derive(Clone, Copy, Debug)]
pub enum Field {
    /// The title only.
    Title,
    /// Title, summary and body.
    All,
}

/// Publications that match `query` in `field`, as a filter on any query
/// whose FROM clause holds `publications`.
pub fn matches<QS: 'static>(
    backend: super::Backend,
    field: Field,
    query: &SearchQuery,
) -> Box<dyn BoxableExpression<QS, MultiBackend, SqlType = Bool>> {
    match backend {
        super::Backend::Sqlite => {
            let column = match field {
                Field::Title => "title_terms",
                Field::All => "all_terms",
            };
            Box::new(
                sql::<Bool>("publications.id IN (SELECT rowid FROM publication_search WHERE publication_search MATCH ")
                    .bind::<Text, _>(query.to_fts5(column))
                    .sql(")"),
            )
        }
        super::Backend::Postgres => {
            let column = match field {
                Field::Title => "title_vector",
                Field::All => "all_vector",
            };
            Box::new(
                sql::<Bool>(&format!(
                    "publications.id IN (SELECT publication_id FROM publication_search WHERE {column} @@ to_tsquery('simple', "
                ))
                .bind::<Text, _>(query.to_tsquery())
                .sql("))"),
            )
        }
    }
}

/// The year of a publication's `published_at`, in each backend's SQL.
pub fn year_published(backend: super::Backend) -> diesel::expression::SqlLiteral<Nullable<Integer>> {
    sql(match backend {
        super::Backend::Sqlite => "CAST(strftime('%Y', publications.published_at) AS INTEGER)",
        super::Backend::Postgres => "CAST(EXTRACT(YEAR FROM publications.published_at) AS INTEGER)",
    })
}

/// Indexes (or indexes again) one publication, and sets its title sort key.
pub fn index(connection: &mut DbConnection, id: i32, title: &str, summary: &str, body: &str) -> QueryResult<()> {
    let document = Document::new(title, summary, body);
    diesel::update(publications::table.find(id))
        .set(publications::sort_title.eq(sort_key(title)))
        .execute(connection)?;
    let (delete, insert) = match connection {
        DbConnection::Sqlite(_) => (
            "DELETE FROM publication_search WHERE rowid = $1",
            "INSERT INTO publication_search (rowid, title_terms, all_terms) VALUES ($1, $2, $3)",
        ),
        DbConnection::Postgresql(_) => (
            "DELETE FROM publication_search WHERE publication_id = $1",
            "INSERT INTO publication_search (publication_id, title_terms, all_terms) VALUES ($1, $2, $3)",
        ),
    };
    diesel::sql_query(delete).bind::<Integer, _>(id).execute(connection)?;
    diesel::sql_query(insert)
        .bind::<Integer, _>(id)
        .bind::<Text, _>(document.title_terms)
        .bind::<Text, _>(document.all_terms)
        .execute(connection)?;
    Ok(())
}

#[derive(QueryableByName)]
struct Unindexed {
    #[diesel(sql_type = Integer)]
    id: i32,
    #[diesel(sql_type = Text)]
    title: String,
    #[diesel(sql_type = Text)]
    summary: String,
    #[diesel(sql_type = Text)]
    body: String,
}

/// Indexes every publication the index does not hold (rows written
/// straight into the database, or before the index existed). Returns how
/// many there were.
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
            "SELECT id, title, summary, body FROM publications \
             WHERE id > {after} AND id NOT IN (SELECT {key} FROM publication_search) ORDER BY id LIMIT 500"
        ))
        .load(connection)?;
        let Some(last) = missing.last() else { return Ok(indexed) };
        after = last.id;
        for publication in &missing {
            index(connection, publication.id, &publication.title, &publication.summary, &publication.body)?;
        }
        indexed += missing.len();
    }
}
