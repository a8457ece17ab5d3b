//! Sends anonymous reads of the API to the read replica while it can be
//! reached. Writes, and every request with a token (an editor reads their
//! own writes), stay on the primary; so do the probes and `/metrics`,
//! which speak of the primary.

use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{Error, web};

use crate::db::replica::{self, Replica};

/// The paths whose anonymous reads the replica answers.
const API_PREFIX: &str = "/api/v1/";

/// Whether `request` may read from the replica.
fn anonymous_read(request: &ServiceRequest) -> bool {
    matches!(*request.method(), Method::GET | Method::HEAD)
        && request.path().starts_with(API_PREFIX)
        && !request.headers().contains_key(header::AUTHORIZATION)
}

pub async fn middleware(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, Error> {
    let replica = request
        .app_data::<web::Data<Option<Arc<Replica>>>>()
        .and_then(|replica| replica.as_ref().as_ref())
        .filter(|replica| replica.is_reachable() && anonymous_read(&request))
        .cloned();
    match replica {
        Some(replica) => replica::reading_from(replica, next.call(request)).await,
        None => next.call(request).await,
    }
}
