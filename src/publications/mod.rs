//! Publications: studies, reports and articles, with their categories.

pub mod cursor;
pub mod dto;
pub mod handlers;
pub mod input;
pub mod listing;
pub mod queries;
pub mod writes;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(config: &mut ServiceConfig) {
    config
        .service(handlers::list_publications)
        .service(handlers::get_publication)
        .service(handlers::create_publication)
        .service(handlers::replace_publication)
        .service(handlers::patch_publication)
        .service(handlers::delete_publication)
        .service(handlers::list_related_publications);
}
