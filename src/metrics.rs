//! Metrics in the Prometheus text format, at `/metrics` (or on their own
//! address with `PARUTION_METRICS_BIND`, so that they need not be public):
//!
//! - `parution_http_requests_total{method, route, status}` and
//!   `parution_http_request_duration_seconds{method, route}`: the route is
//!   its template (`/api/v1/publications/{ref}`), never the raw path, so
//!   that series stay few; `unmatched` for what no route took;
//! - `parution_http_requests_in_flight`;
//! - the database pool: `parution_db_pool_connections`,
//!   `parution_db_pool_idle_connections`, how long requests waited for a
//!   connection (`parution_db_pool_wait_seconds`) and how many gave up
//!   (`parution_db_pool_timeouts_total`);
//! - the catalogue, read when scraped: `parution_publications{status}`,
//!   `parution_categories`, `parution_links`, `parution_catalogue_revision`
//!   (a counter of changes);
//! - with a read replica: `parution_read_replica_up` (1 while anonymous
//!   reads go to it), `parution_read_replica_catalogue_revision` (the
//!   primary's revision less this one is how many changes it lags) and
//!   `parution_read_replica_connections`;
//! - the process (`process_resident_memory_bytes`, `process_open_fds`,
//!   `process_cpu_seconds_total`, …).

use std::sync::{Arc, LazyLock};
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse, web};
use diesel::prelude::*;
use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
    TextEncoder,
};

use crate::db::replica::Replica;
use crate::db::{self, Pool};
use crate::error::ApiError;

/// How long requests waited for a database connection: one pool serves a
/// process, so its measures are the process's.
static POOL_WAIT: LazyLock<Histogram> = LazyLock::new(|| {
    Histogram::with_opts(
        HistogramOpts::new("parution_db_pool_wait_seconds", "Time a request waited for a database connection.")
            .buckets(vec![0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 30.0]),
    )
    .expect("valid histogram options")
});

static POOL_TIMEOUTS: LazyLock<IntCounter> = LazyLock::new(|| {
    IntCounter::new("parution_db_pool_timeouts_total", "Requests that found no free connection in time.")
        .expect("valid counter options")
});

/// Scheduled releases and expiries announced by this process, by kind.
static TRANSITIONS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    IntCounterVec::new(
        Opts::new("parution_scheduled_transitions_total", "Scheduled releases and expiries this process announced."),
        &["kind"],
    )
    .expect("valid counter options")
});

/// How long after its instant a transition was announced.
static TRANSITION_DELAY: LazyLock<Histogram> = LazyLock::new(|| {
    Histogram::with_opts(
        HistogramOpts::new(
            "parution_scheduled_transition_delay_seconds",
            "Time from a scheduled release or expiry to its announcement.",
        )
        .buckets(vec![0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 60.0]),
    )
    .expect("valid histogram options")
});

/// Webhook delivery attempts made by this process, by outcome.
static WEBHOOK_ATTEMPTS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    IntCounterVec::new(
        Opts::new(
            "parution_webhook_attempts_total",
            "Webhook delivery attempts this process made, by outcome (delivered, retrying, failed).",
        ),
        &["outcome"],
    )
    .expect("valid counter options")
});

/// From an event to its delivery.
static WEBHOOK_LAG: LazyLock<Histogram> = LazyLock::new(|| {
    Histogram::with_opts(
        HistogramOpts::new(
            "parution_webhook_delivery_lag_seconds",
            "Time from an event to its successful delivery (retries included).",
        )
        .buckets(vec![0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0, 60.0, 3600.0, 86400.0]),
    )
    .expect("valid histogram options")
});

/// Webhook endpoints this process disabled (a 410, or 3 days of failures).
static WEBHOOKS_DISABLED: LazyLock<IntCounter> = LazyLock::new(|| {
    IntCounter::new(
        "parution_webhook_endpoints_disabled_total",
        "Webhook endpoints disabled by this process after a 410 or three days of failures.",
    )
    .expect("valid counter options")
});

