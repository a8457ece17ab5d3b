//! Removes the stored bytes no attachment refers to any more: those of
//! deleted attachments and publications, and what a failed or interrupted
//! write left. Every server process runs [`run`] (a few minutes after it
//! starts, then hourly); `parution storage gc` runs [`collect`] once.
//! Only what was written more than the grace period ago is removed, so an
//! upload in progress keeps its bytes; a blob some row refers to is never
//! removed.

use std::time::Duration;

use crate::db::{self, Pool};
use crate::error::ApiError;
use crate::storage::{Collected, Storage};

use super::queries;

/// How old an unreferenced blob must be to be removed, unless told.
pub const GRACE: Duration = Duration::from_secs(3600);

const FIRST: Duration = Duration::from_secs(300);
const EVERY: Duration = Duration::from_secs(3600);

/// One collection: the references are read first, so a blob written after
/// that read is younger than `grace` when listed.
pub async fn collect(pool: &Pool, storage: &Storage, grace: Duration) -> Result<Collected, ApiError> {
    let referenced = db::run(pool, |connection| Ok(queries::referenced(connection)?)).await?;
    Ok(storage.collect(&referenced, grace).await?)
}

/// Runs for as long as the server does.
pub async fn run(pool: Pool, storage: Storage) {
    actix_web::rt::time::sleep(FIRST).await;
    loop {
        match collect(&pool, &storage, GRACE).await {
            Ok(collected) if collected.removed > 0 => log::info!(
                "removed {} unreferenced file(s), {} bytes, from {}",
                collected.removed,
                collected.removed_bytes,
                storage.location
            ),
            Ok(_) => {}
            Err(error) => log::warn!("unreferenced files could not be collected now: {error}"),
        }
        actix_web::rt::time::sleep(EVERY).await;
    }
}
