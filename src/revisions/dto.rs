//! What the API answers about revisions.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::error::FieldError;
use crate::history::RevisionRow;
use crate::pagination::Pagination;
use crate::publications::dto::Publication;
use crate::publications::history::Restored;

/// A revision: one write that changed a publication.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "number": 4,
    "created_at": "2026-12-01T10:12:00Z",
    "author": "redaction",
    "reason": "update",
    "changed": ["title", "links"],
    "version": 5,
    "restored_from": null
}))]
pub struct RevisionSummary {
    /// From 1, per publication.
    pub number: i32,
    pub created_at: DateTime<Utc>,
    /// The name of the token (or the command) that made the change.
    pub author: String,
    /// `create`, `update`, `publish`, `unpublish`, `archive`, `restore`,
    /// `trash` or `untrash`.
    #[schema(example = "update")]
    pub reason: String,
    /// The members of the publication that changed.
    pub changed: Vec<String>,
    /// The publication's `version` it recorded.
    pub version: i32,
    /// For a `restore`, the revision it restored.
    pub restored_from: Option<i32>,
}

impl From<RevisionRow> for RevisionSummary {
    fn from(row: RevisionRow) -> Self {
        Self {
            changed: row.changed(),
            number: row.number,
            created_at: row.created_at.and_utc(),
            author: row.author,
            reason: row.reason,
            version: row.version,
            restored_from: row.restored_from,
        }
    }
}

/// A revision with its snapshot.
#[derive(Debug, Serialize, ToSchema)]
pub struct Revision {
    #[serde(flatten)]
    pub summary: RevisionSummary,
    /// The publication as its detail read then, to a token holder.
    #[schema(value_type = Publication)]
    pub publication: Map<String, Value>,
}

/// One page of a publication's revisions, newest first.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Page_RevisionSummary)]
pub struct RevisionPage {
    pub data: Vec<RevisionSummary>,
    pub pagination: Pagination,
}

/// What a restore made.
#[derive(Debug, Serialize, ToSchema)]
pub struct Restoration {
    /// The publication as it now is.
    pub publication: Publication,
    /// The `restore` revision that records it.
    pub revision: Option<i32>,
    /// The revision it was made equal to.
    pub restored_from: i32,
    /// What the revision referred to that no longer exists and was left
    /// out (with `partial=true`); empty otherwise.
    pub left_out: Vec<FieldError>,
}

impl From<Restored> for Restoration {
    fn from(restored: Restored) -> Self {
        Self {
            publication: restored.publication,
            revision: restored.revision,
            restored_from: restored.restored_from,
            left_out: restored.left_out,
        }
    }
}
