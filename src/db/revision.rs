//! The catalogue's change counter, its nearest scheduled transitions, and
//! the time as the database stores it.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{NaiveDateTime, SubsecRound, Utc};
use diesel::prelude::*;

use super::connection::DbConnection;
use super::fragment::Raw;
use super::schema;

/// The current time as stored: UTC, to the microsecond (PostgreSQL's
/// precision), so both backends hold the same value.
pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc().trunc_subsecs(6)
}

/// The catalogue's change counter, bumped by a trigger on every write.
pub fn catalogue_revision(connection: &mut DbConnection) -> QueryResult<i64> {
    schema::catalogue_revision::table.select(schema::catalogue_revision::revision).first(connection)
}

/// Where the catalogue stands: its change counter, when it last changed
/// (set by the database itself, so every process agrees on it), and, for
/// the instant it was read at, the scheduled releases and expiries on
/// either side of it: between two transitions, what a reader without a
/// token may see changes only with a write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CatalogueState {
    pub revision: i64,
    pub changed_at: NaiveDateTime,
    /// The instant it was read at, by the server's clock: what the
    /// request that read it sees the catalogue at.
    pub at: NaiveDateTime,
    /// The latest release or expiry at or before `at`.
    pub last_transition: Option<NaiveDateTime>,
    /// The earliest release or expiry after `at`.
    pub next_transition: Option<NaiveDateTime>,
}

impl CatalogueState {
    /// When what it shows last changed: its last write, or a release or
    /// expiry since.
    pub fn modified_at(&self) -> NaiveDateTime {
        self.last_transition.map_or(self.changed_at, |transition| transition.max(self.changed_at))
    }

    /// Whether `at` lies in the same stretch between transitions as this
    /// state's instant.
    pub fn holds_at(&self, at: NaiveDateTime) -> bool {
        self.last_transition.is_none_or(|last| at >= last) && self.next_transition.is_none_or(|next| at < next)
    }
}

type StateRow =
    (i64, NaiveDateTime, Option<NaiveDateTime>, Option<NaiveDateTime>, Option<NaiveDateTime>, Option<NaiveDateTime>);

/// The catalogue's counter, last change and nearest transitions, now, in
/// one statement: four index probes besides the counter's row.
pub fn catalogue_state(connection: &mut DbConnection) -> QueryResult<CatalogueState> {
    use diesel::sql_types::{BigInt, Nullable, Timestamp};
    let at = now();
    let nearest = |column: &'static str, after: bool| {
        let (comparison, order) = if after { (" > ", " ASC") } else { (" <= ", " DESC") };
        Raw::<()>::new(format!(
            "(SELECT {column} FROM publications WHERE status = 'published' AND {column}{comparison}"
        ))
        .timestamp(at)
        .sql(format!(" ORDER BY {column}{order} LIMIT 1)"))
    };
    let statement = Raw::<(
        BigInt,
        Timestamp,
        Nullable<Timestamp>,
        Nullable<Timestamp>,
        Nullable<Timestamp>,
        Nullable<Timestamp>,
    )>::new("SELECT revision, changed_at, ")
    .append(nearest("published_at", false))
    .sql(", ")
    .append(nearest("unpublish_at", false))
    .sql(", ")
    .append(nearest("published_at", true))
    .sql(", ")
    .append(nearest("unpublish_at", true))
    .sql(" FROM catalogue_revision WHERE id = 1");
    let (revision, changed_at, last_release, last_expiry, next_release, next_expiry): StateRow =
        statement.get_result(connection)?;
    let next_transition = [next_release, next_expiry].into_iter().flatten().min();
    saw_next_transition(next_transition, at);
    Ok(CatalogueState {
        revision,
        changed_at,
        at,
        last_transition: [last_release, last_expiry].into_iter().flatten().max(),
        next_transition,
    })
}

/// The earliest transition still to come that this process has read, in
/// microseconds since the epoch (`i64::MAX`: none): what answers made
/// without a state of their own (errors, redirects) are cached until at
/// most. Kept as the earliest of those read, so that it is never late; a
/// transition cancelled since only shortens some cache lifetimes until
/// its instant passes.
static NEXT_TRANSITION: AtomicI64 = AtomicI64::new(i64::MAX);

fn micros(at: NaiveDateTime) -> i64 {
    at.and_utc().timestamp_micros()
}

fn saw_next_transition(next: Option<NaiveDateTime>, at: NaiveDateTime) {
    let next = next.map_or(i64::MAX, micros);
    let at = micros(at);
    let _ = NEXT_TRANSITION.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |kept| {
        let wanted = if kept <= at { next } else { kept.min(next) };
        (wanted != kept).then_some(wanted)
    });
}

/// The earliest transition still to come that this process knows of.
pub fn next_transition_seen() -> Option<NaiveDateTime> {
    let next = NEXT_TRANSITION.load(Ordering::Relaxed);
    (next != i64::MAX).then(|| chrono::DateTime::from_timestamp_micros(next)).flatten().map(|at| at.naive_utc())
}

/// Whole seconds from `at` until `until` (none when it has passed): how
/// long an answer made at `at` may be kept when it may change at `until`.
pub fn seconds_until(until: NaiveDateTime, at: NaiveDateTime) -> u32 {
    u32::try_from((until - at).num_seconds().max(0)).unwrap_or(u32::MAX)
}
