//! The catalogue's change counter, its nearest scheduled transitions, and
//! the time as the database stores it.

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

/// The same as [`catalogue_state`], reading only the counter's row when
/// `known` (an earlier state) still tells the transitions: the counter has
/// not moved and its stretch between transitions holds now.
pub fn catalogue_state_after(
    connection: &mut DbConnection,
    known: Option<CatalogueState>,
) -> QueryResult<CatalogueState> {
    let Some(known) = known else { return catalogue_state(connection) };
    let at = now();
    let (revision, changed_at): (i64, NaiveDateTime) = schema::catalogue_revision::table
        .select((schema::catalogue_revision::revision, schema::catalogue_revision::changed_at))
        .first(connection)?;
    if revision == known.revision && known.holds_at(at) {
        return Ok(CatalogueState { revision, changed_at, at, ..known });
    }
    catalogue_state(connection)
}

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
    Ok(CatalogueState {
        revision,
        changed_at,
        at,
        last_transition: [last_release, last_expiry].into_iter().flatten().max(),
        next_transition,
    })
}

/// Whole seconds from `at` until `until` (none when it has passed): how
/// long an answer made at `at` may be kept when it may change at `until`.
pub fn seconds_until(until: NaiveDateTime, at: NaiveDateTime) -> u32 {
    u32::try_from((until - at).num_seconds().max(0)).unwrap_or(u32::MAX)
}
