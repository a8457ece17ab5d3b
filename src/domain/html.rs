//! The HTML a publication's body may hold.
//!
//! Ordinary article markup stays: paragraphs, headings, lists, quotations,
//! links, emphasis, figures, tables. Scripts, styles, event handlers and
//! URLs other than http, https and mailto go, whatever their nesting.

use std::collections::HashSet;
use std::sync::LazyLock;

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    builder
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .add_tags(["figure", "figcaption"])
        .link_rel(Some("noopener noreferrer"));
    builder
});

/// The body with everything unsafe removed, NUL characters included (no
/// database text column may hold one).
pub fn sanitize(body: &str) -> String {
    SANITIZER.clean(&body.replace('\0', "")).to_string()
}

/// Whether `text` is plain: no HTML tag, comment or declaration in it.
pub fn is_plain_text(text: &str) -> bool {
    !text
        .as_bytes()
        .windows(2)
        .any(|pair| pair[0] == b'<' && (pair[1].is_ascii_alphabetic() || matches!(pair[1], b'/' | b'!' | b'?')))
}
