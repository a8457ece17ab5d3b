//! The database layer: one connection type over both backends, the pool,
//! the embedded migrations, and `run`, which moves every blocking diesel call
//! off actix's async workers.
//!
//! The backend is chosen once, from the scheme of the database URL. Queries
//! are written once against [`DbConnection`]; where SQL must differ by
//! backend, the difference lives in this module and nowhere else.

pub mod changes;
pub mod commits;
mod connection;
pub mod events;
pub mod fragment;
mod migrations;
pub mod replica;
mod revision;
pub mod schema;
pub mod search;
pub mod watch;

pub use connection::{
    Backend, ConnectionManager, DatabaseUrl, DbConnection, FIRST_WAIT, MultiBackend, Pool, PooledConnection, Waits,
    backend, connect, connect_observed, on_pool,
};
pub use migrations::{defer_indexes, migrate, migration_names, optimize, restore_indexes};
pub use revision::{CatalogueState, catalogue_revision, catalogue_state, catalogue_state_after, now, seconds_until};

use std::time::Duration;

use diesel::RunQueryDsl;

use crate::error::ApiError;

use self::connection::pooled;

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
        let mut connection = pooled(&pool)?;
        query(&mut connection)
    })
    .await
    .map_err(ApiError::internal)?
}

/// Rows (or values of an `IN` list) a statement of a bulk load takes at
/// most: well under PostgreSQL's 65 535 parameters for the widest rows.
pub const ROWS_A_STATEMENT: usize = 1000;

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
        let mut connection = pooled(&pool)?;
        let mut attempt = 1;
        loop {
            match write_transaction(&mut connection, &mut write) {
                Ok(value) => {
                    commits::committed();
                    return Ok(value);
                }
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
    transaction(connection, true, write)
}

/// Runs `write` in a transaction that may write rows no reader of the
/// catalogue depends on (webhook deliveries), without the catalogue's lock
/// on PostgreSQL, so that it never holds up a content write. On SQLite it
/// is `BEGIN IMMEDIATE` all the same (one writer at a time).
pub fn side_transaction<T, E, F>(connection: &mut DbConnection, write: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    transaction(connection, false, write)
}

fn transaction<T, E, F>(connection: &mut DbConnection, catalogue_lock: bool, write: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    match connection {
        DbConnection::Sqlite(inner) => AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")?,
        DbConnection::Postgresql(inner) => {
            AnsiTransactionManager::begin_transaction(inner)?;
            if catalogue_lock {
                let locked = diesel::sql_query("SELECT revision FROM catalogue_revision WHERE id = 1 FOR UPDATE")
                    .execute(inner)
                    .map(drop);
                if let Err(error) = locked {
                    let _ = AnsiTransactionManager::rollback_transaction(inner);
                    return Err(error.into());
                }
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
