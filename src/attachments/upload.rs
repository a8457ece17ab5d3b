//! Reading an upload from a request, in either form: a raw body (the
//! metadata in the query string, the name in `Content-Disposition`) or a
//! `multipart/form-data` form (a `file` part and text fields). Either way
//! the file streams to the storage as it arrives, hashed on the way; its
//! type is decided by its first bytes, a `Content-Digest` or `Repr-Digest`
//! (RFC 9530) is checked at its end, and whatever is refused or breaks off
//! leaves nothing stored.

use std::cell::Cell;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use actix_multipart::{Multipart, MultipartError};
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

/// A request body that, when dropped unread, lets the connection go on,
/// and tells when it has ended.
///
/// The HTTP layer stops reading a connection while a body's reader is
/// behind (backpressure), and resumes when the reader asks for more; a
/// reader dropped while it was behind never asks, and the connection (with
/// whatever the client was still sending) stayed open for good. Asking
/// once more as it is dropped wakes the connection, which then discards the
/// rest of the body and carries on.
struct Released {
    payload: web::Payload,
    ended: Rc<Cell<bool>>,
}

impl Released {
    fn new(payload: web::Payload) -> Self {
        Self { payload, ended: Rc::default() }
    }
}

impl Stream for Released {
    type Item = <web::Payload as Stream>::Item;

    fn poll_next(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let next = self.payload.poll_next_unpin(context);
        if matches!(next, Poll::Ready(None | Some(Err(_)))) {
            self.ended.set(true);
        }
        next
    }
}

impl Drop for Released {
    fn drop(&mut self) {
        let mut context = Context::from_waker(futures_util::task::noop_waker_ref());
        let _ = self.payload.poll_next_unpin(&mut context);
    }
}

/// A read of a form that gives up once the body has ended. A form cut
/// short (its closing boundary missing or incomplete) left the form reader
/// waiting for bytes that could never come, and the request with it.
struct Ending<S> {
    read: S,
    ended: Rc<Cell<bool>>,
}

impl<S: Stream<Item = Result<T, MultipartError>> + Unpin, T> Stream for Ending<S> {
    type Item = Result<T, String>;

