//! `X-Request-Id`: kept from the request when it is a sensible id, else
//! made here; sent back on every answer and written in the access log.

use std::future::Future;

use actix_web::Error;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};

pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The longest id kept from a request.
const MAX_LENGTH: usize = 128;

/// An id a client sent, if it is 1 to 128 visible ASCII characters.
fn accepted(value: &HeaderValue) -> bool {
    (1..=MAX_LENGTH).contains(&value.len()) && value.as_bytes().iter().all(|byte| (0x21..=0x7e).contains(byte))
}

/// A new id: 128 random bits in hexadecimal.
fn generate() -> HeaderValue {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        // Without randomness, a clock-based id still tells requests apart.
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
        bytes = nanos.to_be_bytes();
    }
    let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    HeaderValue::from_str(&hex).expect("hexadecimal is a valid header value")
}

/// Gives the request its id (so the handlers and the log see it) and the
/// answer the same one.
pub fn middleware<S, B>(
    mut request: ServiceRequest,
    service: &S,
) -> impl Future<Output = Result<ServiceResponse<B>, Error>> + use<S, B>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
{
    let id = match request.headers().get(X_REQUEST_ID) {
        Some(value) if accepted(value) => value.clone(),
        _ => generate(),
    };
    request.headers_mut().insert(X_REQUEST_ID, id.clone());
    let response = service.call(request);
    async move {
        let mut response = response.await?;
        response.headers_mut().insert(X_REQUEST_ID, id);
        Ok(response)
    }
}
