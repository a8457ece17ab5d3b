//! Publications: studies, reports and articles, with their categories.
//!
//! - `handlers`: the HTTP routes, thin: parse, call a service, answer;
//! - `list_query`, `input`, `dto`: what a request says and what an answer
//!   holds;
//! - `listing` (with `search_plan`): the list service, which the category
//!   and feed routes call too; `writes`: the write service;
//! - `visibility`: who may see a publication, the one rule every query
//!   applies; `list`, `facets`, `lookups`: the queries; `cursor`: list
//!   positions;
//! - `translations`: the groups of versions of one study in several
//!   languages;
//! - `store`: the only code that writes publication rows.

pub mod cursor;
pub mod dto;
pub mod facets;
pub mod handlers;
pub mod history;
pub mod input;
pub mod list;
pub mod list_query;
pub mod listing;
pub mod lookups;
pub mod search_plan;
pub mod store;
pub mod translations;
pub mod visibility;
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
