//! The write service of attachments. An attachment belongs to its
//! publication: every change to one is a change to the publication too
//! (its `version` goes up, its history and the event log record it).

use crate::body::MergePatch;
use crate::change::{Change, Stamps};
use crate::db::DbConnection;
use crate::domain::Reference;
use crate::error::{ApiError, FieldError, OrNotFound};
use crate::preconditions::IfMatch;
use crate::publications::lookups;
use crate::publications::visibility::Viewer;
use crate::publications::writes as publication_writes;

use super::dto::Role;
use super::input::AttachmentInput;
use super::media;
use super::queries::{self, AttachmentRow};
use super::store::{self, FileValues, MetaValues};

/// The most attachments a publication may have.
pub const MAX_PER_PUBLICATION: i64 = 100;

/// The id of a publication, whatever its status, or a 404.
pub fn publication(connection: &mut DbConnection, reference: &Reference) -> Result<i32, ApiError> {
    lookups::find_id(connection, reference, &Viewer::editor())
}

/// A 409 when publication `publication_id` has as many attachments as it
/// may (checked before an upload streams, and again when its row is
/// written).
pub fn check_room(connection: &mut DbConnection, publication_id: i32) -> Result<(), ApiError> {
    if queries::count(connection, publication_id)? >= MAX_PER_PUBLICATION {
        return Err(ApiError::Conflict(format!(
            "publication {publication_id} has {MAX_PER_PUBLICATION} attachments, as many as a publication may have"
        )));
    }
    Ok(())
}

/// A 422 for metadata that does not suit the file: a cover that is not an
/// image.
pub fn check_suits(input: &AttachmentInput, media_type: &str) -> Result<(), ApiError> {
    if input.role == Role::Cover && !media::is_image(media_type) {
        return Err(ApiError::ValidationFailed(vec![FieldError {
            field: "role".into(),
            code: "cover_not_an_image",
            message: format!("a cover must be an image; this file is {media_type}"),
        }]));
    }
    Ok(())
}

fn current(connection: &mut DbConnection, publication_id: i32, id: i32) -> Result<AttachmentRow, ApiError> {
    queries::row(connection, publication_id, id)
        .or_not_found(|| ApiError::NotFound(format!("publication {publication_id} has no attachment {id}")))
}

fn stale() -> ApiError {
    ApiError::PreconditionFailed("the attachment changed while this request was applied; fetch it again".into())
}

/// Adds an attachment whose blob is stored; returns the ids of the
/// publication and of the attachment.
pub fn create(
    connection: &mut DbConnection,
    change: &Change,
    publication: &Reference,
    input: AttachmentInput,
    file: &FileValues,
) -> Result<(i32, i32), ApiError> {
    let publication_id = self::publication(connection, publication)?;
    check_room(connection, publication_id)?;
    check_suits(&input, &file.media_type)?;
    let values = values(connection, publication_id, input, &file.media_type)?;
    let id = store::insert(connection, publication_id, &values, file, &Stamps::new(change))?;
    publication_writes::parts_changed(connection, change, publication_id)?;
    Ok((publication_id, id))
}

/// Applies a JSON Merge Patch to an attachment's metadata; returns its
/// publication's id.
pub fn patch(
    connection: &mut DbConnection,
    change: &Change,
    publication: &Reference,
    id: i32,
    if_match: &IfMatch,
    patch: MergePatch,
) -> Result<i32, ApiError> {
    let publication_id = self::publication(connection, publication)?;
    let current = current(connection, publication_id, id)?;
    if_match.check(current.version)?;
    let input = AttachmentInput::patched(&current, patch)?;
    check_suits(&input, &current.media_type)?;
    let values = values(connection, publication_id, input, &current.media_type)?;
    let stamps = Stamps::next(current.created_at, current.version, change);
    if !store::update(connection, id, current.version, &values, &stamps)? {
        return Err(stale());
    }
    publication_writes::parts_changed(connection, change, publication_id)?;
    Ok(publication_id)
}

/// Deletes an attachment; its publication is changed by `change`.
pub fn delete(
    connection: &mut DbConnection,
    change: &Change,
    publication: &Reference,
    id: i32,
    if_match: &IfMatch,
) -> Result<(), ApiError> {
    let publication_id = self::publication(connection, publication)?;
    let current = current(connection, publication_id, id)?;
    if_match.check(current.version)?;
    if !store::delete(connection, id, current.version)? {
        return Err(stale());
    }
    publication_writes::parts_changed(connection, change, publication_id)
}

/// Fills the defaults: the file name from the role and type, the title
/// from the file name, the position after the last attachment.
fn values(
    connection: &mut DbConnection,
    publication_id: i32,
    input: AttachmentInput,
    media_type: &str,
) -> Result<MetaValues, ApiError> {
    let filename =
        input.filename.unwrap_or_else(|| format!("{}.{}", input.role.as_str(), media::extension(media_type)));
    let position = match input.position {
        Some(position) => position,
        None => queries::next_position(connection, publication_id)?,
    };
    Ok(MetaValues {
        role: input.role,
        title: input.title.unwrap_or_else(|| filename.clone()),
        language: input.language,
        filename,
        alt: input.alt,
        position,
    })
}
