//! Connections to either backend: the URL that names one, the pool, the
//! settings each connection gets, and a blocking call on a given pool.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, CustomizeConnection, ManageConnection, R2D2Connection};

use crate::error::ApiError;

/// A connection to either backend. Diesel generates `MultiBackend` beside it.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

pub type PooledConnection = r2d2::PooledConnection<ConnectionManager>;

/// A pool of connections (r2d2's, which it derefs to), and how long a
/// request may wait for one of them.
#[derive(Clone)]
pub struct Pool {
    connections: r2d2::Pool<ConnectionManager>,
    wait: Duration,
}

impl std::ops::Deref for Pool {
    type Target = r2d2::Pool<ConnectionManager>;

    fn deref(&self) -> &Self::Target {
        &self.connections
    }
}

/// The delay r2d2 leaves between attempts to open a connection doubles
/// after each failure, up to half its own connection timeout, which is
/// therefore this rather than the request's wait: a database back from an
/// outage is used again within a second.
const RECONNECT: Duration = Duration::from_secs(2);

/// How long a checkout waits before it asks why it got no connection: a
/// pool that holds no connection at all cannot reach its database, and
/// the request is answered 503 at once instead of after the whole wait.
pub const FIRST_WAIT: Duration = Duration::from_millis(250);

impl Pool {
    /// A pool whose connections open when first needed: building it
    /// connects to nothing.
    pub fn lazy(manager: ConnectionManager, size: u32, waits: Waits) -> Self {
        let connections = Self::configured(size, waits).build_unchecked(manager);
        Self { connections, wait: waits.connection }
    }

    fn configured(size: u32, waits: Waits) -> r2d2::Builder<ConnectionManager> {
        r2d2::Pool::builder()
            .max_size(size.max(1))
            .connection_timeout(RECONNECT.min(waits.connection))
            .connection_customizer(Box::new(ConnectionSettings { lock_timeout: waits.lock }))
    }

    /// A pool built by the caller, each request waiting `wait` at most.
    pub(super) fn from_parts(connections: r2d2::Pool<ConnectionManager>, wait: Duration) -> Self {
        Self { connections, wait }
    }

    /// How long a request may wait for a connection.
    pub fn wait(&self) -> Duration {
        self.wait
    }
}

/// Which engine a database URL names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database URL whose scheme has been checked: `sqlite://PATH` (relative
/// unless PATH starts with `/`) or `postgres://…` / `postgresql://…`.
/// Anything else is refused, so a mistyped PostgreSQL URL can never fall
/// through to a new SQLite file.
#[derive(Clone, Debug)]
pub struct DatabaseUrl {
    backend: Backend,
    /// What the driver receives: a file path for SQLite, the URL for PostgreSQL.
    target: String,
}

impl DatabaseUrl {
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Where files go when no storage is configured: the folder `files`
    /// beside a SQLite database, `data/files` for PostgreSQL (or an
    /// in-memory database).
    pub fn default_files(&self) -> std::path::PathBuf {
        let path = std::path::Path::new(&self.target);
        match (self.backend, path.parent()) {
            (Backend::Sqlite, Some(parent)) if !self.target.starts_with(':') && !self.target.starts_with("file:") => {
                parent.join("files")
            }
            _ => std::path::PathBuf::from("data/files"),
        }
    }

    /// The URL without any password, for logs.
    pub fn redacted(&self) -> String {
        match self.backend {
            Backend::Sqlite => format!("sqlite://{}", self.target),
            Backend::Postgres => match (self.target.find("://"), self.target.rfind('@')) {
                (Some(scheme_end), Some(at)) if at > scheme_end => {
                    format!("{}://***{}", &self.target[..scheme_end], &self.target[at..])
                }
                _ => self.target.clone(),
            },
        }
    }
}

impl FromStr for DatabaseUrl {
    type Err = String;

    fn from_str(url: &str) -> Result<Self, Self::Err> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err("a sqlite:// URL needs a file path, e.g. sqlite://data/parution.db".into());
            }
            return Ok(Self { backend: Backend::Sqlite, target: path.to_owned() });
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self { backend: Backend::Postgres, target: url.to_owned() });
        }
        Err(format!(
            "unsupported database URL {:?}: use sqlite://PATH or postgres://USER@HOST/DATABASE",
            url.split("://").next().unwrap_or_default()
        ))
    }
}

/// An r2d2 manager that opens the backend the URL names, and only that one.
#[derive(Clone, Debug)]
pub struct ConnectionManager {
    url: DatabaseUrl,
}

impl ConnectionManager {
    pub fn new(url: DatabaseUrl) -> Self {
        Self { url }
    }
}

impl ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        configure_sqlite();
        let connection = match self.url.backend {
            Backend::Sqlite => SqliteConnection::establish(&self.url.target).map(DbConnection::Sqlite),
            Backend::Postgres => PgConnection::establish(&self.url.target).map(DbConnection::Postgresql),
        };
        connection.map_err(r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, connection: &mut DbConnection) -> Result<(), r2d2::Error> {
        connection.ping().map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, connection: &mut DbConnection) -> bool {
        connection.is_broken()
    }
}

