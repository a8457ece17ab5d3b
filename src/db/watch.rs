//! The catalogue's state, read once for every request waiting on it.
//!
//! A cached answer is good while the catalogue's counter has not moved, so
//! every request that would take one must read the counter. Read one at a
//! time, that is a database round trip per request; read together, it is
//! one for all the requests that arrived while the previous read ran. A
//! request joins the next read that *starts* after it arrived, never one
//! already running, so it always sees every write acknowledged before it
//! came in, whichever process made the write.

use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use diesel::QueryResult;
use tokio::sync::oneshot;

use super::connection::{DbConnection, Pool, on_pool};
use super::revision::{CatalogueState, catalogue_state_after};

/// What a read of the state is followed by, on the same connection: the
/// change log read up to the revision found.
pub type Follower = Arc<dyn Fn(&mut DbConnection, i64) -> QueryResult<()> + Send + Sync>;

pub struct CatalogueWatch {
    pool: Pool,
    batch: Mutex<Batch>,
    /// The last state read: while the counter stays and no transition
    /// comes, the next read is of the counter's row alone.
    known: Mutex<Option<CatalogueState>>,
    follower: OnceLock<Follower>,
}

#[derive(Default)]
struct Batch {
    /// The requests waiting for the next read.
    waiting: Vec<oneshot::Sender<Option<CatalogueState>>>,
    /// Whether a reader is running (it takes `waiting` when its read ends).
    reading: bool,
}

impl CatalogueWatch {
    pub fn new(pool: Pool) -> Self {
        Self { pool, batch: Mutex::default(), known: Mutex::default(), follower: OnceLock::new() }
    }

    /// The same, each read followed by `follower`.
    pub fn following(self, follower: Follower) -> Self {
        self.follow(follower);
        self
    }

    /// Has each read followed by `follower` (the first one given stays).
    pub fn follow(&self, follower: Follower) {
        let _ = self.follower.set(follower);
    }

    fn batch(&self) -> MutexGuard<'_, Batch> {
        self.batch.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The catalogue's state as of a read that started after this call, or
    /// `None` when the database could not be read.
    pub async fn current(self: &Arc<Self>) -> Option<CatalogueState> {
        let (sender, receiver) = oneshot::channel();
        let lead = {
            let mut batch = self.batch();
            batch.waiting.push(sender);
            !std::mem::replace(&mut batch.reading, true)
        };
        if lead {
            let watch = self.clone();
            actix_web::rt::spawn(async move { watch.read_while_waited_for().await });
        }
        receiver.await.ok().flatten()
    }

    /// Reads for whoever waits, until nobody does.
    async fn read_while_waited_for(&self) {
        let mut stopped = Stopped { watch: self, cut_short: true };
        loop {
            let waiting = {
                let mut batch = self.batch();
                if batch.waiting.is_empty() {
                    batch.reading = false;
                    stopped.cut_short = false;
                    return;
                }
                std::mem::take(&mut batch.waiting)
            };
            let follower = self.follower.get().cloned();
            let known = *self.known.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let state = on_pool(&self.pool, move |connection| {
                let state = catalogue_state_after(connection, known)?;
                if let Some(follower) = follower {
                    follower(connection, state.revision)?;
                }
                Ok(state)
            })
            .await
            .ok();
            if state.is_some() {
                *self.known.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = state;
            }
            for sender in waiting {
                let _ = sender.send(state);
            }
        }
    }
}

/// Ends a reader that was cut short (its worker stopped mid-read): the
/// next request leads a new one, and who waited is told there was no read
/// rather than kept waiting.
struct Stopped<'a> {
    watch: &'a CatalogueWatch,
    cut_short: bool,
}

impl Drop for Stopped<'_> {
    fn drop(&mut self) {
        if self.cut_short {
            let mut batch = self.watch.batch();
            batch.reading = false;
            batch.waiting.clear();
        }
    }
}
