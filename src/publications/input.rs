//! What a client sends to create, replace or patch a publication.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::body::MergePatch;
use crate::domain::{Reference, Status};
use crate::error::ApiError;
use crate::validation::Fields;

use super::queries::PublicationRecord;

/// A publication as written. Only `title` is required; an absent field
/// takes its default, so a PUT replaces the whole publication.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "title": "L’emploi dans les lieux de concerts : un secteur qui se transforme",
    "summary": "Une étude de l’emploi dans les lieux et organisations de concerts.",
    "body": "<p>Le secteur des concerts emploie…</p><blockquote><p>« Une citation. »</p></blockquote>",
    "status": "published",
    "language": "fr",
    "published_at": "2025-12-05T09:00:00Z",
    "authors": ["Service des études"],
    "categories": ["etudes-publications", 2]
}))]
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
    #[schema(default = "draft")]
    pub status: Status,
    /// A BCP 47 tag; default `fr`.
    #[serde(default)]
    #[schema(default = "fr")]
    pub language: String,
    /// RFC 3339 date-time, or a date (midnight UTC). Set to the time of the
    /// write when the publication becomes `published` without one.
    #[serde(default)]
    pub published_at: Option<DateTime<Utc>>,
    /// Author names, plain text, at most 50.
    #[serde(default)]
    pub authors: Vec<String>,
    /// Categories by id or slug, at most 50, in the order to show them.
    #[serde(default)]
    pub categories: Vec<Reference>,
}

const MAX_TITLE: usize = 300;
const MAX_SUMMARY: usize = 2000;

impl PublicationInput {
    /// Reads a whole publication, reporting every invalid or unknown field.
    pub fn from_json(object: Map<String, Value>) -> Result<Self, ApiError> {
        let mut fields = Fields::new(object);
        let input = Self {
            slug: fields.slug("slug"),
            title: fields.required_text("title", MAX_TITLE, true),
            summary: fields.optional_text("summary", MAX_SUMMARY, true).unwrap_or_default(),
            body: fields.raw_text("body").unwrap_or_default(),
            status: fields
                .choice(
                    "status",
                    &[("draft", Status::Draft), ("published", Status::Published), ("archived", Status::Archived)],
                )
                .unwrap_or(Status::Draft),
            language: fields.language("language").unwrap_or_else(|| "fr".to_owned()),
            published_at: fields.datetime("published_at").map(|at| at.and_utc()),
            authors: fields.texts("authors", 50, 200),
            categories: fields.references("categories", 50),
        };
        fields.finish()?;
        Ok(input)
    }

    /// The publication as it stands, patched (RFC 7396), then read again.
    pub fn patched(current: &PublicationRecord, patch: MergePatch) -> Result<Self, ApiError> {
        let current = Self {
            slug: Some(current.row.slug.clone()),
            title: current.row.title.clone(),
            summary: current.row.summary.clone(),
            body: current.body.clone(),
            status: Status::from_stored(&current.row.status),
            language: current.row.language.clone(),
            published_at: current.row.published_at.map(|at| at.and_utc()),
            authors: serde_json::from_str(&current.row.authors).unwrap_or_default(),
            categories: current.categories.iter().map(|category| Reference::Slug(category.slug.clone())).collect(),
        };
        let Ok(Value::Object(mut object)) = serde_json::to_value(current) else {
            return Err(ApiError::internal("a publication did not serialise to a JSON object"));
        };
        patch.apply_to(&mut object);
        Self::from_json(object)
    }
}
