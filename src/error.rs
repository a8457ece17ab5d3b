//! Every error the API answers, and how it is rendered.
//!
//! Policy: handlers and queries return `Result<_, ApiError>`; this module is
//! the only place that turns an error into an HTTP response. Every response
//! is RFC 9457 `application/problem+json` with a stable machine-readable
//! `code`. Client errors say precisely what was wrong (naming the parameter
//! or field). Server errors log their whole cause and answer a generic
//! message: no SQL, file path or stack trace ever reaches a client.
//! `diesel::NotFound` becomes a 404 here, in `From<diesel::result::Error>`.

use std::fmt;

use actix_web::http::{Method, StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::openapi::{RefOr, Response, schema::Ref};
use utoipa::{IntoResponses, ToResponse, ToSchema};

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "about:blank",
    "title": "Not Found",
    "status": 404,
    "detail": "no publication has the id or slug 'missing'",
    "code": "NOT_FOUND"
}))]
pub struct Problem {
    /// Always `about:blank`: the `code` member identifies the problem.
    #[serde(rename = "type")]
    pub problem_type: &'static str,
    /// The HTTP status phrase.
    pub title: &'static str,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong, for a person.
    pub detail: String,
    /// A stable machine-readable code; see the API description for the list.
    pub code: ErrorCode,
    /// The parameters or fields at fault, when there are any.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// One parameter or field at fault.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct FieldError {
    /// The query parameter or JSON field.
    pub field: String,
    /// A stable code for this kind of fault.
    pub code: &'static str,
    /// What is wrong with it, for a person.
    pub message: String,
}

