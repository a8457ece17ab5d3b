//! Prunes the event log, and the webhooks' delivery log, past
//! `PARUTION_EVENTS_KEEP_DAYS`.
//!
//! Every server process runs [`run`]: a minute after it starts, then every
//! hour, it deletes the events older than the limit, oldest first and a
//! bounded batch a transaction (under the catalogue's lock, like any write
//! to the log), and the deliveries that ended before it. A cursor from
//! before the pruned events is then answered 410.

use std::time::Duration;

use chrono::TimeDelta;

use crate::config::HistorySettings;
use crate::db::{self, Pool};
use crate::error::ApiError;
use crate::webhooks;

/// Events pruned in one transaction at most.
const BATCH: i64 = 5000;

const FIRST: Duration = Duration::from_secs(60);
const EVERY: Duration = Duration::from_secs(3600);

/// Prunes, in batches, what is older than the settings' days; returns how
/// many events and deliveries went.
pub async fn prune_expired(pool: &Pool, settings: HistorySettings) -> Result<(usize, usize), ApiError> {
    let before = db::now() - TimeDelta::days(i64::from(settings.events_keep_days));
    let mut events = 0;
    loop {
        let batch = db::write(pool, move |connection| Ok(db::events::prune(connection, before, BATCH)?)).await?;
        events += batch;
        if (batch as i64) < BATCH {
            break;
        }
    }
    let deliveries =
        db::run(pool, move |connection| Ok(webhooks::store::prune_deliveries(connection, before)?)).await?;
    Ok((events, deliveries))
}

/// Runs for as long as the server does.
pub async fn run(pool: Pool, settings: HistorySettings) {
    actix_web::rt::time::sleep(FIRST).await;
    loop {
        match prune_expired(&pool, settings).await {
            Ok((0, 0)) => {}
            Ok((events, deliveries)) => log::info!(
                "pruned {events} event(s) and {deliveries} webhook deliveries older than {} days",
                settings.events_keep_days
            ),
            Err(error) => log::warn!("the event log could not be pruned now: {error}"),
        }
        actix_web::rt::time::sleep(EVERY).await;
    }
}
