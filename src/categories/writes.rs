//! The write service of categories: validated input and a change (who,
//! when) become rows through the store, inside one write transaction, or
//! nothing changes.

use crate::body::MergePatch;
use crate::change::{Change, Stamps};
use crate::db::DbConnection;
use crate::domain::{Reference, slug};
use crate::error::{ApiError, FieldError};
use crate::preconditions::IfMatch;
use crate::slug_history::{self, Kind};

use super::input::CategoryInput;
use super::queries::{self, CategoryRow};
use super::store::{self, CategoryValues};
use super::tree::CategoryTree;

fn current(tree: &CategoryTree, reference: &Reference) -> Result<CategoryRow, ApiError> {
    tree.find(reference).cloned().ok_or_else(|| ApiError::no_such("category", reference))
}

fn stale() -> ApiError {
    ApiError::PreconditionFailed("the category changed while this request was applied; fetch it again".into())
}

/// Creates a category; returns its id.
pub fn create(connection: &mut DbConnection, change: &Change, input: CategoryInput) -> Result<i32, ApiError> {
    let tree = queries::tree(connection)?;
    let values = values(&tree, input, None)?;
    let id = store::insert(connection, change, &values, &Stamps::new(change))?;
    slug_history::taken(connection, Kind::Category, &values.slug)?;
    Ok(id)
}

/// Replaces a category as a whole; returns its id.
pub fn replace(
    connection: &mut DbConnection,
    change: &Change,
    reference: &Reference,
    if_match: &IfMatch,
    input: CategoryInput,
) -> Result<i32, ApiError> {
    let tree = queries::tree(connection)?;
    let current = current(&tree, reference)?;
    if_match.check(current.version)?;
    let values = values(&tree, input, Some(&current))?;
    update(connection, change, &current, &values)
}

/// Applies a JSON Merge Patch to a category; returns its id.
pub fn patch(
    connection: &mut DbConnection,
    change: &Change,
    reference: &Reference,
    if_match: &IfMatch,
    patch: MergePatch,
) -> Result<i32, ApiError> {
    let tree = queries::tree(connection)?;
    let current = current(&tree, reference)?;
    if_match.check(current.version)?;
    let input = CategoryInput::patched(&current, tree.names(current.id), patch)?;
    let values = values(&tree, input, Some(&current))?;
    update(connection, change, &current, &values)
}

fn update(
    connection: &mut DbConnection,
    change: &Change,
    current: &CategoryRow,
    values: &CategoryValues,
) -> Result<i32, ApiError> {
    let stamps = Stamps::next(current.created_at, current.version, change);
    if !store::update(connection, change, current.id, Some(current.version), values, &stamps)? {
        return Err(stale());
    }
    slug_history::moved(connection, Kind::Category, current.id, &current.slug, &values.slug)?;
    Ok(current.id)
}

/// Deletes a category that holds nothing: a category with publications or
/// children is a 409 that names them.
pub fn delete(
    connection: &mut DbConnection,
    change: &Change,
    reference: &Reference,
    if_match: &IfMatch,
) -> Result<(), ApiError> {
    let tree = queries::tree(connection)?;
    let current = current(&tree, reference)?;
    let id = current.id;
    if_match.check(current.version)?;
    let children: Vec<String> = tree.children(Some(id)).map(|child| format!("'{}'", child.slug)).collect();
    let (filed, sample) = queries::filed_publications(connection, id, 5)?;
    let mut holders = Vec::new();
    if filed > 0 {
        let sample: Vec<String> = sample.iter().map(|slug| format!("'{slug}'")).collect();
        let more = if filed > sample.len() as i64 { ", …" } else { "" };
        holders.push(format!("{filed} publication(s) are filed under it ({}{more})", sample.join(", ")));
    }
    if !children.is_empty() {
        holders.push(format!("it has {} child categor(ies) ({})", children.len(), children.join(", ")));
    }
    if !holders.is_empty() {
        return Err(ApiError::Conflict(format!(
            "the category '{}' cannot be deleted: {}",
            current.slug,
            holders.join("; and ")
        )));
    }
    if store::delete(connection, change, id, current.version)? { Ok(()) } else { Err(stale()) }
}

/// Turns valid input into the values to write: parent resolved (never one
/// of the category's own descendants), slug chosen.
fn values(
    tree: &CategoryTree,
    input: CategoryInput,
    current: Option<&CategoryRow>,
) -> Result<CategoryValues, ApiError> {
    let invalid = |field: &str, code: &'static str, message: String| {
        ApiError::ValidationFailed(vec![FieldError { field: field.to_owned(), code, message }])
    };
    let parent_id = match &input.parent_id {
        None => None,
        Some(reference) => {
            let parent = tree.find(reference).ok_or_else(|| {
                invalid("parent_id", "unknown_category", format!("no category has the id or slug '{reference}'"))
            })?;
            if let Some(current) = current
                && tree.would_cycle(current.id, parent.id)
            {
                return Err(invalid(
                    "parent_id",
                    "cycle",
                    format!("'{}' is this category or one of its descendants: it cannot be its parent", parent.slug),
                ));
            }
            Some(parent.id)
        }
    };
    let taken = |slug: &str| {
        tree.find(&Reference::Slug(slug.to_owned())).is_some_and(|row| Some(row.id) != current.map(|c| c.id))
    };
    let slug = match (input.slug, current) {
        (Some(given), _) => {
            if taken(&given) {
                return Err(ApiError::Conflict(format!("the slug '{given}' is taken")));
            }
            given
        }
        (None, Some(current)) => current.slug.clone(),
        (None, None) => {
            let base = slug::slugify(&input.name).unwrap_or_else(|| "categorie".to_owned());
            slug::first_free(&base, &tree.slugs().map(str::to_owned).collect::<Vec<_>>())
        }
    };
    Ok(CategoryValues {
        slug,
        name: input.name,
        description: input.description,
        parent_id,
        position: input.position,
        names: input.names,
    })
}
