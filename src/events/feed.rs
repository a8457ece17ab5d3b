//! Reading the change feed: a page of the snapshot a feed starts with, or
//! of the log after a cursor, through a view; and waiting, without a
//! database connection, until the log grows.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};
use tokio::sync::watch;

use crate::categories::queries as category_queries;
use crate::change::events::{CATEGORY, PUBLICATION};
use crate::db::events::{self as log, Head};
use crate::db::fragment::Raw;
use crate::db::schema::publication_categories;
use crate::db::{self, DbConnection, Pool};
use crate::error::ApiError;
use crate::publications::visibility::{Viewer, visible};

use super::cursor::Position;
use super::dto::Event;
use super::view::View;

/// Log rows read for one page at most, however few the view keeps: a
/// narrow view over a busy log still answers quickly, and goes on from
/// where it stopped.
const MAX_SCANNED: i64 = 10_000;

/// A page read.
pub struct Page {
    pub events: Vec<Event>,
    pub next: Position,
    /// Whether more events are there now.
    pub more: bool,
    /// Whether the page is of the snapshot.
    pub snapshot: bool,
}

/// Checks a position against the log: a cursor older than what is kept,
/// or beyond what was ever written, is expired.
fn check(position: Position, head: Head, keep_days: u32) -> Result<(), ApiError> {
    let (seq, what) = match position {
        Position::Log { seq } => (seq, "cursor"),
        Position::Categories { head, .. } | Position::Publications { head, .. } => (head, "snapshot"),
    };
    if seq < head.pruned_through {
        return Err(ApiError::CursorExpired(format!(
            "this {what} is older than the events kept ({keep_days} days); start again without a cursor"
        )));
    }
    if seq > head.newest {
        return Err(ApiError::CursorExpired(format!(
            "this {what} is ahead of the event log (was the database replaced?); start again without a cursor"
        )));
    }
    Ok(())
}

/// Reads the page at `position` (the start of a snapshot when `None`;
/// the end of the log, when `snapshot` is false) of at most `limit` events.
pub fn read(
    connection: &mut DbConnection,
    view: &View,
    position: Option<Position>,
    snapshot: bool,
    limit: i64,
    keep_days: u32,
    at: NaiveDateTime,
) -> Result<Page, ApiError> {
    let head = log::head(connection)?;
    let position = match position {
        Some(position) => {
            check(position, head, keep_days)?;
            position
        }
        None if snapshot => Position::Categories { head: head.newest, after: 0 },
        None => Position::Log { seq: head.newest },
    };
    let snapshot = !matches!(position, Position::Log { .. });
    let mut events = Vec::new();
    let mut next = position;
    loop {
        let room = limit - events.len() as i64;
        match next {
            _ if room <= 0 => return Ok(Page { events, next, more: true, snapshot }),
            Position::Categories { head, after } => {
                let read = categories_after(connection, view, after, room)?;
                let last = read.last().and_then(|event| event.id);
                let done = (read.len() as i64) < room;
                events.extend(read);
                next = match (done, last) {
                    (true, _) => Position::Publications { head, after: 0 },
                    (false, last) => Position::Categories { head, after: last.unwrap_or(after) },
                };
            }
            Position::Publications { head, after } => {
                let read = publications_after(connection, view, after, room, at)?;
                let last = read.last().and_then(|event| event.id);
                let done = (read.len() as i64) < room;
                events.extend(read);
                if done {
                    // The snapshot is whole: the log goes on from its head.
                    return Ok(Page { events, next: Position::Log { seq: head }, more: true, snapshot });
                }
                next = Position::Publications { head, after: last.unwrap_or(after) };
            }
            Position::Log { seq } => {
                let (read, scanned_to, more) = log_after(connection, view, seq, room)?;
                events.extend(read);
                return Ok(Page { events, next: Position::Log { seq: scanned_to }, more, snapshot });
            }
        }
    }
}

/// The events of the log after `seq` that `view` shows, at most `limit`;
/// the last sequence number read; whether more rows remain.
fn log_after(
    connection: &mut DbConnection,
    view: &View,
    seq: i64,
    limit: i64,
) -> Result<(Vec<Event>, i64, bool), ApiError> {
    let batch = (limit * 4).clamp(100, 1000);
    let mut events = Vec::new();
    let mut at = seq;
    let mut scanned = 0;
    loop {
        let rows = log::after(connection, at, batch)?;
        let exhausted = (rows.len() as i64) < batch;
        for row in rows {
            at = row.seq;
            scanned += 1;
            if let Some(event) = view.present(&row) {
                events.push(event);
                if events.len() as i64 == limit {
                    let more = !exhausted || log::newest(connection)? > at;
                    return Ok((events, at, more));
                }
            }
        }
        if exhausted {
            return Ok((events, at, false));
        }
        if scanned >= MAX_SCANNED {
            return Ok((events, at, true));
        }
    }
}

/// The snapshot's categories after id `after`: every category (categories
/// are public, and unfiltered).
fn categories_after(
    connection: &mut DbConnection,
    view: &View,
    after: i32,
    limit: i64,
) -> Result<Vec<Event>, ApiError> {
    if !view.wants("category.snapshot", None) {
        return Ok(Vec::new());
    }
    let tree = category_queries::tree(connection)?;
    let mut rows: Vec<_> = tree.rows().filter(|row| row.id > after).collect();
    rows.sort_by_key(|row| row.id);
    Ok(rows
        .into_iter()
        .take(limit as usize)
        .map(|row| Event {
            seq: None,
            kind: "category.snapshot".to_owned(),
            cause: None,
            tombstone: false,
            resource: CATEGORY.to_owned(),
            id: Some(row.id),
            slug: Some(row.slug.clone()),
            language: None,
            version: Some(row.version),
            categories: Vec::new(),
            changed: Vec::new(),
            occurred_at: row.updated_at.and_utc(),
            href: Event::href_of(CATEGORY, row.id),
        })
        .collect())
}