/// The stable codes of every error the API answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    /// A query parameter is unknown, repeated or out of range, or a header
    /// (`If-Match`) is malformed (400).
    InvalidParameter,
    /// The body is not JSON, or not a JSON object (400).
    MalformedBody,
    /// The bearer token is missing, malformed, unknown, revoked or
    /// expired (401).
    Unauthorized,
    /// The token is valid but its scope does not allow this request:
    /// `WWW-Authenticate` names the scope needed (403).
    InsufficientScope,
    /// No resource has that id or slug, or no route has that path (404).
    NotFound,
    /// The publication was public and is no longer: its `unpublish_at`
    /// has passed (410).
    Expired,
    /// A change-feed cursor is older than the events kept, or ahead of
    /// the log: start again without a cursor (410).
    CursorExpired,
    /// The route exists but not for this method (405).
    MethodNotAllowed,
    /// The slug in the path is a former one: `Location` has the current
    /// URL (301 for reads, 308 for writes).
    Moved,
    /// The request target is longer than the server reads (414).
    UriTooLong,
    /// The request's header fields are more, or longer, than the server
    /// reads (431).
    HeadersTooLarge,
    /// A slug is taken, or the resource is still in use (409).
    Conflict,
    /// A restore refers to things that no longer exist (a category, a
    /// link's target): `errors` lists each one (409).
    MissingReferences,
    /// `If-Match` names a version that is no longer current (412).
    PreconditionFailed,
    /// The body is larger than the route reads: 1 MiB of JSON, or the
    /// upload limit of a file (413).
    PayloadTooLarge,
    /// The body is not `application/json`, or a file's type is not allowed
    /// or not the one declared (415).
    UnsupportedMediaType,
    /// The `Range` asked for starts past the end of the file:
    /// `Content-Range` gives its size (416).
    RangeNotSatisfiable,
    /// Fields of the body are invalid; `errors` lists every one (422).
    ValidationFailed,
    /// The client sent more requests than the rate limit allows;
    /// `Retry-After` says when to try again (429).
    RateLimited,
    /// The database or the file storage cannot be reached (503).
    Unavailable,
    /// An unexpected fault on the server (500).
    Internal,
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.serialize(formatter)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("invalid query parameter {parameter}: {message}")]
    InvalidParameter { parameter: String, reason: &'static str, message: String },
    #[error("{0}")]
    MalformedBody(String),
    /// No token where one is needed.
    #[error("{0}")]
    Unauthorized(String),
    /// A token was sent and is malformed, unknown, revoked or expired.
    #[error("{0}")]
    InvalidToken(String),
    /// The token's scope is narrower than the request needs.
    #[error("this request needs a token of scope '{needed}'; this one has '{held}'")]
    InsufficientScope { needed: &'static str, held: &'static str },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Expired(String),
    #[error("{0}")]
    CursorExpired(String),
    #[error("method {method} is not allowed here")]
    MethodNotAllowed { method: Method, allowed: Vec<Method> },
    #[error("{detail}")]
    Moved { location: String, detail: String, keep_method: bool },
    #[error("the request target is {length} bytes long; at most {limit} are read")]
    UriTooLong { length: usize, limit: usize },
    #[error(
        "the request has {count} header fields in {bytes} bytes; at most {max_count} fields in {max_bytes} bytes are read"
    )]
    HeadersTooLarge { count: usize, bytes: usize, max_count: usize, max_bytes: usize },
    #[error("{0}")]
    Conflict(String),
    /// What a restore refers to and no longer exists, each listed.
    #[error("{detail}")]
    MissingReferences { detail: String, missing: Vec<FieldError> },
    #[error("{0}")]
    PreconditionFailed(String),
    #[error("the body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("the range asked for is not within the file's {size} bytes")]
    RangeNotSatisfiable { size: u64 },
    #[error("invalid fields: {0:?}")]
    ValidationFailed(Vec<FieldError>),
    /// Past the rate limit: retry after so many seconds.
    #[error("{detail}")]
    RateLimited { detail: String, retry_after: u64 },
    /// The database cannot answer now: the detail, for the client, says why.
    #[error("{0}")]
    Unavailable(String),
    /// A write lost a race with another process's writes (a deadlock, a
    /// serialisation failure): tried again, then a 503.
    #[error("the write lost a race with another: {0}")]
    Contention(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn invalid_parameter(parameter: &str, reason: &'static str, message: impl Into<String>) -> Self {
        Self::InvalidParameter { parameter: parameter.to_owned(), reason, message: message.into() }
    }

    /// The 404 for an id or slug that names no `resource`.
    pub fn no_such(resource: &str, reference: impl fmt::Display) -> Self {
        Self::NotFound(format!("no {resource} has the id or slug '{reference}'"))
    }

    /// The database cannot be reached: `cause` is logged, not sent.
    pub fn unreachable(cause: impl fmt::Display) -> Self {
        log::warn!("the database cannot be reached: {cause}");
        Self::Unavailable("the database cannot be reached; try again shortly".into())
    }

    pub fn internal(cause: impl fmt::Display) -> Self {
        Self::Internal(cause.to_string())
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            Self::InvalidParameter { .. } => ErrorCode::InvalidParameter,
            Self::MalformedBody(_) => ErrorCode::MalformedBody,
            Self::Unauthorized(_) | Self::InvalidToken(_) => ErrorCode::Unauthorized,
            Self::InsufficientScope { .. } => ErrorCode::InsufficientScope,
            Self::MissingReferences { .. } => ErrorCode::MissingReferences,
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::Expired(_) => ErrorCode::Expired,
            Self::CursorExpired(_) => ErrorCode::CursorExpired,
            Self::MethodNotAllowed { .. } => ErrorCode::MethodNotAllowed,
            Self::Moved { .. } => ErrorCode::Moved,
            Self::UriTooLong { .. } => ErrorCode::UriTooLong,
            Self::HeadersTooLarge { .. } => ErrorCode::HeadersTooLarge,
            Self::Conflict(_) => ErrorCode::Conflict,
            Self::PreconditionFailed(_) => ErrorCode::PreconditionFailed,
            Self::PayloadTooLarge { .. } => ErrorCode::PayloadTooLarge,
            Self::UnsupportedMediaType(_) => ErrorCode::UnsupportedMediaType,
            Self::RangeNotSatisfiable { .. } => ErrorCode::RangeNotSatisfiable,
            Self::ValidationFailed(_) => ErrorCode::ValidationFailed,
            Self::RateLimited { .. } => ErrorCode::RateLimited,
            Self::Unavailable(_) | Self::Contention(_) => ErrorCode::Unavailable,
            Self::Internal(_) => ErrorCode::Internal,
        }
    }

    fn problem(&self) -> Problem {
        let status = self.status_code();
        let (detail, errors) = match self {
            Self::InvalidParameter { parameter, reason, message } => (
                format!(
                    "{} '{parameter}': {message}",
                    if parameter.starts_with(char::is_uppercase) { "header" } else { "query parameter" }
                ),
                vec![FieldError { field: parameter.clone(), code: reason, message: message.clone() }],
            ),
            Self::MalformedBody(detail)
            | Self::Unauthorized(detail)
            | Self::InvalidToken(detail)
            | Self::NotFound(detail)
            | Self::Expired(detail)
            | Self::CursorExpired(detail)
            | Self::Conflict(detail)
            | Self::PreconditionFailed(detail)
            | Self::UnsupportedMediaType(detail) => (detail.clone(), Vec::new()),
            Self::Moved { detail, .. } => (detail.clone(), Vec::new()),
            Self::PayloadTooLarge { .. }
            | Self::UriTooLong { .. }
            | Self::HeadersTooLarge { .. }
            | Self::InsufficientScope { .. }
            | Self::RangeNotSatisfiable { .. } => (self.to_string(), Vec::new()),
            Self::MissingReferences { detail, missing } => (detail.clone(), missing.clone()),
            Self::ValidationFailed(errors) => {
                let fields: Vec<&str> = errors.iter().map(|error| error.field.as_str()).collect();
                (format!("invalid fields: {}", fields.join(", ")), errors.clone())
            }
            Self::MethodNotAllowed { method, allowed } => {
                let allowed: Vec<&str> = allowed.iter().map(Method::as_str).collect();
                (format!("{method} is not allowed here; allowed: {}", allowed.join(", ")), Vec::new())
            }
            Self::Unavailable(detail) | Self::RateLimited { detail, .. } => (detail.clone(), Vec::new()),
            Self::Contention(_) => ("the write met other writes and could not finish; try again".into(), Vec::new()),
            Self::Internal(_) => ("an unexpected error occurred; it has been logged".into(), Vec::new()),
        };
        Problem {
            problem_type: "about:blank",
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail,
            code: self.code(),
            errors,
        }
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(error: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match error {
            Error::NotFound => Self::NotFound("the resource does not exist".into()),
            // A race that the checks before the write could not see.
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                Self::Conflict("a resource with the same slug or name already exists".into())
            }
            Error::DatabaseError(DatabaseErrorKind::SerializationFailure, info) => {
                Self::Contention(info.message().to_owned())
            }
            Error::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                info,
            ) => Self::unreachable(info.message()),
            Error::DatabaseError(_, info) if info.message().contains("deadlock detected") => {
                Self::Contention(info.message().to_owned())
            }
            // The database's volume is full (SQLite's SQLITE_FULL,
            // PostgreSQL's disk_full): writes are refused until space is
            // freed; reads go on.
            Error::DatabaseError(_, info)
                if info.message().contains("database or disk is full")
                    || info.message().contains("No space left on device") =>
            {
                log::error!("the database's disk is full: {}", info.message());
                Self::Unavailable("the database's disk is full: writes are refused until space is freed".into())
            }
            // SQLite's busy timeout, PostgreSQL's lock timeout: the write
            // lock stayed taken longer than a write may wait.
            Error::DatabaseError(_, info)
                if info.message().contains("database is locked") || info.message().contains("lock timeout") =>
            {
                log::warn!("a write waited for the lock in vain: {}", info.message());
                Self::Unavailable("the database is busy with other writes; try again shortly".into())
            }
            other => Self::Internal(other.to_string()),
        }
    }
}

