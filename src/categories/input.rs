//! What a client sends to create, replace or patch a category.

use serde::Serialize;
use serde_json::{Map, Value, json};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;
use utoipa::{PartialSchema, ToSchema};

use crate::body::MergePatch;
use crate::domain::patterns::{PLAIN_TEXT, PLAIN_TEXT_REQUIRED, SLUG};
use crate::domain::{Reference, canonical_language, is_language_tag};
use crate::error::ApiError;
use crate::http::language::DEFAULT;
use crate::openapi::schema::{component, schema_from_json};
use crate::validation::Fields;

use super::names::{CategoryText, Names};
use super::queries::CategoryRow;

/// A category as written (POST, PUT). Only `name` is required; an absent
/// field takes its default, so a PUT replaces the whole category.
#[derive(Clone, Debug, Serialize)]
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
    /// Its names in languages other than the default one, by BCP 47 tag.
    #[serde(default)]
    pub names: Names,
}

const MAX_NAME: usize = 200;
const MAX_DESCRIPTION: usize = 2000;
/// Positions run from minus to plus this.
pub const MAX_POSITION: i64 = 1_000_000;

/// Fields that `null` would not clear: it is refused there.
const NOT_NULLABLE: &[&str] = &["slug", "name", "position"];

/// How many languages besides the default a category may be named in.
const MAX_LANGUAGES: usize = 20;

fn properties() -> Value {
    json!({
        "slug": {
            "type": "string", "minLength": 1, "maxLength": 200, "pattern": SLUG,
            "description": "Unique: lowercase letters, digits and hyphens, not digits alone. When absent, a new category gets one made from its name and an existing one keeps its own. A slug given and taken is a 409."
        },
        "name": {
            "type": "string", "maxLength": MAX_NAME, "pattern": PLAIN_TEXT_REQUIRED,
            "description": "Plain text, at most 200 characters, not blank."
        },
        "description": {
            "type": ["string", "null"], "maxLength": MAX_DESCRIPTION, "pattern": PLAIN_TEXT,
            "description": "Plain text, at most 2,000 characters; `null` clears it."
        },
        "parent_id": {
            "oneOf": [component("Reference"), {"type": "null"}],
            "description": "The parent category, by id or slug; absent or `null` for a root. A category cannot move under itself or its own descendants (422)."
        },
        "position": {
            "type": "integer", "format": "int32", "minimum": -MAX_POSITION, "maximum": MAX_POSITION,
            "description": "Order among siblings, ascending; default 0. A number with no fraction (`3.0`) counts as that integer."
        },
        "names": {
            "type": ["object", "null"], "maxProperties": MAX_LANGUAGES,
            "additionalProperties": {
                "type": "object",
                "required": ["name"],
                "properties": {
                    "name": {"type": "string", "maxLength": MAX_NAME, "pattern": PLAIN_TEXT_REQUIRED},
                    "description": {"type": ["string", "null"], "maxLength": MAX_DESCRIPTION, "pattern": PLAIN_TEXT}
                },
                "additionalProperties": false
            },
            "description": "Its name (required) and description in languages other than the default one (`fr`, which `name` and `description` hold), by BCP 47 tag, at most 20: `{\"en\": {\"name\": \"Studies\"}}`. A reader who asks for a language (`?lang=`, `Accept-Language`) gets these. In a merge patch, `{\"names\": {\"en\": null}}` removes one language and leaves the others; `null` removes them all."
        }
    })
}

impl PartialSchema for CategoryInput {
    fn schema() -> RefOr<Schema> {
        schema_from_json(json!({
            "type": "object",
            "description": "A category as written (POST, PUT). Only `name` is required; an absent member takes its default, so a PUT replaces the whole category. Unknown members are refused.",
            "required": ["name"],
            "properties": properties(),
            "additionalProperties": false,
            "examples": [{
                "name": "Veille industrie phonographique",
                "description": "Le suivi de l’industrie phonographique.",
                "parent_id": "etudes-publications",
                "position": 0,
                "names": {"en": {"name": "Recorded music industry watch"}}
            }]
        }))
    }
}

impl ToSchema for CategoryInput {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push(("Reference".into(), Reference::schema()));
    }
}

/// A JSON Merge Patch (RFC 7396) of a category.
pub struct CategoryPatch;

impl PartialSchema for CategoryPatch {
    fn schema() -> RefOr<Schema> {
        schema_from_json(json!({
            "type": "object",
            "description": "A JSON Merge Patch (RFC 7396) of a category: every member is optional; those given replace the current ones. `null` clears `description` and `parent_id` (making a root), and is refused (422) for the others. Unknown members are refused.",
            "properties": properties(),
            "additionalProperties": false,
            "examples": [{"parent_id": null, "position": 3}]
        }))
    }
}

impl ToSchema for CategoryPatch {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push(("Reference".into(), Reference::schema()));
    }
}

impl CategoryInput {
    /// Reads a whole category, reporting every invalid or unknown field.
    pub fn from_json(object: Map<String, Value>) -> Result<Self, ApiError> {
        let mut fields = Fields::new(object);
        fields.refuse_nulls(NOT_NULLABLE);
        let input = Self {
            slug: fields.slug("slug"),
            name: fields.required_text("name", MAX_NAME, true),
            description: fields.optional_text("description", MAX_DESCRIPTION, true),
            parent_id: fields.reference("parent_id"),
            position: fields.integer("position", -MAX_POSITION, MAX_POSITION).unwrap_or(0),
            names: names(&mut fields),
        };
        fields.finish()?;
        Ok(input)
    }

    /// The category as it stands, patched (RFC 7396), then read again.
    /// The category as it stands (its row and its other languages' names),
    /// patched (RFC 7396, names merged language by language), then read
    /// again.
    pub fn patched(current: &CategoryRow, names: &Names, patch: MergePatch) -> Result<Self, ApiError> {
        patch.refuse_nulls(NOT_NULLABLE)?;
        let current = Self {
            slug: Some(current.slug.clone()),
            name: current.name.clone(),
            description: current.description.clone(),
            parent_id: current.parent_id.map(Reference::Id),
            position: current.position,
            names: names.clone(),
        };
        let Ok(Value::Object(mut object)) = serde_json::to_value(current) else {
            return Err(ApiError::internal("a category did not serialise to a JSON object"));
        };
        patch.apply_to(&mut object);
        Self::from_json(object)
    }
}

/// The names in other languages, each checked: a language tag, not the
/// default language (whose name is `name`), one entry per language.
fn names(fields: &mut Fields) -> Names {
    let read = fields.objects("names", MAX_LANGUAGES, |tag, entry| {
        if !is_language_tag(tag) {
            entry.error("", "invalid_language", "must be keyed by a BCP 47 language tag such as en or de-CH");
        } else if canonical_language(tag) == DEFAULT {
            entry.error("", "default_language", "the default language's name is the category's own `name`");
        }
        let name = entry.required_text("name", MAX_NAME, true);
        let description = entry.optional_text("description", MAX_DESCRIPTION, true);
        Some(CategoryText { name, description })
    });
    let mut names = Names::new();
    for (tag, text) in read {
        let tag = canonical_language(&tag);
        if names.contains_key(&tag) {
            fields.error(format!("names.{tag}"), "repeated", "names one language twice");
        }
        names.insert(tag, text);
    }
    names
}
