//! The type of a file, decided by its bytes: what the `infer` crate reads
//! in its first bytes, or text when they are UTF-8 without control
//! characters. A declared type (the request's `Content-Type`) must agree;
//! only the types of [`ALLOWED`] are accepted.

use crate::error::ApiError;

/// The types a file may have, with the extension a download names it by.
pub const ALLOWED: &[(&str, &str)] = &[
    ("application/pdf", "pdf"),
    ("image/png", "png"),
    ("image/jpeg", "jpg"),
    ("image/webp", "webp"),
    ("image/avif", "avif"),
    ("text/csv", "csv"),
    ("text/plain", "txt"),
    ("application/vnd.oasis.opendocument.text", "odt"),
    ("application/vnd.oasis.opendocument.spreadsheet", "ods"),
    ("application/vnd.oasis.opendocument.presentation", "odp"),
    ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    ("application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx"),
    ("application/epub+zip", "epub"),
    ("application/zip", "zip"),
];

/// Types whose bytes are already compressed: sent as they are.
pub fn compressed(media_type: &str) -> bool {
    !matches!(media_type, "text/csv" | "text/plain")
}

/// Whether a type is one an image decoder here reads (a cover's variants
/// are made from it).
pub fn is_image(media_type: &str) -> bool {
    media_type.starts_with("image/")
}

/// What the bytes `head` (the first ones of a file) say its type is.
/// Text that happens to start like a type with a short signature (`BM` a
/// bitmap, `MZ` a program, `ID3` a sound) is text, unless that type is
/// one served here (a PDF may be text throughout).
pub fn sniff(head: &[u8]) -> Option<&'static str> {
    if let Some(kind) = infer::get(head)
        && (!is_text(head) || ALLOWED.iter().any(|(allowed, _)| *allowed == kind.mime_type()))
    {
        return Some(kind.mime_type());
    }
    if !is_text(head) {
        return None;
    }
    Some(markup(head).unwrap_or("text/plain"))
}

/// What text that a browser would take for markup is: text starting with
/// a tag (after a byte-order mark and blanks) — HTML, SVG or XML.
fn markup(head: &[u8]) -> Option<&'static str> {
    let text = String::from_utf8_lossy(head);
    let start = text.trim_start_matches('\u{feff}').trim_start();
    if !start.starts_with('<') {
        return None;
    }
    let lower = start.to_ascii_lowercase();
    Some(if lower.contains("<svg") {
        "image/svg+xml"
    } else if lower.starts_with("<?xml") {
        "application/xml"
    } else {
        "text/html"
    })
}

/// Text: valid UTF-8 (but for a character cut at the end of `head`),
/// without control characters other than tab, line feed, carriage return
/// and form feed.
fn is_text(head: &[u8]) -> bool {
    let valid = match std::str::from_utf8(head) {
        Ok(text) => text,
        // A character cut by the end of the first bytes.
        Err(error) if error.error_len().is_none() && head.len() - error.valid_up_to() < 4 => {
            std::str::from_utf8(&head[..error.valid_up_to()]).unwrap_or_default()
        }
        Err(_) => return false,
    };
    !valid.chars().any(|character| character.is_control() && !matches!(character, '\t' | '\n' | '\r' | '\u{c}'))
}

/// The type of a file whose first bytes are `head`, declared as `declared`
/// (none, or `application/octet-stream`: the bytes decide). A 415 when the
/// bytes' type is not allowed, or the declared one disagrees.
pub fn decide(head: &[u8], declared: Option<&str>) -> Result<&'static str, ApiError> {
    let declared = declared
        .map(|declared| declared.split(';').next().unwrap_or_default().trim().to_ascii_lowercase())
        .filter(|declared| !declared.is_empty() && declared != "application/octet-stream");
    let sniffed = sniff(head);
    let allowed = |media_type: &str| ALLOWED.iter().map(|(allowed, _)| *allowed).find(|allowed| *allowed == media_type);
    let listed = || ALLOWED.iter().map(|(media_type, _)| *media_type).collect::<Vec<_>>().join(", ");
    let Some(sniffed) = sniffed else {
        return Err(ApiError::UnsupportedMediaType(format!(
            "the file's type cannot be told from its bytes{}; allowed: {}",
            declared.as_deref().map(|declared| format!(" (declared {declared})")).unwrap_or_default(),
            listed()
        )));
    };
    let Some(sniffed) = allowed(sniffed) else {
        return Err(ApiError::UnsupportedMediaType(format!(
            "the file's bytes are {sniffed}{}, which is not allowed; allowed: {}",
            declared.as_deref().map(|declared| format!(" (declared {declared})")).unwrap_or_default(),
            listed()
        )));
    };
    let Some(declared) = declared else { return Ok(sniffed) };
    match (sniffed, declared.as_str()) {
        (sniffed, declared) if sniffed == declared => Ok(sniffed),
        // Text is told from its bytes, not which text: CSV is declared.
        ("text/plain", "text/csv") => Ok("text/csv"),
        // A document that is a ZIP inside, declared as a ZIP.
        (sniffed, "application/zip") if sniffed != "application/zip" && is_zip_based(sniffed) => Ok(sniffed),
        (sniffed, declared) => {
            Err(ApiError::UnsupportedMediaType(format!("the file was declared {declared} but its bytes are {sniffed}")))
        }
    }
}

