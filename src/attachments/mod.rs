//! Attachments: the files of a publication (its report, annexes, data and
//! cover images), their bytes kept in the storage, their metadata in the
//! database, downloaded with the publication's visibility.

pub mod collector;
pub mod demo;
pub mod download;
pub mod dto;
pub mod handlers;
pub mod images;
pub mod input;
pub mod media;
pub mod queries;
pub mod samples;
pub mod store;
pub mod upload;
pub mod writes;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(config: &mut ServiceConfig) {
    config
        .service(handlers::list_attachments)
        .service(handlers::get_attachment)
        .service(handlers::create_attachment)
        .service(handlers::patch_attachment)
        .service(handlers::delete_attachment)
        .service(handlers::download_file);
}
