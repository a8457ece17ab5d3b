//! Typed settings, from command-line flags or the environment.

use std::fmt;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::str::FromStr;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::db::DatabaseUrl;

/// Parution serves publications, their categories and their related links
/// as a JSON/REST API.
#[derive(Debug, Parser)]
#[command(name = "parution", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Settings of `serve`, which runs when no subcommand is given.
    #[command(flatten)]
    pub serve: ServeSettings,
    /// How log lines are written: text, or one JSON object a line.
    #[arg(long, env = "PARUTION_LOG_FORMAT", value_enum, default_value_t, global = true)]
    pub log_format: crate::logging::LogFormat,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (the default).
    Serve(ServeSettings),
    /// Apply pending database migrations, then exit.
    Migrate(DatabaseSettings),
    /// Load the demo content (the seed page's three publications) if absent.
    SeedDemo(DatabaseSettings),
    /// Print the OpenAPI document.
    Openapi,
    /// Ask a running server whether it is ready: exits 0 when `--url`
    /// answers 2xx within the timeout, 1 otherwise (a container's health
    /// check, with nothing else installed).
    Health {
        /// The URL to ask; by default `/ready` at `PARUTION_BIND` (a
        /// wildcard address asked on loopback).
        #[arg(long)]
        url: Option<String>,
        /// Where the server listens, when `--url` is not given.
        #[arg(long, env = "PARUTION_BIND", default_value = "127.0.0.1:8080")]
        bind: String,
        /// Seconds to wait for the answer.
        #[arg(long, default_value_t = 3)]
        timeout: u64,
    },
    /// Write every category and publication, with categories, links and
    /// attachments, as JSON Lines to standard output.
    Export {
        /// A folder to copy the attachments' files into, each named by its
        /// SHA-256 (made if absent; files already there are kept).
        #[arg(long, value_name = "FOLDER")]
        files: Option<std::path::PathBuf>,
        #[command(flatten)]
        database: DatabaseSettings,
    },
    /// Load a JSON Lines file written by `export`, updating by slug what exists.
    Import {
        /// The file to read (`-` for standard input).
        file: std::path::PathBuf,
        /// The folder of files written by `export --files`: each file an
        /// attachment needs and the storage lacks is brought in from it,
        /// its SHA-256 checked, before anything is written.
        #[arg(long, value_name = "FOLDER")]
        files: Option<std::path::PathBuf>,
        #[command(flatten)]
        database: DatabaseSettings,
    },
    /// Manage the stored files.
    Storage {
        #[command(subcommand)]
        command: StorageCommand,
        #[command(flatten)]
        database: DatabaseSettings,
    },
    /// Manage the API tokens that writes need.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
        #[command(flatten)]
        database: DatabaseSettings,
    },
}