/// Gives a query's `NotFound` a message that names what was asked for.
pub trait OrNotFound<T> {
    fn or_not_found(self, error: impl FnOnce() -> ApiError) -> Result<T, ApiError>;
}

impl<T> OrNotFound<T> for diesel::QueryResult<T> {
    fn or_not_found(self, error: impl FnOnce() -> ApiError) -> Result<T, ApiError> {
        match self {
            Err(diesel::result::Error::NotFound) => Err(error()),
            other => other.map_err(ApiError::from),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::InvalidParameter { .. } | Self::MalformedBody(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) | Self::InvalidToken(_) => StatusCode::UNAUTHORIZED,
            Self::InsufficientScope { .. } => StatusCode::FORBIDDEN,
            Self::MissingReferences { .. } => StatusCode::CONFLICT,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Expired(_) | Self::CursorExpired(_) => StatusCode::GONE,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::Moved { keep_method: false, .. } => StatusCode::MOVED_PERMANENTLY,
            Self::Moved { keep_method: true, .. } => StatusCode::PERMANENT_REDIRECT,
            Self::UriTooLong { .. } => StatusCode::URI_TOO_LONG,
            Self::HeadersTooLarge { .. } => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::RangeNotSatisfiable { .. } => StatusCode::RANGE_NOT_SATISFIABLE,
            Self::ValidationFailed(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) | Self::Contention(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if self.status_code().is_server_error() {
            log::error!("{self}");
        }
        let mut response = HttpResponse::build(self.status_code());
        response.content_type("application/problem+json");
        if let Self::MethodNotAllowed { allowed, .. } = self {
            let allowed: Vec<&str> = allowed.iter().map(Method::as_str).collect();
            response.insert_header((header::ALLOW, allowed.join(", ")));
        }
        match self {
            Self::Unavailable(_) => {
                response.insert_header((header::RETRY_AFTER, "5"));
            }
            Self::Contention(_) => {
                response.insert_header((header::RETRY_AFTER, "1"));
            }
            Self::RangeNotSatisfiable { size } => {
                response.insert_header((header::CONTENT_RANGE, format!("bytes */{size}")));
            }
            Self::RateLimited { retry_after, .. } => {
                response.insert_header((header::RETRY_AFTER, retry_after.to_string()));
            }
            Self::Unauthorized(_) => {
                response.insert_header((header::WWW_AUTHENTICATE, r#"Bearer realm="parution""#));
            }
            // RFC 6750, section 3.
            Self::InvalidToken(detail) => {
                let description = detail.replace(['"', '\\'], "'");
                response.insert_header((
                    header::WWW_AUTHENTICATE,
                    format!(r#"Bearer realm="parution", error="invalid_token", error_description="{description}""#),
                ));
            }
            Self::InsufficientScope { needed, .. } => {
                response.insert_header((
                    header::WWW_AUTHENTICATE,
                    format!(r#"Bearer realm="parution", error="insufficient_scope", scope="{needed}""#),
                ));
            }
            Self::Moved { location, .. } => {
                response.insert_header((header::LOCATION, location.as_str()));
            }
            _ => {}
        }
        response.json(self.problem())
    }
}

/// 400: a query parameter is unknown, repeated, malformed or out of range,
/// or the body is not a JSON object.
#[derive(ToResponse)]
#[response(
    description = "A query parameter is unknown, repeated, malformed or out of range (`errors` names it), or the body is not a JSON object.",
    content_type = "application/problem+json",
    example = json!({
        "type": "about:blank",
        "title": "Bad Request",
        "status": 400,
        "detail": "query parameter 'per_page': must be an integer from 1 to 100",
        "code": "INVALID_PARAMETER",
        "errors": [{"field": "per_page", "code": "out_of_range", "message": "must be an integer from 1 to 100"}]
    })
)]
pub struct BadRequest(pub Problem);

/// 404: nothing has that id or slug.
#[derive(ToResponse)]
#[response(
    description = "No resource has that id or slug.",
    content_type = "application/problem+json",
    example = json!({
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "no publication has the id or slug 'missing'",
        "code": "NOT_FOUND"
    })
)]
pub struct NotFound(pub Problem);

/// 410: the publication left public view.
#[derive(ToResponse)]
#[response(
    description = "The publication was public and its `unpublish_at` has passed: it is gone from public view (a token holder still reads it). Its former slugs answer the same.",
    content_type = "application/problem+json",
    example = json!({
        "type": "about:blank",
        "title": "Gone",
        "status": 410,
        "detail": "the publication 'avis-de-consultation' left public view at 2026-12-05T10:00:00Z",
        "code": "EXPIRED"
    })
)]
pub struct Gone(pub Problem);

