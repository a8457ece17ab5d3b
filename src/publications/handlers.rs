//! HTTP handlers for publications: parse, call the service, answer.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, put, web};

use crate::attachments::queries as attachment_queries;
use crate::auth::{Access, Editor};
use crate::body::{JsonObject, MergePatch};
use crate::cache::CountCache;
use crate::categories::dto::Localiser;
use crate::categories::queries as category_queries;
use crate::change::Dependencies;
use crate::db::{self, Pool};
use crate::error::{
    ApiError, BadRequest, BodyErrors, Conflict, Forbidden, Gone, NotFound, OrNotFound, PreconditionFailed,
    Unauthorized, Unavailable,
};
use crate::http::language::{Lang, LangOnly, LangParameter};
use crate::http::path::PathRef;
use crate::http::represented::Represented;
use crate::links::queries as link_queries;
use crate::preconditions::IfMatch;
use crate::query::NoQuery;

use super::dto::{Parts, Publication, PublicationPage, PublicationSummaries, PublicationSummary};
use super::input::{PublicationInput, PublicationPatch};
use super::list_query::PublicationListQuery;
use super::translations::Translation;
use super::visibility::Viewer;
use super::{history, listing, lookups, translations, writes};

/// List and search publications
///
/// Published publications, newest first by default, one page at a time;
/// with `q`, a French full-text search, title matches first. Filters
/// combine with AND; repeated values of one filter with OR. Pagination is
/// also given by the `Link` (first, prev, next, last) and `X-Total-Count`
/// headers.
#[utoipa::path(
    tag = "publications",
    params(PublicationListQuery, LangParameter),
    security((), ("bearer" = ["read"])),
    responses(
        (status = 200, description = "One page of publications.", body = PublicationPage,
            headers(
                ("Link" = String, description = "RFC 8288 links to the first, previous, next and last pages."),
                ("X-Total-Count" = i64, description = "How many publications match, on all pages: an estimate when `pagination.total_is_estimate` is true (a broad search)."),
            )),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 503, response = Unavailable),
    )
)]
#[get("/publications")]
pub async fn list_publications(
    pool: web::Data<Pool>,
    cache: web::Data<CountCache>,
    access: Access,
    query: PublicationListQuery,
    lang: Lang,
    request: HttpRequest,
) -> Result<Represented, ApiError> {
    let key = listing::key(&request);
    let (query, listed, state, tree) = db::run(&pool, move |connection| {
        let state = db::catalogue_state(connection)?;
        let tree = category_queries::kept_tree(connection, &cache, &state)?;
        let languages = listing::languages(connection, &cache, &state, &query)?;
        let filter = listing::filter(&tree, &languages, &query, Viewer::as_of(access, &state), None)?;
        let listed = listing::run(connection, &cache, &key, &query, &filter, &state)?;
        Ok((query, listed, state, tree))
    })
    .await?;
    let names = Localiser::new(tree, &lang);
    Ok(listing::respond(&request, access, &query, listed, &names)?.as_of(&state))
}

/// Get a publication
///
/// One publication by id or slug, with its body, its categories and its
/// links. Without a token, only a published one; with a token, any.
#[utoipa::path(
    tag = "publications",
    params(("ref" = String, Path, description = "The publication's id or slug.",
        example = "concertation-fournisseurs-ia-ayants-droit"), LangParameter),
    security((), ("bearer" = ["read"])),
    responses(
        (status = 200, description = "The publication.", body = Publication,
            headers(
                ("ETag" = String, description = "The publication's version, for `If-Match`."),
                ("Content-Language" = String, description = "The publication's language."),
                ("Link" = String, description = "One `rel=\"alternate\"` link with its `hreflang` per translation the reader may see (RFC 8288), e.g. `</api/v1/publications/ai-study>; rel=\"alternate\"; hreflang=\"en\"; type=\"application/json\"`."),
            )),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 410, response = Gone),
        (status = 503, response = Unavailable),
    )
)]
#[get("/publications/{ref}")]
pub async fn get_publication(
    pool: web::Data<Pool>,
    cache: web::Data<CountCache>,
    access: Access,
    target: PathRef,
    LangOnly(lang): LangOnly,
) -> Result<Represented, ApiError> {
    let answer = db::run(&pool, move |connection| {
        let state = db::catalogue_state(connection)?;
        let tree = category_queries::kept_tree(connection, &cache, &state)?;
        let viewer = Viewer::as_of(access, &state);
        let (publication, targets) = target.resolve(connection, &viewer, |connection, reference| {
            let record = lookups::find(connection, reference, &viewer)
                .or_not_found(|| ApiError::no_such("publication", reference))?;
            let (links, targets) = link_queries::shown(connection, record.row.id, &viewer)?;
            let attachments = attachment_queries::shown(connection, record.row.id)?;
            let (translations, members) = translations::of(connection, record.row.id, &viewer)?;
            let parts = Parts { links, attachments, translations };
            Ok((Publication::new(record, parts, viewer.at), targets.into_iter().chain(members)))
        })?;
        Ok((publication, targets, state, tree))
    })
    .await?;
    let (mut publication, targets, state, tree) = answer;
    Localiser::new(tree, &lang).rename(&mut publication.summary.categories);
    let version = publication.summary.version;
    let dependencies = Dependencies::publications(std::iter::once(publication.summary.id).chain(targets));
    let mut answer = Represented::json(&publication, access)?
        .at_version(version)
        .as_of(&state)
        .depends_on(dependencies)
        .with_header(header::CONTENT_LANGUAGE, publication.summary.language.as_str());
    if !publication.translations.is_empty() {
        answer = answer.with_header(header::LINK, alternates(&publication.translations));
    }
    Ok(answer)
}

