//! The attachment store: the only code that inserts, updates or deletes
//! attachment rows. A row is written after its blob is stored.

use diesel::prelude::*;

use crate::change::Stamps;
use crate::db::DbConnection;
use crate::db::schema::attachments;

use super::dto::Role;
use super::queries::Facts;

/// What the bytes of a file are, as stored.
#[derive(Clone, Debug)]
pub struct FileValues {
    pub media_type: String,
    pub size: i64,
    pub sha256: String,
    pub facts: Facts,
}

/// An attachment's metadata as a write sets it.
#[derive(Clone, Debug)]
pub struct MetaValues {
    pub role: Role,
    pub title: String,
    pub language: Option<String>,
    pub filename: String,
    pub alt: Option<String>,
    pub position: i32,
}

#[derive(Insertable, AsChangeset)]
#[diesel(table_name = attachments, treat_none_as_null = true)]
struct Meta<'a> {
    role: &'a str,
    title: &'a str,
    language: Option<&'a str>,
    filename: &'a str,
    alt: Option<&'a str>,
    position: i32,
    updated_at: chrono::NaiveDateTime,
    version: i32,
}

fn meta<'a>(values: &'a MetaValues, stamps: &Stamps) -> Meta<'a> {
    Meta {
        role: values.role.as_str(),
        title: &values.title,
        language: values.language.as_deref(),
        filename: &values.filename,
        alt: values.alt.as_deref(),
        position: values.position,
        updated_at: stamps.updated_at,
        version: stamps.version,
    }
}

/// Adds an attachment to publication `publication_id`; returns its id.
pub fn insert(
    connection: &mut DbConnection,
    publication_id: i32,
    values: &MetaValues,
    file: &FileValues,
    stamps: &Stamps,
) -> QueryResult<i32> {
    diesel::insert_into(attachments::table)
        .values((
            attachments::publication_id.eq(publication_id),
            meta(values, stamps),
            attachments::media_type.eq(&file.media_type),
            attachments::size.eq(file.size),
            attachments::sha256.eq(&file.sha256),
            attachments::facts.eq(file.facts.to_json()),
            attachments::created_at.eq(stamps.created_at),
        ))
        .returning(attachments::id)
        .get_result(connection)
}

/// Writes `values` over attachment `id` while it is at `version`; `false`
/// when it is no longer at it.
pub fn update(
    connection: &mut DbConnection,
    id: i32,
    version: i32,
    values: &MetaValues,
    stamps: &Stamps,
) -> QueryResult<bool> {
    let updated =
        diesel::update(attachments::table.filter(attachments::id.eq(id).and(attachments::version.eq(version))))
            .set(meta(values, stamps))
            .execute(connection)?;
    Ok(updated > 0)
}

/// Deletes attachment `id` at `version`; `false` when it is no longer at
/// it. Its blob stays until the collector finds no row refers to it.
pub fn delete(connection: &mut DbConnection, id: i32, version: i32) -> QueryResult<bool> {
    let deleted =
        diesel::delete(attachments::table.filter(attachments::id.eq(id).and(attachments::version.eq(version))))
            .execute(connection)?;
    Ok(deleted > 0)
}

/// Deletes every attachment of publications `ids`, in statements of at
/// most a thousand ids (an import replaces them all).
pub fn delete_all_of_many(connection: &mut DbConnection, ids: &[i32]) -> QueryResult<usize> {
    let mut deleted = 0;
    for ids in ids.chunks(crate::db::ROWS_A_STATEMENT) {
        deleted +=
            diesel::delete(attachments::table.filter(crate::db::fragment::in_ids(attachments::publication_id, ids)))
                .execute(connection)?;
    }
    Ok(deleted)
}