/// 410: a change-feed cursor is expired.
#[derive(ToResponse)]
#[response(
    description = "The cursor is older than the events kept (`PARUTION_EVENTS_KEEP_DAYS`), or ahead of the log: start again without a cursor, from a snapshot.",
    content_type = "application/problem+json",
    example = json!({
        "type": "about:blank",
        "title": "Gone",
        "status": 410,
        "detail": "this cursor is older than the events kept (90 days); start again without a cursor",
        "code": "CURSOR_EXPIRED"
    })
)]
pub struct CursorGone(pub Problem);

/// 301: the slug is a former one.
#[derive(ToResponse)]
#[response(
    description = "The slug in the path is a former one of this resource: `Location` gives its current URL, query string kept. Writes to a former slug answer 308 instead, so that the method and body are kept.",
    content_type = "application/problem+json",
    headers(("Location" = String, description = "The resource's current URL.")),
    example = json!({
        "type": "about:blank",
        "title": "Moved Permanently",
        "status": 301,
        "detail": "this publication's slug is now 'concertation-fournisseurs-ia-ayants-droit'",
        "code": "MOVED"
    })
)]
pub struct Moved(pub Problem);

/// 414: the request target is too long.
#[derive(ToResponse)]
#[response(
    description = "The request target (path and query) is longer than 16 KiB.",
    content_type = "application/problem+json",
    example = json!({
        "type": "about:blank",
        "title": "URI Too Long",
        "status": 414,
        "detail": "the request target is 17021 bytes long; at most 16384 are read",
        "code": "URI_TOO_LONG"
    })
)]
pub struct UriTooLong(pub Problem);

