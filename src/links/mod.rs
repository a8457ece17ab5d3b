//! Links: the related items of a publication, each pointing either to an
//! external URL or to another publication.

pub mod dto;
pub mod handlers;
pub mod input;
pub mod queries;
pub mod store;
pub mod writes;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(config: &mut ServiceConfig) {
    config
        .service(handlers::list_publication_links)
        .service(handlers::get_publication_link)
        .service(handlers::create_publication_link)
        .service(handlers::patch_publication_link)
        .service(handlers::delete_publication_link);
}
