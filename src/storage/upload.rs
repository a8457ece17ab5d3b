//! An upload as it streams: each chunk is hashed and sent on to the
//! storage at once, so no file is ever held whole in memory. The bytes go
//! to `uploads/<random>` until their hash is known; [`Upload::finish`]
//! copies them to their blob, and [`Staged::settle`], once the row that
//! refers to the blob is committed, makes sure the blob is still there and
//! removes the staged copy.

use bytes::Bytes;
use object_store::path::Path;
use object_store::{ObjectStore, WriteMultipart};
use sha2::{Digest, Sha256, Sha512};

use super::{Blob, Storage, StorageError, UPLOADS, hex};

/// How many parts may be on their way at once: with the one filling, the
/// memory an upload holds is three parts.
const PARTS_IN_FLIGHT: usize = 2;
/// How many of the first bytes are kept to tell the file's type.
pub const HEAD: usize = 8 * 1024;

/// An upload in progress.
pub struct Upload {
    storage: Storage,
    staging: Path,
    writer: Option<WriteMultipart>,
    sha256: Sha256,
    /// Only when a client's digest names it: it halves the throughput.
    sha512: Option<Sha512>,
    size: u64,
    limit: u64,
    head: Vec<u8>,
}

/// Why an upload stopped.
#[derive(Debug)]
pub enum UploadError {
    /// More than the limit was sent.
    TooLarge {
        limit: u64,
    },
    Storage(StorageError),
}

impl From<StorageError> for UploadError {
    fn from(error: StorageError) -> Self {
        Self::Storage(error)
    }
}

impl From<object_store::Error> for UploadError {
    fn from(error: object_store::Error) -> Self {
        Self::Storage(error.into())
    }
}

/// The hashes of an upload's bytes, as RFC 9530 digests name them.
#[derive(Clone, Debug)]
pub struct Digests {
    pub sha256: [u8; 32],
    /// When it was asked for.
    pub sha512: Option<[u8; 64]>,
}

impl Upload {
    pub(super) async fn start(storage: &Storage, limit: u64, sha512: bool) -> Result<Self, StorageError> {
        let mut name = [0u8; 16];
        getrandom::fill(&mut name).map_err(|error| StorageError::Failed(error.to_string()))?;
        let staging = Path::from(format!("{UPLOADS}/{}", hex(&name)));
        let upload = storage.store.put_multipart(&staging).await?;
        Ok(Self {
            storage: storage.clone(),
            staging,
            writer: Some(WriteMultipart::new_with_chunk_size(upload, storage.part)),
            sha256: Sha256::new(),
            sha512: sha512.then(Sha512::new),
            size: 0,
            limit,
            head: Vec::new(),
        })
    }

    /// Sends `chunk` on; an error when the upload grows past its limit.
    pub async fn write(&mut self, chunk: Bytes) -> Result<(), UploadError> {
        self.size += chunk.len() as u64;
        if self.size > self.limit {
            return Err(UploadError::TooLarge { limit: self.limit });
        }
        if self.head.len() < HEAD {
            let wanted = (HEAD - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..wanted]);
        }
        self.sha256.update(&chunk);
        if let Some(sha512) = &mut self.sha512 {
            sha512.update(&chunk);
        }
        let writer = self.writer.as_mut().ok_or_else(|| StorageError::Failed("the upload was closed".into()))?;
        writer.wait_for_capacity(PARTS_IN_FLIGHT).await?;
        writer.put(chunk);
        Ok(())
    }

    /// The first bytes (up to 8 KiB), to tell the file's type by.
    pub fn head(&self) -> &[u8] {
        &self.head
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// The bytes' hashes so far.
    pub fn digests(&self) -> Digests {
        Digests {
            sha256: self.sha256.clone().finalize().into(),
            sha512: self.sha512.as_ref().map(|sha512| sha512.clone().finalize().into()),
        }
    }

    /// Ends the upload and leaves nothing of it behind.
    pub async fn abort(mut self) {
        if let Some(writer) = self.writer.take()
            && let Err(error) = writer.abort().await
        {
            log::warn!("cannot abort the upload {}: {error}", self.staging);
        }
        remove(&self.storage, &self.staging).await;
    }

    /// Completes the upload and stores its bytes as their blob. The
    /// staged copy stays until [`Staged::settle`] or [`Staged::discard`].
    pub async fn finish(mut self) -> Result<Staged, StorageError> {
        let writer = self.writer.take().ok_or_else(|| StorageError::Failed("the upload was closed".into()))?;
        if let Err(error) = writer.finish().await {
            remove(&self.storage, &self.staging).await;
            return Err(error.into());
        }
        let blob = Blob { sha256: hex(&self.sha256.clone().finalize()), size: self.size };
        let staged = Staged { storage: self.storage.clone(), staging: self.staging.clone(), blob };
        // Written again even when the same bytes are there already: the
        // blob's time says it is wanted, so the collector leaves it.
        if let Err(error) = staged.copy().await {
            staged.discard().await;
            return Err(error);
        }
        Ok(staged)
    }
}

/// An upload stored as its blob, its staged copy not yet removed.
pub struct Staged {
    storage: Storage,
    staging: Path,
    pub blob: Blob,
}

impl Staged {
    async fn copy(&self) -> Result<(), StorageError> {
        let to = Storage::blob_path(&self.blob.sha256);
        Ok(self.storage.store.copy(&self.staging, &to).await?)
    }

    /// Once a row refers to the blob: copies it again should the collector
    /// have taken it meanwhile (it was unreferenced and old a moment
    /// before), then removes the staged copy.
    pub async fn settle(self) {
        match self.storage.exists(&self.blob.sha256).await {
            Ok(true) => {}
            Ok(false) => {
                if let Err(error) = self.copy().await {
                    log::error!("the blob {} was collected and cannot be written again: {error}", self.blob.sha256);
                    return;
                }
            }
            Err(error) => log::warn!("cannot check the blob {}: {error}", self.blob.sha256),
        }
        remove(&self.storage, &self.staging).await;
    }

    /// When no row will refer to the blob: removes the staged copy (the
    /// blob, which another row may share, is left to the collector).
    pub async fn discard(self) {
        remove(&self.storage, &self.staging).await;
    }
}

async fn remove(storage: &Storage, path: &Path) {
    match storage.store.delete(path).await {
        Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
        Err(error) => log::warn!("cannot remove {path}: {error}"),
    }
}
