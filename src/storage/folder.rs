//! Blobs to and from a folder beside an export file: each named by its
//! SHA-256, checked against it when it is brought back.

use std::io::{Read, Write};
use std::path::Path as FsPath;

use bytes::Bytes;
use futures_util::StreamExt;

use super::{Storage, StorageError, hex};

/// How much of a file is read at a time.
const CHUNK: usize = 1024 * 1024;

impl Storage {
    /// Writes blob `sha256` to `folder/<sha256>` unless it is there; returns
    /// the bytes written.
    pub async fn save_to(&self, sha256: &str, folder: &FsPath) -> Result<u64, StorageError> {
        let path = folder.join(sha256);
        if path.exists() {
            return Ok(0);
        }
        let failed = |error: std::io::Error| StorageError::Failed(format!("{}: {error}", path.display()));
        let partial = folder.join(format!("{sha256}.partial"));
        let mut file = std::fs::File::create(&partial).map_err(failed)?;
        let mut stream = self.read(sha256, None).await?;
        let mut written = 0;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk?;
            file.write_all(&chunk).map_err(failed)?;
            written += chunk.len() as u64;
        }
        file.sync_all().map_err(failed)?;
        std::fs::rename(&partial, &path).map_err(failed)?;
        Ok(written)
    }

    /// Stores `folder/<sha256>` as blob `sha256` unless the storage has it;
    /// an error (and nothing stored) when the file's bytes have another
    /// hash. Returns the bytes stored.
    pub async fn bring_from(&self, sha256: &str, folder: &FsPath) -> Result<u64, StorageError> {
        if self.exists(sha256).await? {
            return Ok(0);
        }
        let path = folder.join(sha256);
        let failed = |error: std::io::Error| StorageError::Failed(format!("{}: {error}", path.display()));
        let mut file = std::fs::File::open(&path).map_err(failed)?;
        let mut upload = self.upload(u64::MAX, false).await?;
        loop {
            let mut buffer = vec![0; CHUNK];
            let read = match file.read(&mut buffer) {
                Ok(read) => read,
                Err(error) => {
                    upload.abort().await;
                    return Err(failed(error));
                }
            };
            if read == 0 {
                break;
            }
            buffer.truncate(read);
            if let Err(error) = upload.write(Bytes::from(buffer)).await {
                upload.abort().await;
                return Err(StorageError::Failed(format!("{}: {error:?}", path.display())));
            }
        }
        let actual = hex(&upload.digests().sha256);
        if actual != sha256 {
            upload.abort().await;
            return Err(StorageError::Failed(format!("{}: its SHA-256 is {actual}, not its name", path.display())));
        }
        let size = upload.size();
        upload.finish().await?.settle().await;
        Ok(size)
    }
}
