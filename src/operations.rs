//! Probes for orchestrators and load balancers.

use std::sync::Arc;

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::db::replica::Replica;
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
#[schema(example = json!({
    "status": "ready",
    "catalogue_revision": 42,
    "read_replica": {"reachable": true, "catalogue_revision": 42}
}))]
pub struct Readiness {
    /// Always `ready`.
    pub status: &'static str,
    /// A counter that every change to publications, categories or links
    /// increases: equal values mean nothing changed in between.
    pub catalogue_revision: i64,
    /// The read replica, when the server has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_replica: Option<ReplicaReadiness>,
}

/// The read replica that answers anonymous reads.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReplicaReadiness {
    /// Whether anonymous reads go to it; while it cannot be reached, they
    /// go to the primary.
    pub reachable: bool,
    /// Its catalogue revision when last checked (about every second); the
    /// primary's less this one is how many changes it lags. Absent until
    /// it was first reached.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub catalogue_revision: Option<i64>,
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
/// soon as the server starts shutting down. A read replica that cannot be
/// reached does not make the server unready (reads go to the primary); it
/// is reported.
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
    replica: web::Data<Option<Arc<Replica>>>,
    draining: web::Data<Draining>,
    _: NoQuery,
) -> Result<HttpResponse, ApiError> {
    if draining.is_on() {
        return Err(ApiError::Unavailable("the server is shutting down; send requests to another replica".into()));
    }
    let revision =
        db::run(&pool, |connection| db::catalogue_revision(connection).map_err(ApiError::unreachable)).await?;
    let read_replica = replica
        .as_ref()
        .as_ref()
        .map(|replica| ReplicaReadiness { reachable: replica.is_reachable(), catalogue_revision: replica.revision() });
    let readiness = Readiness { status: "ready", catalogue_revision: revision, read_replica };
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(readiness))
}

/// Whether the server is shutting down: `/ready` then answers 503, so that
/// load balancers stop sending to it.
#[derive(Default)]
pub struct Draining(std::sync::atomic::AtomicBool);

impl Draining {
    pub fn start(&self) {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn is_on(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}
