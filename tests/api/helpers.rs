//! The test application: a fresh database for every test, on SQLite or on
//! PostgreSQL, the app built exactly as `serve` builds it, and fixtures
//! written straight into the database.

use std::sync::atomic::{AtomicUsize, Ordering};

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header::HeaderMap;
use actix_web::http::{Method, StatusCode};
use actix_web::test::{self, TestRequest};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use parution::categories::store::{self as category_store, CategoryValues};
use parution::change::{Author, Change, Stamps};
use parution::config::{DatabaseSettings, HttpSettings};
use parution::db::schema::publications;
use parution::db::{self, DbConnection, Pool};
use parution::domain::Status;
use parution::links::dto::LinkRel;
use parution::links::store::{self as link_store, LinkValues};
use parution::publications::store::{self as publication_store, PublicationValues};
use parution::startup::{self, Demo};
use parution::storage::Storage;
use serde_json::Value;
use utoipa::openapi::OpenApi;

/// Generates, for each listed `async fn name(backend: Backend)`, a test
/// `sqlite::name` and a test `postgres::name`. The PostgreSQL ones are
/// ignored, with the reason, unless `PARUTION_TEST_DATABASE_URL` names a
/// server when the tests are built.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[actix_web::test]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[actix_web::test]
                #[cfg_attr(
                    not(postgres_tests),
                    ignore = "PostgreSQL suite skipped: set PARUTION_TEST_DATABASE_URL to run it"
                )]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Postgres).await
                }
            )*
        }
    };
}

pub use parution::db::Backend;

/// A database that exists for one test only; dropped with this value.
pub enum Scratch {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Self::Postgres { admin_url, name } = self
            && let Ok(mut admin) = PgConnection::establish(admin_url)
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).execute(&mut admin);
        }
    }
}

/// The OpenAPI document, made once for every test.
static DOCUMENT: std::sync::LazyLock<OpenApi> = std::sync::LazyLock::new(parution::openapi::document);

static DATABASES: AtomicUsize = AtomicUsize::new(0);

/// The URL of a new, empty database on `backend`.
pub fn scratch_database(backend: Backend) -> (String, Scratch) {
    match backend {
        Backend::Sqlite => {
            let folder = tempfile::tempdir().expect("a temporary folder");
            let url = format!("sqlite://{}", folder.path().join("parution.db").display());
            (url, Scratch::Sqlite(folder))
        }
        Backend::Postgres => {
            let admin_url = std::env::var("PARUTION_TEST_DATABASE_URL")
                .expect("PARUTION_TEST_DATABASE_URL names a PostgreSQL server for the PostgreSQL suite");
            let name = format!("parution_test_{}_{}", std::process::id(), DATABASES.fetch_add(1, Ordering::SeqCst));
            let mut admin = PgConnection::establish(&admin_url).expect("the PostgreSQL test server answers");
            diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .execute(&mut admin)
                .expect("an old test database can be dropped");
            diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
                .execute(&mut admin)
                .expect("a test database can be created");
            (with_database_name(&admin_url, &name), Scratch::Postgres { admin_url, name })
        }
    }
}

/// The same PostgreSQL URL, naming another database.
pub fn with_database_name(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let authority_start = base.find("://").map(|at| at + 3).unwrap_or(0);
    let base = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    format!("{base}/{name}{query}")
}

/// The upload limit of a test app: 8 MiB.
pub const UPLOAD_LIMIT: u64 = 8 * 1024 * 1024;

pub struct TestApp {
    pub url: String,
    pub pool: Pool,
    /// How the app behaves towards browsers and caches; tests may change it.
    pub http: HttpSettings,
    /// What every request's app shares, caches included, as the workers of
    /// one server do.
    shared: startup::Shared,
    /// The folder of the app's files (local storage).
    pub files: tempfile::TempDir,
    // Dropped last: the database outlives the pool.
    _scratch: Scratch,
}

/// An answer, read whole.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|error| panic!("the body is JSON ({error}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// The version a single resource's `ETag` (`"3-…"`) starts with.
    pub fn tag_version(&self) -> Option<i32> {
        let tag = self.header("etag")?.strip_prefix('"')?.strip_suffix('"')?;
        tag.split_once('-')?.0.parse().ok()
    }

    /// Asserts an RFC 9457 problem with this status and code; returns it.
    pub fn problem(&self, status: u16, code: &str) -> Value {
        assert_eq!(self.status.as_u16(), status, "body: {}", String::from_utf8_lossy(&self.body));
        assert_eq!(self.header("content-type"), Some("application/problem+json"));
        let problem = self.json();
        assert_eq!(problem["status"], status);
        assert_eq!(problem["code"], code);
        assert!(problem["title"].is_string() && problem["detail"].is_string() && problem["type"].is_string());
        problem
    }
}

impl TestApp {
    /// An app over a new, migrated, empty database.
    pub async fn new(backend: Backend) -> Self {
        Self::start(backend, Demo::Never)
    }

