//! What a client sends to create, replace or patch a publication.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value, json};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;
use utoipa::{PartialSchema, ToSchema};

use crate::body::MergePatch;
use crate::domain::patterns::{LANGUAGE, PLAIN_LINE, PLAIN_TEXT, PLAIN_TEXT_REQUIRED, SLUG};
use crate::domain::{Reference, Status};
use crate::error::ApiError;
use crate::openapi::schema::{component, schema_from_json};
use crate::validation::Fields;

use super::lookups::PublicationRecord;
use super::translations::Membership;

/// A publication as written (POST, PUT). Only `title` is required; an
/// absent field takes its default, so a PUT replaces the whole publication.
#[derive(Clone, Debug, Serialize)]
pub struct PublicationInput {
    /// Unique: lowercase letters, digits and hyphens. When absent, a new
    /// publication gets one made from its title (`Études & publications` →
    /// `etudes-publications`, with `-2`, `-3`… if taken) and an existing one
    /// keeps its own. A slug given and taken is a 409.
    #[serde(default)]
    pub slug: Option<String>,
    /// Plain text, 1 to 300 characters.
    pub title: String,
    /// The lead: plain text, at most 2,000 characters.
    #[serde(default)]
    pub summary: String,
    /// HTML. Article markup is kept; scripts, styles, event handlers and
    /// URLs other than http, https and mailto are removed.
    #[serde(default)]
    pub body: String,
    /// Default `draft`.
    #[serde(default)]
    pub status: Status,
    /// A BCP 47 tag; default `fr`.
    #[serde(default)]
    pub language: String,
    /// RFC 3339 date-time, or a date (midnight UTC). Set to the time of the
    /// write when the publication becomes `published` without one; in the
    /// future, the publication is scheduled.
    #[serde(default)]
    pub published_at: Option<DateTime<Utc>>,
    /// When it leaves public view: after `published_at`.
    #[serde(default)]
    pub unpublish_at: Option<DateTime<Utc>>,
    /// Whether its coming release is in the public calendar.
    #[serde(default)]
    pub announce: bool,
    /// Author names, plain text, at most 50.
    #[serde(default)]
    pub authors: Vec<String>,
    /// Categories by id or slug, at most 50, in the order to show them.
    #[serde(default)]
    pub categories: Vec<Reference>,
    /// Its translation group: joined, left, or kept as it is.
    #[serde(skip)]
    pub translation_of: Membership,
}

const MAX_TITLE: usize = 300;
const MAX_SUMMARY: usize = 2000;
const MAX_AUTHORS: usize = 50;
const MAX_AUTHOR: usize = 200;
const MAX_CATEGORIES: usize = 50;

/// Fields that `null` would not clear: it is refused there.
const NOT_NULLABLE: &[&str] = &["slug", "title", "status", "language", "announce"];

/// The members of a publication as written, for both schemas: `nullable`
/// members also take `null`, which clears them.
fn properties() -> Value {
    json!({
        "slug": {
            "type": "string", "minLength": 1, "maxLength": 200, "pattern": SLUG,
            "description": "Unique: lowercase letters, digits and hyphens, not digits alone. When absent, a new publication gets one made from its title (`Études & publications` → `etudes-publications`, with `-2`, `-3`… if taken) and an existing one keeps its own. A slug given and taken is a 409; a former slug keeps answering with a redirect."
        },
        "title": {
            "type": "string", "maxLength": MAX_TITLE, "pattern": PLAIN_TEXT_REQUIRED,
            "description": "Plain text (no HTML tag, no control character but line feed and tab), at most 300 characters, not blank."
        },
        "summary": {
            "type": ["string", "null"], "maxLength": MAX_SUMMARY, "pattern": PLAIN_TEXT,
            "description": "The lead: plain text, at most 2,000 characters. `null` clears it."
        },
        "body": {
            "type": ["string", "null"],
            "description": "HTML. Article markup is kept; scripts, styles, event handlers and URLs other than http, https and mailto are removed. `null` clears it."
        },
        "status": {
            "type": "string", "enum": ["draft", "scheduled", "published", "expired", "archived"],
            "description": "Default `draft`. `published` with a `published_at` in the future is scheduled: public from that instant, with no further write. `scheduled` says the same and needs a `published_at` in the future (422 otherwise); `expired` needs an `unpublish_at` in the past. Both are stored as `published` and read as the times make them."
        },
        "language": {"type": "string", "maxLength": 35, "pattern": LANGUAGE, "description": "A BCP 47 tag; default `fr`."},
        "published_at": {
            "anyOf": [
                {"type": "string", "format": "date-time"},
                {"type": "string", "format": "date"},
                {"type": "null"}
            ],
            "description": "RFC 3339 date-time, or a date (midnight UTC); an offset is converted to UTC (`2026-12-05T10:00:00+01:00` is `2026-12-05T09:00:00Z`). Set to the time of the write when the publication becomes `published` without one. In the future, the publication is scheduled: hidden from readers without a token until that instant, then public everywhere at once."
        },
        "unpublish_at": {
            "anyOf": [
                {"type": "string", "format": "date-time"},
                {"type": "string", "format": "date"},
                {"type": "null"}
            ],
            "description": "When the publication leaves public view (RFC 3339, converted to UTC): from that instant its detail and former slugs answer 410 and it leaves lists, searches, counts and feeds. After `published_at` (422 otherwise). `null`: never."
        },
        "announce": {
            "type": "boolean",
            "description": "Whether its release, while still to come, is in the public release calendar (`/api/v1/schedule`) with its title, time, categories and language. Default `false`: an embargoed title appears nowhere."
        },
        "authors": {
            "type": ["array", "null"], "maxItems": MAX_AUTHORS,
            "items": {"type": "string", "maxLength": MAX_AUTHOR, "pattern": PLAIN_LINE},
            "description": "Author names: plain text on one line, at most 200 characters each, at most 50. `null` clears them."
        },
        "categories": {
            "type": ["array", "null"], "maxItems": MAX_CATEGORIES, "items": component("Reference"),
            "description": "Categories by id or slug, at most 50, in the order to show them. `null` clears them."
        },
        "translation_of": {
            "anyOf": [component("Reference"), {"type": "null"}],
            "description": "Another publication (id or slug, whatever its status) of which this one is a translation: this one joins its group of translations, one publication per language (409 when the group already has this one's language). `null` leaves the group. Absent, on every write, the group stays as it is."
        }
    })
}

