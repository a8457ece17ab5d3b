//! Translations: the publications that are one study in different
//! languages form a group, at most one publication per language. A
//! publication joins the group of the one it names in `translation_of`
//! (which starts a group when it has none) and leaves it with `null`; a
//! group, not a chain, so there is no cycle to refuse. A group is named by
//! the id of the publication it started from.
//!
//! What a reader sees of a group goes through the visibility rule: a draft
//! or scheduled version is listed to token holders only.

use std::collections::HashMap;

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::change::{Change, Touched};
use crate::db::DbConnection;
use crate::db::fragment::in_ids;
use crate::db::schema::publications;
use crate::domain::Reference;
use crate::error::{ApiError, FieldError};

use super::lookups;
use super::store;
use super::visibility::{Viewer, visible};

/// What a write says of a publication's group.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Membership {
    /// `translation_of` absent: the group stays as it is.
    #[default]
    Keep,
    /// `translation_of: null`: the publication leaves its group.
    Leave,
    /// `translation_of: <ref>`: the publication joins that one's group.
    Join(Reference),
}

/// Another language's version of a publication, as its detail lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"language": "en", "id": 2, "slug": "ai-providers-and-rights-holders", "title": "Consultation between AI providers and rights holders"}))]
pub struct Translation {
    /// A BCP 47 tag.
    pub language: String,
    pub id: i32,
    pub slug: String,
    pub title: String,
}

/// The group publication `id` is in, if any.
fn group_of(connection: &mut DbConnection, id: i32) -> QueryResult<Option<i32>> {
    Ok(publications::table
        .find(id)
        .select(publications::translation_group)
        .first::<Option<i32>>(connection)
        .optional()?
        .flatten())
}

/// The other members of group `group`, whoever may see them: `(id,
/// language, slug)`.
fn members(connection: &mut DbConnection, group: i32) -> QueryResult<Vec<(i32, String, String)>> {
    publications::table
        .filter(publications::translation_group.eq(group))
        .select((publications::id, publications::language, publications::slug))
        .order(publications::id)
        .load(connection)
}

/// The translations of publication `id` that `viewer` may see, by
/// language; and the ids of every other member of its group, seen or not
/// (an answer that lists some depends on all: a draft's release adds it).
pub fn of(connection: &mut DbConnection, id: i32, viewer: &Viewer) -> QueryResult<(Vec<Translation>, Vec<i32>)> {
    let (mut shown, all) = of_many(connection, &[id], viewer)?;
    Ok((shown.remove(&id).unwrap_or_default(), all))
}

/// The translations of several publications, by publication id.
pub type TranslationsOf = HashMap<i32, Vec<Translation>>;

/// The translations `viewer` may see of each of publications `ids` (a
/// page of a list or a feed), by language, in two queries; and the ids of
/// every other member of their groups, seen or not.
pub fn of_many(connection: &mut DbConnection, ids: &[i32], viewer: &Viewer) -> QueryResult<(TranslationsOf, Vec<i32>)> {
    let grouped: Vec<(i32, i32)> = publications::table
        .filter(in_ids(publications::id, ids))
        .filter(publications::translation_group.is_not_null())
        .select((publications::id, publications::translation_group.assume_not_null()))
        .load(connection)?;
    if grouped.is_empty() {
        return Ok((HashMap::new(), Vec::new()));
    }
    let groups: Vec<i32> = grouped.iter().map(|(_, group)| *group).collect();
    type Member = (i32, bool, String, i32, String, String);
    let members: Vec<Member> = publications::table
        .filter(in_ids(publications::translation_group.assume_not_null(), &groups))
        .order((publications::language, publications::id))
        .select((
            publications::translation_group.assume_not_null(),
            visible(viewer),
            publications::language,
            publications::id,
            publications::slug,
            publications::title,
        ))
        .load(connection)?;
    let mut shown: HashMap<i32, Vec<Translation>> = HashMap::new();
    for (id, group) in &grouped {
        let translations = members
            .iter()
            .filter(|(of, seen, _, member, _, _)| of == group && *seen && member != id)
            .map(|(_, _, language, member, slug, title)| Translation {
                language: language.clone(),
                id: *member,
                slug: slug.clone(),
                title: title.clone(),
            })
            .collect();
        shown.insert(*id, translations);
    }
    let all = members.iter().map(|(_, _, _, member, _, _)| *member).filter(|member| !ids.contains(member)).collect();
    Ok((shown, all))
}

