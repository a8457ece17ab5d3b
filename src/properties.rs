//! Properties of every parser that takes outside input, tried with
//! generated input (`proptest`): none panics, each either accepts or
//! answers the documented 4xx, and what can be read back is read back to
//! what was written. `cargo test` tries 256 cases of each;
//! `PROPTEST_CASES` raises it (`.ci/run` runs 4 096).

use actix_web::http::header::{ACCEPT_LANGUAGE, HeaderMap, HeaderValue, IF_MATCH};
use actix_web::test::TestRequest;
use chrono::DateTime;
use proptest::prelude::*;
use serde_json::{Map, Value};

use crate::body::MergePatch;
use crate::domain::{canonical_language, is_language_tag, is_slug, slug};
use crate::error::ApiError;
use crate::http::language::Lang;
use crate::preconditions::IfMatch;
use crate::publications::cursor::{Cursor, Key};
use crate::publications::list::Sort;
use crate::query::QueryParams;
use crate::search;

/// Any JSON value, nested a few levels.
fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        "[a-z]{0,6}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-d]", inner, 0..4)
                .prop_map(|members| Value::Object(members.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// RFC 7396, section 2, as its pseudo-code says.
fn merge_patch(target: &Value, patch: &Value) -> Value {
    let Value::Object(patch) = patch else { return patch.clone() };
    let mut result = match target {
        Value::Object(target) => target.clone(),
        _ => Map::new(),
    };
    for (name, value) in patch {
        if value.is_null() {
            result.remove(name);
        } else {
            let merged = merge_patch(result.get(name).unwrap_or(&Value::Null), value);
            result.insert(name.clone(), merged);
        }
    }
    Value::Object(result)
}

/// A generated language tag: a language, then subtags.
fn language_tag() -> impl Strategy<Value = String> {
    ("[A-Za-z]{2,3}", prop::collection::vec("[A-Za-z0-9]{1,8}", 0..3))
        .prop_map(|(language, subtags)| std::iter::once(language).chain(subtags).collect::<Vec<_>>().join("-"))
}

fn sort() -> impl Strategy<Value = Sort> {
    prop_oneof![
        Just(Sort::PublishedDesc),
        Just(Sort::PublishedAsc),
        Just(Sort::TitleAsc),
        Just(Sort::TitleDesc),
        Just(Sort::UpdatedDesc),
        Just(Sort::UpdatedAsc),
        Just(Sort::Relevance),
    ]
}

proptest! {
    /// A merge patch applied to a document gives what RFC 7396 says.
    #[test]
    fn a_merge_patch_does_what_rfc_7396_says(target in prop::collection::btree_map("[a-d]", json(), 0..5),
                                            patch in prop::collection::btree_map("[a-d]", json(), 0..5)) {
        let target: Map<String, Value> = target.into_iter().collect();
        let patch: Map<String, Value> = patch.into_iter().collect();
        let expected = merge_patch(&Value::Object(target.clone()), &Value::Object(patch.clone()));
        let mut applied = target;
        MergePatch(patch).apply_to(&mut applied);
        prop_assert_eq!(Value::Object(applied), expected);
    }

    /// A slug made from any title is a valid slug, and a slug is its own.
    #[test]
    fn a_slug_made_from_any_title_is_a_slug(title in any::<String>()) {
        if let Some(made) = slug::slugify(&title) {
            prop_assert!(is_slug(&made), "{made:?} from {title:?}");
            prop_assert_eq!(slug::slugify(&made), Some(made.clone()));
        }
    }

    /// A cursor decodes to what was encoded, for its query and sort only;
    /// any other text is a 400, never a panic.
    #[test]
    fn a_cursor_decodes_to_what_was_encoded(seconds in 0_i64..4_000_000_000, id in any::<i32>(), title in ".{0,40}",
                                           fingerprint in "[0-9a-f]{16}", other in "[0-9a-f]{16}",
                                           raw in ".{0,200}", sort in sort()) {
        let at = DateTime::from_timestamp(seconds, 0).map(|at| at.naive_utc());
        let key = match sort {
            Sort::PublishedDesc | Sort::PublishedAsc => Key::Published(at),
            Sort::TitleAsc | Sort::TitleDesc => Key::Title(title),
            Sort::UpdatedDesc | Sort::UpdatedAsc => Key::Updated(at.unwrap_or_default()),
            Sort::Relevance => Key::Relevance(seconds % 2 == 0, at),
        };
        let cursor = Cursor { key, id };
        let encoded = cursor.encode(&fingerprint);
        prop_assert_eq!(Cursor::decode(&encoded, &fingerprint, sort).ok(), Some(cursor));
        if other != fingerprint {
            prop_assert!(Cursor::decode(&encoded, &other, sort).is_err());
        }
        if let Err(error) = Cursor::decode(&raw, &fingerprint, sort) {
            prop_assert!(matches!(error, ApiError::InvalidParameter { .. }), "{error:?}");
        }
    }

    /// Any query string is either read or a 400 naming a parameter.
    #[test]
    fn a_query_string_is_read_or_refused(query in ".{0,120}", known in prop::collection::vec("[a-z_]{1,8}", 0..4)) {
        let known: Vec<&str> = known.iter().map(String::as_str).collect();
        match QueryParams::parse(&query, &known) {
            Ok(params) => {
                for name in &known {
                    let _ = params.integer(name, 0, 100, 1);
                    let _ = params.boolean(name, false);
                    let _ = params.language(name);
                    let _ = params.instant(name, false);
                    let _ = params.texts(name, 5);
                }
            }
            Err(error) => prop_assert!(matches!(error, ApiError::InvalidParameter { .. }), "{error:?}"),
        }
    }

    /// Any `If-Match` is read: a tag of ours names its version; anything
    /// else matches no version (a 412), never a panic.
    #[test]
    fn an_if_match_header_is_read(raw in "[ -~]{0,80}", version in 1_i32..1_000_000, rest in "[A-Za-z0-9_-]{0,22}") {
        let request = TestRequest::default().insert_header((IF_MATCH, raw.as_str())).to_http_request();
        let _ = IfMatch::from_request(&request);
        let ours = format!("\"{version}-{rest}\"");
        let request = TestRequest::default().insert_header((IF_MATCH, ours.as_str())).to_http_request();
        let read = IfMatch::from_request(&request);
        prop_assert!(matches!(&read, Ok(IfMatch::Versions(versions)) if versions == &[version]));
        prop_assert!(read.is_ok_and(|read| read.check(version).is_ok() && read.check(version + 1).is_err()));
    }

    /// A language tag keeps being one in its conventional case, once.
    #[test]
    fn a_language_tag_keeps_its_meaning_in_its_case(tag in language_tag()) {
        prop_assert!(is_language_tag(&tag));
        let canonical = canonical_language(&tag);
        prop_assert!(is_language_tag(&canonical));
        prop_assert!(canonical.eq_ignore_ascii_case(&tag));
        prop_assert_eq!(canonical_language(&canonical), canonical);
    }

    /// Any `Accept-Language` and `lang` are read or refused (400); two
    /// requests with one key are answered in one language.
    #[test]
    fn a_reader_language_is_read(header in "[ -~]{0,80}", lang in "[ -~]{0,12}", other in "[ -~]{0,80}") {
        let headers = |value: &str| {
            let mut headers = HeaderMap::new();
            if let Ok(value) = HeaderValue::from_str(value) {
                headers.insert(ACCEPT_LANGUAGE, value);
            }
            headers
        };
        let query = format!("lang={}", url::form_urlencoded::byte_serialize(lang.as_bytes()).collect::<String>());
        if let Err(error) = Lang::read(&query, &headers(&header)) {
            prop_assert!(matches!(error, ApiError::InvalidParameter { .. }), "{error:?}");
        }
        let available = ["fr", "en", "de-CH"];
        let (one, two) = (Lang::read("", &headers(&header)), Lang::read("", &headers(&other)));
        prop_assert!(one.is_ok() && two.is_ok());
        let (one, two) = (one.unwrap(), two.unwrap());
        let chosen = one.choose(available);
        prop_assert!(available.contains(&chosen.as_str()), "{chosen}");
        if one.key() == two.key() {
            prop_assert_eq!(chosen, two.choose(available));
        }
    }

    /// Any search text analyses to terms of ASCII letters and digits, in
    /// every language, and a search holds only such terms.
    #[test]
    fn any_text_analyses_to_plain_terms(text in any::<String>(), language in language_tag()) {
        let analyser = search::analyser(&language);
        for term in analyser.terms(&text) {
            prop_assert!(!term.is_empty() && term.bytes().all(|byte| byte.is_ascii_alphanumeric()), "{term:?}");
        }
        if let Some(query) = search::query_in(&text, ["fr", "en", language.as_str()]) {
            prop_assert!(query.terms().iter().all(|term| term.bytes().all(|byte| byte.is_ascii_alphanumeric())));
            prop_assert!(!query.to_fts5("all_terms").is_empty() && !query.to_tsquery().is_empty());
        }
        let _ = search::html_text(&text);
    }
}