/// The `Link` header that names a publication's translations (RFC 8288:
/// `rel="alternate"` with `hreflang`), relative to the API's root.
fn alternates(translations: &[Translation]) -> String {
    let links: Vec<String> = translations
        .iter()
        .map(|translation| {
            format!(
                "</api/v1/publications/{}>; rel=\"alternate\"; hreflang=\"{}\"; type=\"application/json\"",
                translation.slug, translation.language
            )
        })
        .collect();
    links.join(", ")
}

/// The answer to a write: the publication as it now is, with its `ETag`.
fn written(publication: &Publication, status: StatusCode) -> Result<Represented, ApiError> {
    Ok(Represented::json(publication, Access::Editor)?
        .at_version(publication.summary.version)
        .with_status(status)
        .with_header(header::CONTENT_LANGUAGE, publication.summary.language.as_str()))
}

/// Create a publication
///
/// The body is a JSON object of which only `title` is required. The answer
/// is the new publication, with its `Location` and `ETag`.
#[utoipa::path(
    tag = "publications",
    request_body(content = PublicationInput, content_type = "application/json"),
    security(("bearer" = ["write"])),
    responses(
        BodyErrors,
        (status = 201, description = "The publication was created.", body = Publication,
            headers(
                ("Location" = String, description = "The new publication's URL."),
                ("ETag" = String, description = "The publication's version, for `If-Match`."),
            )),
        (status = 409, response = Conflict),
    )
)]
#[post("/publications")]
pub async fn create_publication(
    pool: web::Data<Pool>,
    editor: Editor,
    body: JsonObject,
    _: NoQuery,
) -> Result<Represented, ApiError> {
    let input = PublicationInput::from_json(body.0)?;
    let publication =
        editor.write(&pool, move |connection, change| writes::create(connection, change, input.clone())).await?;
    let id = publication.summary.id;
    Ok(written(&publication, StatusCode::CREATED)?.with_header(header::LOCATION, format!("/api/v1/publications/{id}")))
}

/// Replace a publication
///
/// The body is a whole publication, as for a creation: absent fields take
/// their defaults, and an absent `slug` keeps the current one. Honours
/// `If-Match`.
#[utoipa::path(
    tag = "publications",
    params(
        ("ref" = String, Path, description = "The publication's id or slug."),
        ("If-Match" = Option<String>, Header, description = "The `ETag` the change is based on; a stale one is a 412."),
    ),
    request_body(content = PublicationInput, content_type = "application/json"),
    security(("bearer" = ["write"])),
    responses(
        BodyErrors,
        (status = 200, description = "The publication as replaced.", body = Publication,
            headers(("ETag" = String, description = "The publication's new version."))),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed),
    )
)]
#[put("/publications/{ref}")]
pub async fn replace_publication(
    pool: web::Data<Pool>,
    editor: Editor,
    target: PathRef,
    body: JsonObject,
    _: NoQuery,
    if_match: IfMatch,
) -> Result<Represented, ApiError> {
    let input = PublicationInput::from_json(body.0)?;
    let publication = editor
        .write(&pool, move |connection, change| {
            target.resolve(connection, &Viewer::editor(), |connection, reference| {
                writes::replace(connection, change, reference, &if_match, input.clone())
            })
        })
        .await?;
    written(&publication, StatusCode::OK)
}

