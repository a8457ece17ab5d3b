//! Building the application: the database (pool, migrations, demo content),
//! the routes, and the HTTP server. `app` is shared by `serve` and the tests.

use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{ResourceDef, Service, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::{Compress, from_fn};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use chrono::NaiveDateTime;
use utoipa::openapi::OpenApi;
use utoipa_actix_web::service_config::ServiceConfig;
use utoipa_swagger_ui::{Config, SwaggerUi};

use crate::attachments::upload::UploadLimit;
use crate::auth::Access;
use crate::cache::CountCache;
use crate::change::feed::{self, Feed};
use crate::config::{DatabaseSettings, HistorySettings, HttpSettings, ServeSettings, WebhookSettings};
use crate::db::replica::Replica;
use crate::db::{self, Backend, DatabaseUrl, Pool};
use crate::error::ApiError;
use crate::events::LogHead;
use crate::http::rate_limit::Limiter;
use crate::http::represented::Represented;
use crate::http::response_cache::ResponseCache;
use crate::metrics::{self, Metrics};
use crate::operations::Draining;
use crate::query::NoQuery;
use crate::storage::Storage;
use crate::{attachments, demo, events, http, openapi, routes, schedule, trash, webhooks};

/// The upload limit unless configured, in MiB.
pub const DEFAULT_UPLOAD_MB: u64 = 100;
const MIB: u64 = 1024 * 1024;

/// When to load the demo content.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Demo {
    /// Never (`parution migrate`).
    Never,
    /// Into a new SQLite database only (`parution serve`).
    IntoNewSqlite,
    /// Whatever the database, unless already there (`--demo`, `seed-demo`).
    Always,
}

/// Opens the pool, applies pending migrations and loads the demo content
/// when asked.
pub fn prepare(settings: &DatabaseSettings, demo: Demo) -> Result<Pool, String> {
    let url = &settings.database_url;
    let pool = db::connect_observed(url, settings.pool_size, settings.waits(), Box::new(metrics::PoolEvents))?;
    let mut connection = pool.get().map_err(|error| format!("cannot connect to {}: {error}", url.redacted()))?;
    let was_new = db::migrate(&mut connection)?;
    let restored =
        db::restore_indexes(&mut connection).map_err(|error| format!("cannot build the deferred indexes: {error}"))?;
    if restored > 0 {
        log::info!("built {restored} index(es) that an interrupted import had left to build");
    }
    let indexed =
        db::search::index_missing(&mut connection).map_err(|error| format!("cannot index for search: {error}"))?;
    if indexed > 0 {
        log::info!("indexed {indexed} publication(s) for search");
    }
    let load = match demo {
        Demo::Never => false,
        Demo::IntoNewSqlite => was_new && url.backend() == Backend::Sqlite,
        Demo::Always => true,
    };
    if load && demo::load(&mut connection).map_err(|error| format!("cannot load the demo content: {error}"))? {
        log::info!("loaded the demo content into {}", url.redacted());
    }
    Ok(pool)
}

/// Which methods each known path accepts, to tell a wrong method (405) from
/// an unknown path (404). Built from the OpenAPI document, so it cannot
/// drift from the routes.
pub struct KnownPaths(Vec<(ResourceDef, Vec<Method>)>);

impl KnownPaths {
    pub fn new(document: &OpenApi) -> Self {
        let mut known: Vec<(ResourceDef, Vec<Method>)> = document
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let methods = [
                    (Method::GET, item.get.is_some()),
                    (Method::POST, item.post.is_some()),
                    (Method::PUT, item.put.is_some()),
                    (Method::PATCH, item.patch.is_some()),
                    (Method::DELETE, item.delete.is_some()),
                ];
                let mut allowed: Vec<Method> =
                    methods.into_iter().filter(|(_, present)| *present).map(|(method, _)| method).collect();
                if allowed.contains(&Method::GET) {
                    allowed.insert(1, Method::HEAD);
                }
                allowed.push(Method::OPTIONS);
                (ResourceDef::new(path.as_str()), allowed)
            })
            .collect();
        for path in ["/openapi.json", "/docs", "/docs/{tail}*"] {
            known.push((ResourceDef::new(path), vec![Method::GET, Method::HEAD, Method::OPTIONS]));
        }
        Self(known)
    }

    fn allowed(&self, path: &str) -> Option<&[Method]> {
        self.0.iter().find(|(resource, _)| resource.is_match(path)).map(|(_, methods)| methods.as_slice())
    }
}

