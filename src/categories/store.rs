//! The category store: the only code that inserts, updates or deletes
//! category rows. The write service, the importer and the demo loader all
//! write through it; each write records in its change that the categories
//! changed, and whether names or slugs did, and notes what happened to the
//! category for the event log.

use diesel::prelude::*;

use crate::change::events::CategoryChange;
use crate::change::{Change, Note, Stamps, Touched};
use crate::db::DbConnection;
use crate::db::schema::{categories, category_names};

use super::names::{CategoryText, Names};

/// A category's columns as a write sets them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CategoryValues {
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
    pub parent_id: Option<i32>,
    pub position: i32,
    /// Its names in languages other than the default.
    pub names: Names,
}

impl CategoryValues {
    /// The fields (as the API names them) that differ in `other`.
    fn changed_fields(&self, other: &Self) -> Vec<String> {
        let fields = [
            ("slug", self.slug != other.slug),
            ("name", self.name != other.name),
            ("description", self.description != other.description),
            ("parent_id", self.parent_id != other.parent_id),
            ("position", self.position != other.position),
            ("names", self.names != other.names),
        ];
        fields.into_iter().filter(|(_, differs)| *differs).map(|(field, _)| field.to_owned()).collect()
    }
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
    write_names(connection, id, &values.names)?;
    // An empty category: no list holds anything under it yet.
    change.record(|| Touched::Categories { names: false, affected: Vec::new() });
    change.note(Note::Category {
        id,
        kind: CategoryChange::Created,
        slug: values.slug.clone(),
        version: stamps.version,
        changed: Vec::new(),
    });
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
    let before: Option<(CategoryValues, Vec<i32>)> = if change.records() {
        type Found = (String, String, Option<String>, Option<i32>, i32);
        let found: Option<Found> = categories::table
            .find(id)
            .select((
                categories::slug,
                categories::name,
                categories::description,
                categories::parent_id,
                categories::position,
            ))
            .first(connection)
            .optional()?;
        found
            .map(|(slug, name, description, parent_id, position)| {
                let names = names_of(connection, id)?;
                let values = CategoryValues { slug, name, description, parent_id, position, names };
                Ok::<_, diesel::result::Error>((values, lineage(connection, id)?))
            })
            .transpose()?
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
        write_names(connection, id, &values.names)?;
    }
    if updated > 0 && change.records() {
        let after = lineage(connection, id)?;
        if let Some((previous, _)) = &before {
            let changed = previous.changed_fields(values);
            if !changed.is_empty() {
                let kind = if previous.parent_id == values.parent_id {
                    CategoryChange::Updated
                } else {
                    CategoryChange::Moved
                };
                change.note(Note::Category { id, kind, slug: values.slug.clone(), version: stamps.version, changed });
            }
        }
        change.record(|| match before {
            Some((CategoryValues { slug, name, names, .. }, before))
                if slug == values.slug && name == values.name && names == values.names =>
            {
                // Moved: the lists under it and its ancestors, old and new.
                // In place (its description, its position): none.
                let mut affected = Vec::new();
                if before != after {
                    affected = before;
                    affected.extend(after.into_iter().filter(|id| !affected.contains(id)).collect::<Vec<_>>());
                }
                Touched::Categories { names: false, affected }
            }
            _ => Touched::Categories { names: true, affected: Vec::new() },
        });
    }
    Ok(updated > 0)
}

/// Category `id`'s names in languages other than the default.
fn names_of(connection: &mut DbConnection, id: i32) -> QueryResult<Names> {
    let rows: Vec<(String, String, Option<String>)> = category_names::table
        .filter(category_names::category_id.eq(id))
        .select((category_names::language, category_names::name, category_names::description))
        .load(connection)?;
    Ok(rows.into_iter().map(|(language, name, description)| (language, CategoryText { name, description })).collect())
}

/// Replaces category `id`'s names in languages other than the default.
fn write_names(connection: &mut DbConnection, id: i32, names: &Names) -> QueryResult<()> {
    diesel::delete(category_names::table.filter(category_names::category_id.eq(id))).execute(connection)?;
    for (language, text) in names {
        diesel::insert_into(category_names::table)
            .values((
                category_names::category_id.eq(id),
                category_names::language.eq(language),
                category_names::name.eq(&text.name),
                category_names::description.eq(text.description.as_deref()),
            ))
            .execute(connection)?;
    }
    Ok(())
}

/// Deletes category `id` at `version`; `false` when it is no longer at it.
pub fn delete(connection: &mut DbConnection, change: &Change, id: i32, version: i32) -> QueryResult<bool> {
    let slug: Option<String> = categories::table.find(id).select(categories::slug).first(connection).optional()?;
    let deleted = diesel::delete(categories::table.filter(categories::id.eq(id).and(categories::version.eq(version))))
        .execute(connection)?;
    if deleted > 0 {
        // It held nothing: only the lists that named it (now unknown).
        change.record(|| Touched::Categories { names: false, affected: vec![id] });
        change.note(Note::Category {
            id,
            kind: CategoryChange::Deleted,
            slug: slug.unwrap_or_default(),
            version: version + 1,
            changed: Vec::new(),
        });
    }
    Ok(deleted > 0)
}

/// Category `id` and its ancestors, from the category up.
fn lineage(connection: &mut DbConnection, id: i32) -> QueryResult<Vec<i32>> {
    let parents: std::collections::HashMap<i32, Option<i32>> =
        categories::table.select((categories::id, categories::parent_id)).load(connection)?.into_iter().collect();
    let mut lineage = Vec::new();
    let mut at = Some(id);
    // A damaged tree with a cycle cannot make this endless.
    while let Some(id) = at.filter(|id| !lineage.contains(id)) {
        lineage.push(id);
        at = parents.get(&id).copied().flatten();
    }
    Ok(lineage)
}