/// Patch a publication
///
/// A JSON Merge Patch (RFC 7396): members given replace the current ones,
/// `null` clears one that can be empty. Sent as `application/merge-patch+json`
/// or `application/json`. Honours `If-Match`.
#[utoipa::path(
    tag = "publications",
    params(
        ("ref" = String, Path, description = "The publication's id or slug."),
        ("If-Match" = Option<String>, Header, description = "The `ETag` the change is based on; a stale one is a 412."),
    ),
    request_body(content(
        (PublicationPatch = "application/merge-patch+json"),
        (PublicationPatch = "application/json"),
    )),
    security(("bearer" = ["write"])),
    responses(
        BodyErrors,
        (status = 200, description = "The publication as patched.", body = Publication,
            headers(("ETag" = String, description = "The publication's new version."))),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 412, response = PreconditionFailed),
    )
)]
#[patch("/publications/{ref}")]
pub async fn patch_publication(
    pool: web::Data<Pool>,
    editor: Editor,
    target: PathRef,
    body: MergePatch,
    _: NoQuery,
    if_match: IfMatch,
) -> Result<Represented, ApiError> {
    let publication = editor
        .write(&pool, move |connection, change| {
            target.resolve(connection, &Viewer::editor(), |connection, reference| {
                writes::patch(connection, change, reference, &if_match, body.clone())
            })
        })
        .await?;
    written(&publication, StatusCode::OK)
}

/// Move a publication to the trash
///
/// The publication leaves every surface, public or not (lists, search,
/// feeds, related publications, counts, the links of other publications
/// to it), except the trash (`GET /api/v1/trash`), for
/// `PARUTION_TRASH_DAYS` days (30 by default); it keeps its history, its
/// links and the links to it, and `POST /api/v1/trash/{id}/restore` puts
/// it all back. Its slug is free meanwhile. Honours `If-Match`.
#[utoipa::path(
    tag = "publications",
    params(
        ("ref" = String, Path, description = "The publication's id or slug."),
        ("If-Match" = Option<String>, Header, description = "The `ETag` the deletion is based on; a stale one is a 412."),
    ),
    security(("bearer" = ["write"])),
    responses(
        (status = 204, description = "The publication is in the trash."),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 412, response = PreconditionFailed),
        (status = 503, response = Unavailable),
    )
)]
#[delete("/publications/{ref}")]
pub async fn delete_publication(
    pool: web::Data<Pool>,
    editor: Editor,
    target: PathRef,
    _: NoQuery,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    editor
        .write(&pool, move |connection, change| {
            target.resolve(connection, &Viewer::editor(), |connection, reference| {
                history::trash(connection, change, reference, &if_match)
            })
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// List related publications
///
/// The published publications that a `related` link joins to this one, in
/// either direction, newest first.
#[utoipa::path(
    tag = "publications",
    params(("ref" = String, Path, description = "The publication's id or slug.",
        example = "concertation-fournisseurs-ia-ayants-droit"), LangParameter),
    security((), ("bearer" = ["read"])),
    responses(
        (status = 200, description = "The related publications.", body = PublicationSummaries),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 410, response = Gone),
        (status = 503, response = Unavailable),
    )
)]
#[get("/publications/{ref}/related")]
pub async fn list_related_publications(
    pool: web::Data<Pool>,
    cache: web::Data<CountCache>,
    access: Access,
    target: PathRef,
    LangOnly(lang): LangOnly,
) -> Result<Represented, ApiError> {
    let (id, (records, linked), state, tree) = db::run(&pool, move |connection| {
        let state = db::catalogue_state(connection)?;
        let tree = category_queries::kept_tree(connection, &cache, &state)?;
        let viewer = Viewer::as_of(access, &state);
        let (id, related) = target.resolve(connection, &viewer, |connection, reference| {
            let id = lookups::find_id(connection, reference, &viewer)?;
            Ok((id, lookups::related(connection, id, &viewer)?))
        })?;
        Ok((id, related, state, tree))
    })
    .await?;
    let mut data: Vec<PublicationSummary> =
        records.into_iter().map(|record| PublicationSummary::new(record, state.at)).collect();
    Localiser::new(tree, &lang).rename(data.iter_mut().flat_map(|summary| summary.categories.iter_mut()));
    Ok(Represented::json(&PublicationSummaries { data }, access)?
        .as_of(&state)
        .depends_on(Dependencies::publications(std::iter::once(id).chain(linked))))
}