/// How the SQLite library runs, set once before it opens its first
/// connection. A pooled connection is used by one thread at a time, so
/// SQLite's own per-connection mutex is not needed (multi-thread mode);
/// and it does not keep memory statistics, which take one mutex that
/// every allocation of every connection shares. Under 64 concurrent
/// readers these two made a tenth of the CPU profile.
pub fn configure_sqlite() {
    static CONFIGURED: std::sync::Once = std::sync::Once::new();
    CONFIGURED.call_once(|| {
        use libsqlite3_sys::{SQLITE_CONFIG_MEMSTATUS, SQLITE_CONFIG_MULTITHREAD, SQLITE_OK, sqlite3_config};
        // SAFETY: sqlite3_config is called before the library is
        // initialised (by the first connection, which waits on this Once);
        // if it was initialised already, it answers SQLITE_MISUSE and
        // changes nothing.
        let answers =
            unsafe { [sqlite3_config(SQLITE_CONFIG_MULTITHREAD), sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0)] };
        if answers.iter().any(|&answer| answer != SQLITE_OK) {
            log::debug!("SQLite was configured before its first connection: its defaults stay ({answers:?})");
        }
    });
}

/// Per-connection settings. Writers wait for the write lock at most the
/// lock timeout, then answer 503 (SQLite's `busy_timeout`, PostgreSQL's
/// `lock_timeout`). On SQLite, `synchronous = FULL` makes every answered
/// commit survive a crash of the process or of the machine.
#[derive(Debug)]
pub(super) struct ConnectionSettings {
    pub(super) lock_timeout: Duration,
}

impl CustomizeConnection<DbConnection, r2d2::Error> for ConnectionSettings {
    fn on_acquire(&self, connection: &mut DbConnection) -> Result<(), r2d2::Error> {
        let milliseconds = self.lock_timeout.as_millis();
        match connection {
            DbConnection::Sqlite(connection) => connection.batch_execute(&format!(
                "PRAGMA busy_timeout = {milliseconds}; PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;"
            )),
            DbConnection::Postgresql(connection) => {
                connection.batch_execute(&format!("SET lock_timeout = {milliseconds}"))
            }
        }
        .map_err(r2d2::Error::QueryError)
    }
}

/// How long a request may wait: for a pooled connection, and for the write
/// lock.
#[derive(Clone, Copy, Debug)]
pub struct Waits {
    pub connection: Duration,
    pub lock: Duration,
}

/// Opens a pool of `size` connections. A SQLite file and its folder are
/// created when missing, and the file is put in WAL mode (which persists).
pub fn connect(url: &DatabaseUrl, size: u32, waits: Waits) -> Result<Pool, String> {
    connect_observed(url, size, waits, Box::new(r2d2::event::NopEventHandler))
}

/// The same, telling `events` of every checkout and timeout (the server
/// passes its metrics' handler; this layer knows nothing of metrics).
pub fn connect_observed(
    url: &DatabaseUrl,
    size: u32,
    waits: Waits,
    events: Box<dyn r2d2::HandleEvent>,
) -> Result<Pool, String> {
    if url.backend == Backend::Sqlite {
        configure_sqlite();
        if let Some(folder) = Path::new(&url.target).parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(folder)
                .map_err(|error| format!("cannot create the folder {}: {error}", folder.display()))?;
        }
        let mut connection = SqliteConnection::establish(&url.target).map_err(|error| error.to_string())?;
        connection.batch_execute("PRAGMA journal_mode = WAL;").map_err(|error| error.to_string())?;
    }
    let connections = Pool::configured(size, waits)
        // A connection to a file does not break: no test query per checkout.
        .test_on_check_out(url.backend == Backend::Postgres)
        .event_handler(events)
        .build(ConnectionManager { url: url.clone() })
        .map_err(|error| format!("cannot connect to {}: {error}", url.redacted()))?;
    Ok(Pool { connections, wait: waits.connection })
}

/// The backend a connection talks to.
pub fn backend(connection: &DbConnection) -> Backend {
    match connection {
        DbConnection::Sqlite(_) => Backend::Sqlite,
        DbConnection::Postgresql(_) => Backend::Postgres,
    }
}

/// A pooled connection, or a 503: at once when the pool holds no
/// connection (its database cannot be reached), else after the pool's
/// wait.
pub(super) fn pooled(pool: &Pool) -> Result<PooledConnection, ApiError> {
    let first = FIRST_WAIT.min(pool.wait);
    let error = match pool.get_timeout(first) {
        Ok(connection) => return Ok(connection),
        Err(error) if pool.state().connections == 0 => error,
        Err(_) => match pool.get_timeout(pool.wait - first) {
            Ok(connection) => return Ok(connection),
            Err(error) if pool.state().connections == 0 => error,
            Err(error) => {
                log::warn!("no database connection: {error}");
                return Err(ApiError::Unavailable(format!(
                    "no database connection was free within {} s; try again shortly",
                    pool.wait.as_secs()
                )));
            }
        },
    };
    log::warn!("the database cannot be reached: {error}");
    Err(ApiError::Unavailable("the database cannot be reached; try again shortly".into()))
}

/// Runs `query` on a connection of `pool` in actix's blocking thread pool,
/// whatever the request reads from (see [`super::run`] for that).
pub async fn on_pool<T, F>(pool: &Pool, query: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    actix_web::web::block(move || query(&mut *pooled(&pool)?)).await.map_err(ApiError::internal)?
}