    fn poll_next(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match self.read.poll_next_unpin(context) {
            Poll::Ready(next) => Poll::Ready(next.map(|item| item.map_err(|error| error.to_string()))),
            Poll::Pending if self.ended.get() => {
                Poll::Ready(Some(Err("the form ends before its closing boundary".to_owned())))
            }
            Poll::Pending => Poll::Pending,
        }
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
    let stream = Released::new(payload).map_err(|error| error.to_string());
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
    let body = Released::new(payload);
    let ended = Rc::clone(&body.ended);
    let mut form = Ending { read: Multipart::new(request.headers(), body), ended: Rc::clone(&ended) };
    let mut texts: Vec<(String, String)> = Vec::new();
    let mut received: Option<(FileValues, Staged)> = None;
    let malformed = |error: String| ApiError::MalformedBody(format!("the form cannot be read: {error}"));
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
                let stream = Ending { read: &mut field, ended: Rc::clone(&ended) };
                received = Some(stream_file(stream, storage, limit, declared.as_deref(), &expected).await?);
            } else if NAMES.contains(&name.as_str()) {
                if texts.len() >= MAX_FIELDS {
                    return Err(form_error(&name, "too_many_fields", "the form has too many fields"));
                }
                let mut text = Vec::new();
                let mut chunks = Ending { read: &mut field, ended: Rc::clone(&ended) };
                while let Some(chunk) = chunks.try_next().await.map_err(malformed)? {
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

#[cfg(test)]
mod properties {
    use actix_web::http::header::HeaderValue;
    use actix_web::test::TestRequest;
    use actix_web::{FromRequest, ResponseError};
    use proptest::prelude::*;
    use sha2::{Digest, Sha256};

    use super::*;

    const BOUNDARY: &str = "frontiere-Xq7";

    thread_local! {
        static RUNTIME: actix_web::rt::SystemRunner = actix_web::rt::System::new();
    }

    /// Reads `body` as a form of `content_type`, in a folder of its own.
    fn read_form(content_type: &str, body: Vec<u8>) -> Result<Received, ApiError> {
        let folder = tempfile::tempdir().expect("a temporary folder");
        let storage = Storage::local(folder.path()).expect("a folder storage");
        let (request, mut payload) =
            TestRequest::post().insert_header((header::CONTENT_TYPE, content_type)).set_payload(body).to_http_parts();
        RUNTIME.with(|runtime| {
            runtime.block_on(async {
                let payload = web::Payload::from_request(&request, &mut payload).await.expect("a payload");
                let read = form(&request, payload, &storage, UploadLimit(64 * 1024));
                actix_web::rt::time::timeout(std::time::Duration::from_secs(5), read)
                    .await
                    .unwrap_or_else(|_| Err(ApiError::internal("the form was still being read after 5 s")))
            })
        })
    }

    /// One part of a form: its name, file name, type and bytes.
    type Part = (String, Option<String>, Option<String>, Vec<u8>);

    fn encode(parts: &[Part]) -> Vec<u8> {
        let mut body = Vec::new();
        for (name, filename, media_type, content) in parts {
            body.extend_from_slice(
                format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"").as_bytes(),
            );
            if let Some(filename) = filename {
                body.extend_from_slice(format!("; filename=\"{filename}\"").as_bytes());
            }
            body.extend_from_slice(b"\r\n");
            if let Some(media_type) = media_type {
                body.extend_from_slice(format!("Content-Type: {media_type}\r\n").as_bytes());
            }
            body.extend_from_slice(b"\r\n");
            body.extend_from_slice(content);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
        body
    }

    fn part() -> impl Strategy<Value = Part> {
        let name = prop_oneof![
            Just("file".to_owned()),
            Just("title".to_owned()),
            Just("role".to_owned()),
            Just("language".to_owned()),
            Just("alt".to_owned()),
            Just("position".to_owned()),
            Just("filename".to_owned()),
            "[a-z]{1,8}",
        ];
        let media_type = prop::option::of(prop_oneof![
            Just("text/plain".to_owned()),
            Just("application/pdf".to_owned()),
            Just("image/png".to_owned()),
            "[a-z]{1,6}/[a-z]{1,6}",
        ]);
        let content =
            prop_oneof![prop::collection::vec(any::<u8>(), 0..3000), "[ -~é]{0,200}".prop_map(String::into_bytes)];
        (name, prop::option::of("[a-zA-Z0-9 ._-]{1,20}"), media_type, content)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: ProptestConfig::default().cases / 4, ..ProptestConfig::default() })]

        /// Any form, well made, cut short or with bytes thrown in, is read
        /// or refused with a 4xx; never a panic, never a 5xx.
        #[test]
        fn any_form_is_read_or_refused(parts in prop::collection::vec(part(), 0..5),
                                       cut in any::<Option<prop::sample::Index>>(),
                                       noise in prop::collection::vec(any::<u8>(), 0..64),
                                       at in any::<prop::sample::Index>()) {
            let mut body = encode(&parts);
            if let Some(cut) = cut {
                body.truncate(cut.index(body.len() + 1));
            }
            let position = at.index(body.len() + 1);
            body.splice(position..position, noise);
            let content_type = format!("multipart/form-data; boundary={BOUNDARY}");
            if let Err(error) = read_form(&content_type, body) {
                prop_assert!(error.status_code().is_client_error(), "{error:?}");
            }
        }

        /// A well-made form is read whole: the file's bytes, their hash,
        /// and the text fields as sent.
        #[test]
        fn a_form_gives_back_what_was_sent(text in "[a-zA-Zé ,.]{1,2000}", title in "[a-zA-Zé][a-zA-Zé ]{0,59}",
                                          filename in "[a-z]{1,12}\\.txt") {
            let parts = vec![
                ("role".to_owned(), None, None, b"annex".to_vec()),
                ("title".to_owned(), None, None, title.clone().into_bytes()),
                ("file".to_owned(), Some(filename.clone()), Some("text/plain".to_owned()), text.clone().into_bytes()),
            ];
            let received = read_form(&format!("multipart/form-data; boundary={BOUNDARY}"), encode(&parts));
            let received = received.map_err(|error| TestCaseError::fail(format!("{error:?}")))?;
            prop_assert_eq!(received.file.size, text.len() as i64);
            prop_assert_eq!(received.file.sha256, crate::storage::hex(&Sha256::digest(text.as_bytes())));
            prop_assert_eq!(received.input.title.as_deref(), Some(title.trim()));
            prop_assert_eq!(received.input.filename, Some(filename));
        }

        /// Any `Content-Disposition` is read or refused with a 400 naming
        /// the header.
        #[test]
        fn any_content_disposition_is_read_or_refused(value in prop::collection::vec(32_u8..127, 0..120)) {
            if let Ok(value) = HeaderValue::from_bytes(&value) {
                match disposition_filename(&value) {
                    Ok(_) => {}
                    Err(ApiError::InvalidParameter { parameter, .. }) => prop_assert_eq!(parameter, "Content-Disposition"),
                    Err(other) => prop_assert!(false, "{other:?}"),
                }
            }
        }

        /// A name sent as `filename*` (RFC 8187), any Unicode, comes back
        /// as it was; a plain `filename` too.
        #[test]
        fn a_file_name_round_trips_through_content_disposition(name in "[^\\x00-\\x1f\\x7f\"\\\\]{1,40}") {
            let encoded: String = name.bytes().map(|byte| match byte {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' | b'_' => (byte as char).to_string(),
                _ => format!("%{byte:02X}"),
            }).collect();
            let extended = HeaderValue::from_str(&format!("attachment; filename*=UTF-8''{encoded}")).unwrap();
            prop_assert_eq!(disposition_filename(&extended).ok().flatten(), Some(name.clone()));
            if name.is_ascii() {
                let plain = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")).unwrap();
                prop_assert_eq!(disposition_filename(&plain).ok().flatten(), Some(name));
            }
        }
    }
}
