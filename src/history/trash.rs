//! The trash's rows: a publication in the trash, with what putting it back
//! needs beyond its last revision.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::trash;

/// A publication in the trash.
#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = trash)]
pub struct TrashRow {
    pub publication_id: i32,
    pub slug: String,
    pub title: String,
    pub trashed_at: NaiveDateTime,
    pub trashed_by: String,
    /// The revision that recorded it as it was trashed.
    pub revision: i32,
    /// The links other publications had to it: a JSON array.
    pub incoming: String,
    /// Its former slugs: a JSON array.
    pub former_slugs: String,
}

pub fn insert(connection: &mut DbConnection, row: &TrashRow) -> QueryResult<()> {
    diesel::insert_into(trash::table).values(row).execute(connection).map(drop)
}

pub fn find(connection: &mut DbConnection, id: i32) -> QueryResult<Option<TrashRow>> {
    trash::table.find(id).select(TrashRow::as_select()).first(connection).optional()
}

/// One page of the trash, most recently trashed first, and its size.
pub fn list(connection: &mut DbConnection, limit: i64, offset: i64) -> QueryResult<(Vec<TrashRow>, i64)> {
    let rows = trash::table
        .order((trash::trashed_at.desc(), trash::publication_id.desc()))
        .limit(limit)
        .offset(offset)
        .select(TrashRow::as_select())
        .load(connection)?;
    Ok((rows, trash::table.count().get_result(connection)?))
}

/// The ids of at most `limit` publications trashed before `before`,
/// oldest first.
pub fn due(connection: &mut DbConnection, before: NaiveDateTime, limit: i64) -> QueryResult<Vec<i32>> {
    trash::table
        .filter(trash::trashed_at.lt(before))
        .order((trash::trashed_at, trash::publication_id))
        .limit(limit)
        .select(trash::publication_id)
        .load(connection)
}

/// Takes publication `id` out of the trash; `false` when it was not in it.
pub fn remove(connection: &mut DbConnection, id: i32) -> QueryResult<bool> {
    Ok(diesel::delete(trash::table.find(id)).execute(connection)? > 0)
}
