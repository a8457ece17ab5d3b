//! The category store: the only code that inserts, updates or deletes
//! category rows. The write service, the importer and the demo loader all
//! write through it.

use diesel::prelude::*;

use crate::change::Stamps;
use crate::db::DbConnection;
use crate::db::schema::categories;

/// A category's columns as a write sets them.
#[derive(Clone, Debug)]
pub struct CategoryValues {
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
    pub parent_id: Option<i32>,
    pub position: i32,
}

#[derive(Insertable, AsChangeset)]
#[diesel(table_name = categories, treat_none_as_null = true)]
struct Columns<'a> {
    slug: &'a str,
    name: &'a str,
    description: Option<&'a str>,
    parent_id: Option<i32>,
    position: i32,
    created_at: chrono::NaiveDateTime,
    updated_at: chrono::NaiveDateTime,
    version: i32,
}

fn columns<'a>(values: &'a CategoryValues, stamps: &Stamps) -> Columns<'a> {
    Columns {
        slug: &values.slug,
        name: &values.name,
        description: values.description.as_deref(),
        parent_id: values.parent_id,
        position: values.position,
        created_at: stamps.created_at,
        updated_at: stamps.updated_at,
        version: stamps.version,
    }
}

/// Inserts a category; returns its id.
pub fn insert(connection: &mut DbConnection, values: &CategoryValues, stamps: &Stamps) -> QueryResult<i32> {
    diesel::insert_into(categories::table)
        .values(columns(values, stamps))
        .returning(categories::id)
        .get_result(connection)
}

/// Writes `values` over category `id`. With `expected`, only while the row
/// is at that version: `false` when it is not.
pub fn update(
    connection: &mut DbConnection,
    id: i32,
    expected: Option<i32>,
    values: &CategoryValues,
    stamps: &Stamps,
) -> QueryResult<bool> {
    let columns = columns(values, stamps);
    let updated = match expected {
        Some(version) => {
            diesel::update(categories::table.filter(categories::id.eq(id).and(categories::version.eq(version))))
                .set(columns)
                .execute(connection)?
        }
        None => diesel::update(categories::table.find(id)).set(columns).execute(connection)?,
    };
    Ok(updated > 0)
}

/// Deletes category `id` at `version`; `false` when it is no longer at it.
pub fn delete(connection: &mut DbConnection, id: i32, version: i32) -> QueryResult<bool> {
    let deleted = diesel::delete(categories::table.filter(categories::id.eq(id).and(categories::version.eq(version))))
        .execute(connection)?;
    Ok(deleted > 0)
}