/// The snapshot's publications after id `after` that `view` shows, at
/// `at`, by id.
fn publications_after(
    connection: &mut DbConnection,
    view: &View,
    after: i32,
    limit: i64,
    at: NaiveDateTime,
) -> Result<Vec<Event>, ApiError> {
    if !view.wants("publication.snapshot", None) {
        return Ok(Vec::new());
    }
    let access = if view.drafts { crate::auth::Access::Editor } else { crate::auth::Access::Public };
    let mut query = Raw::<(Integer, Text, Text, Integer, diesel::sql_types::Timestamp)>::new(
        "SELECT publications.id, publications.slug, publications.language, publications.version, publications.updated_at \
         FROM publications WHERE publications.id > ",
    )
    .big_int(i64::from(after))
    .sql(" AND ")
    .append(visible(&Viewer { access, at }));
    if !view.languages.is_empty() {
        query = query.sql(" AND LOWER(publications.language) IN (");
        for (position, language) in view.languages.iter().enumerate() {
            if position > 0 {
                query = query.sql(", ");
            }
            query = query.text(language.to_ascii_lowercase());
        }
        query = query.sql(")");
    }
    if !view.categories.is_empty() {
        query = query
            .sql(
                " AND EXISTS (SELECT 1 FROM publication_categories \
                 WHERE publication_categories.publication_id = publications.id AND publication_categories.category_id",
            )
            .in_ids(&view.categories)
            .sql(")");
    }
    let rows: Vec<(i32, String, String, i32, NaiveDateTime)> =
        query.sql(" ORDER BY publications.id LIMIT ").big_int(limit).load(connection)?;
    let ids: Vec<i32> = rows.iter().map(|row| row.0).collect();
    let filings: Vec<(i32, i32)> = publication_categories::table
        .filter(db::fragment::in_ids(publication_categories::publication_id, &ids))
        .order((publication_categories::publication_id, publication_categories::position))
        .select((publication_categories::publication_id, publication_categories::category_id))
        .load(connection)?;
    Ok(rows
        .into_iter()
        .map(|(id, slug, language, version, updated_at)| Event {
            seq: None,
            kind: "publication.snapshot".to_owned(),
            cause: None,
            tombstone: false,
            resource: PUBLICATION.to_owned(),
            id: Some(id),
            slug: Some(slug),
            language: Some(language),
            version: Some(version),
            categories: filings.iter().filter(|filing| filing.0 == id).map(|filing| filing.1).collect(),
            changed: Vec::new(),
            occurred_at: updated_at.and_utc(),
            href: Event::href_of(PUBLICATION, id),
        })
        .collect())
}

/// How often the log's end is looked at while someone waits, for events
/// other processes append (this process's own wake the waiters at once).
const LOOK_EVERY: Duration = Duration::from_millis(250);

/// The newest sequence number of the log as this process last read it,
/// for the requests that wait for the log to grow: one read for all of
/// them, and only while someone waits.
pub struct LogHead {
    newest: watch::Sender<i64>,
    waiting: AtomicUsize,
    watching: std::sync::Mutex<bool>,
}

impl LogHead {
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            newest: watch::channel(0).0,
            waiting: AtomicUsize::new(0),
            watching: std::sync::Mutex::new(false),
        })
    }

    /// Waits until the log holds an event after `seq`, or `deadline`;
    /// returns whether it does.
    pub async fn wait_past(self: &Arc<Self>, pool: &Pool, seq: i64, deadline: Instant) -> bool {
        let mut receiver = self.newest.subscribe();
        if *receiver.borrow_and_update() > seq {
            return true;
        }
        self.waiting.fetch_add(1, Ordering::SeqCst);
        self.watch(pool);
        let left = deadline.saturating_duration_since(Instant::now());
        let grown = actix_web::rt::time::timeout(left, receiver.wait_for(|newest| *newest > seq))
            .await
            .is_ok_and(|changed| changed.is_ok());
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        grown
    }

    /// Starts the watcher unless it runs: it reads the log's end while
    /// someone waits, then stops.
    fn watch(self: &Arc<Self>, pool: &Pool) {
        {
            let mut watching = self.watching.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if *watching {
                return;
            }
            *watching = true;
        }
        let head = Arc::downgrade(self);
        let pool = pool.clone();
        let mut commits = db::commits::subscribe();
        actix_web::rt::spawn(async move {
            loop {
                let Some(strong) = head.upgrade() else { return };
                if strong.waiting.load(Ordering::SeqCst) == 0 {
                    let mut watching = strong.watching.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                    if strong.waiting.load(Ordering::SeqCst) == 0 {
                        *watching = false;
                        return;
                    }
                }
                if let Ok(newest) = db::run(&pool, |connection| Ok(log::newest(connection)?)).await {
                    strong.newest.send_if_modified(|known| {
                        let grown = newest > *known;
                        *known = newest.max(*known);
                        grown
                    });
                }
                drop(strong);
                let _ = actix_web::rt::time::timeout(LOOK_EVERY, commits.changed()).await;
            }
        });
    }
}
