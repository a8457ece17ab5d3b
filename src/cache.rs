//! Counts kept between requests and kept current through writes: any value
//! a caller names, knows how to compute, and knows how to bring up to date
//! with a change ([`Maintained`]).
//!
//! Totals, category counts and facets cost a scan that grows with the
//! catalogue. Each is kept at the catalogue revision the cache is at; a
//! request that read a newer revision first brings the cache there: the
//! writes in between (from the process's change feed) are applied to every
//! kept value, which adjusts itself (a publication that entered a list adds
//! one to its total) or says it cannot tell, and is then computed again by
//! the next request that wants it. Writes the log cannot tell (a gap) empty
//! the cache. So a kept value is never staler than the revision its
//! request read, whichever process wrote, and a write sends nobody to count
//! again what it could not have changed.
//!
//! A value is kept for the stretch of time between two scheduled
//! transitions (releases, expiries) as well: the first request past a
//! transition empties the cache, since what a count lets in changed.
//!
//! One cache serves every worker of a process. When several requests miss
//! the same entry together, one computes it and the others wait for it
//! (single flight). A request that read an older revision than the cache
//! holds (a late reader) computes its own answer and leaves the cache
//! alone: the cache never goes back to an older revision.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use diesel::QueryResult;

use crate::change::Touched;
use chrono::NaiveDateTime;

use crate::change::feed::{CatchUp, Feed, Reach, Standing, touched_at};
use crate::db::{CatalogueState, DbConnection};

/// Entries kept at most, so that endless distinct queries cannot grow the
/// cache without bound (past it, it starts again empty).
const MAX_ENTRIES: usize = 10_000;

/// A kept value that a change may adjust, or leave unknown.
pub trait Maintained: Clone + Send + Sync + 'static {
    /// Brings the value up to date with `touched`; `false` when that cannot
    /// be told (the value is then dropped and computed again).
    fn apply(&mut self, touched: &Touched) -> bool;
}

/// A kept value, its type erased.
trait Kept: Send + Sync {
    fn apply(&mut self, touched: &Touched) -> bool;
    fn as_any(&self) -> &dyn Any;
}

