//! API tokens: made by the command line or by an `admin` token over HTTP,
//! shown once, stored as a hash, each with a scope and possibly an expiry.

pub mod handlers;
pub mod scope;
pub mod store;

pub use scope::Scope;
pub use store::{
    LOOKUP_LENGTH, Presented, Recognised, TokenRow, authenticate, create, find, list, record_use, revoke, revoke_id,
};

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(config: &mut ServiceConfig) {
    config
        .service(handlers::list_tokens)
        .service(handlers::create_token)
        .service(handlers::get_token)
        .service(handlers::revoke_token);
}
