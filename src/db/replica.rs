//! A read replica (`PARUTION_READ_DATABASE_URL`): a streaming copy of the
//! primary database that answers anonymous reads.
//!
//! The HTTP layer decides which requests may read from it (anonymous reads
//! of the API: an editor, who sends a token, always reads their own writes
//! from the primary) and runs them inside [`reading_from`]; [`super::run`]
//! then takes its connection here, and writes never do. The choice is made
//! once per request, when it starts: a request that began on the primary
//! stays there, so a cached answer is never filed under a revision newer
//! than the data it was read from.
//!
//! A thread checks the replica every [`CHECK_EVERY`]. While it cannot be
//! reached, reads go to the primary and `/ready` says so. A request that
//! finds it gone before it could read falls back to the primary at once;
//! one whose query was cut off by the replica going away gets a 503 with
//! `Retry-After` (its query is not repeated).

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use diesel::r2d2::{self, NopErrorHandler, R2D2Connection};

use super::connection::{
    ConnectionManager, ConnectionSettings, DatabaseUrl, DbConnection, Pool, PooledConnection, Waits,
};
use super::revision::catalogue_state;
use super::watch::CatalogueWatch;

/// How often the replica is checked.
pub const CHECK_EVERY: Duration = Duration::from_secs(1);

/// The longest a read waits for a replica connection before it reads from
/// the primary instead.
const CONNECTION_WAIT: Duration = Duration::from_secs(1);

pub struct Replica {
    pool: Pool,
    watch: Arc<CatalogueWatch>,
    reachable: AtomicBool,
    /// The catalogue revision it had reached when last checked (-1: never).
    revision: AtomicI64,
    /// The URL without its password, for logs.
    name: String,
}

tokio::task_local! {
    static READING_FROM: Arc<Replica>;
}

/// Runs `request` so that its reads go to `replica`.
pub async fn reading_from<F: Future>(replica: Arc<Replica>, request: F) -> F::Output {
    READING_FROM.scope(replica, request).await
}

/// The replica the running request reads from, if any.
pub fn chosen() -> Option<Arc<Replica>> {
    READING_FROM.try_with(Arc::clone).ok()
}

impl Replica {
    /// A pool of `size` connections to `url`, opened lazily: an unreachable
    /// replica does not keep the server from starting; a thread checks it
    /// from now on.
    pub fn connect(url: &DatabaseUrl, size: u32, waits: Waits) -> Result<Arc<Self>, String> {
        let wait = CONNECTION_WAIT.min(waits.connection);
        let connections = r2d2::Pool::builder()
            .max_size(size.max(1))
            .min_idle(Some(1))
            .connection_timeout(wait)
            .connection_customizer(Box::new(ConnectionSettings { lock_timeout: waits.lock }))
            // Refused connections are told once, by `mark`, not per attempt.
            .error_handler(Box::new(NopErrorHandler))
            .build_unchecked(ConnectionManager::new(url.clone()));
        let pool = Pool::from_parts(connections, wait);
        let replica = Arc::new(Self {
            watch: Arc::new(CatalogueWatch::new(pool.clone())),
            pool,
            reachable: AtomicBool::new(false),
            revision: AtomicI64::new(-1),
            name: url.redacted(),
        });
        replica.check();
        let watched = Arc::downgrade(&replica);
        std::thread::Builder::new()
            .name("replica-check".into())
            .spawn(move || check_while_used(&watched))
            .map_err(|error| format!("cannot start checking the read replica: {error}"))?;
        Ok(replica)
    }

    pub fn is_reachable(&self) -> bool {
        self.reachable.load(Ordering::SeqCst)
    }

    /// The catalogue revision it had reached at the last check that
    /// reached it.
    pub fn revision(&self) -> Option<i64> {
        Some(self.revision.load(Ordering::SeqCst)).filter(|revision| *revision >= 0)
    }

    /// The watch over its catalogue revision, for answers read from it.
    pub fn watch(&self) -> &Arc<CatalogueWatch> {
        &self.watch
    }

    /// Open connections, and how many of them are free.
    pub fn pool_state(&self) -> r2d2::State {
        self.pool.state()
    }

    /// Reads its revision now; says whether that worked.
    pub fn check(&self) -> bool {
        let state = self.pool.get().ok().and_then(|mut connection| catalogue_state(&mut connection).ok());
        if let Some(state) = state {
            self.revision.store(state.revision, Ordering::SeqCst);
        }
        self.mark(state.is_some());
        state.is_some()
    }

    fn mark(&self, reachable: bool) {
        if self.reachable.swap(reachable, Ordering::SeqCst) != reachable {
            if reachable {
                log::info!("the read replica {} is reachable: anonymous reads go to it", self.name);
            } else {
                log::warn!("the read replica {} cannot be reached: reads go to the primary", self.name);
            }
        }
    }

    /// A connection to read from, or `None` (read from the primary). A
    /// replica that cannot give one while it has room for more is taken
    /// for gone; one merely busy is not.
    pub(super) fn connection(&self) -> Option<PooledConnection> {
        if !self.is_reachable() {
            return None;
        }
        match self.pool.get() {
            Ok(connection) => Some(connection),
            Err(_) => {
                if self.pool.state().connections < self.pool.max_size() {
                    self.mark(false);
                }
                None
            }
        }
    }

    /// After a query that found the database unavailable: a connection
    /// that no longer answers means the replica went away.
    pub(super) fn failed_on(&self, connection: &mut DbConnection) {
        if connection.ping().is_err() {
            self.mark(false);
        }
    }
}

/// Checks the replica every [`CHECK_EVERY`] for as long as it is used.
fn check_while_used(replica: &Weak<Replica>) {
    loop {
        std::thread::sleep(CHECK_EVERY);
        let Some(replica) = replica.upgrade() else {
            return;
        };
        replica.check();
    }
}
