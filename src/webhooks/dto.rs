//! What the API answers about webhooks, and what it reads of them.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value, json};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;
use utoipa::{PartialSchema, ToSchema};

use crate::error::ApiError;
use crate::events::view::is_type_pattern;
use crate::openapi::schema::schema_from_json;
use crate::pagination::Pagination;
use crate::validation::Fields;

use super::store::{DeliveryRow, WebhookRow, WebhookValues};
use super::target;

/// Event types an endpoint may list at most.
const MAX_EVENT_TYPES: usize = 50;

/// An endpoint, without its secret.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 2,
    "url": "https://portail.example.org/hooks/parution",
    "description": "Portail open data",
    "events": ["publication.*"],
    "include_drafts": false,
    "enabled": true,
    "status": "active",
    "disabled_reason": null,
    "failing_since": null,
    "created_at": "2026-12-01T09:00:00Z",
    "updated_at": "2026-12-01T09:00:00Z",
    "version": 1
}))]
pub struct Webhook {
    pub id: i32,
    /// Where deliveries are posted.
    pub url: String,
    pub description: String,
    /// The event types delivered (`publication.published`, families such
    /// as `publication.*`, or `*`).
    pub events: Vec<String>,
    /// Whether it receives what only tokens see (drafts, scheduled
    /// publications); otherwise the public events, as an anonymous reader
    /// of the change feed sees them.
    pub include_drafts: bool,
    pub enabled: bool,
    /// `active`; `failing` (deliveries fail and are retried); `disabled`
    /// (by an administrator, by a `410` from the receiver, or after three
    /// days of failures: `disabled_reason` says which).
    #[schema(example = "active")]
    pub status: &'static str,
    pub disabled_reason: Option<String>,
    /// Since when every delivery has failed.
    pub failing_since: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl From<WebhookRow> for Webhook {
    fn from(row: WebhookRow) -> Self {
        Self {
            events: row.event_types(),
            status: row.status(),
            id: row.id,
            url: row.url,
            description: row.description,
            include_drafts: row.include_drafts,
            enabled: row.enabled,
            disabled_reason: row.disabled_reason,
            failing_since: row.failing_since.map(|at| at.and_utc()),
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
            version: row.version,
        }
    }
}

/// Every endpoint.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookList {
    pub data: Vec<Webhook>,
}

/// An endpoint with its signing secret: shown when it is made and when it
/// is rotated, never after.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookWithSecret {
    #[serde(flatten)]
    pub webhook: Webhook,
    /// The Standard Webhooks secret (`whsec_` + base64 of the key) that
    /// signs deliveries. Keep it now.
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
    pub secret: String,
    /// After a rotation: until when the previous secret still signs
    /// deliveries too (both signatures are sent).
    pub previous_secret_valid_until: Option<DateTime<Utc>>,
}

impl WebhookWithSecret {
    pub fn new(row: WebhookRow) -> Self {
        Self {
            secret: row.secret.clone(),
            previous_secret_valid_until: row.previous_secret_until.map(|at| at.and_utc()),
            webhook: Webhook::from(row),
        }
    }
}

/// One delivery: a message to an endpoint, and its attempts.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 311,
    "message_id": "evt_1042",
    "event_type": "publication.published",
    "event_seq": 1042,
    "status": "pending",
    "attempts": 2,
    "last_attempt_at": "2026-12-01T10:12:35Z",
    "last_status": 503,
    "last_response": "Service Unavailable",
    "last_error": "answered 503",
    "next_attempt_at": "2026-12-01T10:14:35Z",
    "created_at": "2026-12-01T10:12:00Z",
    "delivered_at": null
}))]
pub struct Delivery {
    pub id: i64,
    /// The `webhook-id` header: the same for every attempt.
    pub message_id: String,
    pub event_type: String,
    /// The event's `seq` (none for a ping).
    pub event_seq: Option<i64>,
    /// `pending` (to be tried, or tried again), `delivered` or `failed`
    /// (given up after about three days).
    #[schema(example = "delivered")]
    pub status: String,
    pub attempts: i32,
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// The receiver's last answer status.
    pub last_status: Option<i32>,
    /// The start of its last answer (1 KiB at most).
    pub last_response: Option<String>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

fn utc(at: Option<NaiveDateTime>) -> Option<DateTime<Utc>> {
    at.map(|at| at.and_utc())
}

impl From<DeliveryRow> for Delivery {
    fn from(row: DeliveryRow) -> Self {
        let pending = row.status == "pending";
        Self {
            id: row.id,
            message_id: row.message_id,
            event_type: row.event_type,
            event_seq: row.event_seq,
            status: row.status,
            attempts: row.attempts,
            last_attempt_at: utc(row.last_attempt_at),
            last_status: row.last_status,
            last_response: row.last_response,
            last_error: row.last_error,
            next_attempt_at: if pending { utc(row.next_attempt_at) } else { None },
            created_at: row.created_at.and_utc(),
            delivered_at: utc(row.delivered_at),
        }
    }
}

/// What an endpoint receives: the Standard Webhooks body.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "publication.published",
    "timestamp": "2026-12-01T10:12:00.000000Z",
    "data": {
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
    }
}))]
pub struct WebhookPayload {
    /// The event's type (`webhook.ping` for a ping).
    #[serde(rename = "type")]
    pub kind: String,
    /// When the event happened (RFC 3339, UTC).
    pub timestamp: DateTime<Utc>,
    /// The event, as the change feed shows it to this endpoint's view.
    pub data: crate::events::dto::Event,
}