/// Answers what no route took: `OPTIONS` with the methods of a known path,
/// 405 with `Allow` for another method there, else 404.
async fn unmatched(request: HttpRequest, known: web::Data<KnownPaths>) -> Result<HttpResponse, ApiError> {
    let allowed = known.allowed(request.path()).map(<[Method]>::to_vec);
    match allowed {
        Some(allowed) if request.method() == Method::OPTIONS => {
            let allowed: Vec<&str> = allowed.iter().map(Method::as_str).collect();
            Ok(HttpResponse::NoContent().insert_header((actix_web::http::header::ALLOW, allowed.join(", "))).finish())
        }
        Some(allowed) => Err(ApiError::MethodNotAllowed { method: request.method().clone(), allowed }),
        None => Err(ApiError::NotFound(format!("no route has the path {}", request.path()))),
    }
}

/// The OpenAPI document as served: its bytes, made once, and when this
/// process started serving them (the document cannot change while it
/// runs, so that time is a true `Last-Modified`).
pub struct ServedDocument {
    bytes: Vec<u8>,
    since: NaiveDateTime,
}

impl ServedDocument {
    pub fn new(document: &OpenApi) -> Self {
        static STARTED: std::sync::OnceLock<NaiveDateTime> = std::sync::OnceLock::new();
        Self { bytes: openapi::to_pretty_json(document).into_bytes(), since: *STARTED.get_or_init(db::now) }
    }
}

/// The OpenAPI document, with validators like every other read.
async fn openapi_json(_: NoQuery, document: web::Data<ServedDocument>) -> Represented {
    Represented::bytes("application/json", document.bytes.clone(), Access::Public).modified_at(document.since)
}

/// What every worker of a process shares: the pool, the count and
/// response caches, the settings and what is derived from the document once.
#[derive(Clone)]
pub struct Shared {
    pool: web::Data<Pool>,
    http: web::Data<HttpSettings>,
    cache: web::Data<CountCache>,
    responses: web::Data<ResponseCache>,
    limiter: web::Data<Option<Limiter>>,
    replica: web::Data<Option<Arc<Replica>>>,
    metrics: web::Data<Metrics>,
    /// Whether the main address serves /metrics (not when they have their own).
    metrics_here: bool,
    known: web::Data<KnownPaths>,
    served: web::Data<ServedDocument>,
    draining: web::Data<Draining>,
    /// How the history of writes is kept.
    history: web::Data<HistorySettings>,
    /// The change log as this process follows it, for its caches.
    feed: Arc<Feed>,
    /// The event log's end, for the change feed's long polls.
    log_head: web::Data<Arc<LogHead>>,
    webhooks: web::Data<WebhookSettings>,
    /// Where attachments' bytes are kept, and how large an upload may be.
    storage: web::Data<Storage>,
    upload_limit: web::Data<UploadLimit>,
}

impl Shared {
    pub fn new(pool: Pool, document: &OpenApi, http: HttpSettings) -> Self {
        let feed = Arc::new(Feed::default());
        Self {
            responses: web::Data::new(ResponseCache::new(pool.clone(), http.response_cache_mb, feed.clone())),
            limiter: web::Data::new(http.rate_limit.map(|limit| Limiter::new(limit, http.trusted_proxies.clone()))),
            replica: web::Data::new(None),
            metrics: web::Data::new(Metrics::new()),
            metrics_here: true,
            pool: web::Data::new(pool),
            http: web::Data::new(http),
            cache: web::Data::new(CountCache::new(feed.clone())),
            known: web::Data::new(KnownPaths::new(document)),
            served: web::Data::new(ServedDocument::new(document)),
            draining: web::Data::new(Draining::default()),
            history: web::Data::new(HistorySettings::default()),
            feed,
            log_head: web::Data::new(LogHead::new()),
            webhooks: web::Data::new(WebhookSettings::default()),
            storage: web::Data::new(Storage::scratch()),
            upload_limit: web::Data::new(UploadLimit(DEFAULT_UPLOAD_MB * MIB)),
        }
    }

