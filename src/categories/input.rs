//! What a client sends to create, replace or patch a category.

use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::body::MergePatch;
use crate::domain::Reference;
use crate::error::ApiError;
use crate::validation::Fields;

use super::queries::CategoryRow;

/// A category as written. Only `name` is required; an absent field takes
/// its default, so a PUT replaces the whole category.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "name": "Veille industrie phonographique",
    "description": "Le suivi de l’industrie phonographique.",
    "parent_id": "etudes-publications",
    "position": 0
}))]
pub struct CategoryInput {
    /// Unique: lowercase letters, digits and hyphens. When absent, a new
    /// category gets one made from its name and an existing one keeps its
    /// own. A slug given and taken is a 409.
    #[serde(default)]
    pub slug: Option<String>,
    /// Plain text, 1 to 200 characters.
    pub name: String,
    /// Plain text, at most 2,000 characters.
    #[serde(default)]
    pub description: Option<String>,
    /// The parent category, by id or slug; absent or `null` for a root. A
    /// category cannot move under itself or its own descendants (422).
    #[serde(default)]
    pub parent_id: Option<Reference>,
    /// Order among siblings, ascending; default 0.
    #[serde(default)]
    pub position: i32,
}

impl CategoryInput {
    /// Reads a whole category, reporting every invalid or unknown field.
    pub fn from_json(object: Map<String, Value>) -> Result<Self, ApiError> {
        let mut fields = Fields::new(object);
        let input = Self {
            slug: fields.slug("slug"),
            name: fields.required_text("name", 200, true),
            description: fields.optional_text("description", 2000, true),
            parent_id: fields.reference("parent_id"),
            position: fields.integer("position", -1_000_000, 1_000_000).unwrap_or(0),
        };
        fields.finish()?;
        Ok(input)
    }

    /// The category as it stands, patched (RFC 7396), then read again.
    pub fn patched(current: &CategoryRow, patch: MergePatch) -> Result<Self, ApiError> {
        let current = Self {
            slug: Some(current.slug.clone()),
            name: current.name.clone(),
            description: current.description.clone(),
            parent_id: current.parent_id.map(Reference::Id),
            position: current.position,
        };
        let Ok(Value::Object(mut object)) = serde_json::to_value(current) else {
            return Err(ApiError::internal("a category did not serialise to a JSON object"));
        };
        patch.apply_to(&mut object);
        Self::from_json(object)
    }
}