impl PartialSchema for PublicationInput {
    fn schema() -> RefOr<Schema> {
        schema_from_json(json!({
            "type": "object",
            "description": "A publication as written (POST, PUT). Only `title` is required; an absent member takes its default, so a PUT replaces the whole publication. Unknown members are refused.",
            "required": ["title"],
            "properties": properties(),
            "additionalProperties": false,
            "examples": [{
                "title": "L’emploi dans les lieux de concerts : un secteur qui se transforme",
                "summary": "Une étude de l’emploi dans les lieux et organisations de concerts.",
                "body": "<p>Le secteur des concerts emploie…</p><blockquote><p>« Une citation. »</p></blockquote>",
                "status": "published",
                "language": "fr",
                "published_at": "2025-12-05T09:00:00Z",
                "authors": ["Service des études"],
                "categories": ["etudes-publications", 2]
            }]
        }))
    }
}

impl ToSchema for PublicationInput {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push(("Reference".into(), Reference::schema()));
    }
}

/// A JSON Merge Patch (RFC 7396) of a publication: members given replace
/// the current ones, `null` clears a member that can be empty.
pub struct PublicationPatch;

impl PartialSchema for PublicationPatch {
    fn schema() -> RefOr<Schema> {
        schema_from_json(json!({
            "type": "object",
            "description": "A JSON Merge Patch (RFC 7396) of a publication: every member is optional; those given replace the current ones. `null` clears `summary`, `body`, `published_at`, `unpublish_at`, `authors` and `categories`, and is refused (422) for the others. Unknown members are refused.",
            "properties": properties(),
            "additionalProperties": false,
            "examples": [{"summary": "Un résumé revu.", "authors": ["Service des études"]}]
        }))
    }
}

impl ToSchema for PublicationPatch {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push(("Reference".into(), Reference::schema()));
    }
}

impl PublicationInput {
    /// Reads a whole publication, reporting every invalid or unknown field.
    pub fn from_json(object: Map<String, Value>) -> Result<Self, ApiError> {
        let mut fields = Fields::new(object);
        fields.refuse_nulls(NOT_NULLABLE);
        let translation_of = match fields.has("translation_of") {
            false => Membership::Keep,
            true => fields.reference("translation_of").map_or(Membership::Leave, Membership::Join),
        };
        let input = Self {
            translation_of,
            slug: fields.slug("slug"),
            title: fields.required_text("title", MAX_TITLE, true),
            summary: fields.optional_text("summary", MAX_SUMMARY, true).unwrap_or_default(),
            body: fields.raw_text("body").unwrap_or_default(),
            status: fields
                .choice("status", &Status::ALL.map(|status| (status.as_str(), status)))
                .unwrap_or(Status::Draft),
            language: fields.language("language").unwrap_or_else(|| "fr".to_owned()),
            published_at: fields.datetime("published_at").map(|at| at.and_utc()),
            unpublish_at: fields.datetime("unpublish_at").map(|at| at.and_utc()),
            announce: fields.boolean("announce").unwrap_or(false),
            authors: fields.texts("authors", MAX_AUTHORS, MAX_AUTHOR),
            categories: fields.references("categories", MAX_CATEGORIES),
        };
        if let (Some(published), Some(unpublished)) = (input.published_at, input.unpublish_at)
            && unpublished <= published
        {
            fields.error("unpublish_at", "before_published_at", "must be after published_at");
        }
        fields.finish()?;
        Ok(input)
    }

    /// The publication as it stands, patched (RFC 7396), then read again.
    pub fn patched(current: &PublicationRecord, patch: MergePatch) -> Result<Self, ApiError> {
        patch.refuse_nulls(NOT_NULLABLE)?;
        let leave = patch.0.get("translation_of").is_some_and(Value::is_null);
        let current = Self {
            translation_of: Membership::Keep,
            slug: Some(current.row.slug.clone()),
            title: current.row.title.clone(),
            summary: current.row.summary.clone(),
            body: current.body.clone(),
            status: Status::from_stored(&current.row.status),
            language: current.row.language.clone(),
            published_at: current.row.published_at.map(|at| at.and_utc()),
            unpublish_at: current.row.unpublish_at.map(|at| at.and_utc()),
            announce: current.row.announce,
            authors: serde_json::from_str(&current.row.authors).unwrap_or_default(),
            categories: current.categories.iter().map(|category| Reference::Slug(category.slug.clone())).collect(),
        };
        let Ok(Value::Object(mut object)) = serde_json::to_value(current) else {
            return Err(ApiError::internal("a publication did not serialise to a JSON object"));
        };
        patch.apply_to(&mut object);
        let mut patched = Self::from_json(object)?;
        if leave {
            patched.translation_of = Membership::Leave;
        }
        Ok(patched)
    }
}
