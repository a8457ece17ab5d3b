//! What the change feed and the webhooks send of an event.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::change::events::{CATEGORY, PUBLICATION};

/// One change, thin: what changed, not the resource itself (fetch it from
/// `href`, with its `ETag`, when you need it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[schema(example = json!({
    "seq": 1042,
    "type": "publication.removed",
    "cause": "publication.unpublished",
    "tombstone": true,
    "resource": "publication",
    "id": 12,
    "slug": "chiffres-cles-2026",
    "language": "fr",
    "version": 7,
    "categories": [1, 4],
    "changed": ["status"],
    "occurred_at": "2026-12-01T10:12:00Z",
    "href": "/api/v1/publications/12"
}))]
pub struct Event {
    /// Its place in the log, from 1, in commit order; `null` for the
    /// events of a snapshot (the state a feed starts from).
    pub seq: Option<i64>,
    /// `publication.created`, `.updated`, `.scheduled`, `.published`,
    /// `.unpublished`, `.archived`, `.expired`, `.restored`, `.trashed`,
    /// `.untrashed` (back from the trash), `.removed` (it left this view: `cause`
    /// says how), `.snapshot`; `category.created`, `.updated`, `.moved`,
    /// `.deleted`, `.snapshot`; `catalogue.imported` (a bulk load: start
    /// over without a cursor).
    #[serde(rename = "type")]
    #[schema(example = "publication.published")]
    pub kind: String,
    /// For `publication.removed`, the change that took it out of view.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    /// Whether the resource is gone from this view: delete your copy.
    pub tombstone: bool,
    /// `publication`, `category` or `catalogue`.
    pub resource: String,
    /// The resource's id (`null` for `catalogue`).
    pub id: Option<i32>,
    /// Its slug at the time.
    pub slug: Option<String>,
    /// A publication's BCP 47 language tag.
    pub language: Option<String>,
    /// The resource's `version` after the change (the `ETag` it answers).
    pub version: Option<i32>,
    /// The ids of the categories a publication is filed under directly.
    pub categories: Vec<i32>,
    /// The members that changed (empty when not told: creations,
    /// snapshots, transitions).
    pub changed: Vec<String>,
    pub occurred_at: DateTime<Utc>,
    /// The resource's path in this API.
    pub href: Option<String>,
}

impl Event {
    pub fn href_of(resource: &str, id: i32) -> Option<String> {
        match resource {
            PUBLICATION => Some(format!("/api/v1/publications/{id}")),
            CATEGORY => Some(format!("/api/v1/categories/{id}")),
            _ => None,
        }
    }
}

/// One page of the change feed.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "data": [{
        "seq": 1042,
        "type": "publication.published",
        "tombstone": false,
        "resource": "publication",
        "id": 12,
        "slug": "chiffres-cles-2026",
        "language": "fr",
        "version": 7,
        "categories": [1, 4],
        "changed": ["status", "published_at"],
        "occurred_at": "2026-12-01T10:12:00Z",
        "href": "/api/v1/publications/12"
    }],
    "next_cursor": "eyJ2IjoiM2Y…",
    "has_more": false,
    "snapshot": false
}))]
pub struct ChangePage {
    /// Events, oldest first.
    pub data: Vec<Event>,
    /// Where to go on from: pass it as `cursor` next time, even when
    /// `data` is empty.
    pub next_cursor: String,
    /// Whether more events are there now (ask again at once); `false`:
    /// you are caught up (ask again with `wait`).
    pub has_more: bool,
    /// Whether this page is part of the snapshot a feed without a cursor
    /// starts with.
    pub snapshot: bool,
}
