//! HTTP handlers for attachments and file downloads.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};

use crate::auth::{Access, Editor};
use crate::body::MergePatch;
use crate::change::Dependencies;
use crate::db::{self, Pool};
use crate::domain::Reference;
use crate::error::{
    ApiError, BadRequest, BodyErrors, Conflict, Forbidden, Gone, NotFound, OrNotFound, PreconditionFailed,
    RangeNotSatisfiable, Unauthorized, Unavailable,
};
use crate::http::path::PathRef;
use crate::http::represented::Represented;
use crate::preconditions::IfMatch;
use crate::publications::lookups::find_id;
use crate::publications::visibility::Viewer;
use crate::query::NoQuery;
use crate::storage::Storage;

use super::download::{self, Served};
use super::dto::{Attachment, Attachments};
use super::input::{AttachmentFields, AttachmentPatch};
use super::upload::{self, UploadLimit};
use super::{queries, writes};

/// List a publication's attachments
///
/// Its files, ordered by `position`: the report, annexes, data and covers,
/// each with its download `url`.
#[utoipa::path(
    tag = "attachments",
    params(("ref" = String, Path, description = "The publication's id or slug.",
        example = "concertation-fournisseurs-ia-ayants-droit")),
    security((), ("bearer" = ["read"])),
    responses(
        (status = 200, description = "The publication's attachments.", body = Attachments),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 410, response = Gone),
        (status = 503, response = Unavailable),
    )
)]
#[get("/publications/{ref}/attachments")]
pub async fn list_attachments(
    pool: web::Data<Pool>,
    access: Access,
    target: PathRef,
    _: NoQuery,
) -> Result<Represented, ApiError> {
    let (id, data, state) = db::run(&pool, move |connection| {
        let state = db::catalogue_state(connection)?;
        let viewer = Viewer::as_of(access, &state);
        let (id, data) = target.resolve(connection, &viewer, |connection, reference| {
            let id = find_id(connection, reference, &viewer)?;
            Ok((id, queries::shown(connection, id)?))
        })?;
        Ok((id, data, state))
    })
    .await?;
    Ok(Represented::json(&Attachments { data }, access)?.as_of(&state).depends_on(Dependencies::publications([id])))
}

/// The `{attachment_id}` of the path, or the 404 it earns.
fn attachment_id(request: &HttpRequest) -> Result<i32, ApiError> {
    Reference::id_or_not_found(request.match_info().get("attachment_id").unwrap_or_default(), "attachment")
}

fn not_found(publication_id: i32, id: i32) -> ApiError {
    ApiError::NotFound(format!("publication {publication_id} has no attachment {id}"))
}

/// The answer to a write: the attachment as it now is, with its `ETag`.
fn written(attachment: &Attachment, status: StatusCode) -> Result<Represented, ApiError> {
    Ok(Represented::json(attachment, Access::Editor)?.at_version(attachment.version).with_status(status))
}

/// Get an attachment
///
/// One attachment of a publication, with its `ETag` for `If-Match`.
#[utoipa::path(
    tag = "attachments",
    params(
        ("ref" = String, Path, description = "The publication's id or slug.", example = "concertation-fournisseurs-ia-ayants-droit"),
        ("attachment_id" = i32, Path, description = "The attachment's id."),
    ),
    security((), ("bearer" = ["read"])),
    responses(
        (status = 200, description = "The attachment.", body = Attachment,
            headers(("ETag" = String, description = "The attachment's version, for `If-Match`."))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 410, response = Gone),
        (status = 503, response = Unavailable),
    )
)]
#[get("/publications/{ref}/attachments/{attachment_id}")]
pub async fn get_attachment(
    pool: web::Data<Pool>,
    access: Access,
    target: PathRef,
    request: HttpRequest,
    _: NoQuery,
) -> Result<Represented, ApiError> {
    let id = attachment_id(&request)?;
    let (publication_id, attachment, state) = db::run(&pool, move |connection| {
        let state = db::catalogue_state(connection)?;
        let viewer = Viewer::as_of(access, &state);
        let (publication_id, attachment) = target.resolve(connection, &viewer, |connection, reference| {
            let publication_id = find_id(connection, reference, &viewer)?;
            let row = queries::row(connection, publication_id, id).or_not_found(|| not_found(publication_id, id))?;
            Ok((publication_id, row.into_attachment()))
        })?;
        Ok((publication_id, attachment, state))
    })
    .await?;
    let version = attachment.version;
    Ok(Represented::json(&attachment, access)?
        .at_version(version)
        .as_of(&state)
        .depends_on(Dependencies::publications([publication_id])))
}

