//! The OpenAPI document: its general information here, its paths and schemas
//! collected from the handlers' `#[utoipa::path]` attributes as the routes
//! are registered, so no route can exist undocumented.

use actix_web::App;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;

use crate::error::{
    BadRequest, Conflict, ErrorCode, FieldError, NotFound, PayloadTooLarge, PreconditionFailed, Problem, Unauthorized,
    Unavailable, UnsupportedMediaType, ValidationFailed,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Parution",
        description = include_str!("openapi.md"),
        license(name = "MIT", identifier = "MIT"),
    ),
    tags(
        (name = "publications", description = "Studies, reports and articles, with their categories."),
        (name = "categories", description = "The tree of categories that publications are filed under."),
        (name = "links", description = "The related links of a publication."),
        (name = "operations", description = "Probes for orchestrators and load balancers."),
    ),
    components(
        schemas(Problem, FieldError, ErrorCode),
        responses(
            BadRequest,
            Unauthorized,
            NotFound,
            Conflict,
            PreconditionFailed,
            PayloadTooLarge,
            UnsupportedMediaType,
            ValidationFailed,
            Unavailable
        )
    ),
    modifiers(&BearerToken),
)]
struct ApiDoc;

/// The `bearer` security scheme: tokens made by `parution token create`.
struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, document: &mut utoipa::openapi::OpenApi) {
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .description(Some("An API token made by `parution token create --name NAME`."))
            .build();
        document.components.get_or_insert_default().add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// The whole document, as served at `/openapi.json`.
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, document) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(crate::startup::configure_routes)
        .split_for_parts();
    document
}

/// The document as committed in `openapi/openapi.json`.
pub fn to_pretty_json(document: &utoipa::openapi::OpenApi) -> String {
    let mut json = document.to_pretty_json().expect("the OpenAPI document serialises to JSON");
    json.push('\n');
    json
}
