//! Answers kept until something they depend on changes.
//!
//! Anonymous reads of the API are kept whole (the encoded bytes, their
//! `ETag` and headers, as [`Represented`] made them) under the request's
//! host, path and query string, with what they depend on
//! ([`Dependencies`]). Every request reads the catalogue's revision again
//! ([`CatalogueWatch`], one read for all the requests that arrived during
//! the previous one, which also reads the change log up to it into the
//! process's [`Feed`]). Before it answers at a newer revision, the cache
//! applies the writes in between: it drops the answers they could have
//! altered and keeps the others, so a kept answer is never staler than the
//! revision its request read, whichever process wrote. Writes the log
//! cannot tell (a gap) empty the cache. An answer computed at an older
//! revision than the cache holds is kept only if no write since could have
//! altered it.
//!
//! A kept answer keeps its validators while it is kept: a write that could
//! not have altered it leaves its `ETag` and `Last-Modified` as they were,
//! so a revalidation still gets its `304`.
//!
//! One cache serves every worker of a process, bounded in bytes: past the
//! bound, the least recently used quarter goes. Requests with a token are
//! never kept nor served from here (editors see drafts, and always read
//! their own writes from the database). The `ETag` and `304` come from the
//! kept [`Represented`], so the HTTP layer's validators are the cache's.
//!
//! Answers are kept for the stretch of time between two scheduled
//! transitions (releases, expiries) too: the catalogue's state says when
//! the last one was and the next one will be, and the first request past
//! the next empties the cache. An answer computed before a transition is
//! never kept after it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{Error, Responder, web};
use chrono::NaiveDateTime;

use super::language::Lang;
use super::represented::{Represented, Shareable};
use crate::change::Dependencies;
use crate::change::feed::{CatchUp, Feed, Reach, Standing, follower, touched_at};
use crate::db::watch::CatalogueWatch;
use crate::db::{CatalogueState, Pool};

/// The paths whose answers are kept: the API's reads.
const CACHED_PREFIX: &str = "/api/v1/";

pub struct ResponseCache {
    /// The most bytes kept; 0 turns the cache off.
    budget: usize,
    watch: Arc<CatalogueWatch>,
    feed: Arc<Feed>,
    store: Mutex<Store>,
}

#[derive(Default)]
struct Store {
    /// The revision and stretch of time every kept answer is right for.
    standing: Standing,
    bytes: usize,
    /// Counts uses, to tell the least recently used.
    clock: u64,
    entries: HashMap<String, Entry>,
}

struct Entry {
    answer: Represented,
    dependencies: Dependencies,
    weight: usize,
    used: u64,
}

impl ResponseCache {
    pub fn new(pool: Pool, budget_mib: u64, feed: Arc<Feed>) -> Self {
        Self {
            budget: usize::try_from(budget_mib.saturating_mul(1024 * 1024)).unwrap_or(usize::MAX),
            watch: Arc::new(CatalogueWatch::new(pool).following(follower(&feed))),
            feed,
            store: Mutex::default(),
        }
    }

    fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The store, caught up to `state` when that is further than its own
    /// standing (newer writes, or a transition passed); `None` when the
    /// store stands further (the request read an older state).
    fn at(&self, state: &CatalogueState) -> Option<MutexGuard<'_, Store>> {
        let mut store = self.store();
        match store.standing.reach(state) {
            Reach::Late => return None,
            Reach::Here => {}
            Reach::Elapsed => {
                store.apply(&CatchUp::Unknown, state.at);
                store.standing.move_to(state);
            }
            Reach::Writes { from } => {
                let catch_up = self.feed.kept_between(from, state.revision).unwrap_or(CatchUp::Unknown);
                store.apply(&catch_up, state.at);
                store.standing.move_to(state);
            }
        }
        Some(store)
    }

    /// The answer kept for `key` at `state`.
    fn get(&self, state: &CatalogueState, key: &str) -> Option<Represented> {
        let mut store = self.at(state)?;
        store.clock += 1;
        let now = store.clock;
        let entry = store.entries.get_mut(key)?;
        entry.used = now;
        Some(entry.answer.clone())
    }

    /// Keeps `answer` for `key`, computed after reading `state`, unless a
    /// write since could have altered it, or a transition came between.
    fn put(&self, state: &CatalogueState, key: String, answer: Represented) {
        let weight = answer.weight() + key.len();
        if weight > self.budget / 4 {
            return;
        }
        let dependencies = answer.dependencies().clone();
        // Made past a transition that the request's own state was read
        // before: right only after that transition, not in the stretch the
        // state belongs to.
        if answer.made_at().is_some_and(|made| !state.holds_at(made)) {
            return;
        }
        let mut store = match self.at(state) {
            Some(store) => store,
            None => {
                let store = self.store();
                if !store.standing.holds(state) {
                    return;
                }
                match self.feed.kept_between(state.revision, store.standing.revision()) {
                    Some(CatchUp::Writes(writes))
                        if !touched_at(&writes, state.at).iter().any(|touched| dependencies.affected_by(touched)) => {}
                    _ => return,
                }
                store
            }
        };
        store.clock += 1;
        let used = store.clock;
        store.bytes += weight;
        if let Some(replaced) = store.entries.insert(key, Entry { answer, dependencies, weight, used }) {
            store.bytes -= replaced.weight;
        }
        if store.bytes > self.budget {
            store.evict(self.budget / 4 * 3);
        }
    }

    /// The catalogue's state as of a read that started after this call
    /// (one read for every request waiting on it), from the primary.
    pub async fn current(&self) -> Option<CatalogueState> {
        self.watch.current().await
    }

    /// How many bytes it holds now.
    pub fn bytes(&self) -> usize {
        self.store().bytes
    }
}

impl Store {
    /// Drops the answers the writes could have altered; all of them when
    /// the writes cannot be told.
    fn apply(&mut self, catch_up: &CatchUp, at: NaiveDateTime) {
        let writes = match catch_up {
            CatchUp::Writes(writes) => writes,
            CatchUp::Unknown => {
                self.entries.clear();
                self.bytes = 0;
                return;
            }
        };
        let touched = touched_at(writes, at);
        let altered: Vec<String> = self
            .entries
            .iter()
            .filter(|(_, entry)| touched.iter().any(|touched| entry.dependencies.affected_by(touched)))
            .map(|(key, _)| key.clone())
            .collect();
        for key in altered {
            if let Some(entry) = self.entries.remove(&key) {
                self.bytes -= entry.weight;
            }
        }
    }

    /// Drops the least recently used entries until at most `target` bytes
    /// are kept.
    fn evict(&mut self, target: usize) {
        let mut uses: Vec<(u64, String)> = self.entries.iter().map(|(key, entry)| (entry.used, key.clone())).collect();
        uses.sort_unstable();
        for (_, key) in uses {
            if self.bytes <= target {
                break;
            }
            if let Some(entry) = self.entries.remove(&key) {
                self.bytes -= entry.weight;
            }
        }
    }
}

/// The key of a request whose answer may be kept: anonymous reads of the
/// API. Host and scheme are part of it (feeds write them into their ids),
/// and the language asked for.
fn key(request: &ServiceRequest) -> Option<String> {
    let read = matches!(*request.method(), Method::GET | Method::HEAD);
    if !read || !request.path().starts_with(CACHED_PREFIX) || request.headers().contains_key(header::AUTHORIZATION) {
        return None;
    }
    let connection = request.connection_info();
    // Answers in different languages are told apart; an unreadable `lang`
    // is a 400, never kept.
    let lang = Lang::read(request.query_string(), request.headers()).ok()?.key();
    Some(format!("{}://{}{}?{} {lang}", connection.scheme(), connection.host(), request.path(), request.query_string()))
}