/// Counts a webhook delivery attempt; `lag`: for a delivery, the seconds
/// since its event.
pub fn webhook_attempt(outcome: &str, lag: Option<f64>) {
    WEBHOOK_ATTEMPTS.with_label_values(&[outcome]).inc();
    if let Some(lag) = lag {
        WEBHOOK_LAG.observe(lag);
    }
}

/// Counts a webhook endpoint disabled.
pub fn webhook_disabled() {
    WEBHOOKS_DISABLED.inc();
}

/// Counts a transition announced `delay` seconds after its instant.
pub fn transition_announced(kind: &str, delay: f64) {
    TRANSITIONS.with_label_values(&[kind]).inc();
    TRANSITION_DELAY.observe(delay);
}

/// What the pool tells of each checkout.
#[derive(Debug)]
pub struct PoolEvents;

impl diesel::r2d2::HandleEvent for PoolEvents {
    fn handle_checkout(&self, event: diesel::r2d2::event::CheckoutEvent) {
        POOL_WAIT.observe(event.duration().as_secs_f64());
    }

    fn handle_timeout(&self, event: diesel::r2d2::event::TimeoutEvent) {
        // A checkout first waits briefly, to see whether the database can
        // be reached at all; only the end of a whole wait counts.
        if event.timeout() > crate::db::FIRST_WAIT {
            POOL_TIMEOUTS.inc();
        }
    }
}