/// Upload a file to a publication
///
/// Two forms, both streamed to the storage as they arrive (never held
/// whole in memory) and hashed on the way:
///
/// - **the file as the body**, with its type in `Content-Type`, its name in
///   `Content-Disposition` (`attachment; filename*=UTF-8''rapport%20final.pdf`)
///   and the metadata in the query string:
///   `curl --data-binary @rapport.pdf -H 'Content-Type: application/pdf' -H 'Content-Disposition: attachment; filename="rapport.pdf"' '…/attachments?role=document&title=Le%20rapport'`;
/// - **a form** (`multipart/form-data`), as a browser sends it: the part
///   `file` and text fields for the metadata.
///
/// The type is decided by the bytes and must be one of PDF, PNG, JPEG,
/// WebP, AVIF, CSV, plain text, ODF and OOXML documents, EPUB or ZIP; a
/// declared type that disagrees with the bytes, or another type, is a 415
/// naming both. A `Content-Digest` or `Repr-Digest` (RFC 9530, `sha-256`
/// or `sha-512`) is checked. At most `PARUTION_MAX_UPLOAD_MB` (100 MiB by
/// default): a larger `Content-Length` is refused before any byte is
/// read, and a body that grows past it is cut off. An image is read for
/// its size and gets JPEG copies 320, 640 and 1 280 pixels wide (narrower
/// than it) for `srcset`; images of more than 60 million pixels are
/// refused. Anything refused leaves no row and no stored bytes. At most
/// 100 attachments a publication. The publication's `version` goes up.
#[utoipa::path(
    tag = "attachments",
    params(
        ("ref" = String, Path, description = "The publication's id or slug."),
        ("role" = Option<String>, Query, description = "Raw body only: `document` (default), `cover`, `annex` or `dataset`. A `cover` must be an image and have `alt`."),
        ("title" = Option<String>, Query, description = "Raw body only: the text to show for the file; its name when absent."),
        ("language" = Option<String>, Query, description = "Raw body only: the file's language (BCP 47)."),
        ("alt" = Option<String>, Query, description = "Raw body only: a text alternative of an image; required for a cover."),
        ("position" = Option<i32>, Query, description = "Raw body only: order among the attachments; after the last one when absent."),
        ("filename" = Option<String>, Query, description = "Raw body only: the name the file is downloaded as; `Content-Disposition`'s when absent."),
        ("Content-Disposition" = Option<String>, Header, description = "Raw body: `attachment; filename=\"rapport.pdf\"` (or `filename*=UTF-8''…`, RFC 6266): the file's name."),
        ("Content-Digest" = Option<String>, Header, description = "`sha-256=:base64:` (RFC 9530): checked against the bytes received; a mismatch is a 400 and stores nothing. `Repr-Digest` is checked the same way."),
    ),
    request_body(
        description = "The file as the body (any of the allowed types; `application/octet-stream` lets the bytes decide), or a form with the part `file`.",
        content(
            (Vec<u8> = "application/octet-stream"),
            (Vec<u8> = "application/pdf"),
            (Vec<u8> = "image/*"),
            (AttachmentFields = "multipart/form-data"),
        ),
    ),
    security(("bearer" = ["write"])),
    responses(
        BodyErrors,
        (status = 201, description = "The file was stored and attached.", body = Attachment,
            headers(
                ("Location" = String, description = "The new attachment's URL."),
                ("ETag" = String, description = "The attachment's version, for `If-Match`."),
            )),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    )
)]
#[post("/publications/{ref}/attachments")]
pub async fn create_attachment(
    pool: web::Data<Pool>,
    storage: web::Data<Storage>,
    limit: web::Data<UploadLimit>,
    editor: Editor,
    target: PathRef,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<Represented, ApiError> {
    let limit = **limit;
    upload::check_length(&request, limit)?;
    let form = upload::is_form(&request);
    // What can be refused before the file is read, is.
    let metadata = if form { None } else { Some(upload::raw_metadata(&request)?) };
    let checked = target.clone();
    db::run(&pool, move |connection| {
        checked.resolve(connection, &Viewer::editor(), |connection, reference| {
            let publication_id = writes::publication(connection, reference)?;
            writes::check_room(connection, publication_id)
        })
    })
    .await?;
    let received = match metadata {
        Some(input) => upload::raw(&request, payload, &storage, limit, input).await?,
        None => upload::form(&request, payload, &storage, limit).await?,
    };
    let (input, file) = (received.input.clone(), received.file.clone());
    let outcome = editor
        .write(&pool, move |connection, change| {
            let viewer = Viewer::editor();
            let (publication_id, id) = target.resolve(connection, &viewer, |connection, reference| {
                writes::create(connection, change, reference, input.clone(), &file)
            })?;
            let row = queries::row(connection, publication_id, id)?;
            Ok((publication_id, row.into_attachment()))
        })
        .await;
    let (publication_id, attachment) = match outcome {
        Ok(created) => {
            received.staged.settle().await;
            created
        }
        Err(error) => {
            received.staged.discard().await;
            return Err(error);
        }
    };
    let location = format!("/api/v1/publications/{publication_id}/attachments/{}", attachment.id);
    Ok(written(&attachment, StatusCode::CREATED)?.with_header(header::LOCATION, location))
}

/// Patch an attachment
///
/// A JSON Merge Patch (RFC 7396) of its metadata, sent as
/// `application/merge-patch+json` or `application/json`; to change the
/// bytes, upload a new file. Honours `If-Match`; the publication's
/// `version` goes up.
#[utoipa::path(
    tag = "attachments",
    params(
        ("ref" = String, Path, description = "The publication's id or slug."),
        ("attachment_id" = i32, Path, description = "The attachment's id."),
        ("If-Match" = Option<String>, Header, description = "The attachment's `ETag` the change is based on; a stale one is a 412."),
    ),
    request_body(content(
        (AttachmentPatch = "application/merge-patch+json"),
        (AttachmentPatch = "application/json"),
    )),
    security(("bearer" = ["write"])),
    responses(
        BodyErrors,
        (status = 200, description = "The attachment as patched.", body = Attachment,
            headers(("ETag" = String, description = "The attachment's new version."))),
        (status = 404, response = NotFound),
        (status = 412, response = PreconditionFailed),
    )
)]
#[patch("/publications/{ref}/attachments/{attachment_id}")]
pub async fn patch_attachment(
    pool: web::Data<Pool>,
    editor: Editor,
    target: PathRef,
    request: HttpRequest,
    body: MergePatch,
    _: NoQuery,
    if_match: IfMatch,
) -> Result<Represented, ApiError> {
    let id = attachment_id(&request)?;
    let attachment = editor
        .write(&pool, move |connection, change| {
            let publication_id = target.resolve(connection, &Viewer::editor(), |connection, reference| {
                writes::patch(connection, change, reference, id, &if_match, body.clone())
            })?;
            Ok(queries::row(connection, publication_id, id)?.into_attachment())
        })
        .await?;
    written(&attachment, StatusCode::OK)
}

