//! The event log as partners read it: the change feed (`GET /changes`),
//! the views that decide what each reader sees of an event (`view`), and
//! the pruning of old events. Events are appended by the writes
//! themselves (`crate::change::events`); webhooks deliver them
//! (`crate::webhooks`).

pub mod cursor;
pub mod dto;
pub mod feed;
pub mod handlers;
pub mod pruner;
pub mod view;

pub use feed::LogHead;
pub use view::View;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(config: &mut ServiceConfig) {
    config.service(handlers::changes);
}