/// Serves kept answers, and keeps new ones.
pub async fn middleware(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody + 'static>>, Error> {
    let cache = request.app_data::<web::Data<ResponseCache>>().filter(|cache| cache.budget > 0).cloned();
    let Some((cache, key)) = cache.and_then(|cache| Some((cache, key(&request)?))) else {
        return Ok(next.call(request).await?.map_into_left_body());
    };
    // The revision is read where the answer will be: from the replica
    // when the request reads from it.
    let watch = crate::db::replica::chosen().map_or_else(|| cache.watch.clone(), |replica| replica.watch().clone());
    let Some(state) = watch.current().await else {
        return Ok(next.call(request).await?.map_into_left_body());
    };
    if let Some(answer) = cache.get(&state, &key) {
        let (request, _) = request.into_parts();
        let response = answer.served_at(&state).respond_to(&request);
        return Ok(ServiceResponse::new(request, response).map_into_right_body());
    }
    let mut response = next.call(request).await?;
    if response.status() == StatusCode::OK || response.status() == StatusCode::NOT_MODIFIED {
        let shareable = response.response_mut().extensions_mut().remove::<Shareable>();
        if let Some(Shareable(answer)) = shareable {
            cache.put(&state, key, answer);
        }
    }
    Ok(response.map_into_left_body())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Access;

    fn cache(budget_mib: u64) -> ResponseCache {
        let url: crate::db::DatabaseUrl = "sqlite://:memory:".parse().unwrap();
        let pool = crate::db::connect(&url, 1, crate::config::DatabaseSettings::new(url.clone()).waits()).unwrap();
        ResponseCache::new(pool, budget_mib, Arc::default())
    }

    /// The catalogue at `revision`, read at second `at` of a day with a
    /// transition at second 100.
    fn state(revision: i64, at: i64) -> CatalogueState {
        let second = |second: i64| chrono::DateTime::from_timestamp(second, 0).unwrap().naive_utc();
        let (last, next) = if at < 100 { (None, Some(second(100))) } else { (Some(second(100)), None) };
        CatalogueState { revision, changed_at: second(0), at: second(at), last_transition: last, next_transition: next }
    }

    fn answer(size: usize) -> Represented {
        Represented::bytes("application/json", vec![b'x'; size], Access::Public)
    }

    #[test]
    fn a_newer_revision_empties_it_and_an_older_one_is_not_kept() {
        let cache = cache(1);
        cache.put(&state(3, 10), "a".into(), answer(10));
        assert!(cache.get(&state(3, 10), "a").is_some());
        assert!(cache.get(&state(4, 10), "a").is_none(), "a kept answer is never served at another revision");
        cache.put(&state(4, 10), "b".into(), answer(10));
        assert!(cache.get(&state(3, 10), "a").is_none());
        cache.put(&state(3, 10), "a".into(), answer(10));
        assert!(cache.get(&state(4, 10), "a").is_none(), "an answer from an older revision is not kept");
        assert!(cache.get(&state(4, 10), "b").is_some());
    }

    #[test]
    fn a_transition_empties_it_and_an_answer_from_before_is_not_kept_after() {
        let cache = cache(1);
        cache.put(&state(3, 10), "a".into(), answer(10));
        assert!(cache.get(&state(3, 99), "a").is_some(), "kept until the transition");
        assert!(cache.get(&state(3, 100), "a").is_none(), "gone at the transition, without a write");
        cache.put(&state(3, 50), "a".into(), answer(10));
        assert!(cache.get(&state(3, 101), "a").is_none(), "made before the transition: not kept after it");
        cache.put(&state(3, 101), "a".into(), answer(10));
        assert!(cache.get(&state(3, 102), "a").is_some());
    }

    #[test]
    fn it_keeps_within_its_budget_and_drops_the_least_recently_used() {
        let cache = cache(1);
        for index in 0..100 {
            cache.put(&state(1, 10), format!("k{index}"), answer(20_000));
            assert!(cache.get(&state(1, 10), "k0").is_some(), "the entry used all along stays");
        }
        assert!(cache.bytes() <= 1024 * 1024);
        assert!(cache.get(&state(1, 10), "k1").is_none(), "an entry unused since it came went first");
        assert!(cache.get(&state(1, 10), "k99").is_some());
    }
}
