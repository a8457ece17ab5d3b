//! Counts kept between requests until the catalogue changes: any value a
//! caller names and knows how to compute, of any type.
//!
//! Totals, category counts and facets cost a scan that grows with the
//! catalogue, while the catalogue changes rarely. Each is kept under the
//! catalogue revision it was computed at; the revision (bumped by a trigger
//! on every write, whichever process or tool made it) is read with every
//! request, and a newer one empties the cache. So an answer is never staler
//! than the revision its request read, and replicas need not talk.
//!
//! One cache serves every worker of a process. When several requests miss
//! the same entry together, one computes it and the others wait for it
//! (single flight) instead of each scanning. A request that read an older
//! revision than the cache holds (a late reader) computes its own answer and
//! leaves the cache alone: the cache never goes back to an older revision.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use diesel::QueryResult;

/// Entries kept at most for one revision, so that endless distinct
/// queries cannot grow the cache without bound.
const MAX_ENTRIES: usize = 10_000;

/// One entry: empty until computed; its lock is held while computing, so
/// that the others who want it wait rather than compute it again.
type Slot = Arc<Mutex<Option<Arc<dyn Any + Send + Sync>>>>;

#[derive(Default)]
pub struct CountCache {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    revision: i64,
    /// By the type of the value and the caller's name for it.
    entries: HashMap<(TypeId, String), Slot>,
}

/// Locks a mutex; a panic while holding it leaves plain data behind: use it.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl CountCache {
    /// The value named `key`, computed once per revision by the first who
    /// wants it. A caller that read an older revision than the cache holds
    /// computes its own and leaves the cache alone.
    pub fn get<T>(&self, revision: i64, key: &str, compute: impl FnOnce() -> QueryResult<T>) -> QueryResult<T>
    where
        T: Clone + Send + Sync + 'static,
    {
        let Some(mut state) = self.at(revision) else { return compute() };
        let slot = state.entries.entry((TypeId::of::<T>(), key.to_owned())).or_default().clone();
        drop(state);
        let mut value = lock(&slot);
        if let Some(kept) = value.as_ref().and_then(|kept| kept.downcast_ref::<T>()) {
            return Ok(kept.clone());
        }
        let computed = compute()?;
        *value = Some(Arc::new(computed.clone()));
        Ok(computed)
    }

    /// The state at `revision`, or `None` when the cache already holds a
    /// newer one (the caller read an older revision).
    fn at(&self, revision: i64) -> Option<MutexGuard<'_, State>> {
        let mut state = lock(&self.state);
        if revision < state.revision {
            return None;
        }
        if revision > state.revision || state.entries.len() > MAX_ENTRIES {
            *state = State { revision, ..State::default() };
        }
        Some(state)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[test]
    fn concurrent_misses_compute_once() {
        let cache = Arc::new(CountCache::default());
        let computed = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (cache, computed) = (cache.clone(), computed.clone());
                std::thread::spawn(move || {
                    cache.get(7, "list", || {
                        computed.fetch_add(1, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(50));
                        Ok(42)
                    })
                })
            })
            .collect();
        for thread in threads {
            assert_eq!(thread.join().unwrap().unwrap(), 42);
        }
        assert_eq!(computed.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_late_reader_never_takes_the_cache_back() {
        let cache = CountCache::default();
        assert_eq!(cache.get(5, "list", || Ok(50)).unwrap(), 50);
        assert_eq!(cache.get(4, "list", || Ok(40)).unwrap(), 40, "the late reader gets its own revision's count");
        assert_eq!(cache.get(5, "list", || Ok(99)).unwrap(), 50, "the newer entry is still there");
        assert_eq!(cache.get(6, "list", || Ok(60)).unwrap(), 60);
    }

    #[test]
    fn values_of_other_types_under_one_name_are_kept_apart() {
        let cache = CountCache::default();
        assert_eq!(cache.get(1, "list", || Ok(3_i64)).unwrap(), 3);
        assert_eq!(cache.get(1, "list", || Ok((4_i64, 5_i64))).unwrap(), (4, 5));
        assert_eq!(cache.get(1, "list", || Ok(9_i64)).unwrap(), 3, "the first is still there");
    }

    #[test]
    fn a_failed_computation_is_not_kept() {
        let cache = CountCache::default();
        assert!(cache.get::<i64>(1, "list", || Err(diesel::result::Error::NotFound)).is_err());
        assert_eq!(cache.get(1, "list", || Ok(3)).unwrap(), 3);
    }
}
