//! The link store: the only code that inserts, updates or deletes link
//! rows. The write service, the importer and the demo loader all write
//! through it; each write records in its change the publications a link
//! pointed to and points to (their related publications change).

use diesel::prelude::*;

use crate::change::{Change, Stamps, Touched};
use crate::db::DbConnection;
use crate::db::fragment::in_ids;
use crate::db::schema::links;

use super::dto::LinkRel;

/// A link's columns as a write sets them.
#[derive(Clone, Debug)]
pub struct LinkValues {
    pub rel: LinkRel,
    pub title: String,
    pub url: Option<String>,
    pub target_id: Option<i32>,
    pub media_type: Option<String>,
    pub hreflang: Option<String>,
    pub position: i32,
}

#[derive(Insertable, AsChangeset)]
#[diesel(table_name = links, treat_none_as_null = true)]
struct Columns<'a> {
    rel: &'a str,
    title: &'a str,
    url: Option<&'a str>,
    target_id: Option<i32>,
    media_type: Option<&'a str>,
    hreflang: Option<&'a str>,
    position: i32,
    created_at: chrono::NaiveDateTime,
    updated_at: chrono::NaiveDateTime,
    version: i32,
}

fn columns<'a>(values: &'a LinkValues, stamps: &Stamps) -> Columns<'a> {
    Columns {
        rel: values.rel.as_str(),
        title: &values.title,
        url: values.url.as_deref(),
        target_id: values.target_id,
        media_type: values.media_type.as_deref(),
        hreflang: values.hreflang.as_deref(),
        position: values.position,
        created_at: stamps.created_at,
        updated_at: stamps.updated_at,
        version: stamps.version,
    }
}

/// Adds a link to publication `publication_id`; returns its id.
pub fn insert(
    connection: &mut DbConnection,
    change: &Change,
    publication_id: i32,
    values: &LinkValues,
    stamps: &Stamps,
) -> QueryResult<i32> {
    let id = diesel::insert_into(links::table)
        .values((links::publication_id.eq(publication_id), columns(values, stamps)))
        .returning(links::id)
        .get_result(connection)?;
    linked(change, [values.target_id]);
    Ok(id)
}

/// Adds link `id` to publication `publication_id` again, as a restore
/// brings it back: the id it had (ids are never given twice).
pub fn reinsert(
    connection: &mut DbConnection,
    change: &Change,
    publication_id: i32,
    id: i32,
    values: &LinkValues,
    stamps: &Stamps,
) -> QueryResult<()> {
    diesel::insert_into(links::table)
        .values((links::id.eq(id), links::publication_id.eq(publication_id), columns(values, stamps)))
        .execute(connection)?;
    // The publication it belongs to shows one more link, whether or not
    // its version says so (a link to a publication back from the trash).
    linked(change, [values.target_id, Some(publication_id)]);
    Ok(())
}

/// Records that the publications `targets` gained or lost a link to them.
fn linked(change: &Change, targets: impl IntoIterator<Item = Option<i32>>) {
    for id in targets.into_iter().flatten() {
        change.record(|| Touched::Linked { id });
    }
}

/// The target of link `id`, if it points to a publication.
fn target_of(connection: &mut DbConnection, id: i32) -> QueryResult<Option<i32>> {
    Ok(links::table.find(id).select(links::target_id).first(connection).optional()?.flatten())
}

/// Writes `values` over link `id` while it is at `version`; `false` when
/// it is no longer at it.
pub fn update(
    connection: &mut DbConnection,
    change: &Change,
    id: i32,
    version: i32,
    values: &LinkValues,
    stamps: &Stamps,
) -> QueryResult<bool> {
    let before = target_of(connection, id)?;
    let updated = diesel::update(links::table.filter(links::id.eq(id).and(links::version.eq(version))))
        .set(columns(values, stamps))
        .execute(connection)?;
    if updated > 0 {
        linked(change, [before, values.target_id]);
    }
    Ok(updated > 0)
}

/// Deletes link `id` at `version`; `false` when it is no longer at it.
pub fn delete(connection: &mut DbConnection, change: &Change, id: i32, version: i32) -> QueryResult<bool> {
    let before = target_of(connection, id)?;
    let deleted =
        diesel::delete(links::table.filter(links::id.eq(id).and(links::version.eq(version)))).execute(connection)?;
    if deleted > 0 {
        linked(change, [before]);
    }
    Ok(deleted > 0)
}

/// Adds many links at once (a bulk load), each to its publication: on
/// PostgreSQL in statements of a thousand rows.
pub fn insert_many(
    connection: &mut DbConnection,
    change: &Change,
    new: &[(i32, LinkValues, Stamps)],
) -> QueryResult<()> {
    let DbConnection::Postgresql(postgres) = connection else {
        for (publication_id, values, stamps) in new {
            insert(connection, change, *publication_id, values, stamps)?;
        }
        return Ok(());
    };
    let rows: Vec<Copied> = new
        .iter()
        .map(|(publication_id, values, stamps)| Copied {
            publication_id: *publication_id,
            columns: columns(values, stamps),
        })
        .collect();
    for rows in rows.chunks(crate::db::ROWS_A_STATEMENT) {
        diesel::insert_into(links::table).values(rows).execute(postgres)?;
    }
    linked(change, new.iter().map(|(_, values, _)| values.target_id));
    Ok(())
}

/// A link of a bulk load, with its publication.
#[derive(Insertable)]
#[diesel(table_name = links)]
struct Copied<'a> {
    publication_id: i32,
    #[diesel(embed)]
    columns: Columns<'a>,
}

/// Deletes every link of publications `ids`, in statements of at most a
/// thousand ids (an import replaces them all).
pub fn delete_all_of_many(connection: &mut DbConnection, change: &Change, ids: &[i32]) -> QueryResult<usize> {
    let mut deleted = 0;
    for ids in ids.chunks(crate::db::ROWS_A_STATEMENT) {
        if change.records() {
            let targets: Vec<Option<i32>> =
                links::table.filter(in_ids(links::publication_id, ids)).select(links::target_id).load(connection)?;
            linked(change, targets);
        }
        deleted += diesel::delete(links::table.filter(in_ids(links::publication_id, ids))).execute(connection)?;
    }
    Ok(deleted)
}
