//! What happens once at a release or an expiry.
//!
//! A write that schedules a transition (a `published_at` or an
//! `unpublish_at` still to come) records it in `scheduled_transitions`, in
//! its own transaction, replacing those of the publication not yet
//! announced. Every server process runs [`run`]: it sleeps until the
//! earliest transition due (looking again at least every second, for
//! those other processes record), then claims the due ones, does what a
//! transition does, and marks them announced, in one write transaction:
//! the catalogue's lock (and, on PostgreSQL, `FOR UPDATE SKIP LOCKED` on
//! the rows) makes it happen once across processes, whichever notices it
//! first. A transition that came while no process ran is announced by the
//! first one to start. Visibility never waits for this: it is decided at
//! each read.
//!
//! What a transition does: its event in the event log
//! (`publication.published` at a release, `publication.expired` at an
//! expiry), in the transaction that announces it, so exactly once; a log
//! line; the `parution_scheduled_transitions_total` and
//! `parution_scheduled_transition_delay_seconds` metrics.

use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::change::events as change_events;
use crate::db::schema::{publications, scheduled_transitions};
use crate::db::{self, DbConnection, Pool};
use crate::error::ApiError;
use crate::metrics;
use crate::publications::store::{self as publication_store, Transition};

/// The longest a process sleeps before it looks again for a transition
/// that another process recorded: how late such a one may be announced.
const LOOK_AGAIN: Duration = Duration::from_secs(1);

/// Transitions claimed in one transaction at most.
const BATCH: i64 = 100;

/// A transition announced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Announced {
    pub publication_id: i32,
    pub slug: String,
    /// `release` or `expiry`.
    pub kind: String,
    pub due_at: NaiveDateTime,
    pub announced_at: NaiveDateTime,
}

/// Announces the transitions due at `at` that nobody announced, as
/// process `name`, in one write transaction; returns them.
pub fn announce_due(connection: &mut DbConnection, name: &str, at: NaiveDateTime) -> Result<Vec<Announced>, ApiError> {
    db::write_transaction(connection, |connection| {
        let due = scheduled_transitions::table
            .inner_join(publications::table)
            .filter(scheduled_transitions::announced_at.is_null().and(scheduled_transitions::due_at.le(at)))
            .order((scheduled_transitions::due_at, scheduled_transitions::publication_id))
            .limit(BATCH)
            .select((
                scheduled_transitions::publication_id,
                publications::slug,
                scheduled_transitions::kind,
                scheduled_transitions::due_at,
                publications::version,
            ));
        let due: Vec<(i32, String, String, NaiveDateTime, i32)> = match connection {
            DbConnection::Postgresql(postgres) => due.for_update().skip_locked().load(postgres)?,
            DbConnection::Sqlite(sqlite) => due.load(sqlite)?,
        };
        let mut announced = Vec::with_capacity(due.len());
        for (publication_id, slug, kind, due_at, version) in due {
            diesel::update(scheduled_transitions::table.find((publication_id, kind.clone(), due_at)))
                .set((scheduled_transitions::announced_at.eq(at), scheduled_transitions::announced_by.eq(name)))
                .execute(connection)?;
            // Seen at its instant: what it became then, however late this is.
            if let Some(seen) = publication_store::seen_stored(connection, publication_id, due_at)? {
                let event = if kind == Transition::RELEASE { "publication.published" } else { "publication.expired" };
                change_events::transition(connection, due_at, publication_id, event, version, &seen)?;
            }
            announced.push(Announced { publication_id, slug, kind, due_at, announced_at: at });
        }
        Ok(announced)
    })
}

/// The earliest transition not yet announced.
fn next_due(connection: &mut DbConnection) -> QueryResult<Option<NaiveDateTime>> {
    scheduled_transitions::table
        .filter(scheduled_transitions::announced_at.is_null())
        .select(scheduled_transitions::due_at)
        .order(scheduled_transitions::due_at)
        .first(connection)
        .optional()
}

/// Announces transitions at their instant, for as long as the process
/// runs; `name` says which process announced each.
pub async fn run(pool: Pool, name: String) {
    loop {
        let pool_for_read = pool.clone();
        let next = db::run(&pool_for_read, |connection| Ok(next_due(connection)?)).await;
        let now = db::now();
        let wait = match next {
            Ok(Some(due)) if due <= now => {
                let name = name.clone();
                match db::run(&pool, move |connection| announce_due(connection, &name, db::now())).await {
                    Ok(announced) => {
                        if !announced.is_empty() {
                            db::commits::committed();
                        }
                        for transition in &announced {
                            did(transition);
                        }
                        continue;
                    }
                    Err(error) => {
                        log::warn!("cannot announce the transitions due: {error}");
                        LOOK_AGAIN
                    }
                }
            }
            Ok(Some(due)) => (due - now).to_std().unwrap_or_default().min(LOOK_AGAIN),
            Ok(None) => LOOK_AGAIN,
            Err(error) => {
                log::warn!("cannot read the transitions due: {error}");
                LOOK_AGAIN
            }
        };
        actix_web::rt::time::sleep(wait).await;
    }
}

/// What a transition does, once it is announced.
fn did(transition: &Announced) {
    let delay = (transition.announced_at - transition.due_at).num_microseconds().unwrap_or_default() as f64 / 1e6;
    metrics::transition_announced(&transition.kind, delay);
    log::info!(
        "{} of publication {} ('{}') due at {}Z, announced {:.3} s after",
        transition.kind,
        transition.publication_id,
        transition.slug,
        transition.due_at.format("%Y-%m-%dT%H:%M:%S%.3f"),
        delay
    );
}