/// Delete an attachment
///
/// The row goes at once; the stored bytes go when no attachment refers to
/// them any more (the collector runs hourly, or `parution storage gc`).
/// Honours `If-Match`; the publication's `version` goes up.
#[utoipa::path(
    tag = "attachments",
    params(
        ("ref" = String, Path, description = "The publication's id or slug."),
        ("attachment_id" = i32, Path, description = "The attachment's id."),
        ("If-Match" = Option<String>, Header, description = "The attachment's `ETag` the deletion is based on; a stale one is a 412."),
    ),
    security(("bearer" = ["write"])),
    responses(
        (status = 204, description = "The attachment was deleted."),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 412, response = PreconditionFailed),
        (status = 503, response = Unavailable),
    )
)]
#[delete("/publications/{ref}/attachments/{attachment_id}")]
pub async fn delete_attachment(
    pool: web::Data<Pool>,
    editor: Editor,
    target: PathRef,
    request: HttpRequest,
    _: NoQuery,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let id = attachment_id(&request)?;
    editor
        .write(&pool, move |connection, change| {
            target.resolve(connection, &Viewer::editor(), |connection, reference| {
                writes::delete(connection, change, reference, id, &if_match)
            })
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Download a file
///
/// The bytes of an attachment (or of one of an image's copies), as its
/// `url` names them: the URL holds the SHA-256 of the bytes, so a file of
/// a public publication is sent with `Cache-Control: public,
/// max-age=31536000, immutable` (shorter when the publication has an
/// `unpublish_at`) and its hash as `ETag`. One byte range (`Range:
/// bytes=…`, with `If-Range`) is a 206; a range past the end a 416.
/// `Content-Disposition` gives the file's name (RFC 6266 `filename*` for
/// accents). Without a token, a file of a publication that is not
/// published is not found; with one, it is sent `private, no-store`.
#[utoipa::path(
    tag = "attachments",
    params(
        ("attachment_id" = i32, Path, description = "The attachment's id."),
        ("sha256" = String, Path, description = "The SHA-256 of the bytes, as the attachment's `url` gives it."),
        ("name" = String, Path, description = "The file's name (any: `Content-Disposition` gives the real one)."),
        ("Range" = Option<String>, Header, description = "`bytes=first-last`, `bytes=first-` or `bytes=-suffix`: one range (several: the whole file)."),
        ("If-Range" = Option<String>, Header, description = "The `ETag` the range is meant for; another one gets the whole file."),
    ),
    security((), ("bearer" = ["read"])),
    responses(
        (status = 200, description = "The file.",
            content(
                (Vec<u8> = "application/octet-stream"),
                (Vec<u8> = "application/pdf"),
                (Vec<u8> = "application/*"),
                (Vec<u8> = "image/*"),
                (Vec<u8> = "text/csv"),
                (Vec<u8> = "text/plain"),
            ),
            headers(
                ("ETag" = String, description = "The SHA-256 of the bytes, quoted."),
                ("Cache-Control" = String, description = "`public, max-age=31536000, immutable` for a public file; `private, no-store` with a token."),
                ("Accept-Ranges" = String, description = "`bytes`."),
                ("Content-Disposition" = String, description = "`attachment` (images: `inline`) with `filename` and `filename*`."),
                ("Content-Language" = String, description = "The file's language, when it has one."),
                ("Link" = String, description = "For a file with a language: one `rel=\"alternate\"` link with its `hreflang` and `type` per other language in which the publication or a translation the reader may see has a file of the same role (RFC 8288)."),
            )),
        (status = 206, description = "One range of the file.",
            content((Vec<u8> = "application/octet-stream")),
            headers(("Content-Range" = String, description = "`bytes first-last/size`."))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 416, response = RangeNotSatisfiable),
        (status = 503, response = Unavailable),
    )
)]
#[get("/files/{attachment_id}/{sha256}/{name}")]
pub async fn download_file(
    pool: web::Data<Pool>,
    storage: web::Data<Storage>,
    access: Access,
    request: HttpRequest,
    _: NoQuery,
) -> Result<HttpResponse, ApiError> {
    let id = attachment_id(&request)?;
    let sha256 = request.match_info().get("sha256").unwrap_or_default().to_owned();
    let path = request.path().to_owned();
    let (served, unpublish_at, alternates) = db::run(&pool, move |connection| {
        let missing = || ApiError::NotFound(format!("no file has the path {path}"));
        let viewer = Viewer::now(access);
        let (row, unpublish_at) = queries::visible_file(connection, id, &viewer)?.ok_or_else(missing)?;
        let served = Served::of(&row, &sha256).ok_or_else(missing)?;
        let alternates = queries::alternates(connection, &row, &viewer)?;
        Ok((served, unpublish_at, alternates))
    })
    .await?;
    download::respond(&request, &storage, served, access, unpublish_at, &alternates).await
}