/// One page of an endpoint's deliveries, newest first.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Page_Delivery)]
pub struct DeliveryPage {
    pub data: Vec<Delivery>,
    pub pagination: Pagination,
}

/// What a client sends to make or change an endpoint.
pub struct WebhookInput;

impl PartialSchema for WebhookInput {
    fn schema() -> RefOr<Schema> {
        schema_from_json(json!({
            "type": "object",
            "description": "An endpoint. Only `url` is required to make one; a merge patch (`PATCH`) sends what changes. Unknown members are refused.",
            "required": ["url"],
            "properties": {
                "url": {"type": "string", "format": "uri", "maxLength": 2000,
                    "description": "An http or https URL. Loopback, private and link-local addresses are refused (unless the server allows them)."},
                "description": {"type": "string", "maxLength": 500, "default": ""},
                "events": {"type": "array", "maxItems": 50, "default": ["*"],
                    "items": {"type": "string", "pattern": "^(\\*|[a-z]{1,40}\\.([a-z]{1,40}|\\*))$"},
                    "description": "Event types (`publication.published`), families (`publication.*`) or `*`."},
                "include_drafts": {"type": "boolean", "default": false,
                    "description": "Deliver what only tokens see (drafts, scheduled publications) too."},
                "enabled": {"type": "boolean", "default": true}
            },
            "additionalProperties": false,
            "examples": [{"url": "https://portail.example.org/hooks/parution", "events": ["publication.*"]}]
        }))
    }
}

impl ToSchema for WebhookInput {}

impl WebhookInput {
    /// The values of a whole endpoint sent as JSON.
    pub fn values(object: Map<String, Value>, allow_private: bool) -> Result<WebhookValues, ApiError> {
        let mut fields = Fields::new(object);
        fields.refuse_nulls(&["url", "events", "include_drafts", "enabled"]);
        let url = fields.raw_text("url");
        let url = match url {
            None => {
                if !fields.has_error("url") {
                    fields.error("url", "required", "is required");
                }
                String::new()
            }
            Some(url) => {
                if let Some(refusal) = target::refusal(&url, allow_private) {
                    fields.error("url", "invalid_url", refusal);
                }
                url
            }
        };
        let description = fields.optional_text("description", 500, true).unwrap_or_default();
        let events = if fields.has("events") {
            let events = fields.texts("events", MAX_EVENT_TYPES, 81);
            for (index, pattern) in events.iter().enumerate() {
                if !is_type_pattern(pattern) {
                    fields.error(
                        format!("events[{index}]"),
                        "invalid_event_type",
                        "must be an event type (publication.published), a family (publication.*) or *",
                    );
                }
            }
            if events.is_empty() && !fields.has_error("events") {
                fields.error("events", "empty", "must list at least one type (or *)");
            }
            events
        } else {
            vec!["*".to_owned()]
        };
        let include_drafts = fields.boolean("include_drafts").unwrap_or(false);
        let enabled = fields.boolean("enabled").unwrap_or(true);
        fields.finish()?;
        Ok(WebhookValues { url, description, events, include_drafts, enabled })
    }

    /// The values of `current` as a JSON object, for a merge patch.
    pub fn current(current: &WebhookRow) -> Map<String, Value> {
        let mut object = Map::new();
        object.insert("url".into(), Value::from(current.url.clone()));
        object.insert("description".into(), Value::from(current.description.clone()));
        object.insert("events".into(), Value::from(current.event_types()));
        object.insert("include_drafts".into(), Value::from(current.include_drafts));
        object.insert("enabled".into(), Value::from(current.enabled));
        object
    }
}
