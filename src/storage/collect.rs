//! The collector: removes the blobs no row refers to, and the uploads a
//! crash left, once they are older than a grace period. A blob an upload
//! has just written is younger than that, so no upload in progress loses
//! its blob; a referenced blob is never removed. What remains: an upload
//! of bytes already stored (and old) that wrote them again, inserted its
//! row and checked its blob all between the moment this read that blob's
//! age, just before deleting it, and the deletion (a few milliseconds) — the upload's own
//! check after its row (`Staged::settle`) comes
//! before the deletion then.

use std::collections::HashSet;
use std::time::Duration;

use futures_util::TryStreamExt;
use object_store::ObjectStore;
use object_store::path::Path;

use super::{BLOBS, Storage, StorageError, UPLOADS};

/// What a collection did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Collected {
    /// Blobs some row refers to.
    pub referenced: usize,
    /// Blobs and uploads removed, and their bytes.
    pub removed: usize,
    pub removed_bytes: u64,
    /// Unreferenced blobs left because they are younger than the grace
    /// period.
    pub young: usize,
}

impl Storage {
    /// Removes every blob whose hash is not in `referenced`, and every
    /// staged upload, written more than `grace` ago. `referenced` must be
    /// read after this storage's listing could have begun (the caller reads
    /// it first, and the listing sees blobs written since as young).
    pub async fn collect(&self, referenced: &HashSet<String>, grace: Duration) -> Result<Collected, StorageError> {
        let before = chrono::Utc::now() - chrono::TimeDelta::from_std(grace).unwrap_or(chrono::TimeDelta::MAX);
        let mut collected = Collected::default();
        for folder in [BLOBS, UPLOADS] {
            let listed: Vec<object_store::ObjectMeta> =
                self.store.list(Some(&Path::from(folder))).try_collect().await?;
            for object in listed {
                let name = object.location.filename().unwrap_or_default();
                if folder == BLOBS && referenced.contains(name) {
                    collected.referenced += 1;
                    continue;
                }
                if object.last_modified > before {
                    collected.young += 1;
                    continue;
                }
                // Its age again, just before: an upload of the same bytes
                // since the listing wrote it afresh.
                match self.store.head(&object.location).await {
                    Ok(now) if now.last_modified > before => {
                        collected.young += 1;
                        continue;
                    }
                    Ok(_) => {}
                    Err(object_store::Error::NotFound { .. }) => continue,
                    Err(error) => return Err(error.into()),
                }
                match self.store.delete(&object.location).await {
                    Ok(()) | Err(object_store::Error::NotFound { .. }) => {
                        collected.removed += 1;
                        collected.removed_bytes += object.size;
                    }
                    Err(error) => return Err(error.into()),
                }
            }
        }
        if let Some(folder) = &self.folder {
            let (removed, bytes) = remove_old_parts(&folder.join(UPLOADS), grace);
            collected.removed += removed;
            collected.removed_bytes += bytes;
        }
        Ok(collected)
    }
}

/// Removes the files under `uploads` of a folder older than `grace`: the
/// parts of an upload a crash interrupted, which `object_store` keeps
/// beside their object's name and never lists.
fn remove_old_parts(uploads: &std::path::Path, grace: Duration) -> (usize, u64) {
    let (mut removed, mut bytes) = (0, 0);
    for entry in std::fs::read_dir(uploads).into_iter().flatten().flatten() {
        let Ok(metadata) = entry.metadata() else { continue };
        let old = metadata.modified().ok().and_then(|modified| modified.elapsed().ok()).is_some_and(|age| age >= grace);
        if metadata.is_file() && old && std::fs::remove_file(entry.path()).is_ok() {
            removed += 1;
            bytes += metadata.len();
        }
    }
    (removed, bytes)
}
