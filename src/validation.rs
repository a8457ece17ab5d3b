//! Reading a JSON object field by field, collecting every fault, so that a
//! 422 lists them all at once.
//!
//! `null` is taken only by fields that it clears (a summary, a list, a
//! parent): there it reads as the empty value. A field that `null` would not
//! clear (a title, a status, a position) refuses it, naming the field,
//! rather than quietly taking a default. Texts are checked as sent (length,
//! characters), then trimmed, so the published patterns match exactly.

use chrono::{DateTime, NaiveDate, NaiveDateTime, SubsecRound, Utc};
use serde_json::{Map, Value};

use crate::domain::html::is_plain_text;
use crate::domain::patterns::{is_media_type, is_plain_character, is_web_url};
use crate::domain::{Reference, canonical_language, is_language_tag, is_slug};
use crate::error::{ApiError, FieldError};

pub struct Fields {
    object: Map<String, Value>,
    errors: Vec<FieldError>,
}

impl Fields {
    pub fn new(object: Map<String, Value>) -> Self {
        Self { object, errors: Vec::new() }
    }

    pub fn error(&mut self, field: impl Into<String>, code: &'static str, message: impl Into<String>) {
        self.errors.push(FieldError { field: field.into(), code, message: message.into() });
    }

    /// Whether the object holds `name` (not read yet).
    pub fn has(&self, name: &str) -> bool {
        self.object.contains_key(name)
    }

    /// Whether a fault was already found in `name`.
    pub fn has_error(&self, name: &str) -> bool {
        self.errors.iter().any(|error| error.field == name)
    }

    /// Refuses `null` for each of `names`: fields that `null` would not clear.
    pub fn refuse_nulls(&mut self, names: &[&str]) {
        for name in names {
            if self.object.get(*name).is_some_and(Value::is_null) {
                self.object.remove(*name);
                self.error(*name, "null_not_allowed", "must not be null; leave the field out instead");
            }
        }
    }

    fn take(&mut self, name: &str) -> Option<Value> {
        self.object.remove(name).filter(|value| !value.is_null())
    }

    fn string(&mut self, name: &str) -> Option<String> {
        match self.take(name)? {
            Value::String(text) => Some(text),
            _ => {
                self.error(name, "not_a_string", "must be a string");
                None
            }
        }
    }

    /// A required text of 1 to `max` characters, trimmed; plain text when
    /// `plain`.
    pub fn required_text(&mut self, name: &str, max: usize, plain: bool) -> String {
        match self.optional_text(name, max, plain) {
            Some(text) => text,
            None => {
                if !self.errors.iter().any(|error| error.field == name) {
                    self.error(name, "required", "is required");
                }
                String::new()
            }
        }
    }

    /// An optional text of at most `max` characters, trimmed; plain text
    /// when `plain`. An empty text reads as absent.
    pub fn optional_text(&mut self, name: &str, max: usize, plain: bool) -> Option<String> {
        let text = self.string(name)?;
        if text.chars().count() > max {
            self.error(name, "too_long", format!("must be at most {max} characters"));
        } else if plain && !is_plain_text(&text) {
            self.error(name, "not_plain_text", "must be plain text, without HTML tags");
        } else if !text.chars().all(|character| is_plain_character(character, false)) {
            self.error(name, "control_character", "must not hold control characters");
        } else if !text.trim().is_empty() {
            return Some(text.trim().to_owned());
        }
        None
    }

    /// An absolute http or https URL, taken as sent.
    pub fn web_url(&mut self, name: &str) -> Option<String> {
        let url = self.string(name)?;
        if is_web_url(&url) {
            Some(url)
        } else {
            self.error(
                name,
                "invalid_url",
                "must be an absolute http or https URL on a named host, at most 2000 characters",
            );
            None
        }
    }

