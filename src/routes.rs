//! Every documented route, registered in one place: the application
//! (`startup`) and the OpenAPI document (`openapi`) are both built from
//! here, so neither can have a route the other lacks.

use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::{
    attachments, categories, events, feeds, links, operations, publications, revisions, schedule, tokens, trash,
    webhooks,
};

/// Registers every documented route. The OpenAPI document is collected from
/// exactly these registrations.
pub fn configure(config: &mut ServiceConfig) {
    config
        .service(
            scope::scope("/api/v1")
                .configure(publications::configure)
                .configure(links::configure)
                .configure(attachments::configure)
                .configure(categories::configure)
                .configure(feeds::configure)
                .configure(schedule::configure)
                .configure(revisions::configure)
                .configure(trash::configure)
                .configure(tokens::configure)
                .configure(events::configure)
                .configure(webhooks::configure),
        )
        .configure(operations::configure);
}