/// 431: the header fields are too many or too long.
#[derive(ToResponse)]
#[response(
    description = "The request's header fields are more than 64, or longer than 32 KiB in all.",
    content_type = "application/problem+json",
    example = json!({
        "type": "about:blank",
        "title": "Request Header Fields Too Large",
        "status": 431,
        "detail": "the request has 12 header fields in 40113 bytes; at most 64 fields in 32768 bytes are read",
        "code": "HEADERS_TOO_LARGE"
    })
)]
pub struct HeadersTooLarge(pub Problem);

/// 304: the client's copy is current.
#[derive(ToResponse)]
#[response(
    description = "The copy the client holds is current (`If-None-Match`, or `If-Modified-Since` without it): no body, the same validators.",
    headers(
        ("ETag" = String, description = "The representation's entity tag."),
        ("Last-Modified" = String, description = "When the catalogue last changed."),
        ("Cache-Control" = String, description = "As on the 200 answer."),
    )
)]
pub struct NotModified;

/// 429: past the rate limit.
#[derive(ToResponse)]
#[response(
    description = "More requests than the rate limit allows (`PARUTION_RATE_LIMIT`, per token or per client address); retry after `Retry-After` seconds.",
    content_type = "application/problem+json",
    headers(
        ("Retry-After" = i64, description = "Seconds until a request is allowed again."),
        ("RateLimit-Limit" = i64, description = "Requests allowed per window."),
        ("RateLimit-Remaining" = i64, description = "Requests left now: 0."),
        ("RateLimit-Reset" = i64, description = "Seconds until a request is allowed again."),
        ("RateLimit-Policy" = String, description = "The limit and its window in seconds: `600;w=60`."),
    ),
    example = json!({
        "type": "about:blank",
        "title": "Too Many Requests",
        "status": 429,
        "detail": "more than 600 requests in 60 s from this client; retry in 1 s",
        "code": "RATE_LIMITED"
    })
)]
pub struct TooManyRequests(pub Problem);

/// 503: the database cannot be reached.
#[derive(ToResponse)]
#[response(
    description = "The database cannot be reached; retry after the delay in `Retry-After`.",
    content_type = "application/problem+json",
    example = json!({
        "type": "about:blank",
        "title": "Service Unavailable",
        "status": 503,
        "detail": "the database cannot be reached; try again shortly",
        "code": "UNAVAILABLE"
    })
)]
pub struct Unavailable(pub Problem);

/// 401: no valid bearer token.
#[derive(ToResponse)]
#[response(
    description = "The `Authorization: Bearer` token is missing, malformed, unknown, revoked or expired.",
    content_type = "application/problem+json",
    headers(("WWW-Authenticate" = String, description = "`Bearer realm=\"parution\"`, with `error=\"invalid_token\"` when the token sent is not valid (RFC 6750).")),
    example = json!({
        "type": "about:blank",
        "title": "Unauthorized",
        "status": 401,
        "detail": "this request needs an API token: send Authorization: Bearer <token>",
        "code": "UNAUTHORIZED"
    })
)]
pub struct Unauthorized(pub Problem);

/// 409: a slug is taken, or the resource is still in use.
#[derive(ToResponse)]
#[response(
    description = "A slug is taken, or the resource is still in use.",
    content_type = "application/problem+json",
    example = json!({
        "type": "about:blank",
        "title": "Conflict",
        "status": 409,
        "detail": "the slug 'etudes-publications' is taken",
        "code": "CONFLICT"
    })
)]
pub struct Conflict(pub Problem);

