//! The event log's rows: one per change a reader could see, appended in
//! the change's own transaction, read in order by the change feed and the
//! webhook dispatcher. This layer stores and reads rows; what an event
//! means, and who may see it, is `crate::change::events`' and
//! `crate::events`'.
//!
//! Order: `seq` is taken while the transaction holds the catalogue's lock
//! ([`super::write_transaction`]), which it keeps until it commits, so a
//! reader that sees event `n` has already seen every event before it, or
//! will never see it (it was rolled back). A cursor is therefore the last
//! `seq` a reader has read, with nothing to skip or come back for.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::connection::DbConnection;
use super::schema::{event_log, events};

/// An event about to be appended.
#[derive(Clone, Debug, PartialEq, Eq, Insertable)]
#[diesel(table_name = events)]
pub struct NewEvent {
    pub occurred_at: NaiveDateTime,
    pub kind: String,
    pub resource: String,
    pub resource_id: i32,
    pub slug: String,
    pub language: Option<String>,
    pub version: Option<i32>,
    pub categories: String,
    pub categories_before: String,
    pub language_before: Option<String>,
    pub changed: String,
    pub public_before: bool,
    pub public_after: bool,
    pub exists_before: bool,
    pub exists_after: bool,
}

/// An event as stored.
#[derive(Clone, Debug, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = events)]
pub struct EventRow {
    pub seq: i64,
    pub occurred_at: NaiveDateTime,
    pub kind: String,
    pub resource: String,
    pub resource_id: i32,
    pub slug: String,
    pub language: Option<String>,
    pub version: Option<i32>,
    pub categories: String,
    pub categories_before: String,
    pub language_before: Option<String>,
    pub changed: String,
    pub public_before: bool,
    pub public_after: bool,
    pub exists_before: bool,
    pub exists_after: bool,
}

/// Appends `events`, in order. Must run in a write transaction.
pub fn append(connection: &mut DbConnection, new: &[NewEvent]) -> QueryResult<()> {
    for event in new {
        diesel::insert_into(events::table).values(event).execute(connection)?;
    }
    Ok(())
}

/// The newest event of `resource` `id`: what the log last said of it.
pub fn last_of(connection: &mut DbConnection, resource: &str, id: i32) -> QueryResult<Option<EventRow>> {
    events::table
        .filter(events::resource.eq(resource).and(events::resource_id.eq(id)))
        .order(events::seq.desc())
        .select(EventRow::as_select())
        .first(connection)
        .optional()
}

/// At most `limit` events after `seq`, oldest first.
pub fn after(connection: &mut DbConnection, seq: i64, limit: i64) -> QueryResult<Vec<EventRow>> {
    events::table
        .filter(events::seq.gt(seq))
        .order(events::seq)
        .limit(limit)
        .select(EventRow::as_select())
        .load(connection)
}

/// Where the log stands: the newest sequence number given (or, when every
/// event was pruned, the last one pruned), and the last one pruned.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Head {
    pub newest: i64,
    pub pruned_through: i64,
}

pub fn head(connection: &mut DbConnection) -> QueryResult<Head> {
    let pruned_through: i64 = event_log::table.find(1).select(event_log::pruned_through).first(connection)?;
    let newest: Option<i64> = events::table.select(diesel::dsl::max(events::seq)).first(connection)?;
    Ok(Head { newest: newest.unwrap_or(0).max(pruned_through), pruned_through })
}

/// The newest sequence number given: a cheap read of the index's end.
pub fn newest(connection: &mut DbConnection) -> QueryResult<i64> {
    Ok(events::table.select(diesel::dsl::max(events::seq)).first::<Option<i64>>(connection)?.unwrap_or(0))
}

/// Prunes the events that occurred before `before`, at most `limit` of
/// them, oldest first and without a gap (every event up to the newest one
/// pruned goes, whatever its time): returns how many.
pub fn prune(connection: &mut DbConnection, before: NaiveDateTime, limit: i64) -> QueryResult<usize> {
    let due: Vec<i64> = events::table
        .filter(events::occurred_at.lt(before))
        .order(events::seq)
        .limit(limit)
        .select(events::seq)
        .load(connection)?;
    let Some(&through) = due.last() else { return Ok(0) };
    let pruned = diesel::delete(events::table.filter(events::seq.le(through))).execute(connection)?;
    let pruned_through: i64 = event_log::table.find(1).select(event_log::pruned_through).first(connection)?;
    diesel::update(event_log::table.find(1))
        .set(event_log::pruned_through.eq(through.max(pruned_through)))
        .execute(connection)?;
    Ok(pruned)
}

/// The last sequence number fanned out to webhook deliveries.
pub fn fanned_through(connection: &mut DbConnection) -> QueryResult<i64> {
    event_log::table.find(1).select(event_log::fanned_through).first(connection)
}

pub fn set_fanned_through(connection: &mut DbConnection, seq: i64) -> QueryResult<()> {
    diesel::update(event_log::table.find(1)).set(event_log::fanned_through.eq(seq)).execute(connection)?;
    Ok(())
}
