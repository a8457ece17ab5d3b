//! Where the bytes of files live: a local folder or S3-compatible object
//! storage, through the `object_store` crate. Knows no resource: it stores
//! blobs named by the SHA-256 of their bytes, so the same bytes are stored
//! once whoever uploads them, and a blob's name says what it holds.
//!
//! A blob is written before the database row that refers to it, so a row
//! always has its file; what a crash or a failed write leaves behind is a
//! blob no row refers to, which [`Storage::collect`] removes once it is
//! older than a grace period.

mod collect;
mod folder;
pub mod upload;

use std::ops::Range;
use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use object_store::{GetOptions, GetRange, GetResultPayload, ObjectStore, PutPayload};
use sha2::{Digest, Sha256};

pub use collect::Collected;
pub use upload::{Staged, Upload};

use crate::error::ApiError;

const MIB: usize = 1024 * 1024;

/// The folder of blobs, named `blobs/<first two hex digits>/<sha256>`.
const BLOBS: &str = "blobs";
/// The folder uploads stream into before their hash is known.
const UPLOADS: &str = "uploads";

/// What went wrong with the storage.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The blob is not there.
    #[error("no blob {0}")]
    Missing(String),
    /// The storage could not be reached or refused the operation.
    #[error("the file storage failed: {0}")]
    Failed(String),
}

impl From<object_store::Error> for StorageError {
    fn from(error: object_store::Error) -> Self {
        match error {
            object_store::Error::NotFound { path, .. } => Self::Missing(path),
            other => Self::Failed(other.to_string()),
        }
    }
}

impl From<StorageError> for ApiError {
    fn from(error: StorageError) -> Self {
        log::warn!("{error}");
        match error {
            // A row whose blob is gone: the storage lost it (a row is
            // written after its blob, and a referenced blob is never
            // collected).
            StorageError::Missing(_) => ApiError::Unavailable("the file cannot be read from storage now".into()),
            StorageError::Failed(_) => {
                ApiError::Unavailable("the file storage cannot be reached; try again shortly".into())
            }
        }
    }
}

/// A blob: the SHA-256 of its bytes (hex) and its size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Blob {
    pub sha256: String,
    pub size: u64,
}

/// The storage of blobs.
#[derive(Clone)]
pub struct Storage {
    store: Arc<dyn ObjectStore>,
    /// The size of the parts an upload is sent in: S3 needs at least
    /// 5 MiB but for the last; a folder takes any.
    part: usize,
    /// A folder's path: the collector also removes the parts an upload
    /// killed mid-way left there (`object_store` lists none of them).
    folder: Option<PathBuf>,
    /// Where it is, for logs (no secret).
    pub location: String,
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Storage").field("location", &self.location).finish()
    }
}

