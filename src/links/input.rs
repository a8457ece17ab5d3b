//! What a client sends to create or patch a link.

use serde::Serialize;
use serde_json::{Map, Value, json};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;
use utoipa::{PartialSchema, ToSchema};

use crate::body::MergePatch;
use crate::categories::input::MAX_POSITION;
use crate::domain::Reference;
use crate::domain::patterns::{LANGUAGE, MEDIA_TYPE, PLAIN_TEXT, PLAIN_TEXT_REQUIRED, WEB_URL};
use crate::error::ApiError;
use crate::openapi::schema::{component, schema_from_json};
use crate::validation::Fields;

use super::dto::LinkRel;
use super::queries::LinkRow;

/// A link as written: exactly one of `url` and `target`.
#[derive(Clone, Debug, Serialize)]
pub struct LinkInput {
    /// Default `related`.
    #[serde(default)]
    pub rel: LinkRel,
    /// Plain text, at most 300 characters. Required with `url`; with
    /// `target`, the target's title when absent.
    #[serde(default)]
    pub title: Option<String>,
    /// An absolute http or https URL.
    #[serde(default)]
    pub url: Option<String>,
    /// Another publication, by id or slug (not the publication itself).
    #[serde(default)]
    pub target: Option<Reference>,
    /// The media type of what `url` points to, e.g. `application/pdf`.
    #[serde(default)]
    pub media_type: Option<String>,
    /// The language of what the link points to (BCP 47).
    #[serde(default)]
    pub hreflang: Option<String>,
    /// Order among the publication's links; after the last one when absent.
    #[serde(default)]
    pub position: Option<i32>,
}

const MAX_TITLE: usize = 300;

/// Fields that `null` would not clear: it is refused there.
const NOT_NULLABLE: &[&str] = &["rel", "position"];

fn properties() -> Value {
    json!({
        "rel": {"type": "string", "enum": ["related", "attachment", "source", "see_also"], "description": "Default `related`."},
        "title": {
            "type": ["string", "null"], "maxLength": MAX_TITLE, "pattern": PLAIN_TEXT,
            "description": "Plain text, at most 300 characters. Required with `url`; with `target`, the target's title when absent or blank."
        },
        "url": {
            "type": ["string", "null"], "maxLength": 2000, "pattern": WEB_URL,
            "description": "An absolute http or https URL on a named host."
        },
        "target": {
            "oneOf": [component("Reference"), {"type": "null"}],
            "description": "Another publication, by id or slug (not the publication itself)."
        },
        "media_type": {
            "type": ["string", "null"], "maxLength": 100, "pattern": MEDIA_TYPE,
            "description": "The media type of what `url` points to, e.g. `application/pdf`."
        },
        "hreflang": {
            "type": ["string", "null"], "maxLength": 35, "pattern": LANGUAGE,
            "description": "The language of what the link points to (BCP 47)."
        },
        "position": {
            "type": "integer", "format": "int32", "minimum": -MAX_POSITION, "maximum": MAX_POSITION,
            "description": "Order among the publication's links; after the last one when absent."
        }
    })
}

impl PartialSchema for LinkInput {
    fn schema() -> RefOr<Schema> {
        schema_from_json(json!({
            "type": "object",
            "description": "A link as written: exactly one of `url` (with a `title`) and `target`. Unknown members are refused.",
            "properties": properties(),
            "additionalProperties": false,
            "oneOf": [
                {
                    "title": "A link to a URL",
                    "required": ["url", "title"],
                    "properties": {
                        "url": {"type": "string"},
                        "title": {"type": "string", "pattern": PLAIN_TEXT_REQUIRED},
                        "target": {"type": "null"}
                    }
                },
                {
                    "title": "A link to another publication",
                    "required": ["target"],
                    "properties": {"target": component("Reference"), "url": {"type": "null"}}
                }
            ],
            "examples": [{
                "rel": "attachment",
                "title": "Le rapport complet (PDF)",
                "url": "https://www.culture.gouv.fr/rapport.pdf",
                "media_type": "application/pdf"
            }]
        }))
    }
}

impl ToSchema for LinkInput {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push(("Reference".into(), Reference::schema()));
    }
}

/// A JSON Merge Patch (RFC 7396) of a link.
pub struct LinkPatch;

impl PartialSchema for LinkPatch {
    fn schema() -> RefOr<Schema> {
        schema_from_json(json!({
            "type": "object",
            "description": "A JSON Merge Patch (RFC 7396) of a link: every member is optional. Giving `url` drops `target` and the other way round; the result must still have exactly one of them, and a `title` with `url`. `null` clears `title`, `url`, `target`, `media_type` and `hreflang`, and is refused (422) for `rel` and `position`. Unknown members are refused.",
            "properties": properties(),
            "additionalProperties": false,
            "examples": [{"position": 0, "title": "Le rapport"}]
        }))
    }
}

impl ToSchema for LinkPatch {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push(("Reference".into(), Reference::schema()));
    }
}

impl LinkInput {
    pub fn from_json(object: Map<String, Value>) -> Result<Self, ApiError> {
        let mut fields = Fields::new(object);
        fields.refuse_nulls(NOT_NULLABLE);
        let input = Self {
            rel: fields
                .choice(
                    "rel",
                    &[
                        ("related", LinkRel::Related),
                        ("attachment", LinkRel::Attachment),
                        ("source", LinkRel::Source),
                        ("see_also", LinkRel::SeeAlso),
                    ],
                )
                .unwrap_or(LinkRel::Related),
            title: fields.optional_text("title", MAX_TITLE, true),
            url: fields.web_url("url"),
            target: fields.reference("target"),
            media_type: fields.media_type("media_type"),
            hreflang: fields.language("hreflang"),
            position: fields.integer("position", -MAX_POSITION, MAX_POSITION),
        };
        match (&input.url, &input.target) {
            (Some(_), Some(_)) => fields.error("target", "url_and_target", "give either url or target, not both"),
            (None, None) if !fields.has_error("url") && !fields.has_error("target") => {
                fields.error("url", "url_or_target", "give either url or target")
            }
            (Some(_), None) if input.title.is_none() => fields.error("title", "required", "is required with url"),
            _ => {}
        }
        fields.finish()?;
        Ok(input)
    }

    /// The link as it stands, patched (RFC 7396), then read again. Giving
    /// `url` drops `target` and the other way round, so a patch can switch
    /// a link from one kind to the other.
    pub fn patched(current: &LinkRow, patch: MergePatch) -> Result<Self, ApiError> {
        patch.refuse_nulls(NOT_NULLABLE)?;
        let mut current = Self {
            rel: LinkRel::from_stored(&current.rel),
            title: Some(current.title.clone()).filter(|title| !title.is_empty()),
            url: current.url.clone(),
            target: current.target_id.map(Reference::Id),
            media_type: current.media_type.clone(),
            hreflang: current.hreflang.clone(),
            position: Some(current.position),
        };
        if patch.0.get("url").is_some_and(|url| !url.is_null()) {
            current.target = None;
        }
        if patch.0.get("target").is_some_and(|target| !target.is_null()) {
            current.url = None;
        }
        let Ok(Value::Object(mut object)) = serde_json::to_value(current) else {
            return Err(ApiError::internal("a link did not serialise to a JSON object"));
        };
        patch.apply_to(&mut object);
        Self::from_json(object)
    }
}
