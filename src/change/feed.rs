//! The change log as one process follows it: the latest writes it has
//! read, in order, so that each of its caches can catch up from the
//! revision it is at to the one a request read, without a query of its own
//! when another cache already read them.

use std::borrow::Cow;
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::NaiveDateTime;
use diesel::QueryResult;

use crate::db::{self, CatalogueState, DbConnection};

use super::touched::Touched;

/// How many writes a process keeps in memory; a cache further behind reads
/// the database, or drops what it keeps when the log no longer has them.
const KEPT_WRITES: usize = 1024;

/// One write, read back from the log.
#[derive(Debug)]
pub struct Write {
    pub since: i64,
    pub revision: i64,
    pub changed_at: NaiveDateTime,
    pub touched: Vec<Touched>,
}

/// What a cache at one revision must apply to reach another.
#[derive(Debug)]
pub enum CatchUp {
    /// These writes, in order (none when nothing changed).
    Writes(Vec<Arc<Write>>),
    /// The writes in between cannot be told: drop everything.
    Unknown,
}

/// Where a cache stands: the catalogue revision its entries are right at,
/// and the stretch of time between two scheduled transitions (releases,
/// expiries) they are right for. Within a stretch, what readers may see
/// changes only with a write; a transition changes it without one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Standing {
    revision: i64,
    since: Option<NaiveDateTime>,
    until: Option<NaiveDateTime>,
}

/// What a cache must do to serve a request that read a given state.
#[derive(Debug, PartialEq, Eq)]
pub enum Reach {
    /// The request read an older revision, or an earlier instant: it must
    /// compute its own answer and leave the cache alone.
    Late,
    /// The cache is right for it as it stands.
    Here,
    /// Writes were made since the revision the cache is at: apply them.
    Writes { from: i64 },
    /// A transition came since: drop everything.
    Elapsed,
}

impl Standing {
    /// How the cache reaches `state`.
    pub fn reach(&self, state: &CatalogueState) -> Reach {
        if state.revision < self.revision || self.since.is_some_and(|since| state.at < since) {
            Reach::Late
        } else if self.until.is_some_and(|until| state.at >= until) {
            Reach::Elapsed
        } else if state.revision > self.revision {
            Reach::Writes { from: self.revision }
        } else {
            Reach::Here
        }
    }

    /// Stands where `state` is.
    pub fn move_to(&mut self, state: &CatalogueState) {
        *self = Self { revision: state.revision, since: state.last_transition, until: state.next_transition };
    }

    pub fn revision(&self) -> i64 {
        self.revision
    }

    /// Whether an answer made at `state` is right for this standing.
    pub fn holds(&self, state: &CatalogueState) -> bool {
        self.since.is_none_or(|since| state.at >= since) && self.until.is_none_or(|until| state.at < until)
    }
}

/// What `writes` touched as a cache applying them at `at` must see it:
/// each publication's visibility asked again for that instant.
pub fn touched_at(writes: &[Arc<Write>], at: NaiveDateTime) -> Vec<Cow<'_, Touched>> {
    writes
        .iter()
        .flat_map(|write| &write.touched)
        .map(|touched| touched.seen_at(at).map_or(Cow::Borrowed(touched), Cow::Owned))
        .collect()
}

#[derive(Default)]
pub struct Feed {
    chain: Mutex<Chain>,
}

/// Consecutive writes from `start`: each starts where the one before ended.
#[derive(Default)]
struct Chain {
    start: Option<i64>,
    writes: Vec<Arc<Write>>,
}

impl Chain {
    fn newest(&self) -> Option<i64> {
        self.writes.last().map(|write| write.revision).or(self.start)
    }

    /// The writes from `from` to `to`, when the chain holds them.
    fn between(&self, from: i64, to: i64) -> Option<Vec<Arc<Write>>> {
        if to <= from {
            return Some(Vec::new());
        }
        let first =
            if Some(from) == self.start { 0 } else { self.writes.iter().position(|write| write.revision == from)? + 1 };
        let mut writes = Vec::new();
        for write in &self.writes[first..] {
            if write.revision > to {
                return None;
            }
            writes.push(write.clone());
            if write.revision == to {
                return Some(writes);
            }
        }
        None
    }