#[derive(Debug, Subcommand)]
pub enum StorageCommand {
    /// Remove the stored files no attachment refers to (deleted ones,
    /// and what a crash left), once older than the grace period; a file
    /// an attachment refers to is never removed.
    Gc {
        /// How old an unreferenced file must be to go: 90d, 12h or 30m.
        #[arg(long, default_value = "1h", value_parser = parse_duration)]
        grace: chrono::TimeDelta,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it: it is shown this once, and only its hash is kept.
    Create {
        /// A name to tell the token by (who or what uses it).
        #[arg(long)]
        name: String,
        /// What it may do: read (drafts, history, the trash), write
        /// (content and restores, includes read) or admin (tokens and
        /// purges, includes write). Repeatable: the widest one given
        /// counts. Without it, write.
        #[arg(long = "scope", value_name = "SCOPE")]
        scopes: Vec<crate::tokens::scope::Scope>,
        /// How long it is valid: a number of days (90d), hours (12h) or
        /// minutes (30m). Without it, until revoked.
        #[arg(long, value_parser = parse_duration)]
        expires_in: Option<chrono::TimeDelta>,
    },
    /// List tokens: names, creation and last use, never secrets.
    List,
    /// Revoke a token: it stops working at once.
    Revoke {
        /// The token's name.
        name: String,
    },
}

/// A duration as `90d`, `12h` or `30m`.
pub fn parse_duration(text: &str) -> Result<chrono::TimeDelta, String> {
    let invalid = || format!("'{text}' is not a duration such as 90d, 12h or 30m");
    let unit = text.chars().last().ok_or_else(invalid)?;
    let count: i64 = text[..text.len() - unit.len_utf8()].parse().map_err(|_| invalid())?;
    if !(1..=36_500 * 24 * 60).contains(&count) {
        return Err(invalid());
    }
    match unit {
        'd' if count <= 36_500 => Ok(chrono::TimeDelta::days(count)),
        'h' if count <= 36_500 * 24 => Ok(chrono::TimeDelta::hours(count)),
        'm' => Ok(chrono::TimeDelta::minutes(count)),
        _ => Err(invalid()),
    }
}

#[derive(Clone, Debug, Args)]
pub struct DatabaseSettings {
    /// Where the data lives: sqlite://PATH (embedded) or postgres://USER:PASSWORD@HOST/DATABASE.
    #[arg(long, env = "PARUTION_DATABASE_URL", default_value = "sqlite://data/parution.db")]
    pub database_url: DatabaseUrl,
    /// How many database connections to keep open.
    #[arg(long, env = "PARUTION_POOL_SIZE", default_value_t = 10)]
    pub pool_size: u32,
    /// How many seconds a request may wait for a free database connection
    /// before a 503.
    #[arg(long, env = "PARUTION_POOL_TIMEOUT", default_value_t = 30)]
    pub pool_timeout: u64,
    /// How many milliseconds a write may wait for the write lock before a
    /// 503.
    #[arg(long, env = "PARUTION_LOCK_TIMEOUT_MS", default_value_t = 5000)]
    pub lock_timeout_ms: u64,
    #[command(flatten)]
    pub history: HistorySettings,
    #[command(flatten)]
    pub storage: StorageSettings,
}

/// How much of the past the catalogue keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Args)]
pub struct HistorySettings {
    /// How many revisions of each publication are kept, the newest ones
    /// (every revision that changed its status is kept besides).
    #[arg(long, env = "PARUTION_REVISIONS_KEEP", default_value_t = 50,
        value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub revisions_keep: u32,
    /// After how many days a publication in the trash is purged, with its
    /// history.
    #[arg(long, env = "PARUTION_TRASH_DAYS", default_value_t = 30,
        value_parser = clap::value_parser!(u32).range(1..=36_500))]
    pub trash_days: u32,
    /// How many days the event log keeps its events (and webhooks their
    /// delivery log): a change-feed cursor older than that is expired.
    #[arg(long, env = "PARUTION_EVENTS_KEEP_DAYS", default_value_t = 90,
        value_parser = clap::value_parser!(u32).range(1..=36_500))]
    pub events_keep_days: u32,
}

impl Default for HistorySettings {
    fn default() -> Self {
        Self { revisions_keep: 50, trash_days: 30, events_keep_days: 90 }
    }
}

/// Where files are kept, and how large an upload may be.
#[derive(Clone, Debug, Default, PartialEq, Eq, Args)]
pub struct StorageSettings {
    /// Where attachments' bytes are kept: file:///PATH (a folder) or
    /// s3://BUCKET/PREFIX (S3-compatible object storage, configured by
    /// AWS_ENDPOINT, AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
    /// and, for a plain-HTTP endpoint, AWS_ALLOW_HTTP=true). Default: the
    /// folder `files` beside the SQLite database (data/files for
    /// PostgreSQL). Every server of one database must share it.
    #[arg(long, env = "PARUTION_STORAGE_URL")]
    pub storage_url: Option<String>,
}

impl StorageSettings {
    /// Opens the storage, for the database `database` when none is set.
    pub fn open(&self, database: &DatabaseUrl) -> Result<crate::storage::Storage, String> {
        match &self.storage_url {
            Some(url) => crate::storage::Storage::open(url),
            None => crate::storage::Storage::local(&database.default_files()),
        }
    }
}

/// How webhooks are delivered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Args)]
pub struct WebhookSettings {
    /// Deliver to loopback, private and link-local addresses too (a
    /// webhook target is refused there otherwise, at registration and at
    /// every delivery, so that no one can make the server call its own
    /// network).
    #[arg(long, env = "PARUTION_WEBHOOKS_ALLOW_PRIVATE", default_value_t = false, action = clap::ArgAction::Set)]
    pub allow_private: bool,
}

impl DatabaseSettings {
    /// The settings for `url`, with the defaults.
    pub fn new(database_url: DatabaseUrl) -> Self {
        Self {
            database_url,
            pool_size: 10,
            pool_timeout: 30,
            lock_timeout_ms: 5000,
            history: HistorySettings::default(),
            storage: StorageSettings::default(),
        }
    }