/// 403: the token's scope is too narrow.
#[derive(ToResponse)]
#[response(
    description = "The token is valid, but its scope does not allow this request (`read` < `write` < `admin`).",
    content_type = "application/problem+json",
    headers(("WWW-Authenticate" = String, description = "`Bearer realm=\"parution\", error=\"insufficient_scope\", scope=\"write\"`: the scope needed (RFC 6750).")),
    example = json!({
        "type": "about:blank",
        "title": "Forbidden",
        "status": 403,
        "detail": "this request needs a token of scope 'write'; this one has 'read'",
        "code": "INSUFFICIENT_SCOPE"
    })
)]
pub struct Forbidden(pub Problem);

/// 412: `If-Match` is stale.
#[derive(ToResponse)]
#[response(
    description = "`If-Match` names a version that is no longer current; nothing was changed.",
    content_type = "application/problem+json",
    example = json!({
        "type": "about:blank",
        "title": "Precondition Failed",
        "status": 412,
        "detail": "If-Match does not match the current version \"3\"; fetch it again",
        "code": "PRECONDITION_FAILED"
    })
)]
pub struct PreconditionFailed(pub Problem);

/// 413: the body is too large.
#[derive(ToResponse)]
#[response(
    description = "The body is larger than the operation reads: 1 MiB of JSON, or `PARUTION_MAX_UPLOAD_MB` of a file (refused before it is read when `Content-Length` says so).",
    content_type = "application/problem+json",
    example = json!({
        "type": "about:blank",
        "title": "Payload Too Large",
        "status": 413,
        "detail": "the body is larger than 1048576 bytes",
        "code": "PAYLOAD_TOO_LARGE"
    })
)]
pub struct PayloadTooLarge(pub Problem);

/// 415: the body is not JSON.
#[derive(ToResponse)]
#[response(
    description = "The body's `Content-Type` is not one this operation accepts.",
    content_type = "application/problem+json",
    example = json!({
        "type": "about:blank",
        "title": "Unsupported Media Type",
        "status": 415,
        "detail": "send the body as application/json",
        "code": "UNSUPPORTED_MEDIA_TYPE"
    })
)]
pub struct UnsupportedMediaType(pub Problem);

/// 416: the range starts past the end of the file.
#[derive(ToResponse)]
#[response(
    description = "The `Range` asked for starts past the end of the file; `Content-Range` gives its size.",
    content_type = "application/problem+json",
    headers(("Content-Range" = String, description = "`bytes */size`.")),
    example = json!({
        "type": "about:blank",
        "title": "Range Not Satisfiable",
        "status": 416,
        "detail": "the range asked for is not within the file's 2345678 bytes",
        "code": "RANGE_NOT_SATISFIABLE"
    })
)]
pub struct RangeNotSatisfiable(pub Problem);

/// 422: fields of the body are invalid.
#[derive(ToResponse)]
#[response(
    description = "Fields of the body are invalid or unknown; `errors` lists every one. Nothing was changed.",
    content_type = "application/problem+json",
    example = json!({
        "type": "about:blank",
        "title": "Unprocessable Entity",
        "status": 422,
        "detail": "invalid fields: title, status",
        "code": "VALIDATION_FAILED",
        "errors": [
            {"field": "title", "code": "required", "message": "is required"},
            {"field": "status", "code": "invalid_choice", "message": "must be one of draft, published, archived"}
        ]
    })
)]
pub struct ValidationFailed(pub Problem);

/// The errors every write with a body may answer: 400, 401, 403, 413, 415, 422
/// and 503, as references to the shared responses above.
pub struct BodyErrors;

impl IntoResponses for BodyErrors {
    fn responses() -> std::collections::BTreeMap<String, RefOr<Response>> {
        [
            ("400", "BadRequest"),
            ("401", "Unauthorized"),
            ("403", "Forbidden"),
            ("413", "PayloadTooLarge"),
            ("415", "UnsupportedMediaType"),
            ("422", "ValidationFailed"),
            ("503", "Unavailable"),
        ]
        .into_iter()
        .map(|(status, name)| (status.to_owned(), RefOr::Ref(Ref::from_response_name(name))))
        .collect()
    }
}
