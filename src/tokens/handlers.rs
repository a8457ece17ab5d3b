//! Managing tokens over HTTP, with an `admin` token: list them, make one
//! (its secret is in the answer once, and nowhere after), revoke one.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, delete, get, post, web};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;
use serde_json::json;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;
use utoipa::{PartialSchema, ToSchema};

use crate::auth::{Access, Admin};
use crate::body::JsonObject;
use crate::config::parse_duration;
use crate::db::{self, Pool};
use crate::error::{ApiError, BadRequest, BodyErrors, Conflict, Forbidden, NotFound, Unauthorized, Unavailable};
use crate::http::represented::Represented;
use crate::openapi::schema::schema_from_json;
use crate::query::NoQuery;
use crate::validation::Fields;

use super::{Scope, TokenRow};

/// A token, without its secret.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 3,
    "name": "portail-partenaire",
    "scope": "read",
    "status": "active",
    "created_at": "2026-12-01T09:00:00Z",
    "last_used_at": null,
    "expires_at": "2027-03-01T09:00:00Z",
    "revoked_at": null
}))]
pub struct TokenInfo {
    pub id: i32,
    /// Who or what uses it; unique.
    pub name: String,
    pub scope: Scope,
    /// `active`, `expired` or `revoked`.
    #[schema(example = "active")]
    pub status: &'static str,
    pub created_at: DateTime<Utc>,
    /// To the minute.
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl TokenInfo {
    fn new(row: TokenRow, now: NaiveDateTime) -> Self {
        let status = match (row.revoked_at, row.expires_at) {
            (Some(_), _) => "revoked",
            (None, Some(expires_at)) if expires_at <= now => "expired",
            _ => "active",
        };
        Self {
            id: row.id,
            name: row.name,
            scope: Scope::from_stored(&row.scope),
            status,
            created_at: row.created_at.and_utc(),
            last_used_at: row.last_used_at.map(|at| at.and_utc()),
            expires_at: row.expires_at.map(|at| at.and_utc()),
            revoked_at: row.revoked_at.map(|at| at.and_utc()),
        }
    }
}

/// Every token.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenList {
    pub data: Vec<TokenInfo>,
}

/// A token just made, with its secret: the only time it is shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedToken {
    #[serde(flatten)]
    pub info: TokenInfo,
    /// The secret to send as `Authorization: Bearer <token>`. Keep it now:
    /// only its hash is stored.
    #[schema(example = "prt_0123456789abcdef_…")]
    pub token: String,
}

/// What a client sends to make a token.
#[derive(Debug)]
pub struct TokenInput {
    name: String,
    scope: Scope,
    expires_at: Option<NaiveDateTime>,
}

impl PartialSchema for TokenInput {
    fn schema() -> RefOr<Schema> {
        schema_from_json(json!({
            "type": "object",
            "description": "A token to make. Only `name` is required. Unknown members are refused.",
            "required": ["name"],
            "properties": {
                "name": {"type": "string", "minLength": 1, "maxLength": 100, "description": "Who or what uses it; unique."},
                "scope": {"type": "string", "enum": ["read", "write", "admin"], "default": "write",
                    "description": "`read`: drafts, scheduled items, revisions, the trash; `write`: content writes and restores (and `read`); `admin`: tokens and purges (and `write`)."},
                "expires_in": {"type": "string", "pattern": "^[0-9]+[dhm]$", "examples": ["90d"],
                    "description": "How long it is valid: days (`90d`), hours (`12h`) or minutes (`30m`). Absent: until revoked."}
            },
            "additionalProperties": false,
            "examples": [{"name": "portail-partenaire", "scope": "read", "expires_in": "90d"}]
        }))
    }
}

impl ToSchema for TokenInput {}

impl TokenInput {
    fn from_json(object: serde_json::Map<String, serde_json::Value>, now: NaiveDateTime) -> Result<Self, ApiError> {
        let mut fields = Fields::new(object);
        fields.refuse_nulls(&["name", "scope"]);
        let name = fields.required_text("name", 100, true);
        let scope = fields
            .choice("scope", &[("read", Scope::Read), ("write", Scope::Write), ("admin", Scope::Admin)])
            .unwrap_or(Scope::Write);
        let expires_at = match fields.raw_text("expires_in") {
            None => None,
            Some(text) => match parse_duration(&text) {
                Ok(duration) => Some(now + duration),
                Err(message) => {
                    fields.error("expires_in", "invalid_duration", message);
                    None
                }
            },
        };
        fields.finish()?;
        Ok(Self { name, scope, expires_at })
    }
}

