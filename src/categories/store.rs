//! The category store: the only code that inserts, updates or deletes
//! category rows. The write service, the importer and the demo loader all
//! write through it; each write records in its change that the categories
//! changed, and whether names or slugs did.

use diesel::prelude::*;

use crate::change::{Change, Stamps, Touched};
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
pub fn insert(
    connection: &mut DbConnection,
    change: &Change,
    values: &CategoryValues,
    stamps: &Stamps,
) -> QueryResult<i32> {
    let id = diesel::insert_into(categories::table)
        .values(columns(values, stamps))
        .returning(categories::id)
        .get_result(connection)?;
    change.record(|| Touched::Categories { names: false });
    Ok(id)
}

/// Writes `values` over category `id`. With `expected`, only while the row
/// is at that version: `false` when it is not.
pub fn update(
    connection: &mut DbConnection,
    change: &Change,
    id: i32,
    expected: Option<i32>,
    values: &CategoryValues,
    stamps: &Stamps,
) -> QueryResult<bool> {
    let named: Option<(String, String)> = if change.records() {
        categories::table.find(id).select((categories::slug, categories::name)).first(connection).optional()?
    } else {
        None
    };
    let columns = columns(values, stamps);
    let updated = match expected {
        Some(version) => {
            diesel::update(categories::table.filter(categories::id.eq(id).and(categories::version.eq(version))))
                .set(columns)
                .execute(connection)?
        }
        None => diesel::update(categories::table.find(id)).set(columns).execute(connection)?,
    };
    if updated > 0 {
        let renamed = named.is_none_or(|(slug, name)| slug != values.slug || name != values.name);
        change.record(|| Touched::Categories { names: renamed });
    }
    Ok(updated > 0)
}

/// Deletes category `id` at `version`; `false` when it is no longer at it.
pub fn delete(connection: &mut DbConnection, change: &Change, id: i32, version: i32) -> QueryResult<bool> {
    let deleted = diesel::delete(categories::table.filter(categories::id.eq(id).and(categories::version.eq(version))))
        .execute(connection)?;
    if deleted > 0 {
        change.record(|| Touched::Categories { names: false });
    }
    Ok(deleted > 0)
}
