//! The write service of links. A link belongs to its publication: every
//! change to one is a change to the publication too (its `version` goes
//! up).

use diesel::OptionalExtension;

use crate::body::MergePatch;
use crate::change::{Change, Stamps};
use crate::db::DbConnection;
use crate::domain::Reference;
use crate::error::{ApiError, FieldError, OrNotFound};
use crate::preconditions::IfMatch;
use crate::publications::visibility::Viewer;
use crate::publications::{lookups, writes as publication_writes};

use super::input::LinkInput;
use super::queries::{self, LinkRow};
use super::store::{self, LinkValues};

/// The most links a publication may have.
pub const MAX_PER_PUBLICATION: i64 = 100;

/// The id of a publication, whatever its status, or a 404.
pub fn publication(connection: &mut DbConnection, reference: &Reference) -> Result<i32, ApiError> {
    lookups::find_id(connection, reference, &Viewer::editor())
}

fn current(connection: &mut DbConnection, publication_id: i32, id: i32) -> Result<LinkRow, ApiError> {
    queries::row(connection, publication_id, id)
        .or_not_found(|| ApiError::NotFound(format!("publication {publication_id} has no link {id}")))
}

fn stale() -> ApiError {
    ApiError::PreconditionFailed("the link changed while this request was applied; fetch it again".into())
}

/// Adds a link to a publication; returns the ids of both.
pub fn create(
    connection: &mut DbConnection,
    change: &Change,
    publication: &Reference,
    input: LinkInput,
) -> Result<(i32, i32), ApiError> {
    let publication_id = self::publication(connection, publication)?;
    if queries::count(connection, publication_id)? >= MAX_PER_PUBLICATION {
        return Err(ApiError::Conflict(format!(
            "publication {publication_id} has {MAX_PER_PUBLICATION} links, as many as a publication may have"
        )));
    }
    let values = values(connection, publication_id, input)?;
    let id = store::insert(connection, change, publication_id, &values, &Stamps::new(change))?;
    publication_writes::parts_changed(connection, change, publication_id)?;
    Ok((publication_id, id))
}

/// Applies a JSON Merge Patch to a link; returns its publication's id.
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
    let input = LinkInput::patched(&current, patch)?;
    let values = values(connection, publication_id, input)?;
    let stamps = Stamps::next(current.created_at, current.version, change);
    if !store::update(connection, change, id, current.version, &values, &stamps)? {
        return Err(stale());
    }
    publication_writes::parts_changed(connection, change, publication_id)?;
    Ok(publication_id)
}

/// Deletes a link; its publication is changed by `change`.
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
    if !store::delete(connection, change, id, current.version)? {
        return Err(stale());
    }
    publication_writes::parts_changed(connection, change, publication_id)
}

/// Resolves the target and fills the defaults: the target's title, the
/// position after the last link.
fn values(connection: &mut DbConnection, publication_id: i32, input: LinkInput) -> Result<LinkValues, ApiError> {
    let invalid = |code: &'static str, message: String| {
        ApiError::ValidationFailed(vec![FieldError { field: "target".into(), code, message }])
    };
    let mut title = input.title;
    let target_id = match &input.target {
        None => None,
        Some(reference) => {
            let target =
                lookups::find_title(connection, reference, &Viewer::editor()).optional()?.ok_or_else(|| {
                    invalid("unknown_publication", format!("no publication has the id or slug '{reference}'"))
                })?;
            let (target_id, target_title) = target;
            if target_id == publication_id {
                return Err(invalid("self_link", "a publication cannot link to itself".into()));
            }
            title.get_or_insert(target_title);
            Some(target_id)
        }
    };
    let position = match input.position {
        Some(position) => position,
        None => queries::next_position(connection, publication_id)?,
    };
    Ok(LinkValues {
        rel: input.rel,
        title: title.unwrap_or_default(),
        url: input.url,
        target_id,
        media_type: input.media_type,
        hreflang: input.hreflang,
        position,
    })
}
