//! The write service of publications: validated input and a change (who,
//! when) become rows through the store, inside one write transaction, or
//! nothing changes.

use chrono::NaiveDateTime;

use crate::body::MergePatch;
use crate::categories::queries as category_queries;
use crate::change::{Change, Stamps};
use crate::db::DbConnection;
use crate::domain::html::sanitize;
use crate::domain::{Reference, Status, slug};
use crate::error::{ApiError, FieldError, OrNotFound};
use crate::preconditions::IfMatch;
use crate::slug_history::{self, Kind};

use crate::history::Reason;

use super::dto::Publication;
use super::history;
use super::input::PublicationInput;
use super::lookups::{self, PublicationRecord};
use super::store::{self, PublicationValues};
use super::translations::{self, Membership};
use super::visibility::Viewer;

/// The publication, whatever its status, or a 404.
pub fn current(connection: &mut DbConnection, reference: &Reference) -> Result<PublicationRecord, ApiError> {
    lookups::find(connection, reference, &Viewer::editor()).or_not_found(|| ApiError::no_such("publication", reference))
}

/// Creates a publication; returns it, as its first revision records it.
pub fn create(
    connection: &mut DbConnection,
    change: &Change,
    input: PublicationInput,
) -> Result<Publication, ApiError> {
    let membership = input.translation_of.clone();
    let values = values(connection, change, input, None)?;
    let id = store::insert(connection, change, &values, &values.document(), &Stamps::new(change))?;
    translations::write(connection, change, id, &values.language, &membership)?;
    slug_history::taken(connection, Kind::Publication, &values.slug)?;
    Ok(history::revise(connection, change, id, Reason::Edit)?.0)
}

/// Replaces a publication as a whole; returns it as it now is.
pub fn replace(
    connection: &mut DbConnection,
    change: &Change,
    reference: &Reference,
    if_match: &IfMatch,
    input: PublicationInput,
) -> Result<Publication, ApiError> {
    let current = current(connection, reference)?;
    if_match.check(current.row.version)?;
    let membership = input.translation_of.clone();
    let values = values(connection, change, input, Some(&current))?;
    update(connection, change, &current, &values, &membership)
}

/// Applies a JSON Merge Patch to a publication; returns it as it now is.
pub fn patch(
    connection: &mut DbConnection,
    change: &Change,
    reference: &Reference,
    if_match: &IfMatch,
    patch: MergePatch,
) -> Result<Publication, ApiError> {
    let current = current(connection, reference)?;
    if_match.check(current.row.version)?;
    let input = PublicationInput::patched(&current, patch)?;
    let membership = input.translation_of.clone();
    let values = values(connection, change, input, Some(&current))?;
    update(connection, change, &current, &values, &membership)
}

/// Records that a part of publication `id` (its links, its attachments)
/// changed by `change`: its version goes up, and its history records the
/// change.
pub fn parts_changed(connection: &mut DbConnection, change: &Change, id: i32) -> Result<(), ApiError> {
    store::touch(connection, id, change)?;
    history::revise(connection, change, id, Reason::Edit)?;
    Ok(())
}

fn update(
    connection: &mut DbConnection,
    change: &Change,
    current: &PublicationRecord,
    values: &PublicationValues,
    membership: &Membership,
) -> Result<Publication, ApiError> {
    let row = &current.row;
    let stamps = Stamps::next(row.created_at, row.version, change);
    if !store::update(connection, change, row.id, Some(row.version), values, &values.document(), &stamps)? {
        return Err(stale());
    }
    translations::write(connection, change, row.id, &values.language, membership)?;
    slug_history::moved(connection, Kind::Publication, row.id, &row.slug, &values.slug)?;
    Ok(history::revise(connection, change, row.id, Reason::Edit)?.0)
}

/// Another writer changed the publication between our read and our write.
pub(super) fn stale() -> ApiError {
    ApiError::PreconditionFailed("the publication changed while this request was applied; fetch it again".into())
}

/// Turns valid input into the values to write: categories resolved, slug
/// chosen, body sanitised, publication time set on first publication (the
/// change's instant).
fn values(
    connection: &mut DbConnection,
    change: &Change,
    input: PublicationInput,
    current: Option<&PublicationRecord>,
) -> Result<PublicationValues, ApiError> {
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
            if lookups::slug_taken(connection, &given, current_id)? {
                return Err(ApiError::Conflict(format!("the slug '{given}' is taken")));
            }
            given
        }
        (None, Some(current)) => current.row.slug.clone(),
        (None, None) => {
            // One query however many publications share the title.
            let base = slug::slugify(&input.title).unwrap_or_else(|| "publication".to_owned());
            slug::first_free(&base, &lookups::slugs_from(connection, &base)?)
        }
    };

    let stored = input.status.stored();
    let published_at = input.published_at.map(|at| at.naive_utc()).or_else(|| {
        let already = current.and_then(|record| record.row.published_at);
        (stored == Status::Published).then(|| already.unwrap_or(change.at))
    });
    let unpublish_at = input.unpublish_at.map(|at| at.naive_utc());
    schedule_errors(input.status, published_at, unpublish_at, change.at)?;
    Ok(PublicationValues {
        slug,
        title: input.title,
        summary: input.summary,
        body: sanitize(&input.body),
        status: stored,
        language: input.language,
        published_at,
        unpublish_at,
        announce: input.announce,
        authors: input.authors,
        category_ids,
    })
}

/// Refuses times that contradict the status asked for, or each other, as
/// of the change's instant `at`.
fn schedule_errors(
    status: Status,
    published_at: Option<NaiveDateTime>,
    unpublish_at: Option<NaiveDateTime>,
    at: NaiveDateTime,
) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    if status == Status::Scheduled && published_at.is_none_or(|published| published <= at) {
        errors.push(FieldError {
            field: "published_at".into(),
            code: "not_in_future",
            message: "a scheduled publication needs a published_at in the future".into(),
        });
    }
    if status == Status::Expired && unpublish_at.is_none_or(|unpublished| unpublished > at) {
        errors.push(FieldError {
            field: "unpublish_at".into(),
            code: "not_in_past",
            message: "an expired publication needs an unpublish_at in the past".into(),
        });
    }
    if let (Some(published), Some(unpublished)) = (published_at, unpublish_at)
        && unpublished <= published
    {
        errors.push(FieldError {
            field: "unpublish_at".into(),
            code: "before_published_at",
            message: "must be after published_at".into(),
        });
    }
    if errors.is_empty() { Ok(()) } else { Err(ApiError::ValidationFailed(errors)) }
}
