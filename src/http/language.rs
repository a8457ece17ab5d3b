//! The language a reader asks labels in: `?lang=` when given, otherwise
//! the `Accept-Language` header (RFC 9110, section 12.5.4), otherwise the
//! default. What is answered in it (category names) falls back to the
//! default language where it has no translation, and says which language
//! it served; every answer carries `Vary: Accept-Language`.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header::{ACCEPT_LANGUAGE, HeaderMap};
use actix_web::{FromRequest, HttpRequest};

use crate::domain::{canonical_language, is_language_tag};
use crate::error::ApiError;
use crate::query::QueryParams;

/// The language of labels when a reader asks for none, or for none there is.
pub const DEFAULT: &str = "fr";

/// The most language ranges of an `Accept-Language` header looked at.
const MAX_RANGES: usize = 16;

/// What a reader asked for: the languages wanted, best first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Lang {
    /// `?lang=`, canonical.
    explicit: Option<String>,
    /// The ranges of `Accept-Language` with a weight above zero, best
    /// first (ties in the header's order), lowercase; `*` included.
    accepted: Vec<String>,
}

impl Lang {
    /// What `query` (its `lang` parameter, checked) and `headers` ask for.
    pub fn read(query: &str, headers: &HeaderMap) -> Result<Self, ApiError> {
        let explicit = form_urlencoded::parse(query.as_bytes())
            .filter(|(name, _)| name == "lang")
            .map(|(_, value)| value.into_owned())
            .try_fold(None, |found: Option<String>, value| {
                if found.is_some() {
                    return Err(ApiError::invalid_parameter("lang", "repeated", "may be given only once"));
                }
                if !is_language_tag(&value) {
                    return Err(ApiError::invalid_parameter(
                        "lang",
                        "invalid_language",
                        format!("must be a BCP 47 language tag such as en or fr, got '{value}'"),
                    ));
                }
                Ok(Some(canonical_language(&value)))
            })?;
        Ok(Self { explicit, accepted: accepted(headers) })
    }

    /// A request for `tag`, as `?lang=` asks.
    pub fn explicit(tag: &str) -> Self {
        Self { explicit: Some(canonical_language(tag)), accepted: Vec::new() }
    }

    /// The language to answer in, among `available` (the languages there
    /// are labels in; the default is always one): `?lang=` as given (each
    /// label then falls back on its own), else the first accepted range
    /// that one of `available` matches, tag or primary subtag, else the
    /// default.
    pub fn choose<'a>(&self, available: impl IntoIterator<Item = &'a str> + Clone) -> String {
        if let Some(explicit) = &self.explicit {
            return explicit.clone();
        }
        for range in &self.accepted {
            if range == "*" {
                return DEFAULT.to_owned();
            }
            let primary = range.split('-').next().unwrap_or_default();
            let exact = available.clone().into_iter().find(|tag| tag.eq_ignore_ascii_case(range));
            let near = || {
                available
                    .clone()
                    .into_iter()
                    .find(|tag| tag.split('-').next().is_some_and(|other| other.eq_ignore_ascii_case(primary)))
            };
            if let Some(found) = exact.or_else(near) {
                return found.to_owned();
            }
        }
        DEFAULT.to_owned()
    }

    /// What a kept answer must be told apart by: two requests with the
    /// same key are answered in the same language.
    pub fn key(&self) -> String {
        match &self.explicit {
            Some(explicit) => format!("lang={explicit}"),
            None => self.accepted.join(","),
        }
    }
}

/// The language ranges of `Accept-Language` with a weight above zero, best
/// first, lowercase; an unreadable header counts as absent.
fn accepted(headers: &HeaderMap) -> Vec<String> {
    let mut ranges: Vec<(u16, usize, String)> = Vec::new();
    for value in headers.get_all(ACCEPT_LANGUAGE) {
        let Ok(value) = value.to_str() else { continue };
        for (index, part) in value.split(',').enumerate().take(MAX_RANGES) {
            let mut pieces = part.split(';');
            let range = pieces.next().unwrap_or_default().trim().to_ascii_lowercase();
            if range != "*" && !is_language_tag(&range) {
                continue;
            }
            let weight = pieces
                .filter_map(|parameter| parameter.trim().strip_prefix("q=").or(parameter.trim().strip_prefix("Q=")))
                .find_map(|weight| weight.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if weight > 0.0 && weight <= 1.0 {
                ranges.push(((weight * 1000.0) as u16, index, range));
            }
        }
    }
    ranges.sort_by(|left, right| right.0.cmp(&left.0).then(left.1.cmp(&right.1)));
    ranges.into_iter().map(|(_, _, range)| range).collect()
}

impl FromRequest for Lang {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Self::read(request.query_string(), request.headers()))
    }
}

/// The query of an endpoint that takes only `lang`: anything else is a
/// 400 naming it.
pub struct LangOnly(pub Lang);

impl FromRequest for LangOnly {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            QueryParams::parse(request.query_string(), &["lang"])
                .and_then(|_| Lang::read(request.query_string(), request.headers()))
                .map(Self),
        )
    }
}

/// The `lang` query parameter, for the OpenAPI document of the endpoints
/// that take it.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LangParameter {
    /// The language of category names and descriptions (a BCP 47 tag):
    /// where a category has none in it, the default language's (`fr`), and
    /// each name's `lang` says which. Without it, `Accept-Language` chooses
    /// among the languages there are names in.
    #[param(example = "en", max_length = 35, pattern = "^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")]
    pub lang: Option<String>,
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::HeaderValue;

    use super::*;

    fn asked(query: &str, accept: Option<&str>) -> Lang {
        let mut headers = HeaderMap::new();
        if let Some(accept) = accept {
            headers.insert(ACCEPT_LANGUAGE, HeaderValue::from_str(accept).unwrap());
        }
        Lang::read(query, &headers).unwrap()
    }

    #[test]
    fn the_parameter_wins_then_the_best_accepted_range_there_is() {
        let available = ["fr", "en"];
        assert_eq!(asked("lang=EN-gb", Some("fr")).choose(available), "en-GB");
        assert_eq!(asked("", Some("de;q=0.9, en-US;q=0.8, fr;q=0.1")).choose(available), "en");
        assert_eq!(asked("", Some("en;q=0, fr")).choose(available), "fr");
        assert_eq!(asked("", Some("fr;q=0.5, en")).choose(available), "en");
        assert_eq!(asked("", Some("de")).choose(available), "fr");
        assert_eq!(asked("", Some("*")).choose(available), "fr");
        assert_eq!(asked("", Some("garbage;;, 12")).choose(available), "fr");
        assert_eq!(asked("", None).choose(available), "fr");
        // Requests answered alike share a key; others do not.
        assert_eq!(asked("", Some("en;q=0.8,fr;q=0.9")).key(), asked("", Some("fr, en;q=0.5")).key());
        assert_ne!(asked("", Some("en")).key(), asked("", Some("fr")).key());
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT_LANGUAGE, HeaderValue::from_static("en"));
        assert!(Lang::read("lang=%20", &headers).is_err());
        assert!(Lang::read("lang=en&lang=fr", &headers).is_err());
    }
}
