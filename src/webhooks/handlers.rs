//! Managing webhooks over HTTP, with an `admin` token: endpoints, their
//! secrets, their delivery log, and the means to test them (a ping, a
//! delivery made again).

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};

use crate::auth::{Access, Admin};
use crate::body::{JsonObject, MergePatch};
use crate::config::WebhookSettings;
use crate::db::{self, Pool};
use crate::domain::Reference;
use crate::error::{
    ApiError, BadRequest, BodyErrors, Forbidden, NotFound, PreconditionFailed, Unauthorized, Unavailable,
};
use crate::http::represented::Represented;
use crate::pagination::{self, PageRequest, Pagination};
use crate::preconditions::IfMatch;
use crate::query::{NoQuery, QueryParams};

use super::dto::{Delivery, DeliveryPage, Webhook, WebhookInput, WebhookList, WebhookWithSecret};
use super::store::{self, WebhookRow};

fn webhook_id(raw: &str) -> Result<i32, ApiError> {
    Reference::id_or_not_found(raw, "webhook")
}

fn no_such(id: i32) -> ApiError {
    ApiError::NotFound(format!("no webhook has the id {id}"))
}

fn found(row: Option<WebhookRow>, id: i32) -> Result<WebhookRow, ApiError> {
    row.ok_or_else(|| no_such(id))
}

fn stale() -> ApiError {
    ApiError::PreconditionFailed("the webhook changed while this request was applied; fetch it again".into())
}

fn represented(row: WebhookRow) -> Result<Represented, ApiError> {
    let version = row.version;
    Ok(Represented::json(&Webhook::from(row), Access::Editor)?.at_version(version))
}

/// List webhooks
///
/// Every endpoint, oldest first, with its status; never a secret.
#[utoipa::path(
    tag = "webhooks",
    security(("bearer" = ["admin"])),
    responses(
        (status = 200, description = "Every endpoint.", body = WebhookList),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 503, response = Unavailable),
    )
)]
#[get("/webhooks")]
pub async fn list_webhooks(pool: web::Data<Pool>, _: Admin, _: NoQuery) -> Result<Represented, ApiError> {
    let rows = db::run(&pool, |connection| Ok(store::list(connection)?)).await?;
    Represented::json(&WebhookList { data: rows.into_iter().map(Webhook::from).collect() }, Access::Editor)
}

/// Register a webhook
///
/// The endpoint receives every event after this instant that its `events`
/// select, as an anonymous reader of the change feed sees them (with
/// `include_drafts`, as a token holder does), each one `POST`ed as
/// `{type, timestamp, data}` and signed as the Standard Webhooks
/// specification says (`webhook-id`, `webhook-timestamp`,
/// `webhook-signature`). The answer holds its secret, this once.
#[utoipa::path(
    tag = "webhooks",
    request_body(content = WebhookInput, content_type = "application/json"),
    security(("bearer" = ["admin"])),
    responses(
        BodyErrors,
        (status = 201, description = "The endpoint, with its secret.", body = WebhookWithSecret,
            headers(("Location" = String, description = "The endpoint's URL."))),
    )
)]
#[post("/webhooks")]
pub async fn create_webhook(
    pool: web::Data<Pool>,
    settings: web::Data<WebhookSettings>,
    _: Admin,
    body: JsonObject,
    _: NoQuery,
) -> Result<Represented, ApiError> {
    let values = WebhookInput::values(body.0, settings.allow_private)?;
    let row = db::write(&pool, move |connection| Ok(store::create(connection, &values, db::now())?)).await?;
    let (id, version) = (row.id, row.version);
    Ok(Represented::json(&WebhookWithSecret::new(row), Access::Editor)?
        .at_version(version)
        .with_status(StatusCode::CREATED)
        .with_header(header::LOCATION, format!("/api/v1/webhooks/{id}")))
}

/// Get a webhook
#[utoipa::path(
    tag = "webhooks",
    params(("id" = i32, Path, description = "The endpoint's id.")),
    security(("bearer" = ["admin"])),
    responses(
        (status = 200, description = "The endpoint, without its secret.", body = Webhook,
            headers(("ETag" = String, description = "Its version, for `If-Match`."))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    )
)]
#[get("/webhooks/{id}")]
pub async fn get_webhook(
    pool: web::Data<Pool>,
    _: Admin,
    id: web::Path<String>,
    _: NoQuery,
) -> Result<Represented, ApiError> {
    let id = webhook_id(&id)?;
    let row = db::run(&pool, move |connection| Ok(store::find(connection, id)?)).await?;
    represented(found(row, id)?)
}

