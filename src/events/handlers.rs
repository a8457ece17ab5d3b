//! The change feed's handler.

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use utoipa::IntoParams;

use crate::auth::Access;
use crate::categories::queries as category_queries;
use crate::config::HistorySettings;
use crate::db::{self, Pool};
use crate::domain::{Reference, is_language_tag};
use crate::error::{ApiError, BadRequest, CursorGone, Unauthorized, Unavailable};
use crate::query::QueryParams;

use super::cursor::Position;
use super::dto::ChangePage;
use super::feed::{self, LogHead};
use super::view::{View, is_type_pattern};

/// How long a long poll waits before reading again when the log has grown
/// on the primary but not yet on the replica it reads from.
const REPLICA_LAG_STEP: Duration = Duration::from_millis(50);

/// Types, categories or languages a filter may list at most.
const MAX_VALUES: usize = 50;

/// The change feed's parameters.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChangesQuery {
    /// Where to go on from: the `next_cursor` of the previous page.
    /// Without it, the feed starts with a snapshot of the current state
    /// (one `*.snapshot` event per category and per publication in view),
    /// then goes on with the log.
    #[param(required = false)]
    pub cursor: Option<String>,
    /// How many events a page holds at most.
    #[param(required = false, minimum = 1, maximum = 1000, default = 100)]
    pub limit: Option<i64>,
    /// When there is nothing new, how many seconds to wait for something
    /// before answering an empty page (a long poll).
    #[param(required = false, minimum = 0, maximum = 60, default = 0)]
    pub wait: Option<i64>,
    /// Only these event types: comma-separated or repeated, each a type
    /// (`publication.published`), a family (`publication.*`) or `*`. A
    /// tombstone matches its `cause` too. A mirror should not filter
    /// types (or keep `*.snapshot` and `publication.removed`).
    #[param(required = false, style = Form, explode, example = json!(["publication.*"]))]
    pub r#type: Vec<String>,
    /// Only publications filed directly under one of these categories (id
    /// or slug; comma-separated or repeated). A publication moved out of
    /// them is a tombstone here. Category events are not filtered.
    #[param(required = false, style = Form, explode, example = json!(["etudes-publications"]))]
    pub category: Vec<String>,
    /// Only publications in this language (a BCP 47 tag); repeat it, or
    /// separate tags with commas, for several.
    #[param(required = false, example = "fr")]
    pub language: Option<String>,
    /// Without a cursor: whether to start with the snapshot (`true`) or at
    /// the end of the log, with what happens next only (`false`).
    #[param(required = false, default = true)]
    pub snapshot: Option<bool>,
}

/// Every value of a parameter, comma-separated or repeated.
fn listed(params: &QueryParams, name: &str) -> Result<Vec<String>, ApiError> {
    let values: Vec<String> =
        params.all(name).into_iter().flat_map(|value| value.split(',')).map(|value| value.trim().to_owned()).collect();
    if values.iter().any(String::is_empty) {
        return Err(ApiError::invalid_parameter(name, "empty", "must not hold an empty value"));
    }
    if values.len() > MAX_VALUES {
        return Err(ApiError::invalid_parameter(name, "too_many", format!("may list at most {MAX_VALUES} values")));
    }
    Ok(values)
}

/// The view a request asks for, its categories not yet resolved.
struct Asked {
    view: View,
    categories: Vec<Reference>,
}

