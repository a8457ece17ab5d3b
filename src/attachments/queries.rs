//! Reading attachments: a publication's, one by id, the covers of a page
//! of publications, and every blob a row refers to.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::DbConnection;
use crate::db::fragment::in_ids;
use crate::db::schema::{attachments, publications};
use crate::publications::visibility::{Viewer, visible};

use super::dto::{Attachment, Role, Variant};

/// An attachment's row.
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = attachments)]
pub struct AttachmentRow {
    pub id: i32,
    pub publication_id: i32,
    pub role: String,
    pub title: String,
    pub language: Option<String>,
    pub filename: String,
    pub media_type: String,
    pub size: i64,
    pub sha256: String,
    pub alt: Option<String>,
    pub facts: String,
    pub position: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub version: i32,
}

/// What was read from a file's bytes, as its row holds it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pages: Option<i32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variants: Vec<StoredVariant>,
}

impl Facts {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }
}

/// A variant as its row holds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredVariant {
    pub width: i32,
    pub height: i32,
    pub media_type: String,
    pub size: i64,
    pub sha256: String,
}

impl StoredVariant {
    /// The name a variant of `filename` is downloaded as.
    pub fn filename(&self, filename: &str) -> String {
        let stem = filename.rsplit_once('.').map_or(filename, |(stem, _)| stem);
        format!("{stem}-{}w.{}", self.width, super::media::extension(&self.media_type))
    }
}

impl AttachmentRow {
    /// What was read from its bytes (the column only ever holds what the
    /// store wrote).
    pub fn facts(&self) -> Facts {
        serde_json::from_str(&self.facts).unwrap_or_default()
    }

    /// The file's download path: its name after its hash.
    pub fn url(&self) -> String {
        download_url(self.id, &self.sha256, &self.filename)
    }

    pub fn into_attachment(self) -> Attachment {
        let facts = self.facts();
        let variants = facts
            .variants
            .into_iter()
            .map(|variant| Variant {
                url: download_url(self.id, &variant.sha256, &variant.filename(&self.filename)),
                width: variant.width,
                height: variant.height,
                media_type: variant.media_type,
                size: variant.size,
            })
            .collect();
        Attachment {
            url: self.url(),
            id: self.id,
            role: Role::from_stored(&self.role),
            title: self.title,
            language: self.language,
            filename: self.filename,
            media_type: self.media_type,
            size: self.size,
            sha256: self.sha256,
            alt: self.alt,
            width: facts.width,
            height: facts.height,
            pages: facts.pages,
            variants,
            position: self.position,
            created_at: self.created_at.and_utc(),
            updated_at: self.updated_at.and_utc(),
            version: self.version,
        }
    }
}

/// `/api/v1/files/{id}/{sha256}/{name}`, the name percent-encoded.
pub fn download_url(id: i32, sha256: &str, name: &str) -> String {
    let name: String = url::form_urlencoded::byte_serialize(name.as_bytes()).collect();
    format!("/api/v1/files/{id}/{sha256}/{}", name.replace('+', "%20"))
}

/// The attachments of publication `publication_id`, in order.
pub fn of_publication(connection: &mut DbConnection, publication_id: i32) -> QueryResult<Vec<AttachmentRow>> {
    attachments::table
        .filter(attachments::publication_id.eq(publication_id))
        .order((attachments::position, attachments::id))
        .select(AttachmentRow::as_select())
        .load(connection)
}

/// The attachments of publications `ids`, each's in order.
pub fn of_publications(connection: &mut DbConnection, ids: &[i32]) -> QueryResult<Vec<AttachmentRow>> {
    let mut rows = Vec::new();
    for ids in ids.chunks(crate::db::ROWS_A_STATEMENT) {
        rows.extend(
            attachments::table
                .filter(in_ids(attachments::publication_id, ids))
                .order((attachments::publication_id, attachments::position, attachments::id))
                .select(AttachmentRow::as_select())
                .load(connection)?,
        );
    }
    Ok(rows)
}

/// The attachments of publication `publication_id` as the API shows them.
pub fn shown(connection: &mut DbConnection, publication_id: i32) -> QueryResult<Vec<Attachment>> {
    Ok(of_publication(connection, publication_id)?.into_iter().map(AttachmentRow::into_attachment).collect())
}

/// Attachment `id` of publication `publication_id`.
pub fn row(connection: &mut DbConnection, publication_id: i32, id: i32) -> QueryResult<AttachmentRow> {
    attachments::table
        .filter(attachments::id.eq(id).and(attachments::publication_id.eq(publication_id)))
        .select(AttachmentRow::as_select())
        .first(connection)
}

