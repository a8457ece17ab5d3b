//! The change log's rows: what each write changed, appended in the write's
//! own transaction and read back by the caches of every process. This layer
//! keeps each change as the JSON document it is given; what a change means
//! is `crate::change`'s.
//!
//! Every write that logs stamps its rows with the catalogue revision it
//! found (`since`, read under the catalogue's lock, so the previous write's
//! `revision`) and the one it left. Read in order, the rows chain from one
//! revision to the next; a link missing from the chain is a write that the
//! log does not describe.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};

use super::connection::DbConnection;
use super::fragment::Raw;
use super::revision::catalogue_state;

/// How many revisions back rows are kept. A write moves the revision once
/// per row it writes (a publication's update, a few); a process that has
/// not caught up within this many drops all it kept instead.
const KEEP_REVISIONS: i64 = 20_000;

/// One write's changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Logged {
    /// The revision the write found.
    pub since: i64,
    /// The revision it left.
    pub revision: i64,
    pub changed_at: NaiveDateTime,
    /// Its changes, in the order it made them, as JSON documents.
    pub changes: Vec<String>,
}

/// Appends a write's `changes` (JSON documents), stamped with `since` and
/// the revision the write has reached; prunes rows past
/// [`KEEP_REVISIONS`]. Nothing is appended when the write changed no row.
pub fn append(connection: &mut DbConnection, since: i64, changes: &[String]) -> QueryResult<()> {
    let state = catalogue_state(connection)?;
    if state.revision == since {
        return Ok(());
    }
    for (position, change) in changes.iter().enumerate() {
        Raw::<()>::new("INSERT INTO catalogue_changes (revision, position, since, change, changed_at) VALUES (")
            .big_int(state.revision)
            .sql(", ")
            .big_int(position as i64)
            .sql(", ")
            .big_int(since)
            .sql(", ")
            .text(change.clone())
            .sql(", ")
            .timestamp(state.changed_at)
            .sql(")")
            .execute(connection)?;
    }
    Raw::<()>::new("DELETE FROM catalogue_changes WHERE revision < ")
        .big_int(state.revision - KEEP_REVISIONS)
        .execute(connection)?;
    Ok(())
}

struct Row {
    revision: i64,
    since: i64,
    change: String,
    changed_at: NaiveDateTime,
}

/// The writes that took the catalogue from revision `after` to `to`, in
/// order; `None` when the log cannot account for every revision between
/// (a write that logged nothing, or rows already pruned).
pub fn between(connection: &mut DbConnection, after: i64, to: i64) -> QueryResult<Option<Vec<Logged>>> {
    if to <= after {
        return Ok(Some(Vec::new()));
    }
    let rows: Vec<Row> = Raw::<(BigInt, BigInt, Text, Timestamp)>::new(
        "SELECT revision, since, change, changed_at FROM catalogue_changes WHERE revision > ",
    )
    .big_int(after)
    .sql(" AND revision <= ")
    .big_int(to)
    .sql(" ORDER BY revision, position")
    .load::<(i64, i64, String, NaiveDateTime)>(connection)?
    .into_iter()
    .map(|(revision, since, change, changed_at)| Row { revision, since, change, changed_at })
    .collect();
    let mut writes: Vec<Logged> = Vec::new();
    for row in rows {
        match writes.last_mut() {
            Some(last) if last.revision == row.revision => last.changes.push(row.change),
            _ => writes.push(Logged {
                since: row.since,
                revision: row.revision,
                changed_at: row.changed_at,
                changes: vec![row.change],
            }),
        }
    }
    Ok(chained(after, to, &writes).then_some(writes))
}

/// Whether `writes` take the catalogue from `after` to `to`, each starting
/// where the one before it ended.
fn chained(after: i64, to: i64, writes: &[Logged]) -> bool {
    let mut at = after;
    for write in writes {
        if write.since != at {
            return false;
        }
        at = write.revision;
    }
    at == to
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(since: i64, revision: i64) -> Logged {
        Logged { since, revision, changed_at: NaiveDateTime::default(), changes: Vec::new() }
    }

    #[test]
    fn writes_chain_only_without_a_gap() {
        assert!(chained(5, 5, &[]));
        assert!(chained(5, 12, &[write(5, 9), write(9, 12)]));
        assert!(!chained(5, 12, &[write(5, 9)]), "the last write is missing");
        assert!(!chained(5, 12, &[write(6, 9), write(9, 12)]), "a write before the first is missing");
        assert!(!chained(5, 12, &[write(5, 8), write(9, 12)]), "a write between them is missing");
    }
}
