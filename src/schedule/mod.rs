//! The release calendar and what happens at a release or an expiry.
//!
//! A publication is scheduled by its times alone (`published_at` to come,
//! `unpublish_at`): whether a reader sees it is decided at each read by
//! the visibility rule, so nothing needs to run for a release to show.
//! This module serves the coming releases that editors chose to announce
//! (`queries`, `handlers`, `ics` for iCalendar), and runs, once at their
//! instant, what must happen at a transition (`transitions`).

pub mod handlers;
pub mod ics;
pub mod queries;
pub mod transitions;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(config: &mut ServiceConfig) {
    config.service(handlers::schedule).service(handlers::schedule_ics);
}
