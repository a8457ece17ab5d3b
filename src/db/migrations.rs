//! The embedded migrations of each backend, and the upkeep of the schema:
//! the planner's statistics, and indexes deferred during a bulk load.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::connection::{Backend, DbConnection};
use super::fragment;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Runs the pending migrations of the connection's backend. Returns whether
/// the database was new (had no migration applied before).
pub fn migrate(connection: &mut DbConnection) -> Result<bool, String> {
    fn apply<C: MigrationHarness<B>, B: diesel::backend::Backend>(
        connection: &mut C,
        migrations: EmbeddedMigrations,
    ) -> Result<bool, String> {
        let was_new = connection.applied_migrations().map_err(|error| error.to_string())?.is_empty();
        connection.run_pending_migrations(migrations).map_err(|error| error.to_string())?;
        Ok(was_new)
    }
    match connection {
        DbConnection::Sqlite(connection) => apply(connection, SQLITE_MIGRATIONS),
        DbConnection::Postgresql(connection) => {
            // Replicas starting together take turns: the first migrates,
            // the others then find nothing pending.
            let lock = |connection: &mut PgConnection, function: &str| {
                diesel::sql_query(format!("SELECT {function}({MIGRATION_LOCK})"))
                    .execute(connection)
                    .map_err(|error| error.to_string())
            };
            lock(connection, "pg_advisory_lock")?;
            let outcome = apply(connection, POSTGRES_MIGRATIONS);
            lock(connection, "pg_advisory_unlock")?;
            outcome
        }
    }
}

/// The PostgreSQL advisory lock held while migrating ("parution" in ASCII).
const MIGRATION_LOCK: i64 = 0x7061_7275_7469_6f6e;

/// Refreshes the planner's statistics where they are missing or stale, so
/// that, for instance, a search is driven by its few matches rather than by
/// the status index. SQLite samples (analysis_limit) to stay quick on a
/// large file; PostgreSQL's autovacuum does the same in time, and VACUUM
/// ANALYZE does it now.
pub fn optimize(connection: &mut DbConnection) -> QueryResult<()> {
    match connection {
        DbConnection::Sqlite(connection) => {
            connection.batch_execute("PRAGMA analysis_limit = 1000; PRAGMA optimize = 0x10002;")
        }
        // VACUUM also marks the pages all rows of which are visible, which
        // index-only scans (the counts) need: after a bulk load, without
        // it, every count reads the table.
        DbConnection::Postgresql(connection) => connection.batch_execute("VACUUM ANALYZE"),
    }
}

/// The tables whose indexes a bulk load into an empty catalogue builds once
/// at its end: those of publications and their filings, and on PostgreSQL
/// the search vectors' GIN indexes. Indexes that back a constraint (primary
/// keys, unique slugs) stay: the load looks rows up by them.
const DEFERRABLE: &str = "'publications', 'publication_categories', 'publication_search'";

/// Drops the indexes of [`DEFERRABLE`] tables, keeping their definitions
/// (as the database itself writes them) in `deferred_indexes`, in one
/// transaction; returns how many. [`restore_indexes`] builds them again.
pub fn defer_indexes(connection: &mut DbConnection) -> QueryResult<usize> {
    use diesel::sql_types::Text;
    let listing = match connection {
        DbConnection::Sqlite(_) => format!(
            "SELECT name, sql FROM sqlite_master \
             WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({DEFERRABLE})"
        ),
        DbConnection::Postgresql(_) => format!(
            "SELECT indexname, indexdef FROM pg_indexes \
             WHERE schemaname = current_schema() AND tablename IN ({DEFERRABLE}) \
             AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = indexname)"
        ),
    };
    connection.transaction(|connection| {
        let indexes: Vec<(String, String)> =
            fragment::Raw::<(Text, Text)>::new(listing).keep(false).load(connection)?;
        for (name, definition) in &indexes {
            fragment::Raw::<()>::new("INSERT INTO deferred_indexes (name, definition) VALUES (")
                .text(name.clone())
                .sql(", ")
                .text(definition.clone())
                .sql(")")
                .execute(connection)?;
            diesel::sql_query(format!("DROP INDEX \"{}\"", name.replace('"', ""))).execute(connection)?;
        }
        Ok(indexes.len())
    })
}

/// Builds the indexes that [`defer_indexes`] dropped (each in the
/// transaction that forgets it); returns how many.
pub fn restore_indexes(connection: &mut DbConnection) -> QueryResult<usize> {
    use diesel::sql_types::Text;
    let deferred: Vec<(String, String)> =
        fragment::Raw::<(Text, Text)>::new("SELECT name, definition FROM deferred_indexes ORDER BY name")
            .load(connection)?;
    for (name, definition) in &deferred {
        connection.transaction(|connection| {
            diesel::sql_query(definition.as_str()).execute(connection)?;
            fragment::Raw::<()>::new("DELETE FROM deferred_indexes WHERE name = ")
                .text(name.clone())
                .execute(connection)
        })?;
    }
    Ok(deferred.len())
}

/// The names of the embedded migrations of a backend, in order.
pub fn migration_names(backend: Backend) -> Vec<String> {
    use diesel::migration::MigrationSource;
    let source = match backend {
        Backend::Sqlite => SQLITE_MIGRATIONS,
        Backend::Postgres => POSTGRES_MIGRATIONS,
    };
    MigrationSource::<diesel::sqlite::Sqlite>::migrations(&source)
        .map(|migrations| migrations.iter().map(|m| m.name().to_string()).collect())
        .unwrap_or_default()
}
