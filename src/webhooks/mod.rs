//! Webhooks: endpoints that receive the event log, signed as the Standard
//! Webhooks specification says, with their deliveries kept in the
//! database and retried for days. Managed with an `admin` token.

pub mod dispatcher;
pub mod dto;
pub mod handlers;
pub mod signature;
pub mod store;
pub mod target;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(config: &mut ServiceConfig) {
    config
        .service(handlers::list_webhooks)
        .service(handlers::create_webhook)
        .service(handlers::get_webhook)
        .service(handlers::update_webhook)
        .service(handlers::delete_webhook)
        .service(handlers::rotate_secret)
        .service(handlers::ping_webhook)
        .service(handlers::list_deliveries)
        .service(handlers::redeliver);
}
