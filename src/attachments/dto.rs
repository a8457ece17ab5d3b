//! What the API answers about attachments.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What a file is to its publication.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The publication itself as a file: the report.
    #[default]
    Document,
    /// The image that stands for the publication (an image, with `alt`).
    Cover,
    /// A further document: an annex, a summary.
    Annex,
    /// Data: a table, a spreadsheet, an archive.
    Dataset,
}

impl Role {
    pub const ALL: [(&'static str, Self); 4] =
        [("document", Self::Document), ("cover", Self::Cover), ("annex", Self::Annex), ("dataset", Self::Dataset)];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Document => "document",
            Self::Cover => "cover",
            Self::Annex => "annex",
            Self::Dataset => "dataset",
        }
    }

    /// Reads a stored value; the database's check constraint allows no other.
    pub fn from_stored(value: &str) -> Self {
        Self::ALL.iter().find(|(name, _)| *name == value).map_or(Self::Document, |(_, role)| *role)
    }
}

/// A smaller copy of an image, for `srcset`.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Variant {
    /// In pixels.
    pub width: i32,
    pub height: i32,
    #[schema(example = "image/jpeg")]
    pub media_type: String,
    /// In bytes.
    pub size: i64,
    /// Where to download it; changes when its bytes do.
    pub url: String,
}

/// A file of a publication: a report, an annex, a data set or a cover.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 1,
    "role": "document",
    "title": "Le rapport complet",
    "language": "fr",
    "filename": "rapport-concertation-ia.pdf",
    "media_type": "application/pdf",
    "size": 2_345_678,
    "sha256": "5f1c4e0b0b1c3c1e2f6d0a8b7c9e4d3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d",
    "url": "/api/v1/files/1/5f1c4e0b0b1c3c1e2f6d0a8b7c9e4d3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d/rapport-concertation-ia.pdf",
    "alt": null,
    "width": null,
    "height": null,
    "pages": 48,
    "variants": [],
    "position": 0,
    "created_at": "2025-12-05T09:00:00Z",
    "updated_at": "2025-12-05T09:00:00Z",
    "version": 1
}))]
pub struct Attachment {
    pub id: i32,
    pub role: Role,
    /// The text to show for the file.
    pub title: String,
    /// The file's language (BCP 47), when it has one.
    pub language: Option<String>,
    /// The name the file is downloaded as.
    pub filename: String,
    /// Decided by the file's bytes.
    pub media_type: String,
    /// In bytes.
    pub size: i64,
    /// The SHA-256 of the bytes, in hex.
    pub sha256: String,
    /// Where to download it, relative to the API's origin. It holds the
    /// hash, so it changes when the bytes do and can be cached for good.
    pub url: String,
    /// A text alternative (images; required for a cover).
    pub alt: Option<String>,
    /// In pixels (images).
    pub width: Option<i32>,
    pub height: Option<i32>,
    /// How many pages (PDF files whose page count can be read).
    pub pages: Option<i32>,
    /// Smaller copies (images), narrowest first.
    pub variants: Vec<Variant>,
    /// Order among the publication's attachments, ascending.
    pub position: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Incremented on every change.
    pub version: i32,
}

/// A publication's attachments, in order.
#[derive(Debug, Serialize, ToSchema)]
pub struct Attachments {
    pub data: Vec<Attachment>,
}