    /// An app over a new database holding the demo content.
    pub async fn with_demo(backend: Backend) -> Self {
        Self::start(backend, Demo::Always)
    }

    /// An app over a new database prepared as `serve` would with `demo`.
    pub fn start(backend: Backend, demo: Demo) -> Self {
        Self::start_with(backend, demo, |_| {})
    }

    /// The same, with database settings changed by `change`.
    pub fn start_with(backend: Backend, demo: Demo, change: impl FnOnce(&mut DatabaseSettings)) -> Self {
        Self::start_with_http(backend, demo, change, HttpSettings::default())
    }

    /// An app over a new database holding the demo content, built with
    /// `http` from the start (what is shared, such as the rate limiter,
    /// follows it).
    pub fn with_http(backend: Backend, http: HttpSettings) -> Self {
        Self::start_with_http(backend, Demo::Always, |_| {}, http)
    }

    fn start_with_http(
        backend: Backend,
        demo: Demo,
        change: impl FnOnce(&mut DatabaseSettings),
        http: HttpSettings,
    ) -> Self {
        let (url, scratch) = scratch_database(backend);
        let mut database = settings(&url);
        change(&mut database);
        let pool = startup::prepare(&database, demo).expect("the test database is prepared");
        let files = tempfile::tempdir().expect("a folder for files");
        let storage = Storage::local(files.path()).expect("the folder is a storage");
        let shared = startup::Shared::new(pool.clone(), &DOCUMENT, http.clone())
            .with_history(database.history)
            .with_storage(storage, UPLOAD_LIMIT);
        Self { url, pool, http, shared, files, _scratch: scratch }
    }

    /// Keeps the app's files in `storage`, taking uploads of at most
    /// `limit` bytes.
    pub fn use_storage(&mut self, storage: Storage, limit: u64) {
        self.shared = self.shared.clone().with_storage(storage, limit);
    }

    /// Where the app keeps its files.
    pub fn storage(&self) -> Storage {
        self.shared.storage().clone()
    }

    /// Sends the app's anonymous reads to the database at `url`, as
    /// `PARUTION_READ_DATABASE_URL` does.
    pub fn read_from(&mut self, url: &str) -> std::sync::Arc<db::replica::Replica> {
        let replica_settings = settings(url);
        let replica = db::replica::Replica::connect(&replica_settings.database_url, 4, replica_settings.waits())
            .expect("the replica's pool is made");
        self.shared = self.shared.clone().with_replica(replica.clone());
        replica
    }

    /// Another server process over the same database: its own pool and
    /// caches, as a second replica behind a load balancer has.
    pub fn another_process(&self) -> Process {
        Process { shared: startup::Shared::new(self.another_process_pool(), &DOCUMENT, self.http.clone()) }
    }

    /// The pool another process would have.
    pub fn another_process_pool(&self) -> Pool {
        startup::prepare(&settings(&self.url), Demo::Never).expect("the second process connects")
    }

    /// What the app's requests share, caches included.
    pub fn shared(&self) -> startup::Shared {
        self.shared.clone().with_http(self.http.clone())
    }

    pub fn connection(&self) -> db::PooledConnection {
        self.pool.get().expect("a database connection")
    }

    pub async fn get(&self, uri: &str) -> Answer {
        self.call(TestRequest::get().uri(uri)).await
    }

    /// How many publications the database holds, whatever their status.
    pub fn publication_count(&self) -> i64 {
        publications::table.count().get_result(&mut self.connection()).unwrap()
    }

    /// A new API token, as `parution token create` makes it.
    pub fn token(&self) -> String {
        self.token_of(parution::tokens::Scope::Admin)
    }

    /// A new token of `scope`.
    pub fn token_of(&self, scope: parution::tokens::Scope) -> String {
        self.token_until(scope, None)
    }

    /// A new token of `scope`, valid until `expires_at`.
    pub fn token_until(&self, scope: parution::tokens::Scope, expires_at: Option<NaiveDateTime>) -> String {
        let name = format!("test-{}", DATABASES.fetch_add(1, Ordering::SeqCst));
        parution::tokens::create(&mut self.connection(), &name, scope, expires_at).unwrap().expect("a new token name").1
    }

    /// A request with a JSON body and a bearer token.
    pub async fn write(&self, method: Method, uri: &str, token: &str, body: Value) -> Answer {
        self.call(
            TestRequest::default()
                .method(method)
                .uri(uri)
                .insert_header(("Authorization", format!("Bearer {token}")))
                .insert_header(("Content-Type", "application/json"))
                .set_payload(body.to_string()),
        )
        .await
    }

    /// A GET with a bearer token.
    pub async fn get_with(&self, uri: &str, token: &str) -> Answer {
        self.call(TestRequest::get().uri(uri).insert_header(("Authorization", format!("Bearer {token}")))).await
    }

    pub async fn call(&self, request: TestRequest) -> Answer {
        self.call_request(request.to_request()).await
    }

