//! Building the application: the database (pool, migrations, demo content),
//! the routes, and the HTTP server. `app` is shared by `serve` and the tests.

use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{ResourceDef, Service, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Logger;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use utoipa::openapi::OpenApi;
use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;
use utoipa_swagger_ui::SwaggerUi;

use crate::cache::CountCache;
use crate::config::{DatabaseSettings, ServeSettings};
use crate::db::{self, Backend, Pool};
use crate::error::ApiError;
use crate::{categories, demo, links, openapi, operations, publications};

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
    let pool = db::connect(url, settings.pool_size)?;
    let mut connection = pool.get().map_err(|error| format!("cannot connect to {}: {error}", url.redacted()))?;
    let was_new = db::migrate(&mut connection)?;
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

/// Registers every documented route. The OpenAPI document is collected from
/// exactly these registrations.
pub fn configure_routes(config: &mut ServiceConfig) {
    config
        .service(
            scope::scope("/api/v1")
                .configure(publications::configure)
                .configure(links::configure)
                .configure(categories::configure),
        )
        .configure(operations::configure);
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
                let allowed = methods.into_iter().filter(|(_, present)| *present).map(|(method, _)| method);
                (ResourceDef::new(path.as_str()), allowed.collect())
            })
            .collect();
        for path in ["/openapi.json", "/docs", "/docs/{tail}*"] {
            known.push((ResourceDef::new(path), vec![Method::GET]));
        }
        Self(known)
    }

    fn allowed(&self, path: &str) -> Option<&[Method]> {
        self.0.iter().find(|(resource, _)| resource.is_match(path)).map(|(_, methods)| methods.as_slice())
    }
}

/// Answers what no route took: 405 with `Allow` for a known path, else 404.
async fn unmatched(request: HttpRequest, known: web::Data<KnownPaths>) -> Result<HttpResponse, ApiError> {
    Err(match known.allowed(request.path()) {
        Some(allowed) => ApiError::MethodNotAllowed { method: request.method().clone(), allowed: allowed.to_vec() },
        None => ApiError::NotFound(format!("no route has the path {}", request.path())),
    })
}

/// The application: routes, documentation, error handlers and middleware.
pub fn app(
    pool: Pool,
    document: Arc<OpenApi>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let known = web::Data::new(KnownPaths::new(&document));
    App::new()
        .app_data(web::Data::new(pool))
        .app_data(web::Data::new(CountCache::default()))
        .app_data(known)
        .app_data(
            web::PathConfig::default().error_handler(|_, request| {
                ApiError::NotFound(format!("no route has the path {}", request.path())).into()
            }),
        )
        .configure(|config| configure_routes(&mut ServiceConfig::new(config)))
        .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", (*document).clone()))
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
        .wrap(Logger::new(r#"%a "%r" %s %b %Dms "%{User-Agent}i""#))
}

/// Runs the HTTP server until it is stopped.
pub async fn serve(settings: ServeSettings) -> Result<(), String> {
    let demo = if settings.demo { Demo::Always } else { Demo::IntoNewSqlite };
    let database = settings.database.clone();
    let pool = web::block(move || prepare(&database, demo)).await.map_err(|error| error.to_string())??;
    let document = Arc::new(openapi::document());
    let mut server = HttpServer::new(move || app(pool.clone(), document.clone()));
    if let Some(workers) = settings.workers {
        server = server.workers(workers.max(1));
    }
    let server = server.bind(&settings.bind).map_err(|error| format!("cannot listen on {}: {error}", settings.bind))?;
    log::info!(
        "Parution listens on http://{} (database: {})",
        settings.bind,
        settings.database.database_url.redacted()
    );
    server.run().await.map_err(|error| error.to_string())
}
