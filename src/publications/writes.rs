//! Writing publications: validated input becomes rows, inside one write
//! transaction, or nothing changes.

use crate::body::MergePatch;
use crate::categories::queries as category_queries;
use crate::db::DbConnection;
use crate::domain::html::sanitize;
use crate::domain::{Reference, Status, slug};
use crate::error::{ApiError, FieldError, OrNotFound};
use crate::preconditions::IfMatch;
use crate::slug_history::{self, Kind};

use super::input::PublicationInput;
use super::queries::{self, PublicationChanges, PublicationRecord};
use crate::auth::Access;

/// The publication, whatever its status, or a 404.
pub fn current(connection: &mut DbConnection, reference: &Reference) -> Result<PublicationRecord, ApiError> {
    queries::find(connection, reference, Access::Editor).or_not_found(|| ApiError::no_such("publication", reference))
}

/// Creates a publication; returns its id.
pub fn create(connection: &mut DbConnection, input: PublicationInput) -> Result<i32, ApiError> {
    let changes = changes(connection, input, None)?;
    let id = queries::insert(connection, &changes)?;
    slug_history::taken(connection, Kind::Publication, &changes.slug)?;
    Ok(id)
}

/// Replaces a publication as a whole; returns its id.
pub fn replace(
    connection: &mut DbConnection,
    reference: &Reference,
    if_match: &IfMatch,
    input: PublicationInput,
) -> Result<i32, ApiError> {
    let current = current(connection, reference)?;
    if_match.check(current.row.version)?;
    let changes = changes(connection, input, Some(&current))?;
    update(connection, &current, &changes)
}

/// Applies a JSON Merge Patch to a publication; returns its id.
pub fn patch(
    connection: &mut DbConnection,
    reference: &Reference,
    if_match: &IfMatch,
    patch: MergePatch,
) -> Result<i32, ApiError> {
    let current = current(connection, reference)?;
    if_match.check(current.row.version)?;
    let input = PublicationInput::patched(&current, patch)?;
    let changes = changes(connection, input, Some(&current))?;
    update(connection, &current, &changes)
}

/// Deletes a publication, its links and the links to it; returns its id.
pub fn delete(connection: &mut DbConnection, reference: &Reference, if_match: &IfMatch) -> Result<i32, ApiError> {
    let current = current(connection, reference)?;
    if_match.check(current.row.version)?;
    if queries::delete(connection, current.row.id, current.row.version)? { Ok(current.row.id) } else { Err(stale()) }
}

fn update(
    connection: &mut DbConnection,
    current: &PublicationRecord,
    changes: &PublicationChanges,
) -> Result<i32, ApiError> {
    if !queries::update(connection, current.row.id, current.row.version, changes)? {
        return Err(stale());
    }
    slug_history::moved(connection, Kind::Publication, current.row.id, &current.row.slug, &changes.slug)?;
    Ok(current.row.id)
}

/// Another writer changed the publication between our read and our write.
fn stale() -> ApiError {
    ApiError::PreconditionFailed("the publication changed while this request was applied; fetch it again".into())
}

/// Turns valid input into the columns to write: categories resolved, slug
/// chosen, body sanitised, publication time set on first publication.
fn changes(
    connection: &mut DbConnection,
    input: PublicationInput,
    current: Option<&PublicationRecord>,
) -> Result<PublicationChanges, ApiError> {
    let tree = category_queries::tree(connection)?;
    let mut errors = Vec::new();
    let mut category_ids = Vec::new();
    for (index, reference) in input.categories.iter().enumerate() {
        match tree.find(reference) {
            Some(category) if !category_ids.contains(&category.id) => category_ids.push(category.id),
            Some(_) => {}
            None => errors.push(FieldError {
                field: format!("categories[{index}]"),
                code: "unknown_category",
                message: format!("no category has the id or slug '{reference}'"),
            }),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::ValidationFailed(errors));
    }

    let current_id = current.map(|record| record.row.id);
    let slug = match (input.slug, current) {
        (Some(given), _) => {
            if queries::slug_taken(connection, &given, current_id)? {
                return Err(ApiError::Conflict(format!("the slug '{given}' is taken")));
            }
            given
        }
        (None, Some(current)) => current.row.slug.clone(),
        (None, None) => {
            // One query however many publications share the title.
            let base = slug::slugify(&input.title).unwrap_or_else(|| "publication".to_owned());
            slug::first_free(&base, &queries::slugs_from(connection, &base)?)
        }
    };

    let published_at = input.published_at.map(|at| at.naive_utc()).or_else(|| {
        let already = current.and_then(|record| record.row.published_at);
        (input.status == Status::Published).then(|| already.unwrap_or_else(crate::db::now))
    });
    Ok(PublicationChanges {
        slug,
        title: input.title,
        summary: input.summary,
        body: sanitize(&input.body),
        status: input.status,
        language: input.language,
        published_at,
        authors: serde_json::to_string(&input.authors).map_err(ApiError::internal)?,
        category_ids,
    })
}