    /// A media type such as `application/pdf`, taken as sent.
    pub fn media_type(&mut self, name: &str) -> Option<String> {
        let media_type = self.string(name)?;
        if is_media_type(&media_type) {
            Some(media_type)
        } else {
            self.error(name, "invalid_media_type", "must be a media type such as application/pdf");
            None
        }
    }

    /// A text kept as sent: HTML, sanitised by the caller.
    pub fn raw_text(&mut self, name: &str) -> Option<String> {
        self.string(name)
    }

    pub fn slug(&mut self, name: &str) -> Option<String> {
        let slug = self.string(name)?;
        if is_slug(&slug) && !slug.bytes().all(|byte| byte.is_ascii_digit()) {
            Some(slug)
        } else {
            self.error(
                name,
                "invalid_slug",
                "must be 1 to 200 lowercase letters, digits and hyphens, not digits alone",
            );
            None
        }
    }

    pub fn language(&mut self, name: &str) -> Option<String> {
        let tag = self.string(name)?;
        if is_language_tag(&tag) {
            Some(canonical_language(&tag))
        } else {
            self.error(name, "invalid_language", "must be a BCP 47 language tag such as fr or fr-BE");
            None
        }
    }

    /// `true` or `false`.
    pub fn boolean(&mut self, name: &str) -> Option<bool> {
        match self.take(name)? {
            Value::Bool(value) => Some(value),
            _ => {
                self.error(name, "not_a_boolean", "must be true or false");
                None
            }
        }
    }

    /// One of `choices`, by its name.
    pub fn choice<T: Copy>(&mut self, name: &str, choices: &[(&str, T)]) -> Option<T> {
        let value = self.string(name)?;
        let found = choices.iter().find(|(choice, _)| *choice == value).map(|(_, item)| *item);
        if found.is_none() {
            let names: Vec<&str> = choices.iter().map(|(choice, _)| *choice).collect();
            self.error(name, "invalid_choice", format!("must be one of {}", names.join(", ")));
        }
        found
    }

    /// A date-time (RFC 3339) or a date (midnight UTC).
    pub fn datetime(&mut self, name: &str) -> Option<NaiveDateTime> {
        let text = self.string(name)?;
        if let Ok(at) = DateTime::parse_from_rfc3339(&text) {
            // Kept to the microsecond, as both databases hold it.
            return Some(at.with_timezone(&Utc).naive_utc().trunc_subsecs(6));
        }
        if let Some(midnight) =
            NaiveDate::parse_from_str(&text, "%Y-%m-%d").ok().and_then(|day| day.and_hms_opt(0, 0, 0))
        {
            return Some(midnight);
        }
        self.error(name, "invalid_datetime", "must be an RFC 3339 date-time or a YYYY-MM-DD date");
        None
    }

    /// An integer within `min..=max`. A number with no fraction (`208.0`)
    /// is that integer, as JSON Schema counts it.
    pub fn integer(&mut self, name: &str, min: i64, max: i64) -> Option<i32> {
        let value = self.take(name)?;
        let Value::Number(number) = &value else {
            self.error(name, "not_an_integer", format!("must be an integer from {min} to {max}"));
            return None;
        };
        let integral = number.as_i64().or_else(|| {
            number.as_f64().filter(|float| float.fract() == 0.0 && float.abs() < 1e15).map(|float| float as i64)
        });
        match integral {
            Some(integer) if (min..=max).contains(&integer) => i32::try_from(integer).ok(),
            Some(_) => {
                self.error(name, "out_of_range", format!("must be an integer from {min} to {max}"));
                None
            }
            None => {
                self.error(name, "not_an_integer", format!("must be an integer from {min} to {max}, with no fraction"));
                None
            }
        }
    }

    /// An id or a slug naming another resource.
    pub fn reference(&mut self, name: &str) -> Option<Reference> {
        let value = self.take(name)?;
        let reference = reference_of(&value);
        if reference.is_none() {
            self.error(name, "invalid_reference", "must be an id or a slug");
        }
        reference
    }