impl<T: Maintained> Kept for T {
    fn apply(&mut self, touched: &Touched) -> bool {
        Maintained::apply(self, touched)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// One entry: empty until computed; its lock is held while computing, so
/// that the others who want it wait rather than compute it again.
type Slot = Arc<Mutex<Option<Box<dyn Kept>>>>;

pub struct CountCache {
    feed: Arc<Feed>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    standing: Standing,
    /// By the type of the value and the caller's name for it.
    entries: HashMap<(TypeId, String), Slot>,
}

/// Locks a mutex; a panic while holding it leaves plain data behind: use it.
fn lock<T: ?Sized>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl CountCache {
    pub fn new(feed: Arc<Feed>) -> Self {
        Self { feed, state: Mutex::default() }
    }

    /// The value named `key` as of `state`: kept, or computed by the
    /// first who wants it (with `connection`, which also reads the writes
    /// the cache must apply to reach `state`).
    pub fn get<T: Maintained>(
        &self,
        connection: &mut DbConnection,
        state: &CatalogueState,
        key: &str,
        compute: impl FnOnce(&mut DbConnection) -> QueryResult<T>,
    ) -> QueryResult<T> {
        let Some(mut state) = self.at(connection, state)? else { return compute(connection) };
        let slot = state.entries.entry((TypeId::of::<T>(), key.to_owned())).or_default().clone();
        drop(state);
        let mut value = lock(&slot);
        if let Some(kept) = value.as_ref().and_then(|kept| kept.as_any().downcast_ref::<T>()) {
            return Ok(kept.clone());
        }
        let computed = compute(connection)?;
        *value = Some(Box::new(computed.clone()));
        Ok(computed)
    }

    /// The cache at `read`, brought there from where it stood, or `None`
    /// when it already stands further (the caller read an older revision,
    /// or an earlier instant).
    fn at(&self, connection: &mut DbConnection, read: &CatalogueState) -> QueryResult<Option<MutexGuard<'_, State>>> {
        let mut state = lock(&self.state);
        match state.standing.reach(read) {
            Reach::Late => return Ok(None),
            Reach::Here => {}
            Reach::Elapsed => {
                state.entries.clear();
                state.standing.move_to(read);
            }
            Reach::Writes { from } => {
                let catch_up = self.feed.between(connection, from, read.revision)?;
                state.apply(&catch_up, read.at);
                state.standing.move_to(read);
            }
        }
        if state.entries.len() > MAX_ENTRIES {
            state.entries.clear();
        }
        Ok(Some(state))
    }
}

impl State {
    /// Applies the writes to every kept value; drops those that cannot
    /// tell, those being computed (made at the older revision, they are
    /// their computer's alone), and all of them when the writes are
    /// unknown.
    fn apply(&mut self, catch_up: &CatchUp, at: NaiveDateTime) {
        let writes = match catch_up {
            CatchUp::Writes(writes) if writes.is_empty() => return,
            CatchUp::Writes(writes) => writes,
            CatchUp::Unknown => {
                self.entries.clear();
                return;
            }
        };
        let touched = touched_at(writes, at);
        self.entries.retain(|_, slot| {
            let Ok(mut value) = slot.try_lock() else { return false };
            let Some(kept) = value.as_mut() else { return false };
            touched.iter().all(|touched| kept.apply(touched))
        });
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// A count that knows nothing of changes.
    #[derive(Clone, Debug, PartialEq)]
    struct Count(i64);

    impl Maintained for Count {
        fn apply(&mut self, touched: &Touched) -> bool {
            // A publication link added or removed is the only change it
            // can follow.
            matches!(touched, Touched::Linked { .. })
        }
    }

    /// The catalogue at `revision`, with no transition.
    fn revision(revision: i64) -> CatalogueState {
        let at = chrono::DateTime::from_timestamp(0, 0).unwrap().naive_utc();
        CatalogueState { revision, changed_at: at, at, last_transition: None, next_transition: None }
    }

    fn connection() -> DbConnection {
        use diesel::Connection;
        let mut connection = DbConnection::Sqlite(diesel::SqliteConnection::establish(":memory:").unwrap());
        crate::db::migrate(&mut connection).unwrap();
        connection
    }

    #[test]
    fn concurrent_misses_compute_once() {
        let cache = Arc::new(CountCache::new(Arc::default()));
        let computed = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (cache, computed) = (cache.clone(), computed.clone());
                std::thread::spawn(move || {
                    cache.get(&mut connection(), &revision(0), "list", |_| {
                        computed.fetch_add(1, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(50));
                        Ok(Count(42))
                    })
                })
            })
            .collect();
        for thread in threads {
            assert_eq!(thread.join().unwrap().unwrap(), Count(42));
        }
        assert_eq!(computed.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_late_reader_never_takes_the_cache_back() {
        let cache = CountCache::new(Arc::default());
        let connection = &mut connection();
        assert_eq!(cache.get(connection, &revision(5), "list", |_| Ok(Count(50))).unwrap(), Count(50));
        assert_eq!(
            cache.get(connection, &revision(4), "list", |_| Ok(Count(40))).unwrap(),
            Count(40),
            "its own revision's"
        );
        assert_eq!(
            cache.get(connection, &revision(5), "list", |_| Ok(Count(99))).unwrap(),
            Count(50),
            "the newer is still there"
        );
        assert_eq!(
            cache.get(connection, &revision(6), "list", |_| Ok(Count(60))).unwrap(),
            Count(60),
            "unknown writes: made again"
        );
    }

    #[test]
    fn values_of_other_types_under_one_name_are_kept_apart() {
        #[derive(Clone, Debug, PartialEq)]
        struct Pair(i64, i64);
        impl Maintained for Pair {
            fn apply(&mut self, _: &Touched) -> bool {
                false
            }
        }
        let cache = CountCache::new(Arc::default());
        let connection = &mut connection();
        assert_eq!(cache.get(connection, &revision(1), "list", |_| Ok(Count(3))).unwrap(), Count(3));
        assert_eq!(cache.get(connection, &revision(1), "list", |_| Ok(Pair(4, 5))).unwrap(), Pair(4, 5));
        assert_eq!(
            cache.get(connection, &revision(1), "list", |_| Ok(Count(9))).unwrap(),
            Count(3),
            "the first is still there"
        );
    }

    #[test]
    fn a_failed_computation_is_not_kept() {
        let cache = CountCache::new(Arc::default());
        let connection = &mut connection();
        assert!(
            cache.get::<Count>(connection, &revision(1), "list", |_| Err(diesel::result::Error::NotFound)).is_err()
        );
        assert_eq!(cache.get(connection, &revision(1), "list", |_| Ok(Count(3))).unwrap(), Count(3));
    }
}
