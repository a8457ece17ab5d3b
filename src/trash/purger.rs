//! Purges what has been in the trash longer than `PARUTION_TRASH_DAYS`.
//!
//! Every server process runs [`run`]: once a minute after it starts, then
//! every hour, it purges the publications trashed before the limit, a
//! bounded batch a transaction, so that a large trash never holds the
//! write lock for long. Two processes purging at once take turns on the
//! catalogue's lock; the second finds nothing left.

use std::time::Duration;

use chrono::TimeDelta;

use crate::config::HistorySettings;
use crate::db::{self, Pool};
use crate::error::ApiError;
use crate::publications::history;

/// Publications purged in one transaction at most.
const BATCH: i64 = 100;

const FIRST: Duration = Duration::from_secs(60);
const EVERY: Duration = Duration::from_secs(3600);

/// Purges, in batches, every publication trashed more than the settings'
/// days ago; returns how many.
pub async fn purge_expired(pool: &Pool, settings: HistorySettings) -> Result<usize, ApiError> {
    let mut purged = 0;
    loop {
        let before = db::now() - TimeDelta::days(i64::from(settings.trash_days));
        let batch = db::write(pool, move |connection| history::purge_due(connection, before, BATCH)).await?;
        purged += batch;
        if (batch as i64) < BATCH {
            return Ok(purged);
        }
    }
}

/// Runs for as long as the server does.
pub async fn run(pool: Pool, settings: HistorySettings) {
    actix_web::rt::time::sleep(FIRST).await;
    loop {
        match purge_expired(&pool, settings).await {
            Ok(0) => {}
            Ok(purged) => {
                log::info!("purged {purged} publication(s) from the trash after {} days", settings.trash_days)
            }
            Err(error) => log::warn!("the trash could not be purged now: {error}"),
        }
        actix_web::rt::time::sleep(EVERY).await;
    }
}
