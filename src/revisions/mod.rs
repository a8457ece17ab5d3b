//! The history of a publication over HTTP: its revisions, each one's
//! snapshot, what differs from now, and restoring one. The service is the
//! publications' (`publications::history`); the rows, `history`.

pub mod dto;
pub mod handlers;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(config: &mut ServiceConfig) {
    config
        .service(handlers::list_revisions)
        .service(handlers::get_revision)
        .service(handlers::diff_revision)
        .service(handlers::restore_revision);
}
