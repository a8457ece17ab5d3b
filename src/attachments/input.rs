//! What a client sends with a file, or to change an attachment: its
//! metadata, from the query string of a raw upload, the text fields of a
//! form, or a JSON Merge Patch.

use serde::Serialize;
use serde_json::{Map, Value, json};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;
use utoipa::{PartialSchema, ToSchema};

use crate::body::MergePatch;
use crate::categories::input::MAX_POSITION;
use crate::domain::patterns::{LANGUAGE, PLAIN_TEXT};
use crate::error::ApiError;
use crate::openapi::schema::schema_from_json;
use crate::validation::Fields;

use super::dto::Role;
use super::queries::AttachmentRow;

const MAX_TITLE: usize = 300;
const MAX_ALT: usize = 1000;
const MAX_FILENAME: usize = 200;

/// The names metadata may have.
pub const NAMES: &[&str] = &["role", "title", "language", "alt", "position", "filename"];

/// Fields that `null` would not clear: it is refused there.
const NOT_NULLABLE: &[&str] = &["role", "position", "filename", "title"];

/// An attachment's metadata as written.
#[derive(Clone, Debug, Default, Serialize)]
pub struct AttachmentInput {
    pub role: Role,
    pub title: Option<String>,
    pub language: Option<String>,
    pub alt: Option<String>,
    pub position: Option<i32>,
    pub filename: Option<String>,
}

fn properties() -> Value {
    json!({
        "role": {"type": "string", "enum": ["document", "cover", "annex", "dataset"], "description": "Default `document`. A `cover` must be an image and have `alt`."},
        "title": {"type": "string", "maxLength": MAX_TITLE, "pattern": PLAIN_TEXT, "description": "Plain text, at most 300 characters; the file's name when absent."},
        "language": {"type": ["string", "null"], "maxLength": 35, "pattern": LANGUAGE, "description": "The file's language (BCP 47)."},
        "alt": {"type": ["string", "null"], "maxLength": MAX_ALT, "description": "A text alternative of an image; required for a cover."},
        "position": {"type": "integer", "format": "int32", "minimum": -MAX_POSITION, "maximum": MAX_POSITION, "description": "Order among the publication's attachments; after the last one when absent."},
        "filename": {"type": "string", "maxLength": MAX_FILENAME, "description": "The name the file is downloaded as; without a path or control characters (they are removed)."}
    })
}

/// A JSON Merge Patch (RFC 7396) of an attachment.
pub struct AttachmentPatch;

impl PartialSchema for AttachmentPatch {
    fn schema() -> RefOr<Schema> {
        schema_from_json(json!({
            "type": "object",
            "description": "A JSON Merge Patch (RFC 7396) of an attachment's metadata (its bytes cannot be patched: upload a new file). `null` clears `language` and `alt`, and is refused (422) for the others. Unknown members are refused.",
            "properties": properties(),
            "additionalProperties": false,
            "examples": [{"title": "Synthèse", "role": "annex"}]
        }))
    }
}

impl ToSchema for AttachmentPatch {}

/// The metadata of an upload, as form fields or query parameters.
pub struct AttachmentFields;

impl PartialSchema for AttachmentFields {
    fn schema() -> RefOr<Schema> {
        let mut properties = properties();
        if let Some(properties) = properties.as_object_mut() {
            properties.insert(
                "file".into(),
                json!({"type": "string", "format": "binary", "contentMediaType": "application/octet-stream", "description": "The file; its type is decided by its bytes."}),
            );
            properties.insert("position".into(), json!({"type": "string", "pattern": "^-?[0-9]{1,7}$", "description": "Order among the publication's attachments; after the last one when absent."}));
        }
        schema_from_json(json!({
            "type": "object",
            "description": "A file and its metadata, as a form sends them (`multipart/form-data`): the part `file` and text fields.",
            "required": ["file"],
            "properties": properties,
        }))
    }
}

impl ToSchema for AttachmentFields {}

