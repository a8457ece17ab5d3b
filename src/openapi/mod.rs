//! The OpenAPI document: its general information here, its paths and schemas
//! collected from the handlers' `#[utoipa::path]` attributes as the routes
//! are registered, so no route can exist undocumented.

pub mod schema;

use actix_web::App;
use utoipa::openapi::header::{Header, HeaderBuilder};
use utoipa::openapi::schema::{Object, Ref, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{RefOr, Response};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;

use self::schema::schema_from_json;

use crate::error::{
    BadRequest, Conflict, CursorGone, ErrorCode, FieldError, Forbidden, Gone, HeadersTooLarge, Moved, NotFound,
    NotModified, PayloadTooLarge, PreconditionFailed, Problem, RangeNotSatisfiable, TooManyRequests, Unauthorized,
    Unavailable, UnsupportedMediaType, UriTooLong, ValidationFailed,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Parution",
        description = include_str!("description.md"),
        license(name = "MIT", identifier = "MIT"),
        contact(name = "Parution", url = "https://github.com/parution/parution"),
    ),
    servers((url = "http://127.0.0.1:8080", description = "A server started by `parution serve` with its defaults")),
    tags(
        (name = "publications", description = "Studies, reports and articles, with their categories."),
        (name = "categories", description = "The tree of categories that publications are filed under."),
        (name = "links", description = "The related links of a publication."),
        (name = "attachments", description = "The files of a publication (reports, annexes, data, covers), stored by the server and downloaded with the publication's visibility."),
        (name = "feeds", description = "The newest publications for feed readers: Atom 1.0 and JSON Feed 1.1."),
        (name = "schedule", description = "The release calendar: coming publications that editors chose to announce, in JSON and iCalendar."),
        (name = "revisions", description = "The history of each publication: who changed what and when, what differs from now, and restoring a revision whole."),
        (name = "trash", description = "Deleted publications, kept for `PARUTION_TRASH_DAYS` days: putting one back, or purging it."),
        (name = "tokens", description = "API tokens and their scopes, managed by an `admin` token."),
        (name = "changes", description = "The change feed: every change a reader could see, in commit order, to mirror the catalogue from nothing and follow it live."),
        (name = "webhooks", description = "Endpoints that receive the change feed's events, signed as the Standard Webhooks specification says, with retries for about three days; managed by an `admin` token."),
        (name = "operations", description = "Probes for orchestrators and load balancers."),
    ),
    components(
        schemas(Problem, FieldError, ErrorCode, crate::webhooks::dto::WebhookPayload),
        responses(
            Moved,
            NotModified,
            UriTooLong,
            HeadersTooLarge,
            TooManyRequests,
            BadRequest,
            Unauthorized,
            NotFound,
            Gone,
            CursorGone,
            Conflict,
            Forbidden,
            PreconditionFailed,
            PayloadTooLarge,
            UnsupportedMediaType,
            RangeNotSatisfiable,
            ValidationFailed,
            Unavailable
        )
    ),
    modifiers(&BearerToken),
)]
struct ApiDoc;