impl Storage {
    /// Opens `url`: `file:///path` (or a bare path), or `s3://bucket/prefix`
    /// configured by the standard AWS variables (`AWS_ENDPOINT`,
    /// `AWS_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
    /// `AWS_ALLOW_HTTP` for a plain-HTTP endpoint).
    pub fn open(url: &str) -> Result<Self, String> {
        if let Some(rest) = url.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(format!("the storage URL {url} names no bucket"));
            }
            let s3 = AmazonS3Builder::from_env()
                .with_bucket_name(bucket)
                .build()
                .map_err(|error| format!("cannot use the storage {url}: {error}"))?;
            let prefix = prefix.trim_matches('/');
            let store: Arc<dyn ObjectStore> =
                if prefix.is_empty() { Arc::new(s3) } else { Arc::new(PrefixStore::new(s3, prefix)) };
            return Ok(Self { store, part: 5 * MIB, folder: None, location: format!("s3://{bucket}/{prefix}") });
        }
        let path = match url.strip_prefix("file://") {
            Some(path) => PathBuf::from(path),
            None if !url.contains("://") => PathBuf::from(url),
            None => return Err(format!("the storage URL {url} is neither file://… nor s3://…")),
        };
        Self::local(&path)
    }

    /// A folder of this process in the temporary directory: where an
    /// application built without a storage (a test's) keeps its files.
    pub fn scratch() -> Self {
        let path = std::env::temp_dir().join(format!("parution-files-{}", std::process::id()));
        Self::local(&path).unwrap_or_else(|_| Self {
            store: Arc::new(object_store::memory::InMemory::new()),
            part: MIB,
            folder: None,
            location: "memory".into(),
        })
    }

    /// A folder on this machine, made if absent.
    pub fn local(path: &FsPath) -> Result<Self, String> {
        let cannot =
            |error: &dyn std::fmt::Display| format!("cannot use the folder {} for files: {error}", path.display());
        std::fs::create_dir_all(path).map_err(|error| cannot(&error))?;
        let store = LocalFileSystem::new_with_prefix(path).map_err(|error| cannot(&error))?;
        Ok(Self {
            store: Arc::new(store),
            part: MIB,
            folder: Some(path.to_owned()),
            location: format!("file://{}", path.display()),
        })
    }

    fn blob_path(sha256: &str) -> Path {
        Path::from(format!("{BLOBS}/{}/{sha256}", &sha256[..2.min(sha256.len())]))
    }

    /// Starts streaming an upload of at most `limit` bytes, hashed with
    /// SHA-256 (and SHA-512 when `sha512`).
    pub async fn upload(&self, limit: u64, sha512: bool) -> Result<Upload, StorageError> {
        Upload::start(self, limit, sha512).await
    }

    /// Stores `bytes` (small: a cover's variant, the demo's files) as a
    /// blob at once.
    pub async fn put(&self, bytes: Bytes) -> Result<Blob, StorageError> {
        let blob = Blob { sha256: hex(&Sha256::digest(&bytes)), size: bytes.len() as u64 };
        self.store.put(&Self::blob_path(&blob.sha256), PutPayload::from_bytes(bytes)).await?;
        Ok(blob)
    }

    /// Whether the blob `sha256` is there.
    pub async fn exists(&self, sha256: &str) -> Result<bool, StorageError> {
        match self.store.head(&Self::blob_path(sha256)).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(error) => Err(error.into()),
        }
    }

    /// The bytes `range` of blob `sha256` (all of them without a range), as
    /// a stream read as it is sent.
    pub async fn read(
        &self,
        sha256: &str,
        range: Option<Range<u64>>,
    ) -> Result<BoxStream<'static, Result<Bytes, StorageError>>, StorageError> {
        let options = GetOptions { range: range.map(GetRange::Bounded), ..GetOptions::default() };
        let result = self.store.get_opts(&Self::blob_path(sha256), options).await?;
        let range = result.range.clone();
        Ok(match result.payload {
            // A local file is read in large chunks, off the async threads
            // (object_store's own stream reads 8 KiB at a time).
            GetResultPayload::File(file, _) => read_file(file, range),
            GetResultPayload::Stream(stream) => stream.map(|chunk| chunk.map_err(StorageError::from)).boxed(),
        })
    }

    /// The whole blob `sha256`, in memory (a cover to make variants of,
    /// bounded by the upload limit; an export).
    pub async fn bytes(&self, sha256: &str) -> Result<Bytes, StorageError> {
        Ok(self.store.get(&Self::blob_path(sha256)).await?.bytes().await?)
    }
}

impl Storage {
    /// The names of every blob and staged upload, for checks and reports.
    pub async fn names(&self) -> Result<Vec<String>, StorageError> {
        use futures_util::TryStreamExt;
        let mut names = Vec::new();
        for folder in [BLOBS, UPLOADS] {
            let listed: Vec<object_store::ObjectMeta> =
                self.store.list(Some(&Path::from(folder))).try_collect().await?;
            names.extend(listed.into_iter().map(|object| object.location.to_string()));
        }
        Ok(names)
    }
}

/// How much of a local file is read at a time.
const FILE_CHUNK: usize = 256 * 1024;

fn read_file(file: std::fs::File, range: Range<u64>) -> BoxStream<'static, Result<Bytes, StorageError>> {
    use std::io::{Read, Seek, SeekFrom};
    let state = (Some(file), range.start, range.end);
    futures_util::stream::unfold(state, |(file, position, end)| async move {
        let mut file = file?;
        if position >= end {
            return None;
        }
        let want = FILE_CHUNK.min((end - position) as usize);
        let read = tokio::task::spawn_blocking(move || {
            let mut buffer = vec![0; want];
            file.seek(SeekFrom::Start(position))?;
            file.read_exact(&mut buffer)?;
            Ok::<_, std::io::Error>((file, buffer))
        })
        .await;
        match read {
            Ok(Ok((file, buffer))) => Some((Ok(Bytes::from(buffer)), (Some(file), position + want as u64, end))),
            Ok(Err(error)) => Some((Err(StorageError::Failed(error.to_string())), (None, end, end))),
            Err(error) => Some((Err(StorageError::Failed(error.to_string())), (None, end, end))),
        }
    })
    .boxed()
}

/// Lower-case hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut text, byte| {
        let _ = write!(text, "{byte:02x}");
        text
    })
}
