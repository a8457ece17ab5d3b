//! The trash over HTTP: what was deleted, putting it back, purging it. The
//! service is the publications' (`publications::history`); the rows,
//! `history::trash`; the purge of what has stayed too long, `purger`.

pub mod handlers;
pub mod purger;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(config: &mut ServiceConfig) {
    config.service(handlers::list_trash).service(handlers::restore_from_trash).service(handlers::purge_from_trash);
}