/// List tokens
///
/// Every token, active, expired or revoked, oldest first; never a secret.
#[utoipa::path(
    tag = "tokens",
    security(("bearer" = ["admin"])),
    responses(
        (status = 200, description = "Every token.", body = TokenList),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 503, response = Unavailable),
    )
)]
#[get("/tokens")]
pub async fn list_tokens(pool: web::Data<Pool>, _: Admin, _: NoQuery) -> Result<Represented, ApiError> {
    let rows = db::run(&pool, |connection| Ok(super::list(connection)?)).await?;
    let now = db::now();
    let data = rows.into_iter().map(|row| TokenInfo::new(row, now)).collect();
    Represented::json(&TokenList { data }, Access::Editor)
}

/// Get a token
#[utoipa::path(
    tag = "tokens",
    params(("id" = i32, Path, description = "The token's id.")),
    security(("bearer" = ["admin"])),
    responses(
        (status = 200, description = "The token, without its secret.", body = TokenInfo),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    )
)]
#[get("/tokens/{id}")]
pub async fn get_token(
    pool: web::Data<Pool>,
    _: Admin,
    id: web::Path<String>,
    _: NoQuery,
) -> Result<Represented, ApiError> {
    let id = crate::domain::Reference::id_or_not_found(&id, "token")?;
    let row = db::run(&pool, move |connection| Ok(super::find(connection, id)?)).await?;
    let row = row.ok_or_else(|| ApiError::NotFound(format!("no token has the id {id}")))?;
    Represented::json(&TokenInfo::new(row, db::now()), Access::Editor)
}

/// Create a token
///
/// The answer holds the token's secret, this once: only its hash is kept.
#[utoipa::path(
    tag = "tokens",
    request_body(content = TokenInput, content_type = "application/json"),
    security(("bearer" = ["admin"])),
    responses(
        BodyErrors,
        (status = 201, description = "The token, with its secret.", body = CreatedToken,
            headers(("Location" = String, description = "The token's URL."))),
        (status = 409, response = Conflict),
    )
)]
#[post("/tokens")]
pub async fn create_token(
    pool: web::Data<Pool>,
    _: Admin,
    body: JsonObject,
    _: NoQuery,
) -> Result<Represented, ApiError> {
    let now = db::now();
    let input = TokenInput::from_json(body.0, now)?;
    let created = db::run(&pool, move |connection| {
        super::create(connection, &input.name, input.scope, input.expires_at)?
            .ok_or_else(|| ApiError::Conflict(format!("a token named '{}' exists already", input.name)))
    })
    .await?;
    let (row, token) = created;
    let id = row.id;
    let body = CreatedToken { info: TokenInfo::new(row, now), token };
    Ok(Represented::json(&body, Access::Editor)?
        .with_status(StatusCode::CREATED)
        .with_header(header::LOCATION, format!("/api/v1/tokens/{id}")))
}

/// Revoke a token
///
/// The token stops working at once; it stays listed as revoked. Revoking
/// a revoked token changes nothing.
#[utoipa::path(
    tag = "tokens",
    params(("id" = i32, Path, description = "The token's id.")),
    security(("bearer" = ["admin"])),
    responses(
        (status = 204, description = "The token is revoked."),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    )
)]
#[delete("/tokens/{id}")]
pub async fn revoke_token(
    pool: web::Data<Pool>,
    _: Admin,
    id: web::Path<String>,
    _: NoQuery,
) -> Result<HttpResponse, ApiError> {
    let id = crate::domain::Reference::id_or_not_found(&id, "token")?;
    let revoked = db::run(&pool, move |connection| Ok(super::revoke_id(connection, id)?)).await?;
    revoked.ok_or_else(|| ApiError::NotFound(format!("no token has the id {id}")))?;
    Ok(HttpResponse::NoContent().finish())
}
