//! Counts kept between requests until the catalogue changes.
//!
//! Totals, category counts and facets cost a scan that grows with the
//! catalogue, while the catalogue changes rarely. Each is kept under the
//! catalogue revision it was computed at; the revision (bumped by a trigger
//! on every write, whichever process or tool made it) is read with every
//! request, and a new one empties the cache. So an answer is never staler
//! than the revision its request read, and replicas need not talk.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use diesel::QueryResult;

use crate::publications::queries::FacetCounts;

/// Entries kept at most for one revision, so that endless distinct
/// queries cannot grow the cache without bound.
const MAX_ENTRIES: usize = 10_000;

#[derive(Default)]
pub struct CountCache {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    revision: i64,
    totals: HashMap<String, i64>,
    category_counts: Option<Arc<HashMap<i32, i64>>>,
    facets: HashMap<String, Arc<FacetCounts>>,
}

impl State {
    /// Forgets everything computed at an older revision.
    fn at(&mut self, revision: i64) -> &mut Self {
        if self.revision != revision || self.totals.len() + self.facets.len() > MAX_ENTRIES {
            *self = Self { revision, ..Self::default() };
        }
        self
    }
}

impl CountCache {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain data behind: use it.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The total of the list `key` names, computed once per revision.
    pub fn total(&self, revision: i64, key: &str, compute: impl FnOnce() -> QueryResult<i64>) -> QueryResult<i64> {
        if let Some(total) = self.state().at(revision).totals.get(key) {
            return Ok(*total);
        }
        let total = compute()?;
        self.state().at(revision).totals.insert(key.to_owned(), total);
        Ok(total)
    }

    /// Every category's publication count, computed once per revision.
    pub fn category_counts(
        &self,
        revision: i64,
        compute: impl FnOnce() -> QueryResult<HashMap<i32, i64>>,
    ) -> QueryResult<Arc<HashMap<i32, i64>>> {
        if let Some(counts) = &self.state().at(revision).category_counts {
            return Ok(counts.clone());
        }
        let counts = Arc::new(compute()?);
        self.state().at(revision).category_counts = Some(counts.clone());
        Ok(counts)
    }

    /// The facets of the list `key` names, computed once per revision.
    pub fn facets(
        &self,
        revision: i64,
        key: &str,
        compute: impl FnOnce() -> QueryResult<FacetCounts>,
    ) -> QueryResult<Arc<FacetCounts>> {
        if let Some(facets) = self.state().at(revision).facets.get(key) {
            return Ok(facets.clone());
        }
        let facets = Arc::new(compute()?);
        self.state().at(revision).facets.insert(key.to_owned(), facets.clone());
        Ok(facets)
    }
}