/// Change a webhook
///
/// A JSON Merge Patch (RFC 7396) of `url`, `description`, `events`,
/// `include_drafts` or `enabled`. Enabling a disabled endpoint tries its
/// pending deliveries again at once.
#[utoipa::path(
    tag = "webhooks",
    params(
        ("id" = i32, Path, description = "The endpoint's id."),
        ("If-Match" = Option<String>, Header, description = "The ETag last read: the change is refused (412) if it is stale."),
    ),
    request_body(content = WebhookInput, content_type = "application/merge-patch+json"),
    security(("bearer" = ["admin"])),
    responses(
        BodyErrors,
        (status = 200, description = "The endpoint as changed.", body = Webhook),
        (status = 404, response = NotFound),
        (status = 412, response = PreconditionFailed),
    )
)]
#[patch("/webhooks/{id}")]
pub async fn update_webhook(
    pool: web::Data<Pool>,
    settings: web::Data<WebhookSettings>,
    _: Admin,
    id: web::Path<String>,
    if_match: IfMatch,
    body: MergePatch,
    _: NoQuery,
) -> Result<Represented, ApiError> {
    let id = webhook_id(&id)?;
    let allow_private = settings.allow_private;
    let row = db::run(&pool, move |connection| {
        db::side_transaction(connection, |connection| {
            store::lock(connection)?;
            let current = found(store::find(connection, id)?, id)?;
            if_match.check(current.version)?;
            let mut object = WebhookInput::current(&current);
            body.apply_to(&mut object);
            let values = WebhookInput::values(object, allow_private)?;
            if !store::update(connection, &current, &values, db::now())? {
                return Err(stale());
            }
            found(store::find(connection, id)?, id)
        })
    })
    .await?;
    represented(row)
}

