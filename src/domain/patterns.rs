//! The shapes of the values the API takes, written once: the OpenAPI
//! document publishes these patterns and the server checks values with the
//! same ones, so the two cannot disagree.

use std::sync::LazyLock;

use regex_lite::Regex;

/// A slug a client may choose: lowercase letters, digits and hyphens, not
/// digits alone (digits name an id). 1 to 200 characters.
pub const SLUG: &str = "^[a-z0-9-]*[a-z-][a-z0-9-]*$";

/// An id or a slug, in a path, a query or a body: up to 9 digits (an id)
/// or a slug.
pub const REFERENCE: &str = "^([0-9]{1,9}|[a-z0-9-]*[a-z-][a-z0-9-]*)$";

/// A BCP 47 language tag in its common form (`fr`, `fr-BE`, `zh-Hant-TW`),
/// at most 35 characters.
pub const LANGUAGE: &str = "^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$";

/// A media type without parameters (`application/pdf`), at most 100
/// characters.
pub const MEDIA_TYPE: &str = "^[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+$";

/// An absolute http or https URL on a named host (not an IP address), with
/// an optional port, path, query and fragment of URL-safe characters; at
/// most 2,000 characters.
pub const WEB_URL: &str = concat!(
    "^https?://",
    "([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?\\.)*[A-Za-z]([A-Za-z0-9-]*[A-Za-z0-9])?",
    "(:[0-9]{1,4})?",
    "(/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*)?",
    "(\\?[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*)?",
    "(#[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*)?$"
);

/// Plain text: no control character but line feed and tab, and no `<`
/// that would open an HTML tag, comment or declaration (`<` followed by a
/// letter, `/`, `!` or `?`). May be empty or blank.
pub const PLAIN_TEXT: &str =
    "^(?:[^<\\x00-\\x08\\x0B-\\x1F\\x7F-\\x9F]|<+(?:[^<A-Za-z/!?\\x00-\\x08\\x0B-\\x1F\\x7F-\\x9F]|$))*$";

/// Plain text holding something besides white space.
pub const PLAIN_TEXT_REQUIRED: &str = "^(?=[\\s\\S]*\\S)(?:[^<\\x00-\\x08\\x0B-\\x1F\\x7F-\\x9F]|<+(?:[^<A-Za-z/!?\\x00-\\x08\\x0B-\\x1F\\x7F-\\x9F]|$))*$";

/// One line of plain text holding something besides white space (an
/// author's name): no control character at all.
pub const PLAIN_LINE: &str =
    "^(?=[\\s\\S]*\\S)(?:[^<\\x00-\\x1F\\x7F-\\x9F]|<+(?:[^<A-Za-z/!?\\x00-\\x1F\\x7F-\\x9F]|$))*$";

/// An HTTP entity tag list as `If-Match` takes it: `*`, or strong or weak
/// tags separated by commas. Anything else matches no version (412).
pub const ENTITY_TAGS: &str = "^(\\*|(W/)?\"[\\x21\\x23-\\x7E]*\"([ \\t]*,[ \\t]*(W/)?\"[\\x21\\x23-\\x7E]*\")*)$";

static WEB_URL_REGEX: LazyLock<Regex> = LazyLock::new(|| Regex::new(WEB_URL).expect("a valid pattern"));
static MEDIA_TYPE_REGEX: LazyLock<Regex> = LazyLock::new(|| Regex::new(MEDIA_TYPE).expect("a valid pattern"));

/// Whether `text` is a web URL as [`WEB_URL`] says, and one that parses.
pub fn is_web_url(text: &str) -> bool {
    text.len() <= 2000 && WEB_URL_REGEX.is_match(text) && url::Url::parse(text).is_ok()
}

/// Whether `text` is a media type as [`MEDIA_TYPE`] says.
pub fn is_media_type(text: &str) -> bool {
    text.len() <= 100 && MEDIA_TYPE_REGEX.is_match(text)
}

/// Whether a character may appear in plain text (`line`: without line
/// feeds or tabs either).
pub fn is_plain_character(character: char, line: bool) -> bool {
    !character.is_control() || (!line && matches!(character, '\n' | '\t'))
}