    /// A list of ids or slugs, without repeats.
    pub fn references(&mut self, name: &str, max_items: usize) -> Vec<Reference> {
        let mut references = Vec::new();
        for (index, value) in self.list(name, max_items).into_iter().enumerate() {
            match reference_of(&value) {
                Some(reference) if !references.contains(&reference) => references.push(reference),
                Some(_) => {}
                None => self.error(format!("{name}[{index}]"), "invalid_reference", "must be an id or a slug"),
            }
        }
        references
    }

    /// A list of plain texts of 1 to `max` characters each.
    pub fn texts(&mut self, name: &str, max_items: usize, max: usize) -> Vec<String> {
        let mut texts = Vec::new();
        for (index, value) in self.list(name, max_items).into_iter().enumerate() {
            let field = format!("{name}[{index}]");
            match value.as_str() {
                Some(text)
                    if !text.trim().is_empty()
                        && text.chars().count() <= max
                        && is_plain_text(text)
                        && text.chars().all(|character| is_plain_character(character, true)) =>
                {
                    texts.push(text.trim().to_owned())
                }
                _ => self.error(field, "invalid_item", format!("must be plain text of 1 to {max} characters")),
            }
        }
        texts
    }

    fn list(&mut self, name: &str, max_items: usize) -> Vec<Value> {
        match self.take(name) {
            None => Vec::new(),
            Some(Value::Array(items)) if items.len() <= max_items => items,
            Some(Value::Array(_)) => {
                self.error(name, "too_many", format!("must hold at most {max_items} items"));
                Vec::new()
            }
            Some(_) => {
                self.error(name, "not_a_list", "must be a list");
                Vec::new()
            }
        }
    }

    /// Refuses fields nobody read (unknown ones) and reports every fault.
    /// An object whose members are objects, each read by `read` with its
    /// own fields (their faults named `name.member.field`); `max` members
    /// at most. Absent or `null`: empty.
    pub fn objects<T>(
        &mut self,
        name: &str,
        max: usize,
        mut read: impl FnMut(&str, &mut Fields) -> Option<T>,
    ) -> Vec<(String, T)> {
        let members = match self.take(name) {
            None => return Vec::new(),
            Some(Value::Object(members)) => members,
            Some(_) => {
                self.error(name, "not_an_object", "must be an object");
                return Vec::new();
            }
        };
        if members.len() > max {
            self.error(name, "too_many", format!("must have at most {max} members"));
            return Vec::new();
        }
        let mut read_all = Vec::new();
        for (key, value) in members {
            let Value::Object(object) = value else {
                self.error(format!("{name}.{key}"), "not_an_object", "must be an object");
                continue;
            };
            let mut fields = Fields::new(object);
            let value = read(&key, &mut fields);
            let errors = match fields.finish() {
                Ok(()) => Vec::new(),
                Err(ApiError::ValidationFailed(errors)) => errors,
                Err(_) => Vec::new(),
            };
            let failed = !errors.is_empty();
            for error in errors {
                let field = if error.field.is_empty() {
                    format!("{name}.{key}")
                } else {
                    format!("{name}.{key}.{}", error.field)
                };
                self.errors.push(FieldError { field, ..error });
            }
            if let (Some(value), false) = (value, failed) {
                read_all.push((key, value));
            }
        }
        read_all
    }

    pub fn finish(mut self) -> Result<(), ApiError> {
        let mut unknown: Vec<String> = self.object.keys().cloned().collect();
        unknown.sort();
        for name in unknown {
            self.error(name, "unknown_field", "is not a field of this resource");
        }
        if self.errors.is_empty() { Ok(()) } else { Err(ApiError::ValidationFailed(self.errors)) }
    }
}

fn reference_of(value: &Value) -> Option<Reference> {
    match value {
        Value::Number(number) => {
            number.as_i64().filter(|id| *id >= 1).and_then(|id| i32::try_from(id).ok()).map(Reference::Id)
        }
        Value::String(text) => Reference::parse(text),
        _ => None,
    }
}
