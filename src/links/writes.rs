//! Writing links. A link belongs to its publication: every change to one
//! is a change to the publication too (its `version` goes up).

use diesel::OptionalExtension;

use crate::auth::Access;
use crate::body::MergePatch;
use crate::db::DbConnection;
use crate::domain::Reference;
use crate::error::{ApiError, FieldError, OrNotFound};
use crate::preconditions::IfMatch;
use crate::publications::queries as publication_queries;

use super::input::LinkInput;
use super::queries::{self, LinkChanges, LinkRow};

/// The id of a publication, whatever its status, or a 404.
pub fn publication(connection: &mut DbConnection, reference: &Reference) -> Result<i32, ApiError> {
    publication_queries::find_id(connection, reference, Access::Editor)
        .or_not_found(|| ApiError::no_such("publication", reference))
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
    publication: &Reference,
    input: LinkInput,
) -> Result<(i32, i32), ApiError> {
    let publication_id = self::publication(connection, publication)?;
    let changes = changes(connection, publication_id, input)?;
    let id = queries::insert(connection, publication_id, &changes)?;
    publication_queries::touch(connection, publication_id)?;
    Ok((publication_id, id))
}

/// Applies a JSON Merge Patch to a link; returns its publication's id.
pub fn patch(
    connection: &mut DbConnection,
    publication: &Reference,
    id: i32,
    if_match: &IfMatch,
    patch: MergePatch,
) -> Result<i32, ApiError> {
    let publication_id = self::publication(connection, publication)?;
    let current = current(connection, publication_id, id)?;
    if_match.check(current.version)?;
    let input = LinkInput::patched(&current, patch)?;
    let changes = changes(connection, publication_id, input)?;
    if !queries::update(connection, id, current.version, &changes)? {
        return Err(stale());
    }
    publication_queries::touch(connection, publication_id)?;
    Ok(publication_id)
}

pub fn delete(
    connection: &mut DbConnection,
    publication: &Reference,
    id: i32,
    if_match: &IfMatch,
) -> Result<(), ApiError> {
    let publication_id = self::publication(connection, publication)?;
    let current = current(connection, publication_id, id)?;
    if_match.check(current.version)?;
    if !queries::delete(connection, id, current.version)? {
        return Err(stale());
    }
    Ok(publication_queries::touch(connection, publication_id)?)
}

/// Resolves the target and fills the defaults: the target's title, the
/// position after the last link.
fn changes(connection: &mut DbConnection, publication_id: i32, input: LinkInput) -> Result<LinkChanges, ApiError> {
    let invalid = |code: &'static str, message: String| {
        ApiError::ValidationFailed(vec![FieldError { field: "target".into(), code, message }])
    };
    let mut title = input.title;
    let target_id = match &input.target {
        None => None,
        Some(reference) => {
            let target =
                publication_queries::find_title(connection, reference, Access::Editor).optional()?.ok_or_else(
                    || invalid("unknown_publication", format!("no publication has the id or slug '{reference}'")),
                )?;
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
    Ok(LinkChanges {
        rel: input.rel,
        title: title.unwrap_or_default(),
        url: input.url,
        target_id,
        media_type: input.media_type,
        hreflang: input.hreflang,
        position,
    })
}
