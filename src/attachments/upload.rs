//! Reading an upload from a request, in either form: a raw body (the
//! metadata in the query string, the name in `Content-Disposition`) or a
//! `multipart/form-data` form (a `file` part and text fields). Either way
//! the file streams to the storage as it arrives, hashed on the way; its
//! type is decided by its first bytes, a `Content-Digest` or `Repr-Digest`
//! (RFC 9530) is checked at its end, and whatever is refused or breaks off
//! leaves nothing stored.

use actix_multipart::Multipart;
use actix_web::HttpRequest;
use actix_web::http::header::{self, ContentDisposition, HeaderMap};
use actix_web::web::{self, Bytes};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use futures_util::{Stream, StreamExt, TryStreamExt};

use crate::error::{ApiError, FieldError};
use crate::storage::upload::{Digests, HEAD, UploadError};
use crate::storage::{Staged, Storage, StorageError};

use super::images;
use super::input::{AttachmentInput, NAMES};
use super::media;
use super::queries::{Facts, StoredVariant};
use super::store::FileValues;

/// A request body that, when dropped unread, lets the connection go on.
///
/// The HTTP layer stops reading a connection while a body's reader is
/// behind (backpressure), and resumes when the reader asks for more; a
/// reader dropped while it was behind never asks, and the connection (with
/// whatever the client was still sending) stayed open for good. Asking
/// once more as it is dropped wakes the connection, which then discards the
/// rest of the body and carries on.
struct Released(web::Payload);

impl Stream for Released {
    type Item = <web::Payload as Stream>::Item;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        context: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        self.0.poll_next_unpin(context)
    }
}

impl Drop for Released {
    fn drop(&mut self) {
        let mut context = std::task::Context::from_waker(futures_util::task::noop_waker_ref());
        let _ = self.0.poll_next_unpin(&mut context);
    }
}

/// How large an upload may be, in bytes.
#[derive(Clone, Copy, Debug)]
pub struct UploadLimit(pub u64);

/// The most text a form field may hold, and how many fields a form may
/// have.
const MAX_FIELD: usize = 16 * 1024;
const MAX_FIELDS: usize = 20;

/// An upload read whole: its metadata, what its bytes are, and its staged
/// blob (settled once its row is written, discarded otherwise).
pub struct Received {
    pub input: AttachmentInput,
    pub file: FileValues,
    pub staged: Staged,
}

/// A 413 before any byte is read when `Content-Length` says the body is
/// larger than `limit`.
pub fn check_length(request: &HttpRequest, limit: UploadLimit) -> Result<(), ApiError> {
    let length = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    match length {
        Some(length) if length > limit.0 => Err(too_large(limit)),
        _ => Ok(()),
    }
}

fn too_large(limit: UploadLimit) -> ApiError {
    ApiError::PayloadTooLarge { limit: usize::try_from(limit.0).unwrap_or(usize::MAX) }
}

/// Whether the request is a form.
pub fn is_form(request: &HttpRequest) -> bool {
    request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.trim_start().to_ascii_lowercase().starts_with("multipart/form-data"))
}

/// The metadata of a raw upload: the query string's parameters, and the
/// file's name from `Content-Disposition` unless the query gives one.
pub fn raw_metadata(request: &HttpRequest) -> Result<AttachmentInput, ApiError> {
    let mut texts: Vec<(String, String)> = Vec::new();
    for (name, value) in form_urlencoded::parse(request.query_string().as_bytes()) {
        if !NAMES.contains(&name.as_ref()) {
            return Err(ApiError::invalid_parameter(
                &name,
                "unknown_parameter",
                format!("is not one of {}", NAMES.join(", ")),
            ));
        }
        texts.push((name.into_owned(), value.into_owned()));
    }
    if !texts.iter().any(|(name, _)| name == "filename")
        && let Some(name) = request.headers().get(header::CONTENT_DISPOSITION).map(disposition_filename).transpose()?
        && let Some(name) = name
    {
        texts.push(("filename".into(), name));
    }
    AttachmentInput::from_texts(texts)
}