/// Applies what a write of publication `id`, now in `language`, says of
/// its group: joins, leaves, or keeps it — checking, whatever it says,
/// that no other member has `language` (a 409 naming it).
pub fn write(
    connection: &mut DbConnection,
    change: &Change,
    id: i32,
    language: &str,
    membership: &Membership,
) -> Result<(), ApiError> {
    let before = group_of(connection, id)?;
    let after = match membership {
        Membership::Keep => before,
        Membership::Leave => None,
        Membership::Join(reference) => Some(group_to_join(connection, change, id, reference)?),
    };
    if let Some(group) = after {
        refuse_taken(connection, group, id, language)?;
    }
    if after != before {
        set_group(connection, change, id, after)?;
        for group in [before, after].into_iter().flatten() {
            linked(connection, change, group, id)?;
        }
    }
    Ok(())
}

/// Puts publication `id`, back from the trash in `language`, into the
/// group of the first of `former` (the translations it had) that is still
/// in one and has no other version in `language`; `false` when none is.
pub fn rejoin(
    connection: &mut DbConnection,
    change: &Change,
    id: i32,
    language: &str,
    former: &[i32],
) -> Result<bool, ApiError> {
    for other in former {
        let Some(group) = group_of(connection, *other)? else { continue };
        if refuse_taken(connection, group, id, language).is_ok() {
            set_group(connection, change, id, Some(group))?;
            linked(connection, change, group, id)?;
            return Ok(true);
        }
    }
    Ok(false)
}

/// The group the publication `reference` is in, which publication `id`
/// joins: started (named by that publication's id) when it has none.
fn group_to_join(
    connection: &mut DbConnection,
    change: &Change,
    id: i32,
    reference: &Reference,
) -> Result<i32, ApiError> {
    let field_error = |code, message: String| {
        ApiError::ValidationFailed(vec![FieldError { field: "translation_of".into(), code, message }])
    };
    let other = match lookups::find_id(connection, reference, &Viewer::editor()) {
        Ok(other) => other,
        Err(ApiError::NotFound(_)) => {
            return Err(field_error("unknown_publication", format!("no publication has the id or slug '{reference}'")));
        }
        Err(error) => return Err(error),
    };
    if other == id {
        return Err(field_error("itself", "a publication cannot be a translation of itself".into()));
    }
    match group_of(connection, other)? {
        Some(group) => Ok(group),
        None => {
            set_group(connection, change, other, Some(other))?;
            Ok(other)
        }
    }
}

/// A 409 when a member of `group` other than `id` is in `language`.
fn refuse_taken(connection: &mut DbConnection, group: i32, id: i32, language: &str) -> Result<(), ApiError> {
    let taken = members(connection, group)?
        .into_iter()
        .find(|(member, other, _)| *member != id && other.eq_ignore_ascii_case(language));
    match taken {
        Some((member, _, slug)) => Err(ApiError::Conflict(format!(
            "its translations already have a version in '{language}': publication {member} ('{slug}'); \
             a group holds one publication per language"
        ))),
        None => Ok(()),
    }
}

fn set_group(connection: &mut DbConnection, change: &Change, id: i32, group: Option<i32>) -> QueryResult<()> {
    store::set_translation_group(connection, change, id, group)
}

/// Tells the caches that the members of `group` other than `id` list
/// other translations now.
fn linked(connection: &mut DbConnection, change: &Change, group: i32, id: i32) -> QueryResult<()> {
    for (member, _, _) in members(connection, group)? {
        if member != id {
            change.record(|| Touched::Linked { id: member });
        }
    }
    Ok(())
}
