//! Request bodies: read whole up to 1 MiB, checked for their media type,
//! parsed as a JSON object. What each field must be is checked afterwards,
//! by `validation`, so that every fault is reported at once.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest};
use futures_util::StreamExt;
use serde_json::{Map, Value};

use crate::error::ApiError;

/// The largest body accepted.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// A JSON object sent as `application/json`.
#[derive(Debug)]
pub struct JsonObject(pub Map<String, Value>);

/// A JSON Merge Patch (RFC 7396), sent as `application/merge-patch+json`
/// or `application/json`.
#[derive(Clone, Debug)]
pub struct MergePatch(pub Map<String, Value>);

fn media_type(request: &HttpRequest) -> Option<String> {
    let value = request.headers().get(header::CONTENT_TYPE)?.to_str().ok()?;
    Some(value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase())
}

async fn read_object(
    request: HttpRequest,
    mut payload: Payload,
    accepted: &[&str],
) -> Result<Map<String, Value>, ApiError> {
    if !media_type(&request).is_some_and(|media_type| accepted.contains(&media_type.as_str())) {
        return Err(ApiError::UnsupportedMediaType(format!("send the body as {}", accepted.join(" or "))));
    }
    let too_large = ApiError::PayloadTooLarge { limit: MAX_BODY_BYTES };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<usize>().ok());
    if declared.is_some_and(|length| length > MAX_BODY_BYTES) {
        return Err(too_large);
    }
    let mut body = Vec::with_capacity(declared.unwrap_or(0));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|error| ApiError::MalformedBody(format!("the body could not be read: {error}")))?;
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(too_large);
        }
        body.extend_from_slice(&chunk);
    }
    match serde_json::from_slice(&body) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(ApiError::MalformedBody("the body must be a JSON object".into())),
        Err(error) => Err(ApiError::MalformedBody(format!("the body is not valid JSON: {error}"))),
    }
}

impl FromRequest for JsonObject {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let (request, payload) = (request.clone(), payload.take());
        Box::pin(async move { read_object(request, payload, &["application/json"]).await.map(Self) })
    }
}

impl FromRequest for MergePatch {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let (request, payload) = (request.clone(), payload.take());
        Box::pin(async move {
            read_object(request, payload, &["application/merge-patch+json", "application/json"]).await.map(Self)
        })
    }
}

impl MergePatch {
    /// Refuses `null` for each of `names`, fields that it would not clear
    /// (RFC 7396 would remove them; here they cannot be absent).
    pub fn refuse_nulls(&self, names: &[&str]) -> Result<(), crate::error::ApiError> {
        let errors: Vec<crate::error::FieldError> = names
            .iter()
            .filter(|name| self.0.get(**name).is_some_and(Value::is_null))
            .map(|name| crate::error::FieldError {
                field: (*name).to_owned(),
                code: "null_not_allowed",
                message: "must not be null; leave the member out to keep it".into(),
            })
            .collect();
        if errors.is_empty() { Ok(()) } else { Err(crate::error::ApiError::ValidationFailed(errors)) }
    }

    /// Applies the patch to `target` as RFC 7396 says: `null` removes a
    /// member, an object merges recursively, anything else replaces.
    pub fn apply_to(self, target: &mut Map<String, Value>) {
        fn merge(target: &mut Value, patch: Value) {
            let Value::Object(patch) = patch else {
                *target = patch;
                return;
            };
            if !target.is_object() {
                *target = Value::Object(Map::new());
            }
            let object = target.as_object_mut().expect("made an object above");
            for (key, value) in patch {
                if value.is_null() {
                    object.remove(&key);
                } else {
                    merge(object.entry(key).or_insert(Value::Null), value);
                }
            }
        }
        let mut whole = Value::Object(std::mem::take(target));
        merge(&mut whole, Value::Object(self.0));
        if let Value::Object(object) = whole {
            *target = object;
        }
    }
}
