//! The catalogue's change counter and the time as the database stores it.

use chrono::{NaiveDateTime, SubsecRound, Utc};
use diesel::prelude::*;

use super::connection::DbConnection;
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

/// Where the catalogue stands: its change counter, and when it last
/// changed (set by the database itself, so every process agrees on it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Queryable)]
pub struct CatalogueState {
    pub revision: i64,
    pub changed_at: NaiveDateTime,
}

/// The catalogue's counter and last change, in one read of one row.
pub fn catalogue_state(connection: &mut DbConnection) -> QueryResult<CatalogueState> {
    use schema::catalogue_revision::dsl::*;
    catalogue_revision.select((revision, changed_at)).first(connection)
}
