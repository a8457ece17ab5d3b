//! The database layer: one connection type over both backends, the pool,
//! the embedded migrations, and `run`, which moves every blocking diesel call
//! off actix's async workers.
//!
//! The backend is chosen once, from the scheme of the database URL. Queries
//! are written once against [`DbConnection`]; where SQL must differ by
//! backend, the difference lives in this module and nowhere else.

pub mod fragment;
pub mod replica;
pub mod schema;
pub mod search;
pub mod watch;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use chrono::{NaiveDateTime, SubsecRound, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, CustomizeConnection, ManageConnection, R2D2Connection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::error::ApiError;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// A connection to either backend. Diesel generates `MultiBackend` beside it.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

pub type Pool = r2d2::Pool<ConnectionManager>;
pub type PooledConnection = r2d2::PooledConnection<ConnectionManager>;

/// Which engine a database URL names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database URL whose scheme has been checked: `sqlite://PATH` (relative
/// unless PATH starts with `/`) or `postgres://…` / `postgresql://…`.
/// Anything else is refused, so a mistyped PostgreSQL URL can never fall
/// through to a new SQLite file.
#[derive(Clone, Debug)]
pub struct DatabaseUrl {
    backend: Backend,
    /// What the driver receives: a file path for SQLite, the URL for PostgreSQL.
    target: String,
}

impl DatabaseUrl {
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The URL without any password, for logs.
    pub fn redacted(&self) -> String {
        match self.backend {
            Backend::Sqlite => format!("sqlite://{}", self.target),
            Backend::Postgres => match (self.target.find("://"), self.target.rfind('@')) {
                (Some(scheme_end), Some(at)) if at > scheme_end => {
                    format!("{}://***{}", &self.target[..scheme_end], &self.target[at..])
                }
                _ => self.target.clone(),
            },
        }
    }
}

impl FromStr for DatabaseUrl {
    type Err = String;

    fn from_str(url: &str) -> Result<Self, Self::Err> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err("a sqlite:// URL needs a file path, e.g. sqlite://data/parution.db".into());
            }
            return Ok(Self { backend: Backend::Sqlite, target: path.to_owned() });
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self { backend: Backend::Postgres, target: url.to_owned() });
        }
        Err(format!(
            "unsupported database URL {:?}: use sqlite://PATH or postgres://USER@HOST/DATABASE",
            url.split("://").next().unwrap_or_default()
        ))
    }
}

/// An r2d2 manager that opens the backend the URL names, and only that one.
#[derive(Clone, Debug)]
pub struct ConnectionManager {
    url: DatabaseUrl,
}

impl ConnectionManager {
    pub fn new(url: DatabaseUrl) -> Self {
        Self { url }
    }
}

impl ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        let connection = match self.url.backend {
            Backend::Sqlite => SqliteConnection::establish(&self.url.target).map(DbConnection::Sqlite),
            Backend::Postgres => PgConnection::establish(&self.url.target).map(DbConnection::Postgresql),
        };
        connection.map_err(r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, connection: &mut DbConnection) -> Result<(), r2d2::Error> {
        connection.ping().map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, connection: &mut DbConnection) -> bool {
        connection.is_broken()
    }
}

/// Per-connection settings. Writers wait for the write lock at most the
/// lock timeout, then answer 503 (SQLite's `busy_timeout`, PostgreSQL's
/// `lock_timeout`). On SQLite, `synchronous = FULL` makes every answered
/// commit survive a crash of the process or of the machine.
#[derive(Debug)]
struct ConnectionSettings {
    lock_timeout: Duration,
}

impl CustomizeConnection<DbConnection, r2d2::Error> for ConnectionSettings {
    fn on_acquire(&self, connection: &mut DbConnection) -> Result<(), r2d2::Error> {
        let milliseconds = self.lock_timeout.as_millis();
        match connection {
            DbConnection::Sqlite(connection) => connection.batch_execute(&format!(
                "PRAGMA busy_timeout = {milliseconds}; PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;"
            )),
            DbConnection::Postgresql(connection) => {
                connection.batch_execute(&format!("SET lock_timeout = {milliseconds}"))
            }
        }
        .map_err(r2d2::Error::QueryError)
    }
}

/// How long a request may wait: for a pooled connection, and for the write
/// lock.
#[derive(Clone, Copy, Debug)]
pub struct Waits {
    pub connection: Duration,
    pub lock: Duration,
}

/// Opens a pool of `size` connections. A SQLite file and its folder are
/// created when missing, and the file is put in WAL mode (which persists).
pub fn connect(url: &DatabaseUrl, size: u32, waits: Waits) -> Result<Pool, String> {
    if url.backend == Backend::Sqlite {
        if let Some(folder) = Path::new(&url.target).parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(folder)
                .map_err(|error| format!("cannot create the folder {}: {error}", folder.display()))?;
        }
        let mut connection = SqliteConnection::establish(&url.target).map_err(|error| error.to_string())?;
        connection.batch_execute("PRAGMA journal_mode = WAL;").map_err(|error| error.to_string())?;
    }
    r2d2::Pool::builder()
        .max_size(size.max(1))
        // A connection to a file does not break: no test query per checkout.
        .test_on_check_out(url.backend == Backend::Postgres)
        .connection_timeout(waits.connection)
        .connection_customizer(Box::new(ConnectionSettings { lock_timeout: waits.lock }))
        .event_handler(Box::new(crate::metrics::PoolEvents))
        .build(ConnectionManager { url: url.clone() })
        .map_err(|error| format!("cannot connect to {}: {error}", url.redacted()))
}

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