    /// Adds writes that follow the chain's newest; anything else starts a
    /// new chain.
    fn extend(&mut self, from: i64, read: Vec<Arc<Write>>) {
        if self.newest() != Some(from) {
            self.start = Some(from);
            self.writes.clear();
        }
        self.writes.extend(read);
        if self.writes.len() > KEPT_WRITES {
            let dropped = self.writes.len() - KEPT_WRITES;
            self.start = Some(self.writes[dropped - 1].revision);
            self.writes.drain(..dropped);
        }
    }
}

/// What makes a watch of the catalogue read the log into `feed`.
pub fn follower(feed: &Arc<Feed>) -> db::watch::Follower {
    let feed = feed.clone();
    Arc::new(move |connection, revision| feed.follow(connection, revision))
}

impl Feed {
    fn chain(&self) -> MutexGuard<'_, Chain> {
        self.chain.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The writes from revision `from` to `to`, from memory when it has
    /// them (`None` otherwise).
    pub fn kept_between(&self, from: i64, to: i64) -> Option<CatchUp> {
        self.chain().between(from, to).map(CatchUp::Writes)
    }

    /// Reads the writes up to `to` that memory does not have yet, from the
    /// newest it has (or from `to`, where following begins).
    pub fn follow(&self, connection: &mut DbConnection, to: i64) -> QueryResult<()> {
        let newest = self.chain().newest();
        match newest {
            Some(newest) if newest < to => {
                self.between(connection, newest, to)?;
            }
            Some(_) => {}
            None => self.chain().extend(to, Vec::new()),
        }
        Ok(())
    }

    /// The writes from revision `from` to `to`, reading from the database
    /// (with `connection`) what memory lacks, and keeping what follows on.
    pub fn between(&self, connection: &mut DbConnection, from: i64, to: i64) -> QueryResult<CatchUp> {
        if let Some(known) = self.kept_between(from, to) {
            return Ok(known);
        }
        // Read from the newest write kept when `from` is on the chain, so
        // that the chain grows; else from `from` itself.
        let read_from = {
            let chain = self.chain();
            match chain.newest() {
                Some(newest) if newest > from && newest < to && chain.between(from, newest).is_some() => newest,
                _ => from,
            }
        };
        let Some(logged) = db::changes::between(connection, read_from, to)? else {
            return Ok(CatchUp::Unknown);
        };
        let read: Vec<Arc<Write>> = logged
            .into_iter()
            .map(|logged| {
                Arc::new(Write {
                    since: logged.since,
                    revision: logged.revision,
                    changed_at: logged.changed_at,
                    touched: logged.changes.iter().map(|json| Touched::from_json(json)).collect(),
                })
            })
            .collect();
        let mut chain = self.chain();
        chain.extend(read_from, read);
        Ok(chain.between(from, to).map_or(CatchUp::Unknown, CatchUp::Writes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(since: i64, revision: i64) -> Arc<Write> {
        Arc::new(Write { since, revision, changed_at: NaiveDateTime::default(), touched: Vec::new() })
    }

    fn revisions(chain: &Chain, from: i64, to: i64) -> Option<Vec<i64>> {
        Some(chain.between(from, to)?.iter().map(|write| write.revision).collect())
    }

    #[test]
    fn memory_answers_what_lies_on_its_chain() {
        let mut chain = Chain::default();
        chain.extend(1, vec![write(1, 4), write(4, 6), write(6, 9)]);
        assert_eq!(revisions(&chain, 4, 9), Some(vec![6, 9]));
        assert_eq!(revisions(&chain, 1, 6), Some(vec![4, 6]));
        assert_eq!(revisions(&chain, 9, 9), Some(vec![]));
        assert_eq!(revisions(&chain, 5, 9), None, "5 is no write's end");
        assert_eq!(revisions(&chain, 0, 4), None, "before the chain");
        assert_eq!(revisions(&chain, 6, 12), None, "memory ends at 9");
        chain.extend(9, vec![write(9, 12)]);
        assert_eq!(revisions(&chain, 4, 12), Some(vec![6, 9, 12]), "what follows on is added");
        chain.extend(14, vec![write(14, 15)]);
        assert_eq!(revisions(&chain, 14, 15), Some(vec![15]), "a new chain replaces a broken one");
        assert_eq!(revisions(&chain, 4, 9), None);
    }
}