/// The file name a `Content-Disposition` gives (`filename*` first, as RFC
/// 6266 says), or a 400 for a header that cannot be read.
fn disposition_filename(value: &header::HeaderValue) -> Result<Option<String>, ApiError> {
    let disposition = ContentDisposition::from_raw(value).map_err(|_| {
        ApiError::invalid_parameter(
            "Content-Disposition",
            "malformed",
            "is not a Content-Disposition header (RFC 6266)",
        )
    })?;
    Ok(disposition_name(&disposition))
}

fn disposition_name(disposition: &ContentDisposition) -> Option<String> {
    if let Some(extended) = disposition.get_filename_ext() {
        return Some(String::from_utf8_lossy(&extended.value).into_owned());
    }
    disposition.get_filename().map(str::to_owned)
}

/// Streams a raw body to the storage.
pub async fn raw(
    request: &HttpRequest,
    payload: web::Payload,
    storage: &Storage,
    limit: UploadLimit,
    input: AttachmentInput,
) -> Result<Received, ApiError> {
    let declared = request.headers().get(header::CONTENT_TYPE).and_then(|value| value.to_str().ok()).map(str::to_owned);
    let expected = expected_digests(request.headers())?;
    let stream = Released(payload).map_err(|error| error.to_string());
    let (file, staged) = stream_file(stream, storage, limit, declared.as_deref(), &expected).await?;
    finish(input, file, staged)
}

/// Streams the `file` part of a form to the storage, and reads its text
/// fields.
pub async fn form(
    request: &HttpRequest,
    payload: web::Payload,
    storage: &Storage,
    limit: UploadLimit,
) -> Result<Received, ApiError> {
    let expected = expected_digests(request.headers())?;
    let mut form = Multipart::new(request.headers(), Released(payload));
    let mut texts: Vec<(String, String)> = Vec::new();
    let mut received: Option<(FileValues, Staged)> = None;
    let malformed =
        |error: actix_multipart::MultipartError| ApiError::MalformedBody(format!("the form cannot be read: {error}"));
    let outcome: Result<(), ApiError> = async {
        while let Some(mut field) = form.try_next().await.map_err(malformed)? {
            let name = field.name().unwrap_or_default().to_owned();
            if name == "file" {
                if received.is_some() {
                    return Err(form_error("file", "repeated", "the form has more than one file part"));
                }
                let declared = field.content_type().map(ToString::to_string);
                let filename = field.content_disposition().and_then(disposition_name);
                if let Some(filename) = filename.filter(|_| !texts.iter().any(|(name, _)| name == "filename")) {
                    texts.push(("filename".into(), filename));
                }
                let stream = (&mut field).map_err(|error| error.to_string());
                received = Some(stream_file(stream, storage, limit, declared.as_deref(), &expected).await?);
            } else if NAMES.contains(&name.as_str()) {
                if texts.len() >= MAX_FIELDS {
                    return Err(form_error(&name, "too_many_fields", "the form has too many fields"));
                }
                let mut text = Vec::new();
                while let Some(chunk) = field.try_next().await.map_err(malformed)? {
                    if text.len() + chunk.len() > MAX_FIELD {
                        return Err(form_error(&name, "too_long", "a text field holds at most 16 KiB"));
                    }
                    text.extend_from_slice(&chunk);
                }
                let text = String::from_utf8(text).map_err(|_| form_error(&name, "not_utf8", "is not UTF-8 text"))?;
                if name == "filename" {
                    texts.retain(|(name, _)| name != "filename");
                }
                texts.push((name, text));
            } else {
                return Err(form_error(&name, "unknown_field", format!("is not one of file, {}", NAMES.join(", "))));
            }
        }
        Ok(())
    }
    .await;
    let received = match (outcome, received) {
        (Ok(()), Some(received)) => received,
        (Ok(()), None) => return Err(form_error("file", "required", "the form has no file part")),
        (Err(error), received) => {
            if let Some((_, staged)) = received {
                staged.discard().await;
            }
            return Err(error);
        }
    };
    let (file, staged) = received;
    match AttachmentInput::from_texts(texts) {
        Ok(input) => finish(input, file, staged),
        Err(error) => {
            staged.discard().await;
            Err(error)
        }
    }
}