/// The metrics of one server.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    durations: HistogramVec,
    in_flight: IntGauge,
    connections: IntGauge,
    idle_connections: IntGauge,
    publications: IntGaugeVec,
    categories: IntGauge,
    links: IntGauge,
    revision: IntGauge,
    /// Emitted only when there is a replica: vectors without labels.
    replica_up: IntGaugeVec,
    replica_revision: IntGaugeVec,
    replica_connections: IntGaugeVec,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new("parution_http_requests_total", "HTTP requests answered, by method, route template and status."),
            &["method", "route", "status"],
        )
        .expect("valid counter options");
        let durations = HistogramVec::new(
            HistogramOpts::new(
                "parution_http_request_duration_seconds",
                "Time to answer, by method and route template.",
            )
            .buckets(vec![0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0]),
            &["method", "route"],
        )
        .expect("valid histogram options");
        let gauge = |name: &str, help: &str| IntGauge::new(name, help).expect("valid gauge options");
        let in_flight = gauge("parution_http_requests_in_flight", "Requests being answered.");
        let connections = gauge("parution_db_pool_connections", "Database connections open.");
        let idle_connections = gauge("parution_db_pool_idle_connections", "Database connections open and free.");
        let publications = IntGaugeVec::new(
            Opts::new("parution_publications", "Publications in the catalogue, by status."),
            &["status"],
        )
        .expect("valid gauge options");
        let categories = gauge("parution_categories", "Categories in the catalogue.");
        let links = gauge("parution_links", "Links of publications in the catalogue.");
        let revision = gauge("parution_catalogue_revision", "The catalogue's change counter.");
        let replica_gauge =
            |name: &str, help: &str| IntGaugeVec::new(Opts::new(name, help), &[]).expect("valid gauge options");
        let replica_up = replica_gauge("parution_read_replica_up", "1 while anonymous reads go to the read replica.");
        let replica_revision = replica_gauge(
            "parution_read_replica_catalogue_revision",
            "The catalogue's change counter on the read replica, when last checked.",
        );
        let replica_connections =
            replica_gauge("parution_read_replica_connections", "Connections open to the read replica.");
        let collectors: Vec<Box<dyn prometheus::core::Collector>> = vec![
            Box::new(requests.clone()),
            Box::new(durations.clone()),
            Box::new(in_flight.clone()),
            Box::new(connections.clone()),
            Box::new(idle_connections.clone()),
            Box::new(publications.clone()),
            Box::new(categories.clone()),
            Box::new(links.clone()),
            Box::new(revision.clone()),
            Box::new(replica_up.clone()),
            Box::new(replica_revision.clone()),
            Box::new(replica_connections.clone()),
            Box::new(POOL_WAIT.clone()),
            Box::new(POOL_TIMEOUTS.clone()),
            Box::new(TRANSITIONS.clone()),
            Box::new(TRANSITION_DELAY.clone()),
            Box::new(WEBHOOK_ATTEMPTS.clone()),
            Box::new(WEBHOOK_LAG.clone()),
            Box::new(WEBHOOKS_DISABLED.clone()),
            Box::new(prometheus::process_collector::ProcessCollector::for_self()),
        ];
        for collector in collectors {
            registry.register(collector).expect("metric names are distinct");
        }
        Self {
            registry,
            requests,
            durations,
            in_flight,
            connections,
            idle_connections,
            publications,
            categories,
            links,
            revision,
            replica_up,
            replica_revision,
            replica_connections,
        }
    }

    /// The text a scrape gets, with the pool and the catalogue read now.
    async fn render(&self, pool: &Pool, replica: Option<&Replica>) -> Result<String, ApiError> {
        let state = pool.state();
        self.connections.set(i64::from(state.connections));
        self.idle_connections.set(i64::from(state.idle_connections));
        if let Some(replica) = replica {
            self.replica_up.with_label_values::<&str>(&[]).set(i64::from(replica.is_reachable()));
            self.replica_revision.with_label_values::<&str>(&[]).set(replica.revision().unwrap_or(-1));
            self.replica_connections.with_label_values::<&str>(&[]).set(i64::from(replica.pool_state().connections));
        }
        let (by_status, categories, links, revision) = db::run(pool, |connection| {
            use crate::db::schema::{categories, links, publications};
            let by_status: Vec<(String, i64)> = publications::table
                .group_by(publications::status)
                .select((publications::status, diesel::dsl::count_star()))
                .load(connection)?;
            let categories: i64 = categories::table.count().get_result(connection)?;
            let links: i64 = links::table.count().get_result(connection)?;
            Ok((by_status, categories, links, db::catalogue_revision(connection)?))
        })
        .await?;
        for status in ["draft", "published", "archived"] {
            let count = by_status.iter().find(|(name, _)| name == status).map_or(0, |(_, count)| *count);
            self.publications.with_label_values(&[status]).set(count);
        }
        self.categories.set(categories);
        self.links.set(links);
        self.revision.set(revision);
        let mut text = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut text).map_err(ApiError::internal)?;
        String::from_utf8(text).map_err(ApiError::internal)
    }
}

/// `GET /metrics`.
pub async fn scrape(
    metrics: web::Data<Metrics>,
    pool: web::Data<Pool>,
    replica: web::Data<Option<Arc<Replica>>>,
) -> Result<HttpResponse, ApiError> {
    let text = metrics.render(&pool, replica.as_ref().as_deref()).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(text))
}

/// Counts and times every request, by its route's template.
pub async fn middleware(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, Error> {
    let Some(metrics) = request.app_data::<web::Data<Metrics>>().cloned() else {
        return next.call(request).await;
    };
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let in_flight = InFlight::start(&metrics);
    let response = next.call(request).await;
    drop(in_flight);
    let response = response?;
    let route = response.request().match_pattern().unwrap_or_else(|| "unmatched".to_owned());
    let status = response.status().as_u16().to_string();
    metrics.requests.with_label_values(&[method.as_str(), route.as_str(), status.as_str()]).inc();
    metrics.durations.with_label_values(&[method.as_str(), route.as_str()]).observe(started.elapsed().as_secs_f64());
    Ok(response)
}

/// A request being answered: counted until dropped, however it ends (a
/// client that goes away drops it too).
struct InFlight<'a>(&'a Metrics);

impl<'a> InFlight<'a> {
    fn start(metrics: &'a Metrics) -> Self {
        metrics.in_flight.inc();
        Self(metrics)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.dec();
    }
}