    /// The same, keeping files in `storage` and taking uploads of at most
    /// `limit` bytes.
    pub fn with_storage(mut self, storage: Storage, limit: u64) -> Self {
        self.storage = web::Data::new(storage);
        self.upload_limit = web::Data::new(UploadLimit(limit));
        self
    }

    /// The storage of files.
    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    /// The same, answering with other HTTP settings (the caches and the
    /// rate limiter stay shared).
    pub fn with_http(mut self, http: HttpSettings) -> Self {
        self.http = web::Data::new(http);
        self
    }

    /// The same, keeping the history of writes as `history` says.
    pub fn with_history(mut self, history: HistorySettings) -> Self {
        self.history = web::Data::new(history);
        self
    }

    /// The same, delivering webhooks as `webhooks` says.
    pub fn with_webhooks(mut self, webhooks: WebhookSettings) -> Self {
        self.webhooks = web::Data::new(webhooks);
        self
    }

    /// The same, sending anonymous reads to `replica`
    /// (`PARUTION_READ_DATABASE_URL`).
    pub fn with_replica(mut self, replica: Arc<Replica>) -> Self {
        replica.watch().follow(feed::follower(&self.feed));
        self.replica = web::Data::new(Some(replica));
        self
    }

    /// Moves /metrics to an address of its own (`PARUTION_METRICS_BIND`):
    /// the main application stops serving it; what the metrics application
    /// needs is returned.
    pub fn metrics_elsewhere(&mut self) -> MetricsData {
        self.metrics_here = false;
        MetricsData { pool: self.pool.clone(), replica: self.replica.clone(), metrics: self.metrics.clone() }
    }

    /// Whether the server shuts down: shared by every worker.
    pub fn draining(&self) -> &Draining {
        &self.draining
    }
}

/// The application: routes, documentation, error handlers and middleware.
pub fn app(
    shared: Shared,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let cors = http::cors::policy(&shared.http);
    let metrics_here = shared.metrics_here;
    App::new()
        .app_data(shared.pool)
        .app_data(shared.http)
        .app_data(shared.served)
        .app_data(shared.cache)
        .app_data(shared.responses)
        .app_data(shared.limiter)
        .app_data(shared.replica)
        .app_data(shared.metrics)
        .app_data(shared.known)
        .app_data(shared.draining)
        .app_data(shared.history)
        .app_data(shared.log_head)
        .app_data(shared.webhooks)
        .app_data(shared.storage)
        .app_data(shared.upload_limit)
        .app_data(
            web::PathConfig::default().error_handler(|_, request| {
                ApiError::NotFound(format!("no route has the path {}", request.path())).into()
            }),
        )
        .configure(|config| routes::configure(&mut ServiceConfig::new(config)))
        .route("/openapi.json", web::get().to(openapi_json))
        .configure(|config| {
            if metrics_here {
                config.route("/metrics", web::get().to(metrics::scrape));
            }
        })
        // No validator badge: it would load an image from elsewhere, which
        // the documentation's content security policy refuses.
        .service(SwaggerUi::new("/docs/{_:.*}").config(Config::new(["/openapi.json"]).validator_url("none")))
        .service(web::redirect("/docs", "/docs/"))
        .default_service(web::to(unmatched))
        // A HEAD request is answered as its GET: the HTTP layer, which saw
        // the HEAD, sends the headers without the body.
        .wrap_fn(|mut request, service| {
            if request.method() == Method::HEAD {
                request.head_mut().method = Method::GET;
            }
            service.call(request)
        })
        .wrap(from_fn(http::response_cache::middleware))
        .wrap(from_fn(http::read_replica::middleware))
        .wrap_fn(http::skip_tiny_bodies)
        .wrap(Compress::default())
        .wrap(from_fn(http::rate_limit::middleware))
        .wrap(cors)
        .wrap_fn(http::finish)
        .wrap_fn(http::request_id::middleware)
        .wrap(from_fn(metrics::middleware))
        .wrap(from_fn(http::access_log::middleware))
}

/// What the metrics address serves from.
#[derive(Clone)]
pub struct MetricsData {
    pool: web::Data<Pool>,
    replica: web::Data<Option<Arc<Replica>>>,
    metrics: web::Data<Metrics>,
}

/// The application of the metrics address: /metrics only.
pub fn metrics_app(
    data: MetricsData,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(data.pool)
        .app_data(data.replica)
        .app_data(data.metrics)
        .route("/metrics", web::get().to(metrics::scrape))
}

