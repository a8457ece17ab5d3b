//! Feeds of the newest publications, for feed readers and aggregators:
//! Atom 1.0 and JSON Feed 1.1, drafts never included.

pub mod handlers;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(config: &mut ServiceConfig) {
    config.service(handlers::atom_feed).service(handlers::json_feed);
}
