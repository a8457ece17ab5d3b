//! Serving a file: the whole of it, or one range of its bytes, streamed
//! from the storage as it is sent. Its URL holds its hash, so a public
//! file is cached for a year (`immutable`); its `ETag` is its hash. A
//! file whose publication the reader may not see is not found.

use std::ops::Range;

use actix_web::body::SizedStream;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};
use chrono::NaiveDateTime;

use crate::auth::Access;
use crate::db;
use crate::error::ApiError;
use crate::storage::Storage;

use super::media;
use super::queries::AttachmentRow;

/// A year: how long a public file may be kept.
const YEAR: i64 = 31_536_000;

/// Which bytes of an attachment a URL names: the file, or one of its
/// copies.
pub struct Served {
    pub sha256: String,
    pub size: u64,
    pub media_type: String,
    pub filename: String,
    pub language: Option<String>,
}

impl Served {
    /// What `sha256` names among the blobs of `row`, if anything.
    pub fn of(row: &AttachmentRow, sha256: &str) -> Option<Self> {
        if row.sha256 == sha256 {
            return Some(Self {
                sha256: row.sha256.clone(),
                size: row.size as u64,
                media_type: row.media_type.clone(),
                filename: row.filename.clone(),
                language: row.language.clone(),
            });
        }
        let variant = row.facts().variants.into_iter().find(|variant| variant.sha256 == sha256)?;
        Some(Self {
            filename: variant.filename(&row.filename),
            sha256: variant.sha256,
            size: variant.size as u64,
            media_type: variant.media_type,
            language: row.language.clone(),
        })
    }

    fn etag(&self) -> String {
        format!("\"{}\"", self.sha256)
    }
}

/// The answer to a download of `served` by `access`, whose publication
/// leaves public view at `unpublish_at`; `alternates` are the same kind of
/// file in other languages, `(language, url, media type)`.
pub async fn respond(
    request: &HttpRequest,
    storage: &Storage,
    served: Served,
    access: Access,
    unpublish_at: Option<NaiveDateTime>,
    alternates: &[(String, String, String)],
) -> Result<HttpResponse, ApiError> {
    let cache_control = match (access, unpublish_at) {
        (Access::Editor, _) => "private, no-store".to_owned(),
        (Access::Public, None) => format!("public, max-age={YEAR}, immutable"),
        // Kept no longer than the publication is public.
        (Access::Public, Some(until)) => {
            format!("public, max-age={}", (i64::from(db::seconds_until(until, db::now()))).min(YEAR))
        }
    };
    let etag = served.etag();
    let headers = request.headers();
    if none_match(headers, &etag) {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .insert_header((header::CACHE_CONTROL, cache_control))
            .finish());
    }
    let range = match headers.get(header::RANGE).filter(|_| if_range_holds(headers, &etag)) {
        Some(value) => match parse_range(value.to_str().unwrap_or_default(), served.size) {
            Wanted::Whole => None,
            Wanted::Part(range) => Some(range),
            Wanted::Unsatisfiable => return Err(ApiError::RangeNotSatisfiable { size: served.size }),
        },
        None => None,
    };
    let bytes = range.clone().unwrap_or(0..served.size);
    let stream = storage.read(&served.sha256, Some(bytes.clone())).await?;
    let mut response = HttpResponse::build(if range.is_some() { StatusCode::PARTIAL_CONTENT } else { StatusCode::OK });
    let content_type = match served.media_type.as_str() {
        text @ ("text/plain" | "text/csv") => format!("{text}; charset=utf-8"),
        other => other.to_owned(),
    };
    response
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, cache_control))
        .insert_header((header::ACCEPT_RANGES, "bytes"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CONTENT_DISPOSITION, disposition(&served)));
    if let Some(language) = &served.language {
        response.insert_header((header::CONTENT_LANGUAGE, language.as_str()));
    }
    if !alternates.is_empty() {
        let links: Vec<String> = alternates
            .iter()
            .map(|(language, url, media_type)| {
                format!("<{url}>; rel=\"alternate\"; hreflang=\"{language}\"; type=\"{media_type}\"")
            })
            .collect();
        response.insert_header((header::LINK, links.join(", ")));
    }
    if let Some(range) = &range {
        response
            .insert_header((header::CONTENT_RANGE, format!("bytes {}-{}/{}", range.start, range.end - 1, served.size)));
    }
    // Already compressed, or a range of bytes: sent as they are (the
    // HTTP layer removes the mark).
    if range.is_some() || media::compressed(&served.media_type) {
        response.insert_header((header::CONTENT_ENCODING, HeaderValue::from_static("identity")));
    }
    Ok(response.body(SizedStream::new(bytes.end - bytes.start, stream)))
}

/// Whether `If-None-Match` names `etag` (or is `*`).
fn none_match(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|tag| {
            let tag = tag.trim();
            tag == "*" || tag.trim_start_matches("W/") == etag
        })
}

/// Whether a `Range` applies: no `If-Range`, or one naming the current
/// (strong) `ETag`. A date never matches: the answer has no
/// `Last-Modified`.
fn if_range_holds(headers: &HeaderMap, etag: &str) -> bool {
    match headers.get(header::IF_RANGE).and_then(|value| value.to_str().ok()) {
        None => true,
        Some(value) => value.trim() == etag,
    }
}