    pub fn waits(&self) -> crate::db::Waits {
        crate::db::Waits {
            connection: std::time::Duration::from_secs(self.pool_timeout.max(1)),
            lock: std::time::Duration::from_millis(self.lock_timeout_ms.max(1)),
        }
    }
}

#[derive(Clone, Debug, Args)]
pub struct ServeSettings {
    #[command(flatten)]
    pub database: DatabaseSettings,
    /// A streaming replica of the PostgreSQL database (postgres://…) that
    /// answers anonymous reads; writes and requests with a token go to the
    /// primary, and reads fall back to it while the replica is unreachable.
    #[arg(long, env = "PARUTION_READ_DATABASE_URL")]
    pub read_database_url: Option<DatabaseUrl>,
    /// The address and port to listen on.
    #[arg(long, env = "PARUTION_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// Where to serve /metrics instead of the main address (for example
    /// 127.0.0.1:9090), so that metrics need not be public.
    #[arg(long, env = "PARUTION_METRICS_BIND")]
    pub metrics_bind: Option<String>,
    /// How many HTTP worker threads to run (default: one per CPU core).
    #[arg(long, env = "PARUTION_WORKERS")]
    pub workers: Option<usize>,
    #[command(flatten)]
    pub http: HttpSettings,
    #[command(flatten)]
    pub webhooks: WebhookSettings,
    /// The largest file an upload may carry, in MiB.
    #[arg(long, env = "PARUTION_MAX_UPLOAD_MB", default_value_t = 100,
        value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub max_upload_mb: u64,
    /// On SIGTERM or SIGINT: how many seconds requests in flight may take to
    /// finish before the server stops anyway.
    #[arg(long, env = "PARUTION_SHUTDOWN_TIMEOUT", default_value_t = 30)]
    pub shutdown_timeout: u64,
    /// Load the demo content at start-up if absent. A new SQLite database
    /// always gets it; PostgreSQL only when this is given.
    #[arg(long)]
    pub demo: bool,
}

/// How answers behave towards browsers, caches and feed readers.
#[derive(Clone, Debug, Args)]
pub struct HttpSettings {
    /// Browser origins allowed to write, comma-separated (for example
    /// https://admin.example.org). Any origin may read.
    #[arg(long, env = "PARUTION_CORS_ORIGINS", value_delimiter = ',', num_args = 0..)]
    pub cors_origins: Vec<String>,
    /// How many seconds shared caches and browsers may keep an anonymous read.
    #[arg(long, env = "PARUTION_CACHE_MAX_AGE", default_value_t = HttpSettings::DEFAULT_MAX_AGE)]
    pub cache_max_age: u32,
    /// The front end's URL of a publication, for feeds: a template with
    /// {slug} (or {id}), e.g. https://www.example.org/publications/{slug}.
    /// Without it, feeds link to the API.
    #[arg(long, env = "PARUTION_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// How many MiB of encoded answers to anonymous reads the server keeps
    /// until the catalogue changes (0: none).
    #[arg(long, env = "PARUTION_RESPONSE_CACHE_MB", default_value_t = HttpSettings::DEFAULT_RESPONSE_CACHE_MB)]
    pub response_cache_mb: u64,
    /// Requests allowed per token, or per client address without one, for
    /// example 600/min (also /s, /h). Off when not set. Kept per replica.
    #[arg(long, env = "PARUTION_RATE_LIMIT")]
    pub rate_limit: Option<RateLimit>,
    /// Proxies whose X-Forwarded-For names the client, comma-separated
    /// addresses or networks (10.0.0.0/8). Without them, the peer is the client.
    #[arg(long, env = "PARUTION_TRUSTED_PROXIES", value_delimiter = ',', num_args = 0..)]
    pub trusted_proxies: Vec<Network>,
}

impl HttpSettings {
    pub const DEFAULT_MAX_AGE: u32 = 60;
    pub const DEFAULT_RESPONSE_CACHE_MB: u64 = 64;
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            cors_origins: Vec::new(),
            cache_max_age: Self::DEFAULT_MAX_AGE,
            public_url: None,
            response_cache_mb: Self::DEFAULT_RESPONSE_CACHE_MB,
            rate_limit: None,
            trusted_proxies: Vec::new(),
        }
    }
}