fn form_error(field: &str, code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::ValidationFailed(vec![FieldError { field: field.into(), code, message: message.into() }])
}

/// Checks that the metadata suits the file (a cover is an image).
fn finish(input: AttachmentInput, file: FileValues, staged: Staged) -> Result<Received, ApiError> {
    match super::writes::check_suits(&input, &file.media_type) {
        Ok(()) => Ok(Received { input, file, staged }),
        Err(error) => {
            // The blob may be shared; the collector decides.
            actix_web::rt::spawn(staged.discard());
            Err(error)
        }
    }
}

/// Streams `stream` to the storage: refused (and nothing left) when its
/// type is not allowed, it grows past `limit`, it breaks off, or its
/// digest is not the one expected. Images are read for their size and
/// copies before their blob is stored.
async fn stream_file<S>(
    mut stream: S,
    storage: &Storage,
    limit: UploadLimit,
    declared: Option<&str>,
    expected: &[Expected],
) -> Result<(FileValues, Staged), ApiError>
where
    S: Stream<Item = Result<Bytes, String>> + Unpin,
{
    let sha512 = expected.iter().any(|expected| expected.algorithm == "sha-512");
    let mut upload = storage.upload(limit.0, sha512).await?;
    let mut media_type: Option<&'static str> = None;
    // The bytes before the type is known (the first 8 KiB and the chunk
    // that completes them), then, for an image, all of them: it is
    // decoded whole (bounded by the limit).
    let mut early: Option<Vec<u8>> = Some(Vec::new());
    let mut image: Option<Vec<u8>> = None;
    // A PDF, while it is small enough to be read for its pages.
    let mut pdf: Option<Vec<u8>> = None;
    let outcome: Result<(), ApiError> = async {
        loop {
            let chunk = match stream.next().await {
                Some(Ok(chunk)) => Some(chunk),
                Some(Err(error)) => {
                    return Err(ApiError::MalformedBody(format!("the upload broke off: {error}")));
                }
                None => None,
            };
            if let Some(chunk) = &chunk {
                upload.write(chunk.clone()).await.map_err(|error| upload_error(error, limit))?;
                if let Some(kept) = early.as_mut().or(image.as_mut()).or(pdf.as_mut()) {
                    kept.extend_from_slice(chunk);
                }
                if pdf.as_ref().is_some_and(|kept| kept.len() > media::PDF_READ_LIMIT) {
                    pdf = None;
                }
            }
            if media_type.is_none() && (upload.head().len() >= HEAD || chunk.is_none()) {
                if upload.size() == 0 {
                    return Err(form_error("file", "empty", "the file is empty"));
                }
                let decided = media::decide(upload.head(), declared)?;
                media_type = Some(decided);
                let kept = early.take();
                if media::is_image(decided) {
                    image = kept;
                } else if decided == "application/pdf" {
                    pdf = kept.filter(|kept| kept.len() <= media::PDF_READ_LIMIT);
                }
            }
            if chunk.is_none() {
                return check_digests(&upload.digests(), expected);
            }
        }
    }
    .await;
    let Some(media_type) = media_type.filter(|_| outcome.is_ok()) else {
        upload.abort().await;
        return Err(outcome.err().unwrap_or_else(|| ApiError::internal("an upload ended without a type")));
    };
    let read = match image {
        Some(bytes) => match web::block(move || images::read(&bytes)).await {
            Ok(Ok(read)) => read,
            Ok(Err(error)) => {
                upload.abort().await;
                return Err(error);
            }
            Err(error) => {
                upload.abort().await;
                return Err(ApiError::internal(error));
            }
        },
        None => None,
    };
    let pages = match pdf {
        Some(bytes) => web::block(move || media::pdf_pages(&bytes)).await.ok().flatten(),
        None => None,
    };
    let size = upload.size();
    let staged = upload.finish().await?;
    let variants = match &read {
        Some(read) => match store_copies(storage, &read.copies).await {
            Ok(variants) => variants,
            Err(error) => {
                staged.discard().await;
                return Err(error.into());
            }
        },
        None => Vec::new(),
    };
    let file = FileValues {
        media_type: media_type.to_owned(),
        size: size as i64,
        sha256: staged.blob.sha256.clone(),
        facts: Facts {
            width: read.as_ref().map(|read| read.width as i32),
            height: read.as_ref().map(|read| read.height as i32),
            pages,
            variants,
        },
    };
    Ok((file, staged))
}

