//! Categories: a tree of labels that publications are filed under.

pub mod dto;
pub mod handlers;
pub mod input;
pub mod names;
pub mod queries;
pub mod store;
pub mod tree;
pub mod writes;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(config: &mut ServiceConfig) {
    config
        .service(handlers::list_categories)
        .service(handlers::get_category)
        .service(handlers::create_category)
        .service(handlers::replace_category)
        .service(handlers::patch_category)
        .service(handlers::delete_category)
        .service(handlers::list_category_publications);
}