/// Delete a webhook
///
/// The endpoint receives nothing more; its delivery log goes with it.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = i32, Path, description = "The endpoint's id.")),
    security(("bearer" = ["admin"])),
    responses(
        (status = 204, description = "The endpoint is deleted."),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 412, response = PreconditionFailed),
        (status = 503, response = Unavailable),
    )
)]
#[delete("/webhooks/{id}")]
pub async fn delete_webhook(
    pool: web::Data<Pool>,
    _: Admin,
    id: web::Path<String>,
    if_match: IfMatch,
    _: NoQuery,
) -> Result<HttpResponse, ApiError> {
    let id = webhook_id(&id)?;
    db::run(&pool, move |connection| {
        db::side_transaction(connection, |connection| {
            store::lock(connection)?;
            let current = found(store::find(connection, id)?, id)?;
            if_match.check(current.version)?;
            store::delete(connection, id)?;
            Ok(())
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Rotate a webhook's secret
///
/// A new secret signs deliveries from now on; the previous one goes on
/// signing them too for 24 hours (`webhook-signature` then carries both),
/// so the receiver can switch without losing a message. The answer holds
/// the new secret, this once.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = i32, Path, description = "The endpoint's id.")),
    security(("bearer" = ["admin"])),
    responses(
        (status = 200, description = "The endpoint, with its new secret.", body = WebhookWithSecret),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    )
)]
#[post("/webhooks/{id}/rotate-secret")]
pub async fn rotate_secret(
    pool: web::Data<Pool>,
    _: Admin,
    id: web::Path<String>,
    _: NoQuery,
) -> Result<Represented, ApiError> {
    let id = webhook_id(&id)?;
    let row = db::run(&pool, move |connection| {
        db::side_transaction(connection, |connection| {
            store::lock(connection)?;
            let current = found(store::find(connection, id)?, id)?;
            Ok(store::rotate(connection, &current, db::now())?)
        })
    })
    .await?;
    let version = row.version;
    Ok(Represented::json(&WebhookWithSecret::new(row), Access::Editor)?.at_version(version))
}

/// Ping a webhook
///
/// Sends a `webhook.ping` message (`data: {webhook_id}`), signed like any
/// delivery, now: to check a receiver. Its outcome is in the delivery log.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = i32, Path, description = "The endpoint's id.")),
    security(("bearer" = ["admin"])),
    responses(
        (status = 202, description = "The ping's delivery, to be attempted at once.", body = Delivery),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    )
)]
#[post("/webhooks/{id}/ping")]
pub async fn ping_webhook(
    pool: web::Data<Pool>,
    _: Admin,
    id: web::Path<String>,
    _: NoQuery,
) -> Result<Represented, ApiError> {
    let id = webhook_id(&id)?;
    let delivery = db::run(&pool, move |connection| {
        db::side_transaction(connection, |connection| {
            store::lock(connection)?;
            found(store::find(connection, id)?, id)?;
            Ok(store::ping(connection, id, db::now())?)
        })
    })
    .await?;
    db::commits::committed();
    Ok(Represented::json(&Delivery::from(delivery), Access::Editor)?.with_status(StatusCode::ACCEPTED))
}

/// List a webhook's deliveries
///
/// Newest first: each message, its status (`pending`, `delivered`,
/// `failed`), its attempts, the receiver's last status and the start of
/// its answer, and when it is tried next. Kept as long as events are.
#[utoipa::path(
    tag = "webhooks",
    params(
        ("id" = i32, Path, description = "The endpoint's id."),
        ("page" = Option<i64>, Query, description = "The page to return, from 1.", minimum = 1, maximum = 1000000),
        ("per_page" = Option<i64>, Query, description = "How many deliveries a page holds.", minimum = 1, maximum = 100),
    ),
    security(("bearer" = ["admin"])),
    responses(
        (status = 200, description = "One page of deliveries.", body = DeliveryPage,
            headers(
                ("Link" = String, description = "RFC 8288 links to the first, previous, next and last pages."),
                ("X-Total-Count" = i64, description = "How many deliveries are kept."),
            )),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    )
)]
#[get("/webhooks/{id}/deliveries")]
pub async fn list_deliveries(
    pool: web::Data<Pool>,
    _: Admin,
    id: web::Path<String>,
    request: HttpRequest,
) -> Result<Represented, ApiError> {
    let id = webhook_id(&id)?;
    let params = QueryParams::parse(request.query_string(), &["page", "per_page"])?;
    let page = PageRequest::from_params(&params)?;
    let (rows, total) = db::run(&pool, move |connection| {
        found(store::find(connection, id)?, id)?;
        Ok(store::deliveries_of(connection, id, page.per_page, page.offset())?)
    })
    .await?;
    let data = rows.into_iter().map(Delivery::from).collect();
    let body = DeliveryPage { data, pagination: Pagination::new(Some(page.page), page.per_page, total, None) };
    pagination::respond(&request, Access::Editor, &body, &body.pagination)
}

/// Deliver a message again
///
/// Sends the message of a delivery again, now, as a new delivery with the
/// same `webhook-id` (a receiver that kept it drops it).
#[utoipa::path(
    tag = "webhooks",
    params(
        ("id" = i32, Path, description = "The endpoint's id."),
        ("delivery_id" = i64, Path, description = "The delivery's id."),
    ),
    security(("bearer" = ["admin"])),
    responses(
        (status = 202, description = "The new delivery, to be attempted at once.", body = Delivery),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    )
)]
#[post("/webhooks/{id}/deliveries/{delivery_id}/redeliver")]
pub async fn redeliver(
    pool: web::Data<Pool>,
    _: Admin,
    path: web::Path<(String, String)>,
    _: NoQuery,
) -> Result<Represented, ApiError> {
    let (id, delivery_id) = path.into_inner();
    let id = webhook_id(&id)?;
    let missing = || ApiError::NotFound(format!("webhook {id} has no delivery '{delivery_id}'"));
    let delivery_id: i64 = delivery_id.parse().ok().filter(|id| *id >= 1).ok_or_else(missing)?;
    let delivery = db::run(&pool, move |connection| {
        db::side_transaction(connection, |connection| {
            store::lock(connection)?;
            found(store::find(connection, id)?, id)?;
            let delivery = store::find_delivery(connection, id, delivery_id)?
                .ok_or_else(|| ApiError::NotFound(format!("webhook {id} has no delivery {delivery_id}")))?;
            Ok(store::redeliver(connection, &delivery, db::now())?)
        })
    })
    .await?;
    db::commits::committed();
    Ok(Represented::json(&Delivery::from(delivery), Access::Editor)?.with_status(StatusCode::ACCEPTED))
}