fn is_zip_based(media_type: &str) -> bool {
    media_type.starts_with("application/vnd.o") || media_type == "application/epub+zip"
}

/// A PDF up to this size is read for its page count (it is held in memory
/// to be read); a larger one has none.
pub const PDF_READ_LIMIT: usize = 8 * 1024 * 1024;

/// How many pages the PDF `bytes` has, when `lopdf` can read it (not an
/// encrypted or broken one).
pub fn pdf_pages(bytes: &[u8]) -> Option<i32> {
    let metadata = lopdf::Document::load_metadata_mem(bytes).ok()?;
    i32::try_from(metadata.page_count).ok().filter(|pages| *pages > 0)
}

/// The extension of a file of type `media_type`.
pub fn extension(media_type: &str) -> &'static str {
    ALLOWED.iter().find(|(allowed, _)| *allowed == media_type).map_or("bin", |(_, extension)| extension)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pdf_tells_its_pages() {
        assert_eq!(pdf_pages(&crate::attachments::samples::pdf("Rapport", 7)), Some(7));
        assert_eq!(pdf_pages(b"%PDF-1.4 nothing else"), None);
    }

    #[test]
    fn types_are_decided_by_the_bytes() {
        let pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj";
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        assert_eq!(decide(pdf, None).unwrap(), "application/pdf");
        assert_eq!(decide(pdf, Some("application/octet-stream")).unwrap(), "application/pdf");
        assert_eq!(decide(pdf, Some("Application/PDF; charset=binary")).unwrap(), "application/pdf");
        assert_eq!(decide(png, Some("image/png")).unwrap(), "image/png");
        assert_eq!(decide(b"a;b\n1;2\n", Some("text/csv")).unwrap(), "text/csv");
        assert_eq!(decide("Résumé\u{e9}".as_bytes(), None).unwrap(), "text/plain");
        // Text that starts like a short signature is text all the same.
        assert_eq!(decide(b"BMW et BMI : le rapport", Some("text/plain")).unwrap(), "text/plain");
        assert_eq!(decide(b"BM;12\nBN;14\n", Some("text/csv")).unwrap(), "text/csv");
        assert_eq!(decide(b"MZ est une abr\xc3\xa9viation", None).unwrap(), "text/plain");
        assert_eq!(decide(b"ID3 : identifiants", None).unwrap(), "text/plain");
        // A character cut at the end of the first bytes is still text.
        assert_eq!(decide(&"é".as_bytes()[..1], None).unwrap(), "text/plain");
        let refused = |head: &[u8], declared: Option<&str>| decide(head, declared).unwrap_err().to_string();
        let wrong = refused(pdf, Some("image/png"));
        assert!(wrong.contains("image/png") && wrong.contains("application/pdf"), "{wrong}");
        assert!(refused(b"<!DOCTYPE html><html><body>", Some("text/html")).contains("text/html"));
        assert!(refused(b"<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>", None).contains("allowed"));
        assert!(refused(b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff", None).contains("not allowed"));
        assert!(decide(b"\x7fELF\x02\x01\x01\0", None).is_err());
        assert!(refused(b"\0\x01\x02binary", None).contains("cannot be told"));
        assert!(refused(b"  <script>alert(1)</script>", Some("text/plain")).contains("text/html"));
        assert!(
            refused("\u{feff}<svg xmlns=\"http://www.w3.org/2000/svg\"/>".as_bytes(), None).contains("image/svg+xml")
        );
        assert!(refused(b"<?xml version=\"1.0\"?><svg/>", None).contains("not allowed"));
    }
}