/// The `bearer` security scheme: tokens made by `parution token create`.
struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, document: &mut utoipa::openapi::OpenApi) {
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .description(Some(
                "An API token, made by `parution token create --name NAME --scope SCOPE` or `POST /api/v1/tokens`. \
                 Its scope is `read` (drafts, scheduled items, revisions, the trash), `write` (content writes and \
                 restores, and `read`) or `admin` (tokens and purges, and `write`). Each operation's \
                 `x-required-scope` and description name the narrowest scope it needs (`none`: open to all); a \
                 token of a narrower one is a 403 `INSUFFICIENT_SCOPE`.",
            ))
            .build();
        document.components.get_or_insert_default().add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// What the HTTP layer adds to every operation, stated once here rather
/// than on every handler: `X-Request-Id` on every answer; on reads, the
/// validators, `Cache-Control` and the `304`; on paths with a `{ref}`, the
/// redirect of a former slug.
struct HttpBehaviour;

impl HttpBehaviour {
    fn header(description: &str) -> RefOr<Header> {
        RefOr::T(
            HeaderBuilder::new().schema(Some(Object::with_type(Type::String))).description(Some(description)).build(),
        )
    }

    fn add_headers(response: &mut RefOr<Response>, read: bool) {
        let RefOr::T(response) = response else { return };
        let headers = &mut response.headers;
        headers.insert("X-Request-Id".into(), Self::header(REQUEST_ID));
        if read {
            headers.insert("ETag".into(), Self::header(ETAG));
            headers.insert(
                "Last-Modified".into(),
                Self::header("When the catalogue last changed, for `If-Modified-Since`."),
            );
            headers.insert("Cache-Control".into(), Self::header(CACHE_CONTROL));
        }
    }
}

const REQUEST_ID: &str = "The request's id: the `X-Request-Id` sent (1 to 128 visible ASCII characters), or one made by the server. It is in the access log.";
const ETAG: &str = "A strong entity tag of this representation, for `If-None-Match`; a single resource's starts with its `version` (`\"3-…\"`), which is what `If-Match` compares.";
const CACHE_CONTROL: &str = "`public, max-age=N` for anonymous reads (`PARUTION_CACHE_MAX_AGE`, 60 s by default), `private, no-store` with a token.";

impl Modify for HttpBehaviour {
    fn modify(&self, document: &mut utoipa::openapi::OpenApi) {
        let reference = |name: &str| RefOr::Ref(Ref::from_response_name(name));
        for (path, item) in document.paths.paths.iter_mut() {
            let has_ref = path.contains("{ref}");
            // The change feed answers each request afresh: no validators.
            let fresh = path == "/api/v1/changes";
            // A file states its own validators (its hash) and lifetime.
            let file = path.starts_with("/api/v1/files/");
            if let Some(get) = item.get.as_mut().filter(|_| !fresh) {
                get.responses.responses.entry("304".into()).or_insert_with(|| reference("NotModified"));
                if has_ref {
                    get.responses.responses.entry("301".into()).or_insert_with(|| reference("Moved"));
                }
            }
            let every =
                [item.get.as_mut(), item.put.as_mut(), item.patch.as_mut(), item.post.as_mut(), item.delete.as_mut()];
            for operation in every.into_iter().flatten() {
                operation.responses.responses.entry("414".into()).or_insert_with(|| reference("UriTooLong"));
                operation.responses.responses.entry("431".into()).or_insert_with(|| reference("HeadersTooLarge"));
                if !matches!(path.as_str(), "/health" | "/ready") {
                    operation.responses.responses.entry("429".into()).or_insert_with(|| reference("TooManyRequests"));
                }
            }
            let writes = [item.put.as_mut(), item.patch.as_mut(), item.post.as_mut(), item.delete.as_mut()];
            for write in writes.into_iter().flatten() {
                if has_ref {
                    write.responses.responses.entry("308".into()).or_insert_with(|| reference("Moved"));
                }
                for response in write.responses.responses.values_mut() {
                    Self::add_headers(response, false);
                }
            }
            if let Some(get) = item.get.as_mut() {
                for (status, response) in get.responses.responses.iter_mut() {
                    Self::add_headers(response, status == "200" && !fresh && !file);
                }
            }
        }
        if let Some(components) = document.components.as_mut() {
            for response in components.responses.values_mut() {
                Self::add_headers(response, false);
            }
        }
    }
}

/// The scope each operation needs, where every client and reader sees it.
/// The handlers name it in their security requirement (`"bearer" =
/// ["write"]`), which OpenAPI reserves for OAuth 2 and OpenID Connect
/// schemes; here it moves to an `x-required-scope` extension and a
/// sentence of the operation's description, and the requirement is left
/// as a plain bearer one. Operations that any reader may call but that
/// show more to a token holder say so.
struct Scopes;

impl Modify for Scopes {
    fn modify(&self, document: &mut utoipa::openapi::OpenApi) {
        for item in document.paths.paths.values_mut() {
            let operations =
                [item.get.as_mut(), item.put.as_mut(), item.post.as_mut(), item.patch.as_mut(), item.delete.as_mut()];
            for operation in operations.into_iter().flatten() {
                let Some(requirements) = operation.security.take() else { continue };
                let named = serde_json::to_value(&requirements).unwrap_or_default();
                let named = named.as_array().cloned().unwrap_or_default();
                let optional = named.iter().any(|requirement| requirement.as_object().is_some_and(|r| r.is_empty()));
                let scope = named
                    .iter()
                    .filter_map(|requirement| {
                        requirement.get("bearer")?.as_array()?.first()?.as_str().map(str::to_owned)
                    })
                    .next();
                operation.security = Some(
                    named
                        .iter()
                        .map(|requirement| match requirement.get("bearer") {
                            Some(_) => SecurityRequirement::new("bearer", Vec::<String>::new()),
                            None => SecurityRequirement::default(),
                        })
                        .collect(),
                );
                let Some(scope) = scope else {
                    let none = serde_json::Value::String("none".into());
                    operation.extensions.get_or_insert_default().insert("x-required-scope".into(), none);
                    continue;
                };
                let sentence = if optional {
                    format!(
                        "Open to all; with a token (any scope: `{scope}` at least), drafts, scheduled and expired publications too."
                    )
                } else {
                    format!("Needs a token of scope `{scope}` (or wider).")
                };
                let description = operation.description.get_or_insert_default();
                if !description.is_empty() {
                    description.push_str("\n\n");
                }
                description.push_str(&sentence);
                let required = if optional { "none".to_owned() } else { scope };
                operation
                    .extensions
                    .get_or_insert_default()
                    .insert("x-required-scope".into(), serde_json::Value::String(required));
            }
        }
    }
}

/// The shapes of parameters that mean the same everywhere, from the
/// patterns the server checks them with.
struct ParameterShapes;

impl ParameterShapes {
    fn shape(name: &str) -> Option<serde_json::Value> {
        use crate::domain::patterns::{ENTITY_TAGS, LANGUAGE, REFERENCE, SLUG};
        use serde_json::json;
        let instant =
            json!({"anyOf": [{"type": "string", "format": "date-time"}, {"type": "string", "format": "date"}]});
        Some(match name {
            "ref" => json!({"type": "string", "minLength": 1, "maxLength": 200, "pattern": REFERENCE}),
            "link_id" | "id" | "number" => {
                json!({"type": "integer", "format": "int32", "minimum": 1, "maximum": i32::MAX})
            }
            "slug" => json!({"type": "string", "minLength": 1, "maxLength": 200, "pattern": SLUG}),
            "If-Match" => json!({"type": "string", "pattern": ENTITY_TAGS}),
            "cursor" => json!({"type": "string", "minLength": 1, "maxLength": 1000}),
            "page" => {
                json!({"type": "integer", "format": "int64", "minimum": 1, "maximum": crate::pagination::MAX_PAGE})
            }
            "q" => json!({"type": "string", "minLength": 1, "maxLength": crate::search::MAX_QUERY_LENGTH}),
            "category" => json!({
                "type": "array",
                "maxItems": crate::publications::list_query::MAX_CATEGORIES,
                "items": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": REFERENCE}
            }),
            "language" => json!({"type": "string", "maxLength": 35, "pattern": LANGUAGE}),
            "sort" => json!({
                "type": "string",
                "enum": ["-published_at", "published_at", "title", "-title", "-updated_at", "updated_at", "relevance"]
            }),
            "facets" => json!({
                "type": "string",
                "pattern": "^(category|year|language)(,(category|year|language))*$"
            }),
            "published_after" | "published_before" | "updated_after" | "after" | "before" => instant,
            _ => return None,
        })
    }
}

impl Modify for ParameterShapes {
    fn modify(&self, document: &mut utoipa::openapi::OpenApi) {
        for item in document.paths.paths.values_mut() {
            let operations =
                [item.get.as_mut(), item.put.as_mut(), item.post.as_mut(), item.patch.as_mut(), item.delete.as_mut()];
            for operation in operations.into_iter().flatten() {
                for parameter in operation.parameters.iter_mut().flatten() {
                    if let RefOr::T(parameter) = parameter
                        && let Some(shape) = Self::shape(&parameter.name)
                    {
                        parameter.schema = Some(schema_from_json(shape));
                    }
                }
            }
        }
    }
}

/// The deliveries an endpoint receives (OpenAPI 3.1 `webhooks`): what a
/// partner implements, and checks the signature of.
struct Webhooks;

impl Modify for Webhooks {
    fn modify(&self, document: &mut utoipa::openapi::OpenApi) {
        use serde_json::json;
        let header = |name: &str, description: &str, example: &str| {
            json!({"name": name, "in": "header", "required": true, "description": description,
                "schema": {"type": "string"}, "example": example})
        };
        let item = json!({
            "post": {
                "operationId": "receive_event",
                "tags": ["webhooks"],
                "summary": "An event, delivered",
                "security": [],
                "description": "Each event an endpoint's `events` select, as its view shows it (public events, or with `include_drafts` everything), `POST`ed to its `url` once it is committed: `{type, timestamp, data}`, `data` being the change feed's event. Check the signature (any Standard Webhooks library does: `new Webhook(secret).verify(body, headers)`), drop a `webhook-id` you already have (delivery is at least once, in no guaranteed order), and answer 2xx within 15 seconds. Any other answer, a redirect or a timeout is retried with backoff for about three days (`Retry-After` is honoured); a `410` disables the endpoint. A `webhook.ping` (`data: {webhook_id}`) is sent by `POST /api/v1/webhooks/{id}/ping`.",
                "parameters": [
                    header("webhook-id", "The message's id, the same on every attempt: `evt_<seq>` (or `ping_…`). Your key to drop duplicates.", "evt_1042"),
                    header("webhook-timestamp", "When this attempt was signed, in seconds since 1970 (UTC). Refuse one too far from your clock.", "1796214110"),
                    header("webhook-signature", "`v1,` + base64 of HMAC-SHA256, keyed with the base64-decoded secret after `whsec_`, of `{webhook-id}.{webhook-timestamp}.{body}`; during the 24 hours after a rotation, one per secret, separated by spaces.", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
                ],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/WebhookPayload"}}}},
                "responses": {
                    "2XX": {"description": "Received: the delivery is done."},
                    "410": {"description": "Gone: the endpoint is disabled and receives nothing more."},
                    "default": {"description": "Anything else (or no answer in 15 seconds): tried again later."}
                }
            }
        });
        match serde_json::from_value::<utoipa::openapi::path::PathItem>(item) {
            Ok(item) => {
                let mut webhooks = utoipa::openapi::path::Paths::new();
                webhooks.paths.insert("event".into(), item);
                document.webhooks = Some(webhooks);
            }
            Err(error) => log::error!("the webhooks of the OpenAPI document cannot be made: {error}"),
        }
    }
}

/// The whole document, as served at `/openapi.json`.
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, mut document) =
        App::new().into_utoipa_app().openapi(ApiDoc::openapi()).configure(crate::routes::configure).split_for_parts();
    // After the routes: these apply to their operations.
    HttpBehaviour.modify(&mut document);
    ParameterShapes.modify(&mut document);
    Scopes.modify(&mut document);
    Webhooks.modify(&mut document);
    document
}

/// The document as committed in `openapi/openapi.json`.
pub fn to_pretty_json(document: &utoipa::openapi::OpenApi) -> String {
    let mut json = document.to_pretty_json().expect("the OpenAPI document serialises to JSON");
    json.push('\n');
    json
}