/// The backend a connection talks to.
pub fn backend(connection: &DbConnection) -> Backend {
    match connection {
        DbConnection::Sqlite(_) => Backend::Sqlite,
        DbConnection::Postgresql(_) => Backend::Postgres,
    }
}

/// A pooled connection, or the 503 that says how long was waited.
fn connection(pool: &Pool) -> Result<PooledConnection, ApiError> {
    pool.get().map_err(|error| {
        log::warn!("no database connection: {error}");
        ApiError::Unavailable(format!(
            "no database connection was free within {} s; try again shortly",
            pool.connection_timeout().as_secs()
        ))
    })
}

/// Runs `query` on a pooled connection in actix's blocking thread pool, so
/// no async worker ever waits on the database. Within an anonymous read
/// that the HTTP layer sent to the read replica, the connection is the
/// replica's while it can be reached ([`replica`]).
pub async fn run<T, F>(pool: &Pool, query: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    let replica = replica::chosen();
    actix_web::web::block(move || {
        if let Some(replica) = replica
            && let Some(mut connection) = replica.connection()
        {
            let outcome = query(&mut connection);
            if let Err(ApiError::Unavailable(_)) = outcome {
                replica.failed_on(&mut connection);
            }
            return outcome;
        }
        let mut connection = connection(&pool)?;
        query(&mut connection)
    })
    .await
    .map_err(ApiError::internal)?
}

/// How many times a write that lost a race with another process's writes
/// (a deadlock, a serialisation failure) is tried in all.
const WRITE_ATTEMPTS: u32 = 4;

/// Runs `write` in a write transaction on a pooled connection, off the
/// async workers. A write that lost a race with another process's writes
/// is tried again, a bounded number of times, then answered 503 with
/// `Retry-After`; `write` must therefore be repeatable (clone its input).
pub async fn write<T, F>(pool: &Pool, mut write: F) -> Result<T, ApiError>
where
    F: FnMut(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    actix_web::web::block(move || {
        let mut connection = connection(&pool)?;
        let mut attempt = 1;
        loop {
            match write_transaction(&mut connection, &mut write) {
                Err(ApiError::Contention(cause)) if attempt < WRITE_ATTEMPTS => {
                    log::info!("write attempt {attempt} lost a race ({cause}); trying again");
                    std::thread::sleep(Duration::from_millis(10 << attempt));
                    attempt += 1;
                }
                outcome => return outcome,
            }
        }
    })
    .await
    .map_err(ApiError::internal)?
}

/// Runs `write` in a transaction that may write, taking the catalogue's
/// lock first: every write takes its locks in one order (the catalogue,
/// then rows), so no two writes can deadlock, and checks that span rows
/// (a category move, a free slug) see no concurrent change. On SQLite,
/// `BEGIN IMMEDIATE` is that lock (the database's single writer lock); on
/// PostgreSQL it is the catalogue revision row, which every write updates
/// anyway. Waiting for it is bounded by the lock timeout.
pub fn write_transaction<T, E, F>(connection: &mut DbConnection, write: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    match connection {
        DbConnection::Sqlite(inner) => AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")?,
        DbConnection::Postgresql(inner) => {
            AnsiTransactionManager::begin_transaction(inner)?;
            let locked = diesel::sql_query("SELECT revision FROM catalogue_revision WHERE id = 1 FOR UPDATE")
                .execute(inner)
                .map(drop);
            if let Err(error) = locked {
                let _ = AnsiTransactionManager::rollback_transaction(inner);
                return Err(error.into());
            }
        }
    }
    let outcome = write(connection);
    let end = match (connection, outcome.is_ok()) {
        (DbConnection::Sqlite(inner), true) => AnsiTransactionManager::commit_transaction(inner),
        (DbConnection::Sqlite(inner), false) => AnsiTransactionManager::rollback_transaction(inner),
        (DbConnection::Postgresql(inner), true) => AnsiTransactionManager::commit_transaction(inner),
        (DbConnection::Postgresql(inner), false) => AnsiTransactionManager::rollback_transaction(inner),
    };
    match (outcome, end) {
        (Ok(value), Ok(())) => Ok(value),
        (Ok(_), Err(error)) => Err(error.into()),
        (Err(error), _) => Err(error),
    }
}

/// The current time as stored: UTC, to the microsecond (PostgreSQL's
/// precision), so both backends hold the same value.
pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc().trunc_subsecs(6)
}

/// The catalogue's change counter, bumped by a trigger on every write.
pub fn catalogue_revision(connection: &mut DbConnection) -> QueryResult<i64> {
    schema::catalogue_revision::table.select(schema::catalogue_revision::revision).first(connection)
}

/// Where the catalogue stands: its change counter, and when it last
/// changed (set by the database itself, so every process agrees on it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Queryable)]
pub struct CatalogueState {
    pub revision: i64,
    pub changed_at: NaiveDateTime,
}

/// The catalogue's counter and last change, in one read of one row.
pub fn catalogue_state(connection: &mut DbConnection) -> QueryResult<CatalogueState> {
    use schema::catalogue_revision::dsl::*;
    catalogue_revision.select((revision, changed_at)).first(connection)
}