/// Stores an image's copies as blobs of their own.
pub async fn store_copies(storage: &Storage, copies: &[images::Copy]) -> Result<Vec<StoredVariant>, StorageError> {
    let mut variants = Vec::with_capacity(copies.len());
    for copy in copies {
        let blob = storage.put(Bytes::from(copy.bytes.clone())).await?;
        variants.push(StoredVariant {
            width: copy.width as i32,
            height: copy.height as i32,
            media_type: "image/jpeg".into(),
            size: blob.size as i64,
            sha256: blob.sha256,
        });
    }
    Ok(variants)
}

fn upload_error(error: UploadError, limit: UploadLimit) -> ApiError {
    match error {
        UploadError::TooLarge { .. } => too_large(limit),
        UploadError::Storage(error) => error.into(),
    }
}

/// A digest the client sent.
#[derive(Debug, PartialEq, Eq)]
struct Expected {
    header: &'static str,
    algorithm: &'static str,
    value: Vec<u8>,
}

/// The SHA-256 and SHA-512 digests of `Content-Digest` and `Repr-Digest`
/// (other algorithms are ignored, as RFC 9530 allows); a 400 for a header
/// that is not a dictionary of byte sequences.
fn expected_digests(headers: &HeaderMap) -> Result<Vec<Expected>, ApiError> {
    let mut expected = Vec::new();
    for header in ["Content-Digest", "Repr-Digest"] {
        for value in headers.get_all(header) {
            let malformed = || {
                ApiError::invalid_parameter(header, "malformed", "reads like sha-256=:base64 of the digest: (RFC 9530)")
            };
            let text = value.to_str().map_err(|_| malformed())?;
            for member in text.split(',').map(str::trim).filter(|member| !member.is_empty()) {
                let (algorithm, encoded) = member.split_once('=').ok_or_else(malformed)?;
                let algorithm = match algorithm.trim().to_ascii_lowercase().as_str() {
                    "sha-256" => "sha-256",
                    "sha-512" => "sha-512",
                    _ => continue,
                };
                let encoded = encoded.trim().split(';').next().unwrap_or_default();
                let encoded =
                    encoded.strip_prefix(':').and_then(|rest| rest.strip_suffix(':')).ok_or_else(malformed)?;
                let value = STANDARD.decode(encoded).map_err(|_| malformed())?;
                expected.push(Expected { header, algorithm, value });
            }
        }
    }
    Ok(expected)
}

fn check_digests(digests: &Digests, expected: &[Expected]) -> Result<(), ApiError> {
    for expected in expected {
        let actual: &[u8] = match expected.algorithm {
            "sha-256" => &digests.sha256,
            _ => digests.sha512.as_ref().map_or(&[][..], |sha512| &sha512[..]),
        };
        if actual != expected.value.as_slice() {
            return Err(ApiError::invalid_parameter(
                expected.header,
                "digest_mismatch",
                format!(
                    "says {}=:{}: but the body's is :{}:",
                    expected.algorithm,
                    STANDARD.encode(&expected.value),
                    STANDARD.encode(actual)
                ),
            ));
        }
    }
    Ok(())
}