impl Asked {
    fn parse(params: &QueryParams, access: Access) -> Result<Self, ApiError> {
        let types = listed(params, "type")?;
        if let Some(bad) = types.iter().find(|pattern| !is_type_pattern(pattern)) {
            return Err(ApiError::invalid_parameter(
                "type",
                "invalid_type",
                format!("'{bad}' is not an event type (publication.published), a family (publication.*) or *"),
            ));
        }
        let languages = listed(params, "language")?;
        if let Some(bad) = languages.iter().find(|tag| !is_language_tag(tag)) {
            return Err(ApiError::invalid_parameter(
                "language",
                "invalid_language",
                format!("must be BCP 47 language tags such as fr or fr-BE, got '{bad}'"),
            ));
        }
        let categories = listed(params, "category")?
            .iter()
            .map(|raw| {
                Reference::parse(raw).ok_or_else(|| {
                    ApiError::invalid_parameter(
                        "category",
                        "unknown_category",
                        format!("no category has the id or slug '{raw}'"),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { view: View { drafts: access.is_editor(), types, categories: Vec::new(), languages }, categories })
    }
}

/// Follow changes
///
/// Every change a reader could see, oldest first, from the event log that
/// each write appends to in its own transaction (numbered `seq`, in commit
/// order): publications created, updated, scheduled, published,
/// unpublished, archived, expired (at their `unpublish_at`), restored,
/// trashed, put back or deleted; categories created, changed, moved or
/// deleted. Events are thin: fetch the resource from `href` when you need
/// it.
///
/// **Mirroring.** Start without a cursor: the feed begins with a snapshot
/// of the current state (`*.snapshot` events), then goes on with the log.
/// Keep `next_cursor` and ask again; when `has_more` is false you are
/// caught up, and `wait` (up to 60 s) holds the request until something
/// happens. Apply each event: a `tombstone` deletes your copy; anything
/// else creates or refreshes it. Whatever leaves your view — a deletion,
/// the trash, an unpublication, an expiry, a move out of the categories
/// or languages you filter on — is a tombstone (`publication.removed`,
/// with its `cause`), carrying its categories and language. After a
/// `catalogue.imported` event (a bulk load), start over without a cursor.
///
/// Without a token, only public events: a draft's changes are never
/// shown, and a publication appears when it is published. With a token
/// (any scope), everything that exists. Events are kept
/// `PARUTION_EVENTS_KEEP_DAYS` (90 by default): an older cursor is a 410,
/// and the client starts over.
#[utoipa::path(
    tag = "changes",
    params(ChangesQuery),
    security((), ("bearer" = ["read"])),
    responses(
        (status = 200, description = "A page of events (maybe empty: keep `next_cursor`).", body = ChangePage),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 410, response = CursorGone),
        (status = 503, response = Unavailable),
    )
)]
#[get("/changes")]
pub async fn changes(
    pool: web::Data<Pool>,
    head: web::Data<Arc<LogHead>>,
    history: web::Data<HistorySettings>,
    access: Access,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let params = QueryParams::parse(
        request.query_string(),
        &["cursor", "limit", "wait", "type", "category", "language", "snapshot"],
    )?;
    let limit = params.integer("limit", 1, 1000, 100)?;
    let wait = params.integer("wait", 0, 60, 0)?;
    let snapshot = params.boolean("snapshot", true)?;
    let cursor = params.text("cursor")?.map(str::to_owned);
    let Asked { mut view, categories } = Asked::parse(&params, access)?;
    if !categories.is_empty() {
        view.categories = db::run(&pool, move |connection| {
            let tree = category_queries::tree(connection)?;
            categories
                .iter()
                .map(|reference| match reference {
                    // An id names its category even once it is deleted, so
                    // that a follower's cursor stays good.
                    Reference::Id(id) => Ok(*id),
                    Reference::Slug(_) => tree.find(reference).map(|row| row.id).ok_or_else(|| {
                        ApiError::invalid_parameter(
                            "category",
                            "unknown_category",
                            format!("no category has the id or slug '{reference}'"),
                        )
                    }),
                })
                .collect::<Result<Vec<i32>, ApiError>>()
        })
        .await?;
    }
    let fingerprint = view.fingerprint();
    let mut position = cursor.map(|raw| Position::decode(&raw, &fingerprint)).transpose()?;
    let deadline = Instant::now() + Duration::from_secs(wait as u64);
    let keep_days = history.events_keep_days;
    let view = Arc::new(view);
    loop {
        let asked_view = view.clone();
        let page = db::run(&pool, move |connection| {
            feed::read(connection, &asked_view, position, snapshot, limit, keep_days, db::now())
        })
        .await?;
        let waiting = page.events.is_empty() && !page.more && Instant::now() < deadline;
        if let (true, Position::Log { seq }) = (waiting, page.next)
            && head.wait_past(&pool, seq, deadline).await
        {
            if position == Some(page.next) {
                // The log has grown where this process looks (the primary),
                // not yet where this read was answered from (a replica
                // catching up): look again shortly.
                actix_web::rt::time::sleep(REPLICA_LAG_STEP).await;
            }
            position = Some(page.next);
            continue;
        }
        let body = ChangePage {
            data: page.events,
            next_cursor: page.next.encode(&fingerprint),
            has_more: page.more,
            snapshot: page.snapshot,
        };
        let cache = if access.is_editor() { "private, no-store" } else { "no-store" };
        return Ok(HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, cache))
            .insert_header((header::VARY, "Authorization"))
            .json(body));
    }
}
