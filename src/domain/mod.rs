//! Values checked at the edge of the API.

pub mod html;
pub mod patterns;
pub mod slug;

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ApiError;

/// How a path or a body names a resource: by its integer id or by its slug.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Reference {
    Id(i32),
    Slug(String),
}

impl Reference {
    /// Digits name an id; anything else is a slug. Slugs never consist of
    /// digits alone, so the two cannot be confused. Text that can be neither
    /// (an id beyond the column's range, a character no slug has) names
    /// nothing: `None`, without asking the database.
    pub fn parse(raw: &str) -> Option<Self> {
        if !raw.is_empty() && raw.bytes().all(|byte| byte.is_ascii_digit()) {
            // Ids have at most 9 digits, as the published pattern says.
            (raw.len() <= 9).then(|| raw.parse().ok().map(Self::Id)).flatten()
        } else {
            is_slug(raw).then(|| Self::Slug(raw.to_owned()))
        }
    }

    /// Parses a path segment that must be an id (resources without a
    /// slug), or answers the 404 that `resource` would.
    pub fn id_or_not_found(raw: &str, resource: &str) -> Result<i32, ApiError> {
        match Self::parse(raw) {
            Some(Self::Id(id)) => Ok(id),
            _ => Err(ApiError::NotFound(format!("no {resource} has the id '{raw}'"))),
        }
    }

    /// Parses a path segment, or answers the 404 that `resource` would.
    pub fn parse_or_not_found(raw: &str, resource: &str) -> Result<Self, ApiError> {
        Self::parse(raw).ok_or_else(|| ApiError::no_such(resource, raw))
    }
}

/// Slugs are 1 to 200 lowercase ASCII letters, digits and hyphens.
pub fn is_slug(text: &str) -> bool {
    (1..=200).contains(&text.len())
        && text.bytes().all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-')
}

impl utoipa::PartialSchema for Reference {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        crate::openapi::schema::schema_from_json(serde_json::json!({
            "description": "A resource by its id (an integer from 1) or its slug.",
            "oneOf": [
                {"type": "integer", "format": "int32", "minimum": 1, "maximum": i32::MAX},
                {"type": "string", "minLength": 1, "maxLength": 200, "pattern": patterns::REFERENCE}
            ],
            "examples": ["etudes-publications", 2]
        }))
    }
}

impl ToSchema for Reference {}

impl std::fmt::Display for Reference {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Id(id) => write!(formatter, "{id}"),
            Self::Slug(slug) => formatter.write_str(slug),
        }
    }
}

/// A BCP 47 language tag in its common form: a 2- or 3-letter language,
/// then subtags of 1 to 8 letters or digits (`fr`, `fr-BE`, `zh-Hant-TW`).
pub fn is_language_tag(text: &str) -> bool {
    let mut subtags = text.split('-');
    let language = subtags.next().unwrap_or_default();
    text.len() <= 35
        && (2..=3).contains(&language.len())
        && language.bytes().all(|byte| byte.is_ascii_alphabetic())
        && subtags
            .all(|subtag| (1..=8).contains(&subtag.len()) && subtag.bytes().all(|byte| byte.is_ascii_alphanumeric()))
}

/// A language tag in BCP 47's conventional case: language lowercase,
/// script titlecase, region uppercase (`fr-be` → `fr-BE`, `zh-hant` →
/// `zh-Hant`), so that one language is one tag.
pub fn canonical_language(tag: &str) -> String {
    tag.split('-')
        .enumerate()
        .map(|(index, subtag)| match subtag.len() {
            _ if index == 0 => subtag.to_ascii_lowercase(),
            2 if subtag.bytes().all(|byte| byte.is_ascii_alphabetic()) => subtag.to_ascii_uppercase(),
            4 if subtag.bytes().all(|byte| byte.is_ascii_alphabetic()) => {
                let lower = subtag.to_ascii_lowercase();
                lower[..1].to_ascii_uppercase() + &lower[1..]
            }
            _ => subtag.to_ascii_lowercase(),
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// Where a publication is in its life. A publication is stored as
/// `draft`, `published` or `archived`; a published one reads `scheduled`
/// before its `published_at` and `expired` from its `unpublish_at`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Being written; not shown by the public API.
    #[default]
    Draft,
    /// Published, with a `published_at` still to come: not shown by the
    /// public API until then.
    Scheduled,
    /// Public.
    Published,
    /// Published, past its `unpublish_at`: gone from the public API.
    Expired,
    /// Withdrawn; not shown by the public API.
    Archived,
}

impl Status {
    /// Every status.
    pub const ALL: [Self; 5] = [Self::Draft, Self::Scheduled, Self::Published, Self::Expired, Self::Archived];

    /// The statuses of a published publication, before, during and after
    /// its time in public view.
    pub const RELEASED: [Self; 3] = [Self::Scheduled, Self::Published, Self::Expired];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Scheduled => "scheduled",
            Self::Published => "published",
            Self::Expired => "expired",
            Self::Archived => "archived",
        }
    }

    /// Reads a status by its name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == name)
    }

    /// The status as stored: `scheduled` and `expired` are `published`
    /// with their times.
    pub fn stored(self) -> Self {
        if Self::RELEASED.contains(&self) { Self::Published } else { self }
    }

    /// The status a publication stored with this status shows at `at`: a
    /// published one is `scheduled` before its `published_at`, `expired`
    /// from its `unpublish_at`. The Rust form of the rule that
    /// `publications::visibility` writes in SQL.
    pub fn at(
        self,
        published_at: Option<NaiveDateTime>,
        unpublish_at: Option<NaiveDateTime>,
        at: NaiveDateTime,
    ) -> Self {
        match self {
            Self::Published if published_at.is_some_and(|published| published > at) => Self::Scheduled,
            Self::Published if unpublish_at.is_some_and(|unpublished| unpublished <= at) => Self::Expired,
            other => other,
        }
    }

    /// Whether a reader without a token sees publications of this status.
    pub fn is_public(self) -> bool {
        self == Self::Published
    }

    /// Reads a stored value; the database's check constraint allows no other.
    pub fn from_stored(value: &str) -> Self {
        match value {
            "published" => Self::Published,
            "archived" => Self::Archived,
            _ => Self::Draft,
        }
    }
}