impl AttachmentInput {
    /// Metadata given as text (query parameters, form fields): `position`
    /// is read as a number.
    pub fn from_texts(texts: Vec<(String, String)>) -> Result<Self, ApiError> {
        let mut object = Map::new();
        let mut repeated = Vec::new();
        for (name, text) in texts {
            let value = match name.as_str() {
                "position" => text.trim().parse::<i64>().map_or(Value::String(text), |number| json!(number)),
                _ => Value::String(text),
            };
            if object.insert(name.clone(), value).is_some() {
                repeated.push(name);
            }
        }
        if let Some(name) = repeated.first() {
            return Err(ApiError::invalid_parameter(name, "repeated", "is given more than once"));
        }
        Self::from_json(object)
    }

    pub fn from_json(object: Map<String, Value>) -> Result<Self, ApiError> {
        let unknown: Vec<String> = object.keys().filter(|name| !NAMES.contains(&name.as_str())).cloned().collect();
        let mut fields = Fields::new(object);
        for name in unknown {
            fields.error(name, "unknown_field", format!("is not one of {}", NAMES.join(", ")));
        }
        fields.refuse_nulls(NOT_NULLABLE);
        let input = Self {
            role: fields.choice("role", &Role::ALL).unwrap_or_default(),
            title: fields.optional_text("title", MAX_TITLE, true),
            language: fields.language("language"),
            alt: fields.optional_text("alt", MAX_ALT, true),
            position: fields.integer("position", -MAX_POSITION, MAX_POSITION),
            filename: fields.raw_text("filename").map(|name| sanitise_filename(&name)).filter(|name| !name.is_empty()),
        };
        if input.role == Role::Cover && input.alt.is_none() && !fields.has_error("alt") {
            fields.error("alt", "required", "a cover needs a text alternative");
        }
        fields.finish()?;
        Ok(input)
    }

    /// The attachment's metadata as it stands, patched (RFC 7396).
    pub fn patched(current: &AttachmentRow, patch: MergePatch) -> Result<Self, ApiError> {
        patch.refuse_nulls(NOT_NULLABLE)?;
        let current = Self {
            role: Role::from_stored(&current.role),
            title: Some(current.title.clone()).filter(|title| !title.is_empty()),
            language: current.language.clone(),
            alt: current.alt.clone(),
            position: Some(current.position),
            filename: Some(current.filename.clone()),
        };
        let Ok(Value::Object(mut object)) = serde_json::to_value(current) else {
            return Err(ApiError::internal("an attachment did not serialise to a JSON object"));
        };
        for name in NAMES {
            if object.get(*name).is_some_and(Value::is_null) {
                object.remove(*name);
            }
        }
        patch.apply_to(&mut object);
        Self::from_json(object)
    }
}

/// A file name without a path, control characters, quotes or leading
/// dots, at most 200 characters.
pub fn sanitise_filename(name: &str) -> String {
    let name = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = name
        .chars()
        .filter(|character| {
            !character.is_control() && !matches!(character, '"' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}')
        })
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim();
    let mut end = cleaned.len();
    while cleaned[..end].chars().count() > MAX_FILENAME {
        end = cleaned[..end].char_indices().last().map_or(0, |(index, _)| index);
    }
    cleaned[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filenames_lose_paths_and_controls() {
        assert_eq!(sanitise_filename("../../etc/passwd"), "passwd");
        assert_eq!(sanitise_filename("C:\\Users\\x\\Étude été.pdf"), "Étude été.pdf");
        assert_eq!(sanitise_filename("a\u{0}b\r\n\"c\".pdf"), "abc.pdf");
        assert_eq!(sanitise_filename(".htaccess"), "htaccess");
        assert_eq!(sanitise_filename("rapport\u{202e}fdp.exe"), "rapportfdp.exe");
        assert_eq!(sanitise_filename(&"é".repeat(300)).chars().count(), 200);
        assert_eq!(sanitise_filename("/"), "");
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Any name becomes one without a path, a control or bidi character,
        /// a quote or a leading dot, at most 200 characters; once is enough.
        #[test]
        fn any_filename_is_made_safe(name in any::<String>()) {
            let safe = sanitise_filename(&name);
            prop_assert!(!safe.contains(['/', '\\', '"']) && !safe.starts_with('.'), "{safe:?}");
            prop_assert!(!safe.chars().any(|character| character.is_control()
                || matches!(character, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}')), "{safe:?}");
            prop_assert!(safe.chars().count() <= MAX_FILENAME);
            prop_assert_eq!(sanitise_filename(&safe), safe.clone());
        }
    }
}