/// Attachment `id`, whichever its publication.
pub fn by_id(connection: &mut DbConnection, id: i32) -> QueryResult<Option<AttachmentRow>> {
    attachments::table.find(id).select(AttachmentRow::as_select()).first(connection).optional()
}

/// Attachment `id` and when its publication leaves public view, if
/// `viewer` may see that publication.
pub fn visible_file(
    connection: &mut DbConnection,
    id: i32,
    viewer: &Viewer,
) -> QueryResult<Option<(AttachmentRow, Option<NaiveDateTime>)>> {
    attachments::table
        .inner_join(publications::table)
        .filter(attachments::id.eq(id))
        .filter(visible(viewer))
        .select((AttachmentRow::as_select(), publications::unpublish_at))
        .first(connection)
        .optional()
}

/// The same kind of file as `row` (its role) in each other language, for a
/// download's `Link` alternates: from `row`'s publication or one of its
/// translations that `viewer` may see, the first by position in each
/// language; `(language, url, media type)`, by language. Nothing when
/// `row` has no language.
pub fn alternates(
    connection: &mut DbConnection,
    row: &AttachmentRow,
    viewer: &Viewer,
) -> QueryResult<Vec<(String, String, String)>> {
    let Some(language) = &row.language else { return Ok(Vec::new()) };
    let group: Option<i32> = publications::table
        .find(row.publication_id)
        .select(publications::translation_group)
        .first::<Option<i32>>(connection)
        .optional()?
        .flatten();
    let mut query = attachments::table
        .inner_join(publications::table)
        .filter(visible(viewer))
        .filter(attachments::role.eq(&row.role))
        .filter(attachments::language.is_not_null().and(attachments::language.ne(language)))
        .into_boxed();
    query = match group {
        Some(group) => {
            query.filter(publications::id.eq(row.publication_id).or(publications::translation_group.eq(group)))
        }
        None => query.filter(publications::id.eq(row.publication_id)),
    };
    let found: Vec<(Option<String>, i32, String, String, String)> = query
        .order((attachments::language, publications::id.ne(row.publication_id), attachments::position, attachments::id))
        .select((
            attachments::language,
            attachments::id,
            attachments::sha256,
            attachments::filename,
            attachments::media_type,
        ))
        .load(connection)?;
    let mut alternates: Vec<(String, String, String)> = Vec::new();
    for (language, id, sha256, filename, media_type) in found {
        let Some(language) = language else { continue };
        if alternates.last().is_none_or(|(last, _, _)| *last != language) {
            alternates.push((language, download_url(id, &sha256, &filename), media_type));
        }
    }
    Ok(alternates)
}

/// How many attachments publication `publication_id` has.
pub fn count(connection: &mut DbConnection, publication_id: i32) -> QueryResult<i64> {
    attachments::table.filter(attachments::publication_id.eq(publication_id)).count().get_result(connection)
}

/// The position after the last attachment of a publication.
pub fn next_position(connection: &mut DbConnection, publication_id: i32) -> QueryResult<i32> {
    let last: Option<i32> = attachments::table
        .filter(attachments::publication_id.eq(publication_id))
        .select(diesel::dsl::max(attachments::position))
        .first(connection)?;
    Ok(last.map_or(0, |last| last.saturating_add(1)))
}

/// The first cover of each of publications `ids` that has one.
pub fn covers(connection: &mut DbConnection, ids: &[i32]) -> QueryResult<HashMap<i32, Attachment>> {
    let mut covers = HashMap::new();
    if ids.is_empty() {
        return Ok(covers);
    }
    for ids in ids.chunks(crate::db::ROWS_A_STATEMENT) {
        let rows: Vec<AttachmentRow> = attachments::table
            .filter(in_ids(attachments::publication_id, ids).and(attachments::role.eq("cover")))
            .order((attachments::publication_id, attachments::position, attachments::id))
            .select(AttachmentRow::as_select())
            .load(connection)?;
        for row in rows {
            covers.entry(row.publication_id).or_insert_with(|| row.into_attachment());
        }
    }
    Ok(covers)
}

/// Every blob some row refers to: files and their variants.
pub fn referenced(connection: &mut DbConnection) -> QueryResult<HashSet<String>> {
    let rows: Vec<(String, String)> =
        attachments::table.select((attachments::sha256, attachments::facts)).load(connection)?;
    let mut referenced = HashSet::with_capacity(rows.len());
    for (sha256, facts) in rows {
        referenced.insert(sha256);
        let facts: Facts = serde_json::from_str(&facts).unwrap_or_default();
        referenced.extend(facts.variants.into_iter().map(|variant| variant.sha256));
    }
    Ok(referenced)
}
