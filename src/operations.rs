//! Probes for orchestrators and load balancers.

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::db::{self, Pool};
use crate::error::{ApiError, BadRequest, Unavailable};
use crate::query::NoQuery;

pub fn configure(config: &mut ServiceConfig) {
    config.service(health).service(ready);
}

/// The process is up.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"status": "ok"}))]
pub struct Health {
    /// Always `ok`.
    pub status: &'static str,
}

/// The server can answer: its database is reachable.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"status": "ready", "catalogue_revision": 42}))]
pub struct Readiness {
    /// Always `ready`.
    pub status: &'static str,
    /// A counter that every change to publications, categories or links
    /// increases: equal values mean nothing changed in between.
    pub catalogue_revision: i64,
}

/// Liveness probe
///
/// Answers as long as the process runs; it does not touch the database.
#[utoipa::path(
    tag = "operations",
    security(()),
    responses(
        (status = 200, description = "The process is up.", body = Health),
        (status = 400, response = BadRequest),
    )
)]
#[get("/health")]
pub async fn health(_: NoQuery) -> HttpResponse {
    HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(Health { status: "ok" })
}

/// Readiness probe
///
/// Answers 200 when the database is reachable, 503 otherwise, and 503 as
/// soon as the server starts shutting down.
#[utoipa::path(
    tag = "operations",
    security(()),
    responses(
        (status = 200, description = "The database is reachable.", body = Readiness),
        (status = 400, response = BadRequest),
        (status = 503, response = Unavailable),
    )
)]
#[get("/ready")]
pub async fn ready(
    pool: web::Data<Pool>,
    draining: web::Data<crate::startup::Draining>,
    _: NoQuery,
) -> Result<HttpResponse, ApiError> {
    if draining.is_on() {
        return Err(ApiError::Unavailable("the server is shutting down; send requests to another replica".into()));
    }
    let revision =
        db::run(&pool, |connection| db::catalogue_revision(connection).map_err(ApiError::unreachable)).await?;
    let readiness = Readiness { status: "ready", catalogue_revision: revision };
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(readiness))
}