/// What a `Range` header asks of a file of `size` bytes.
#[derive(Debug, PartialEq, Eq)]
enum Wanted {
    /// No range that this server serves (another unit, several ranges, a
    /// malformed one): the whole file, as RFC 9110 allows.
    Whole,
    Part(Range<u64>),
    /// A 416.
    Unsatisfiable,
}

/// Reads `bytes=first-last`, `bytes=first-` and `bytes=-suffix` (RFC 9110
/// §14.1.2).
fn parse_range(value: &str, size: u64) -> Wanted {
    let Some(spec) = value.trim().strip_prefix("bytes=") else { return Wanted::Whole };
    if spec.contains(',') {
        return Wanted::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else { return Wanted::Whole };
    let number = |text: &str| -> Option<u64> {
        (!text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit())).then(|| text.parse().ok()).flatten()
    };
    match (first, last) {
        ("", suffix) => match number(suffix) {
            None => Wanted::Whole,
            Some(0) => Wanted::Unsatisfiable,
            Some(_) if size == 0 => Wanted::Unsatisfiable,
            Some(suffix) => Wanted::Part(size.saturating_sub(suffix)..size),
        },
        (first, "") => match number(first) {
            None => Wanted::Whole,
            Some(first) if first >= size => Wanted::Unsatisfiable,
            Some(first) => Wanted::Part(first..size),
        },
        (first, last) => match (number(first), number(last)) {
            (Some(first), Some(last)) if first <= last => {
                if first >= size {
                    Wanted::Unsatisfiable
                } else {
                    Wanted::Part(first..last.min(size - 1) + 1)
                }
            }
            _ => Wanted::Whole,
        },
    }
}

/// `Content-Disposition` (RFC 6266): images inline, other files as
/// downloads; an ASCII `filename` for old clients and the exact name in
/// `filename*`.
fn disposition(served: &Served) -> String {
    let kind = if media::is_image(&served.media_type) { "inline" } else { "attachment" };
    let ascii: String = deunicode::deunicode(&served.filename)
        .chars()
        .map(|character| if character.is_ascii_graphic() || character == ' ' { character } else { '_' })
        .filter(|character| !matches!(character, '"' | '\\'))
        .collect();
    let encoded: String = served
        .filename
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'!'
            | b'#'
            | b'$'
            | b'&'
            | b'+'
            | b'-'
            | b'.'
            | b'^'
            | b'_'
            | b'`'
            | b'|'
            | b'~' => (byte as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect();
    format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_read_as_rfc_9110_says() {
        assert_eq!(parse_range("bytes=0-99", 1000), Wanted::Part(0..100));
        assert_eq!(parse_range("bytes=900-", 1000), Wanted::Part(900..1000));
        assert_eq!(parse_range("bytes=-100", 1000), Wanted::Part(900..1000));
        assert_eq!(parse_range("bytes=-5000", 1000), Wanted::Part(0..1000));
        assert_eq!(parse_range("bytes=990-2000", 1000), Wanted::Part(990..1000));
        assert_eq!(parse_range("bytes=1000-", 1000), Wanted::Unsatisfiable);
        assert_eq!(parse_range("bytes=1000-1001", 1000), Wanted::Unsatisfiable);
        assert_eq!(parse_range("bytes=-0", 1000), Wanted::Unsatisfiable);
        assert_eq!(parse_range("bytes=5-1", 1000), Wanted::Whole);
        assert_eq!(parse_range("bytes=0-1,5-9", 1000), Wanted::Whole);
        assert_eq!(parse_range("items=0-1", 1000), Wanted::Whole);
        assert_eq!(parse_range("bytes=a-b", 1000), Wanted::Whole);
        assert_eq!(parse_range("bytes=+1-2", 1000), Wanted::Whole);
    }

    #[test]
    fn names_keep_their_accents_in_filename_star() {
        let served = Served {
            sha256: String::new(),
            size: 0,
            media_type: "application/pdf".into(),
            filename: "Étude « été ».pdf".into(),
            language: None,
        };
        assert_eq!(
            disposition(&served),
            "attachment; filename=\"Etude << ete >>.pdf\"; filename*=UTF-8''%C3%89tude%20%C2%AB%20%C3%A9t%C3%A9%20%C2%BB.pdf"
        );
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Any `Range` header gives the whole file, a 416, or bytes within it;
        /// a range written by RFC 9110's rules is served as it says.
        #[test]
        fn a_range_is_within_the_file(raw in "[ -~]{0,40}", size in 0_u64..10_000, first in 0_u64..10_000, length in 0_u64..10_000) {
            if let Wanted::Part(range) = parse_range(&raw, size) {
                prop_assert!(range.start < range.end && range.end <= size, "{range:?} of {size}");
            }
            let last = first + length;
            match parse_range(&format!("bytes={first}-{last}"), size) {
                Wanted::Part(range) => prop_assert_eq!(range, first..(last.min(size - 1) + 1)),
                Wanted::Unsatisfiable => prop_assert!(first >= size),
                Wanted::Whole => prop_assert!(false, "a valid range read as the whole file"),
            }
        }
    }
}