impl HttpSettings {
    /// Where a reader finds publication `slug` (`id`): its page on the
    /// front end when `public_url` is set, else its URL on the API
    /// (`api`: the scheme and authority the client reached).
    pub fn publication_url(&self, api: &str, slug: &str, id: i32) -> String {
        match &self.public_url {
            Some(template) => template.replace("{slug}", slug).replace("{id}", &id.to_string()),
            None => format!("{api}/api/v1/publications/{slug}"),
        }
    }

    /// The front end's URL, when `public_url` is set and valid.
    pub fn front_end(&self) -> Option<url::Url> {
        self.public_url.as_deref().and_then(|template| url::Url::parse(&template.replace(['{', '}'], "")).ok())
    }

    /// The domain that names this catalogue in stable identifiers (feed
    /// entry ids, calendar event UIDs): the front end's host, else the host
    /// the client reached (`host`).
    pub fn authority(&self, host: &str) -> String {
        match self.front_end() {
            Some(front_end) => front_end.host_str().unwrap_or("localhost").to_owned(),
            None => host.split(':').next().unwrap_or("localhost").to_owned(),
        }
    }
}

/// A limit: so many requests per window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    pub requests: NonZeroU32,
    pub window: Duration,
}

impl FromStr for RateLimit {
    type Err = String;

    /// `600/min`, `10/s`, `36000/h` (also `sec`, `second`, `minute`,
    /// `hour`).
    fn from_str(text: &str) -> Result<Self, String> {
        let invalid = || format!("a rate limit reads like 600/min, 10/s or 36000/h, not '{text}'");
        let (count, unit) = text.trim().split_once('/').ok_or_else(invalid)?;
        let requests = count.trim().parse::<NonZeroU32>().map_err(|_| invalid())?;
        let window = match unit.trim() {
            "s" | "sec" | "second" => Duration::from_secs(1),
            "min" | "minute" => Duration::from_secs(60),
            "h" | "hour" => Duration::from_secs(3600),
            _ => return Err(invalid()),
        };
        Ok(Self { requests, window })
    }
}

impl fmt::Display for RateLimit {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}/{}s", self.requests, self.window.as_secs())
    }
}

/// An address or a network (`10.0.0.0/8`, `::1`) that proxies connect from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Network {
    address: IpAddr,
    prefix: u8,
}

impl FromStr for Network {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let invalid = || format!("a trusted proxy is an address or a network (10.0.0.0/8), not '{text}'");
        let (address, prefix) = match text.trim().split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text.trim(), None),
        };
        let address: IpAddr = address.parse().map_err(|_| invalid())?;
        let bits = if address.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(prefix) => prefix.parse::<u8>().ok().filter(|prefix| *prefix <= bits).ok_or_else(invalid)?,
            None => bits,
        };
        Ok(Self { address, prefix })
    }
}

impl Network {
    /// Whether `address` is in this network.
    pub fn contains(&self, address: IpAddr) -> bool {
        let mask = |bits: u32| if self.prefix == 0 { 0 } else { u128::MAX << (bits - u32::from(self.prefix)) };
        match (self.address, address.to_canonical()) {
            (IpAddr::V4(network), IpAddr::V4(address)) => {
                let mask = mask(32) as u32;
                u32::from(network) & mask == u32::from(address) & mask
            }
            (IpAddr::V6(network), IpAddr::V6(address)) => {
                let mask = mask(128);
                u128::from(network) & mask == u128::from(address) & mask
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_and_networks_read_as_documented() {
        let limit: RateLimit = "600/min".parse().unwrap();
        assert_eq!((limit.requests.get(), limit.window), (600, Duration::from_secs(60)));
        assert!("0/min".parse::<RateLimit>().is_err());
        assert!("600/fortnight".parse::<RateLimit>().is_err());
        let network: Network = "10.0.0.0/8".parse().unwrap();
        assert!(network.contains("10.20.30.40".parse().unwrap()));
        assert!(!network.contains("11.0.0.1".parse().unwrap()));
        assert!(network.contains("::ffff:10.0.0.1".parse().unwrap()), "a mapped IPv4 address is that address");
        let one: Network = "::1".parse().unwrap();
        assert!(one.contains("::1".parse().unwrap()) && !one.contains("::2".parse().unwrap()));
        assert!("10.0.0.0/33".parse::<Network>().is_err());
    }
}