    /// Sends a request already built (one whose body is a stream).
    pub async fn call_request(&self, request: actix_http::Request) -> Answer {
        let app = test::init_service(startup::app(self.shared.clone().with_http(self.http.clone()))).await;
        let response = test::call_service(&app, request).await;
        let status = response.status();
        let headers = response.headers().clone();
        let body = test::read_body(response).await.to_vec();
        Answer { status, headers, body }
    }
}

/// A second process of a [`TestApp`]'s database.
pub struct Process {
    pub shared: startup::Shared,
}

/// An anonymous GET on an app already built (`test::init_service`), for
/// tests that time their requests: building the app costs more than most
/// requests.
pub async fn get_on<S, B>(service: &S, uri: &str) -> Answer
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let response = test::call_service(service, TestRequest::get().uri(uri).to_request()).await;
    let (status, headers) = (response.status(), response.headers().clone());
    let body = test::read_body(response).await.to_vec();
    Answer { status, headers, body }
}

pub fn settings(url: &str) -> DatabaseSettings {
    DatabaseSettings { pool_size: 4, ..DatabaseSettings::new(url.parse().expect("a valid database URL")) }
}

/// 09:00 UTC on a day of 2025.
pub fn day(month: u32, day: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2025, month, day).unwrap().and_hms_opt(9, 0, 0).unwrap()
}

/// A publication to insert; `Default` gives a published one in French.
pub struct NewPublication<'a> {
    pub slug: &'a str,
    pub title: &'a str,
    pub status: &'a str,
    pub language: &'a str,
    pub published_at: Option<NaiveDateTime>,
    pub categories: &'a [i32],
}

impl Default for NewPublication<'_> {
    fn default() -> Self {
        Self {
            slug: "",
            title: "",
            status: "published",
            language: "fr",
            published_at: Some(day(6, 1)),
            categories: &[],
        }
    }
}

/// Writes a fixture as every write does: through the stores.
fn fixture_change() -> Change {
    Change::now(Author::Command("test"))
}

pub fn insert_publication(connection: &mut DbConnection, new: NewPublication) -> i32 {
    let title = if new.title.is_empty() { new.slug } else { new.title };
    let values = PublicationValues {
        slug: new.slug.to_owned(),
        title: title.to_owned(),
        summary: format!("Résumé de {title}"),
        body: format!("<p>Texte de {title}</p>"),
        status: Status::from_stored(new.status),
        language: new.language.to_owned(),
        published_at: new.published_at,
        unpublish_at: None,
        announce: false,
        authors: vec!["Service des études".to_owned()],
        category_ids: new.categories.to_vec(),
    };
    let change = fixture_change();
    publication_store::insert(connection, &change, &values, &values.document(), &Stamps::new(&change))
        .expect("the publication is inserted")
}

pub fn insert_category(
    connection: &mut DbConnection,
    slug: &str,
    name: &str,
    parent: Option<i32>,
    position: i32,
) -> i32 {
    let values = CategoryValues {
        slug: slug.to_owned(),
        name: name.to_owned(),
        description: None,
        parent_id: parent,
        position,
        names: Default::default(),
    };
    let change = fixture_change();
    category_store::insert(connection, &change, &values, &Stamps::new(&change)).expect("the category is inserted")
}

/// A link from `publication` to another publication or to a URL.
pub fn insert_link(
    connection: &mut DbConnection,
    publication: i32,
    rel: &str,
    target: Result<i32, &str>,
    position: i32,
) -> i32 {
    let (target_id, url) = match target {
        Ok(id) => (Some(id), None),
        Err(url) => (None, Some(url.to_owned())),
    };
    let values = LinkValues {
        rel: LinkRel::from_stored(rel),
        title: format!("Lien {position}"),
        url,
        target_id,
        media_type: None,
        hreflang: None,
        position,
    };
    let change = fixture_change();
    link_store::insert(connection, &change, publication, &values, &Stamps::new(&change)).expect("the link is inserted")
}

/// The `data` array's values of `field`.
pub fn field<'a>(answer: &'a Value, name: &str) -> Vec<&'a Value> {
    answer["data"].as_array().expect("a data array").iter().map(|item| &item[name]).collect()
}

/// Sends one HTTP/1.1 request over TCP and reads the whole answer: the head
/// and the body.
pub fn exchange(address: std::net::SocketAddr, method: &str, path: &str) -> (String, String) {
    exchange_with(address, method, path, "")
}

/// The same, with extra header lines (each ending in CRLF).
pub fn exchange_with(address: std::net::SocketAddr, method: &str, path: &str, headers: &str) -> (String, String) {
    exchange_with_body(address, method, path, headers, "")
}

/// The same, with a body.
pub fn exchange_with_body(
    address: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &str,
    body: &str,
) -> (String, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address).expect("the server accepts connections");
    let request = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{headers}\r\n{body}");
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = answer.split_once("\r\n\r\n").expect("an HTTP answer");
    (head.to_owned(), body.to_owned())
}