/// Runs the HTTP server until it is stopped.
pub async fn serve(settings: ServeSettings) -> Result<(), String> {
    let demo = if settings.demo { Demo::Always } else { Demo::IntoNewSqlite };
    let database = settings.database.clone();
    let pool = web::block(move || prepare(&database, demo)).await.map_err(|error| error.to_string())??;
    let files = settings.database.storage.open(&settings.database.database_url)?;
    log::info!("files are kept in {}", files.location);
    match attachments::demo::attach(&pool, &files).await {
        Ok(true) => log::info!("attached the demo files to the demo article"),
        Ok(false) => {}
        Err(error) => log::warn!("the demo files could not be attached: {error}"),
    }
    actix_web::rt::spawn(attachments::collector::run(pool.clone(), files.clone()));
    actix_web::rt::spawn(schedule::transitions::run(pool.clone(), process_name()));
    actix_web::rt::spawn(trash::purger::run(pool.clone(), settings.database.history));
    actix_web::rt::spawn(events::pruner::run(pool.clone(), settings.database.history));
    actix_web::rt::spawn(webhooks::dispatcher::run(pool.clone(), settings.webhooks));
    let mut shared = Shared::new(pool, &openapi::document(), settings.http.clone())
        .with_history(settings.database.history)
        .with_webhooks(settings.webhooks)
        .with_storage(files, settings.max_upload_mb.saturating_mul(MIB));
    if let Some(url) = &settings.read_database_url {
        let database = &settings.database;
        if url.backend() != database.database_url.backend() {
            return Err(
                "PARUTION_READ_DATABASE_URL must name a database of the same kind as PARUTION_DATABASE_URL".into()
            );
        }
        let (url, size, waits) = (url.clone(), database.pool_size, database.waits());
        let replica =
            web::block(move || Replica::connect(&url, size, waits)).await.map_err(|error| error.to_string())??;
        log::info!(
            "anonymous reads go to the read replica {} while it can be reached",
            settings.read_database_url.as_ref().map(DatabaseUrl::redacted).unwrap_or_default()
        );
        shared = shared.with_replica(replica);
    }
    let metrics_server = match &settings.metrics_bind {
        Some(bind) => {
            let data = shared.metrics_elsewhere();
            let server = HttpServer::new(move || metrics_app(data.clone()))
                .workers(1)
                .disable_signals()
                .bind(bind)
                .map_err(|error| format!("cannot serve metrics on {bind}: {error}"))?;
            log::info!("metrics are served on http://{bind}/metrics");
            Some(server.run())
        }
        None => None,
    };
    let metrics_handle = metrics_server.as_ref().map(|server| server.handle());
    if let Some(server) = metrics_server {
        actix_web::rt::spawn(server);
    }
    let draining = shared.draining.clone();
    // The draining flag is shared with the workers' /ready.
    let mut server = HttpServer::new(move || app(shared.clone()))
        .shutdown_timeout(settings.shutdown_timeout)
        // Signals are handled below, so that /ready can say "draining"
        // before the listener closes.
        .disable_signals();
    if let Some(workers) = settings.workers {
        server = server.workers(workers.max(1));
    }
    let server = server.bind(&settings.bind).map_err(|error| format!("cannot listen on {}: {error}", settings.bind))?;
    log::info!(
        "Parution listens on http://{} (database: {})",
        settings.bind,
        settings.database.database_url.redacted()
    );
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(async move {
        stopping().await;
        draining.start();
        log::info!("stopping: new connections are refused, requests in flight may finish");
        handle.stop(true).await;
        if let Some(metrics) = metrics_handle {
            metrics.stop(true).await;
        }
    });
    server.await.map_err(|error| error.to_string())
}

/// This process, as the transitions it announces name it: its host and
/// process id.
fn process_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let host = host.trim();
    format!("{}:{}", if host.is_empty() { "parution" } else { host }, std::process::id())
}

/// Resolves on the first SIGTERM or SIGINT.
async fn stopping() {
    use actix_web::rt::signal::unix::{SignalKind, signal};
    let (Ok(mut terminate), Ok(mut interrupt)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt()))
    else {
        log::error!("cannot listen for stop signals");
        return std::future::pending().await;
    };
    futures_util::future::select(Box::pin(terminate.recv()), Box::pin(interrupt.recv())).await;
}
