//! Strict parsing of query strings.
//!
//! Every endpoint declares the parameters it knows; anything else is refused
//! with a 400 naming it, so a typo (`categroy=x`) never silently returns
//! everything. Values are checked here, at the edge, and become typed values.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeDelta, Utc};

use crate::error::ApiError;

/// An extractor for endpoints that take no query parameter: any given is
/// a 400 naming it.
pub struct NoQuery;

impl FromRequest for NoQuery {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(QueryParams::parse(request.query_string(), &[]).map(|_| Self))
    }
}

/// The decoded pairs of a query string, checked against a list of known names.
#[derive(Debug)]
pub struct QueryParams {
    pairs: Vec<(String, String)>,
}

impl QueryParams {
    /// Decodes `query` and refuses any parameter not in `known`.
    pub fn parse(query: &str, known: &[&str]) -> Result<Self, ApiError> {
        let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes()).into_owned().collect();
        if let Some((name, _)) = pairs.iter().find(|(name, _)| !known.contains(&name.as_str())) {
            let message = if known.is_empty() {
                "this endpoint takes no query parameter".to_owned()
            } else {
                format!("unknown parameter; this endpoint takes: {}", known.join(", "))
            };
            return Err(ApiError::invalid_parameter(name, "unknown", message));
        }
        Ok(Self { pairs })
    }

    /// Every value given for `name`, in order.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.pairs.iter().filter(|(key, _)| key == name).map(|(_, value)| value.as_str()).collect()
    }

    /// The value of a parameter that may appear at most once.
    pub fn single(&self, name: &str) -> Result<Option<&str>, ApiError> {
        match self.all(name).as_slice() {
            [] => Ok(None),
            [value] => Ok(Some(value)),
            _ => Err(ApiError::invalid_parameter(name, "repeated", "may be given only once")),
        }
    }

    /// An integer parameter within `min..=max`, or `default` when absent.
    pub fn integer(&self, name: &str, min: i64, max: i64, default: i64) -> Result<i64, ApiError> {
        let Some(raw) = self.single(name)? else {
            return Ok(default);
        };
        let message = || format!("must be an integer from {min} to {max}, got '{raw}'");
        let value: i64 = raw.parse().map_err(|_| ApiError::invalid_parameter(name, "not_an_integer", message()))?;
        if !(min..=max).contains(&value) {
            return Err(ApiError::invalid_parameter(name, "out_of_range", message()));
        }
        Ok(value)
    }

    /// A boolean parameter (`true` or `false`), or `default` when absent.
    pub fn boolean(&self, name: &str, default: bool) -> Result<bool, ApiError> {
        match self.single(name)? {
            None => Ok(default),
            Some("true") => Ok(true),
            Some("false") => Ok(false),
            Some(other) => {
                Err(ApiError::invalid_parameter(name, "not_a_boolean", format!("must be true or false, got '{other}'")))
            }
        }
    }

    /// A date or date-time parameter. A date means its first instant, or with
    /// `end_of_day` the first instant of the next day (an exclusive bound).
    pub fn instant(&self, name: &str, end_of_day: bool) -> Result<Option<NaiveDateTime>, ApiError> {
        let Some(raw) = self.text(name)? else {
            return Ok(None);
        };
        if let Ok(at) = DateTime::parse_from_rfc3339(raw) {
            let at = at.with_timezone(&Utc).naive_utc();
            return Ok(Some(if end_of_day { at + TimeDelta::microseconds(1) } else { at }));
        }
        if let Ok(day) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
            let day = if end_of_day { day.succ_opt() } else { Some(day) };
            return Ok(day.and_then(|day| day.and_hms_opt(0, 0, 0)));
        }
        Err(ApiError::invalid_parameter(
            name,
            "invalid_datetime",
            format!("must be a date (2025-12-31) or an RFC 3339 date-time, got '{raw}'"),
        ))
    }

    /// A BCP 47 language tag, or `None` when absent.
    pub fn language(&self, name: &str) -> Result<Option<String>, ApiError> {
        match self.text(name)? {
            Some(tag) if !crate::domain::is_language_tag(tag) => Err(ApiError::invalid_parameter(
                name,
                "invalid_language",
                format!("must be a BCP 47 language tag such as fr or fr-BE, got '{tag}'"),
            )),
            other => Ok(other.map(crate::domain::canonical_language)),
        }
    }

    /// Every value of a repeatable text parameter: none empty, at most
    /// `max` of them.
    pub fn texts(&self, name: &str, max: usize) -> Result<Vec<String>, ApiError> {
        let values = self.all(name);
        if values.contains(&"") {
            return Err(ApiError::invalid_parameter(name, "empty", "must not be empty"));
        }
        if values.len() > max {
            return Err(ApiError::invalid_parameter(name, "too_many", format!("may be given at most {max} times")));
        }
        Ok(values.into_iter().map(str::to_owned).collect())
    }

    /// A non-empty text parameter, or `None` when absent.
    pub fn text(&self, name: &str) -> Result<Option<&str>, ApiError> {
        match self.single(name)? {
            Some("") => Err(ApiError::invalid_parameter(name, "empty", "must not be empty")),
            other => Ok(other),
        }
    }
}
