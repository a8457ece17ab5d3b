//! Attachments: uploads in both forms, downloads with ranges and
//! validators, the publication's visibility, bad input that leaves
//! nothing behind, and the collector — on both databases, with the files
//! in a local folder and (when a server is named) in S3-compatible
//! storage.

use actix_web::http::Method;
use actix_web::test::TestRequest;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use parution::attachments::samples;
use parution::storage::Storage;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{Answer, Backend, NewPublication, TestApp, insert_publication};

/// Where a test keeps its files.
#[derive(Clone, Copy, Debug)]
pub enum Files {
    Local,
    S3,
}

/// Generates, for each listed `async fn name(backend: Backend, files:
/// Files)`, a test for each database with local files, and one for each
/// database with S3 files (ignored unless `PARUTION_TEST_S3_URL` names a
/// bucket when the tests are built).
macro_rules! storage_tests {
    ($($name:ident),* $(,)?) => {
        mod local {
            mod sqlite {
                $( #[actix_web::test] async fn $name() { super::super::$name($crate::helpers::Backend::Sqlite, super::super::Files::Local).await } )*
            }
            mod postgres {
                $(
                    #[actix_web::test]
                    #[cfg_attr(not(postgres_tests), ignore = "PostgreSQL suite skipped: set PARUTION_TEST_DATABASE_URL to run it")]
                    async fn $name() { super::super::$name($crate::helpers::Backend::Postgres, super::super::Files::Local).await }
                )*
            }
        }
        mod s3 {
            mod sqlite {
                $(
                    #[actix_web::test]
                    #[cfg_attr(not(s3_tests), ignore = "S3 suite skipped: set PARUTION_TEST_S3_URL (and AWS_*) to run it")]
                    async fn $name() { super::super::$name($crate::helpers::Backend::Sqlite, super::super::Files::S3).await }
                )*
            }
            mod postgres {
                $(
                    #[actix_web::test]
                    #[cfg_attr(not(all(s3_tests, postgres_tests)), ignore = "S3 and PostgreSQL suite skipped: set PARUTION_TEST_S3_URL and PARUTION_TEST_DATABASE_URL to run it")]
                    async fn $name() { super::super::$name($crate::helpers::Backend::Postgres, super::super::Files::S3).await }
                )*
            }
        }
    };
}

storage_tests!(
    a_raw_upload_is_stored_and_served_with_ranges_and_validators,
    a_form_upload_of_a_cover_gets_copies_and_shows_in_lists,
    bad_uploads_are_refused_and_leave_nothing_behind,
    files_follow_their_publication_and_the_collector_keeps_what_is_referenced,
    metadata_is_patched_and_deleted_with_if_match,
    export_and_import_carry_the_files_and_check_their_hashes,
);

crate::backend_tests!(a_storage_failure_is_a_503_and_leaves_no_row);

/// An app whose files are kept as `files` says.
async fn app(backend: Backend, files: Files) -> TestApp {
    let mut app = TestApp::new(backend).await;
    if let Files::S3 = files {
        let base = std::env::var("PARUTION_TEST_S3_URL").expect("PARUTION_TEST_S3_URL names a bucket");
        let prefix = format!("test-{}-{}", std::process::id(), app.files.path().file_name().unwrap().to_string_lossy());
        let storage = Storage::open(&format!("{}/{prefix}", base.trim_end_matches('/'))).expect("the bucket is usable");
        app.use_storage(storage, crate::helpers::UPLOAD_LIMIT);
    }
    app
}

fn published(app: &TestApp, slug: &str) -> i32 {
    insert_publication(&mut app.connection(), NewPublication { slug, ..NewPublication::default() })
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|byte| format!("{byte:02x}")).collect()
}

/// A raw upload of `bytes` to publication `reference`.
async fn upload(
    app: &TestApp,
    token: &str,
    reference: &str,
    query: &str,
    bytes: &[u8],
    headers: &[(&str, &str)],
) -> Answer {
    let mut request = TestRequest::post()
        .uri(&format!("/api/v1/publications/{reference}/attachments{query}"))
        .insert_header(("Authorization", format!("Bearer {token}")))
        .set_payload(bytes.to_vec());
    for (name, value) in headers {
        request = request.insert_header((*name, *value));
    }
    app.call(request).await
}

/// A `multipart/form-data` body: text fields, then the file.
fn form(fields: &[(&str, &str)], file: Option<(&str, &str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "----parution-test-boundary-7d1f";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").into_bytes(),
        );
    }
    if let Some((filename, media_type, bytes)) = file {
        body.extend(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: {media_type}\r\n\r\n"
            )
            .into_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend(format!("--{boundary}--\r\n").into_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn upload_form(app: &TestApp, token: &str, reference: &str, content_type: &str, body: Vec<u8>) -> Answer {
    app.call(
        TestRequest::post()
            .uri(&format!("/api/v1/publications/{reference}/attachments"))
            .insert_header(("Authorization", format!("Bearer {token}")))
            .insert_header(("Content-Type", content_type))
            .set_payload(body),
    )
    .await
}

async fn get_with_headers(app: &TestApp, uri: &str, headers: &[(&str, &str)]) -> Answer {
    let mut request = TestRequest::get().uri(uri);
    for (name, value) in headers {
        request = request.insert_header((*name, *value));
    }
    app.call(request).await
}

/// Every stored object of the app, blobs and staged uploads (on a local
/// folder, every file under it, half-written ones included).
async fn stored(app: &TestApp, files: Files) -> Vec<String> {
    match files {
        Files::S3 => app.storage().names().await.expect("the storage lists"),
        Files::Local => {
            fn walk(path: &std::path::Path, found: &mut Vec<String>) {
                for entry in std::fs::read_dir(path).into_iter().flatten().flatten() {
                    if entry.path().is_dir() {
                        walk(&entry.path(), found);
                    } else {
                        found.push(entry.path().display().to_string());
                    }
                }
            }
            let mut found = Vec::new();
            walk(app.files.path(), &mut found);
            found
        }
    }
}

async fn a_raw_upload_is_stored_and_served_with_ranges_and_validators(backend: Backend, files: Files) {
    let app = app(backend, files).await;
    let token = app.token();
    let id = published(&app, "etude");
    let report = samples::pdf("Rapport d’étude", 3);
    let digest = format!(
        "sha-256=:{}:, sha-512=:{}:",
        STANDARD.encode(Sha256::digest(&report)),
        STANDARD.encode(sha2::Sha512::digest(&report))
    );

    let created = upload(
        &app,
        &token,
        "etude",
        "?role=document&title=Le%20rapport&language=fr",
        &report,
        &[
            ("Content-Type", "application/pdf"),
            (
                "Content-Disposition",
                "attachment; filename=\"rapport.pdf\"; filename*=UTF-8''Rapport%20%C3%A9t%C3%A9.pdf",
            ),
            ("Content-Digest", &digest),
        ],
    )
    .await;

    assert_eq!(created.status, 201, "{}", String::from_utf8_lossy(&created.body));
    let attachment = created.json();
    assert_eq!(
        created.header("location").unwrap(),
        format!("/api/v1/publications/{id}/attachments/{}", attachment["id"])
    );
    assert_eq!(created.tag_version(), Some(1));
    assert_eq!(attachment["media_type"], "application/pdf");
    assert_eq!(attachment["filename"], "Rapport été.pdf", "filename* wins over filename (RFC 6266)");
    assert_eq!(attachment["title"], "Le rapport");
    assert_eq!(attachment["language"], "fr");
    assert_eq!(attachment["size"], report.len());
    assert_eq!(attachment["sha256"], sha256(&report));
    assert_eq!(attachment["pages"], 3, "a PDF tells its pages");
    let url = attachment["url"].as_str().unwrap().to_owned();
    assert!(url.contains(&sha256(&report)), "the URL holds the hash: {url}");

    // The detail embeds it; the publication's version went up.
    let detail = app.get("/api/v1/publications/etude").await.json();
    assert_eq!(detail["attachments"][0]["id"], attachment["id"]);
    assert_eq!(detail["version"], 2);
    assert_eq!(detail["cover"], Value::Null);

    let whole = app.get(&url).await;
    assert_eq!(whole.status, 200);
    assert_eq!(whole.body, report);
    assert_eq!(whole.header("content-type"), Some("application/pdf"));
    assert_eq!(whole.header("cache-control"), Some("public, max-age=31536000, immutable"));
    let etag = format!("\"{}\"", sha256(&report));
    assert_eq!(whole.header("etag"), Some(etag.as_str()));
    assert_eq!(whole.header("accept-ranges"), Some("bytes"));
    assert_eq!(whole.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(whole.header("content-language"), Some("fr"));
    assert_eq!(whole.header("content-encoding"), None, "a PDF is not compressed again");
    assert_eq!(
        whole.header("content-disposition"),
        Some("attachment; filename=\"Rapport ete.pdf\"; filename*=UTF-8''Rapport%20%C3%A9t%C3%A9.pdf")
    );

    let part = get_with_headers(&app, &url, &[("Range", "bytes=10-19")]).await;
    assert_eq!(part.status, 206);
    assert_eq!(part.body, &report[10..20]);
    assert_eq!(part.header("content-range").unwrap(), format!("bytes 10-19/{}", report.len()));
    let tail = get_with_headers(&app, &url, &[("Range", "bytes=-7")]).await;
    assert_eq!((tail.status.as_u16(), tail.body.as_slice()), (206, &report[report.len() - 7..]));
    let open = get_with_headers(&app, &url, &[("Range", &format!("bytes={}-", report.len() - 3))]).await;
    assert_eq!(open.body, &report[report.len() - 3..]);

    let past = get_with_headers(&app, &url, &[("Range", &format!("bytes={}-", report.len()))]).await;
    past.problem(416, "RANGE_NOT_SATISFIABLE");
    assert_eq!(past.header("content-range").unwrap(), format!("bytes */{}", report.len()));

    let stale_if_range = get_with_headers(&app, &url, &[("Range", "bytes=0-9"), ("If-Range", "\"other\"")]).await;
    assert_eq!((stale_if_range.status.as_u16(), stale_if_range.body.len()), (200, report.len()));
    let matching_if_range = get_with_headers(&app, &url, &[("Range", "bytes=0-9"), ("If-Range", &etag)]).await;
    assert_eq!((matching_if_range.status.as_u16(), matching_if_range.body.len()), (206, 10));

    let not_modified = get_with_headers(&app, &url, &[("If-None-Match", &etag)]).await;
    assert_eq!(not_modified.status, 304);
    assert!(not_modified.body.is_empty());

    // (The HTTP layer, not the app, leaves out a HEAD's body.)
    let head = app.call(TestRequest::default().method(Method::HEAD).uri(&url)).await;
    assert_eq!(head.status, 200);
    assert_eq!(head.header("etag"), Some(etag.as_str()));

    // A URL naming other bytes is not found.
    let other = url.replace(&sha256(&report), &sha256(b"other"));
    app.get(&other).await.problem(404, "NOT_FOUND");

    // Text is sent compressed when asked; its type says UTF-8.
    let csv = "année;titre\n2025;Étude\n".repeat(200);
    let table = upload(&app, &token, "etude", "?role=dataset", csv.as_bytes(), &[("Content-Type", "text/csv")]).await;
    assert_eq!(table.status, 201, "{}", String::from_utf8_lossy(&table.body));
    let table_url = table.json()["url"].as_str().unwrap().to_owned();
    let gzipped = get_with_headers(&app, &table_url, &[("Accept-Encoding", "gzip")]).await;
    assert_eq!(gzipped.header("content-type"), Some("text/csv; charset=utf-8"));
    assert_eq!(gzipped.header("content-encoding"), Some("gzip"));
    assert_eq!(table.json()["filename"], "dataset.csv", "a file without a name is named by its role and type");
}

async fn a_form_upload_of_a_cover_gets_copies_and_shows_in_lists(backend: Backend, files: Files) {
    let app = app(backend, files).await;
    let token = app.token();
    published(&app, "etude");
    published(&app, "sans-couverture");
    let cover = samples::cover_png(1600, 900);
    // Read (and kept by the response cache) before the upload.
    let before = app.get("/api/v1/publications?sort=title").await.json();
    assert_eq!(before["data"][0]["cover"], Value::Null);
    assert_eq!(app.get("/api/v1/publications/etude").await.json()["attachments"], json!([]));

    let (content_type, body) = form(
        &[("role", "cover"), ("alt", "Bandeau bleu de l’étude"), ("title", "Couverture")],
        Some(("couverture.png", "image/png", &cover)),
    );
    let created = upload_form(&app, &token, "etude", &content_type, body).await;

    assert_eq!(created.status, 201, "{}", String::from_utf8_lossy(&created.body));
    let attachment = created.json();
    assert_eq!(attachment["role"], "cover");
    assert_eq!(attachment["filename"], "couverture.png");
    assert_eq!((attachment["width"].as_i64(), attachment["height"].as_i64()), (Some(1600), Some(900)));
    let variants = attachment["variants"].as_array().unwrap();
    let widths: Vec<i64> = variants.iter().map(|variant| variant["width"].as_i64().unwrap()).collect();
    assert_eq!(widths, [320, 640, 1280]);
    for variant in variants {
        let copy = app.get(variant["url"].as_str().unwrap()).await;
        assert_eq!(copy.status, 200);
        assert_eq!(copy.header("content-type"), Some("image/jpeg"));
        assert!(copy.header("content-disposition").unwrap().starts_with("inline;"));
        let decoded = image::load_from_memory(&copy.body).expect("a copy is an image");
        assert_eq!(i64::from(decoded.width()), variant["width"].as_i64().unwrap());
        assert_eq!(i64::from(decoded.height()), variant["height"].as_i64().unwrap());
        assert_eq!(copy.body.len() as i64, variant["size"].as_i64().unwrap());
    }

    // A listing shows each publication's cover in one request.
    let list = app.get("/api/v1/publications?sort=title").await.json();
    let covers: Vec<(&Value, &Value)> =
        list["data"].as_array().unwrap().iter().map(|item| (&item["slug"], &item["cover"]["id"])).collect();
    assert_eq!(covers, [(&json!("etude"), &attachment["id"]), (&json!("sans-couverture"), &Value::Null)]);
    assert_eq!(list["data"][0]["cover"]["alt"], "Bandeau bleu de l’étude");
    let detail = app.get("/api/v1/publications/etude").await.json();
    assert_eq!((&detail["cover"]["id"], &detail["attachments"][0]["id"]), (&attachment["id"], &attachment["id"]));

    // A cover needs a text alternative, and must be an image.
    let (content_type, body) = form(&[("role", "cover")], Some(("c.png", "image/png", &cover)));
    let no_alt = upload_form(&app, &token, "etude", &content_type, body).await.problem(422, "VALIDATION_FAILED");
    assert_eq!(no_alt["errors"][0]["field"], "alt");
    let report = samples::pdf("Rapport", 1);
    let (content_type, body) = form(&[("role", "cover"), ("alt", "x")], Some(("r.pdf", "application/pdf", &report)));
    let not_image = upload_form(&app, &token, "etude", &content_type, body).await.problem(422, "VALIDATION_FAILED");
    assert_eq!(not_image["errors"][0]["code"], "cover_not_an_image");

    // A JPEG turned by its orientation: copies are made upright.
    let jpeg = samples::cover_jpeg(900, 400);
    let created =
        upload(&app, &token, "sans-couverture", "?role=annex", &jpeg, &[("Content-Type", "image/jpeg")]).await;
    assert_eq!(created.status, 201);
    assert_eq!(created.json()["variants"].as_array().unwrap().len(), 2, "320 and 640: narrower than 900");

    // An image of more pixels than the limit is refused before decoding.
    let mut bomb = samples::cover_png(1, 1);
    bomb[16..20].copy_from_slice(&100_000u32.to_be_bytes());
    bomb[20..24].copy_from_slice(&100_000u32.to_be_bytes());
    let refused = upload(&app, &token, "etude", "", &bomb, &[("Content-Type", "image/png")]).await;
    refused.problem(422, "VALIDATION_FAILED");
}

async fn bad_uploads_are_refused_and_leave_nothing_behind(backend: Backend, files: Files) {
    let mut app = app(backend, files).await;
    let token = app.token();
    published(&app, "etude");
    let report = samples::pdf("Rapport", 2);
    let pdf = [("Content-Type", "application/pdf")];

    // The bytes decide: a PDF declared as PNG, HTML, SVG, an executable.
    let lying = upload(&app, &token, "etude", "", &report, &[("Content-Type", "image/png")]).await;
    let detail = lying.problem(415, "UNSUPPORTED_MEDIA_TYPE")["detail"].as_str().unwrap().to_owned();
    assert!(detail.contains("image/png") && detail.contains("application/pdf"), "{detail}");
    let html = b"<!DOCTYPE html><html><script>alert(1)</script></html>";
    upload(&app, &token, "etude", "", html, &[("Content-Type", "text/html")])
        .await
        .problem(415, "UNSUPPORTED_MEDIA_TYPE");
    let svg = br#"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script/></svg>"#;
    upload(&app, &token, "etude", "", svg, &[("Content-Type", "image/svg+xml")])
        .await
        .problem(415, "UNSUPPORTED_MEDIA_TYPE");
    let elf = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0\x3e\0";
    upload(&app, &token, "etude", "", elf, &[]).await.problem(415, "UNSUPPORTED_MEDIA_TYPE");

    // A digest that is not the body's.
    let wrong = format!("sha-256=:{}:", STANDARD.encode(Sha256::digest(b"something else")));
    let mismatch = upload(&app, &token, "etude", "", &report, &[pdf[0], ("Content-Digest", &wrong)])
        .await
        .problem(400, "INVALID_PARAMETER");
    assert_eq!(mismatch["errors"][0]["code"], "digest_mismatch");
    let wrong = format!("sha-512=:{}:", STANDARD.encode(sha2::Sha512::digest(b"something else")));
    let mismatch = upload(&app, &token, "etude", "", &report, &[pdf[0], ("Repr-Digest", &wrong)])
        .await
        .problem(400, "INVALID_PARAMETER");
    assert_eq!(mismatch["errors"][0]["field"], "Repr-Digest");
    upload(&app, &token, "etude", "", &report, &[pdf[0], ("Repr-Digest", "sha-256=nothex")])
        .await
        .problem(400, "INVALID_PARAMETER");

    // Bad metadata, refused before the body is read.
    upload(&app, &token, "etude", "?colour=blue", &report, &pdf).await.problem(400, "INVALID_PARAMETER");
    upload(&app, &token, "etude", "?role=poster", &report, &pdf).await.problem(422, "VALIDATION_FAILED");
    upload(&app, &token, "etude", "?language=pas%20une%20langue", &report, &pdf)
        .await
        .problem(422, "VALIDATION_FAILED");
    upload(&app, &token, "nowhere", "", &report, &pdf).await.problem(404, "NOT_FOUND");
    upload(&app, &token, "etude", "", b"", &pdf).await.problem(422, "VALIDATION_FAILED");
    upload(&app, "wrong-token", "etude", "", &report, &pdf).await.problem(401, "UNAUTHORIZED");
    let reader = app.token_of(parution::tokens::Scope::Read);
    upload(&app, &reader, "etude", "", &report, &pdf).await.problem(403, "INSUFFICIENT_SCOPE");

    // A form without a file, with an unknown field, or two files.
    let (content_type, body) = form(&[("title", "x")], None);
    upload_form(&app, &token, "etude", &content_type, body).await.problem(422, "VALIDATION_FAILED");
    let (content_type, body) = form(&[("colour", "blue")], Some(("r.pdf", "application/pdf", &report)));
    upload_form(&app, &token, "etude", &content_type, body).await.problem(422, "VALIDATION_FAILED");
    upload_form(&app, &token, "etude", "multipart/form-data; boundary=x", b"garbage".to_vec())
        .await
        .problem(400, "MALFORMED_BODY");
    // Too large: by its Content-Length, before a byte is read, or as it
    // grows without one.
    app.use_storage(app.storage(), 1024 * 1024);
    let big = vec![b'a'; 2 * 1024 * 1024];
    let declared = app
        .call(
            TestRequest::post()
                .uri("/api/v1/publications/etude/attachments")
                .insert_header(("Authorization", format!("Bearer {token}")))
                .insert_header(("Content-Type", "text/plain"))
                .insert_header(("Content-Length", "2097152"))
                .set_payload(big.clone()),
        )
        .await;
    declared.problem(413, "PAYLOAD_TOO_LARGE");
    let (mut sender, payload) = actix_http::h1::Payload::create(false);
    for chunk in big.chunks(64 * 1024) {
        sender.feed_data(actix_web::web::Bytes::copy_from_slice(chunk));
    }
    sender.feed_eof();
    let grown = streamed(&app, &token, "text/plain", payload).await;
    grown.problem(413, "PAYLOAD_TOO_LARGE");

    // A body that breaks off half-way.
    let (mut sender, payload) = actix_http::h1::Payload::create(false);
    sender.feed_data(actix_web::web::Bytes::copy_from_slice(&report[..report.len() / 2]));
    sender.set_error(actix_http::error::PayloadError::Incomplete(None));
    streamed(&app, &token, "application/pdf", payload).await.problem(400, "MALFORMED_BODY");

    // None of it left a row or a byte.
    assert_eq!(app.get("/api/v1/publications/etude/attachments").await.json()["data"], json!([]));
    assert_eq!(app.get("/api/v1/publications/etude").await.json()["version"], 1);
    assert_eq!(stored(&app, files).await, Vec::<String>::new());

    // A whole body whose form is cut short, in a part or in its closing
    // boundary: refused, not waited on. Cut after its file, the form leaves
    // the file's blob (no row refers to it: the collector takes it) and no
    // staged copy.
    let (content_type, body) = form(&[("title", "Coupé")], Some(("r.txt", "text/plain", b"Un rapport.")));
    for cut in [body.len() - 4, body.len() / 2] {
        let problem = upload_form(&app, &token, "etude", &content_type, body[..cut].to_vec())
            .await
            .problem(400, "MALFORMED_BODY");
        assert!(problem["detail"].as_str().unwrap().starts_with("the form cannot be read"), "{problem}");
    }
    assert_eq!(app.get("/api/v1/publications/etude/attachments").await.json()["data"], json!([]));
    let left = stored(&app, files).await;
    assert!(left.len() == 1 && left[0].contains(&sha256(b"Un rapport.")), "{left:?}");
}

/// A raw upload of a body without a length, read from `payload`.
async fn streamed(app: &TestApp, token: &str, media_type: &str, payload: actix_http::h1::Payload) -> Answer {
    let request = TestRequest::post()
        .uri("/api/v1/publications/etude/attachments")
        .insert_header(("Authorization", format!("Bearer {token}")))
        .insert_header(("Content-Type", media_type.to_owned()))
        .to_request();
    let (request, _) = request.replace_payload(actix_http::Payload::from(payload));
    app.call_request(request).await
}

async fn files_follow_their_publication_and_the_collector_keeps_what_is_referenced(backend: Backend, files: Files) {
    let app = app(backend, files).await;
    let token = app.token();
    let draft = insert_publication(
        &mut app.connection(),
        NewPublication { slug: "brouillon", status: "draft", published_at: None, ..NewPublication::default() },
    );
    published(&app, "etude");
    let report = samples::pdf("Rapport commun", 2);
    let pdf = [("Content-Type", "application/pdf")];

    let hidden = upload(&app, &token, "brouillon", "", &report, &pdf).await.json();
    let shown = upload(&app, &token, "etude", "", &report, &pdf).await.json();
    assert_eq!(hidden["sha256"], shown["sha256"], "the same bytes");
    let blobs = stored(&app, files).await;
    assert_eq!(blobs.len(), 1, "are stored once: {blobs:?}");

    // A draft's file: not found without a token, private with one.
    let url = hidden["url"].as_str().unwrap();
    app.get(url).await.problem(404, "NOT_FOUND");
    let with_token = app.get_with(url, &token).await;
    assert_eq!(with_token.status, 200);
    assert_eq!(with_token.header("cache-control"), Some("private, no-store"));
    app.get(&format!("/api/v1/publications/{draft}/attachments")).await.problem(404, "NOT_FOUND");

    // Published: served to all.
    let published =
        app.write(Method::PATCH, "/api/v1/publications/brouillon", &token, json!({"status": "published"})).await;
    assert_eq!(published.status, 200);
    assert_eq!(app.get(url).await.status, 200);

    // Deleted: the row goes at once; the blob stays while the other
    // publication's attachment refers to it.
    let deleted = app.call(
        TestRequest::delete()
            .uri("/api/v1/publications/brouillon")
            .insert_header(("Authorization", format!("Bearer {token}"))),
    );
    assert_eq!(deleted.await.status, 204);
    app.get(url).await.problem(404, "NOT_FOUND");
    app.get_with(url, &token).await.problem(404, "NOT_FOUND");
    let collected =
        parution::attachments::collector::collect(&app.pool, &app.storage(), std::time::Duration::ZERO).await.unwrap();
    assert_eq!((collected.referenced, collected.removed), (1, 0));
    assert_eq!(app.get(shown["url"].as_str().unwrap()).await.status, 200);

    // Once no row refers to it, the collector removes it — not before its
    // grace period.
    let delete = TestRequest::delete()
        .uri(&format!("/api/v1/publications/etude/attachments/{}", shown["id"]))
        .insert_header(("Authorization", format!("Bearer {token}")));
    assert_eq!(app.call(delete).await.status, 204);
    let hour = std::time::Duration::from_secs(3600);
    let young = parution::attachments::collector::collect(&app.pool, &app.storage(), hour).await.unwrap();
    assert_eq!((young.removed, young.young), (0, 1));
    let collected =
        parution::attachments::collector::collect(&app.pool, &app.storage(), std::time::Duration::ZERO).await.unwrap();
    assert_eq!((collected.removed, collected.removed_bytes), (1, report.len() as u64));
    assert_eq!(stored(&app, files).await, Vec::<String>::new());

    // The part a server killed mid-upload left in a folder (which
    // object_store does not list) goes too.
    if let Files::Local = files {
        let part = app.files.path().join("uploads").join("0123abcd#1");
        std::fs::create_dir_all(part.parent().unwrap()).unwrap();
        std::fs::write(&part, b"half an upload").unwrap();
        let young = parution::attachments::collector::collect(&app.pool, &app.storage(), hour).await.unwrap();
        assert!(part.exists() && young.removed == 0, "younger than the grace period: kept");
        let collected = parution::attachments::collector::collect(&app.pool, &app.storage(), std::time::Duration::ZERO)
            .await
            .unwrap();
        assert_eq!((collected.removed, part.exists()), (1, false));
    }
}

async fn metadata_is_patched_and_deleted_with_if_match(backend: Backend, files: Files) {
    let app = app(backend, files).await;
    let token = app.token();
    published(&app, "etude");
    let report = samples::pdf("Rapport", 1);
    let created =
        upload(&app, &token, "etude", "?title=Rapport", &report, &[("Content-Type", "application/pdf")]).await;
    let id = created.json()["id"].as_i64().unwrap();
    let uri = format!("/api/v1/publications/etude/attachments/{id}");
    let patch = |if_match: &str, body: Value| {
        TestRequest::patch()
            .uri(&uri)
            .insert_header(("Authorization", format!("Bearer {token}")))
            .insert_header(("Content-Type", "application/merge-patch+json"))
            .insert_header(("If-Match", if_match.to_owned()))
            .set_payload(body.to_string())
    };

    let etag = app.get(&uri).await.header("etag").unwrap().to_owned();
    let patched =
        app.call(patch(&etag, json!({"title": "Synthèse", "role": "annex", "filename": "../synthese.pdf"}))).await;
    assert_eq!(patched.status, 200, "{}", String::from_utf8_lossy(&patched.body));
    let attachment = patched.json();
    assert_eq!((attachment["title"].as_str(), attachment["role"].as_str()), (Some("Synthèse"), Some("annex")));
    assert_eq!(attachment["filename"], "synthese.pdf", "a path is removed from a name");
    assert_eq!(attachment["version"], 2);
    assert_eq!(attachment["sha256"], sha256(&report));
    app.call(patch(&etag, json!({"title": "Trop tard"}))).await.problem(412, "PRECONDITION_FAILED");
    let new_tag = patched.header("etag").unwrap().to_owned();
    let cover = app.call(patch(&new_tag, json!({"role": "cover", "alt": "x"}))).await.problem(422, "VALIDATION_FAILED");
    assert_eq!(cover["errors"][0]["code"], "cover_not_an_image");
    app.call(patch(&new_tag, json!({"size": 3}))).await.problem(422, "VALIDATION_FAILED");
    app.call(patch(&new_tag, json!({"role": null}))).await.problem(422, "VALIDATION_FAILED");

    // The publication's version went up with each change; its history
    // says what changed.
    assert_eq!(app.get("/api/v1/publications/etude").await.json()["version"], 3);
    let revisions = app.get_with("/api/v1/publications/etude/revisions", &token).await.json();
    assert_eq!(revisions["data"][0]["changed"], json!(["attachments"]), "{revisions}");

    let stale = TestRequest::delete()
        .uri(&uri)
        .insert_header(("Authorization", format!("Bearer {token}")))
        .insert_header(("If-Match", etag));
    app.call(stale).await.problem(412, "PRECONDITION_FAILED");
    let delete = TestRequest::delete()
        .uri(&uri)
        .insert_header(("Authorization", format!("Bearer {token}")))
        .insert_header(("If-Match", new_tag));
    assert_eq!(app.call(delete).await.status, 204);
    app.get(&uri).await.problem(404, "NOT_FOUND");
    assert_eq!(app.get("/api/v1/publications/etude").await.json()["attachments"], json!([]));
}

/// `parution SUBCOMMAND` on a test app's database, with its files at
/// `storage_url`.
fn cli(app: &TestApp, subcommand: &str, storage_url: &str) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_parution"));
    command.env_remove("PARUTION_DATABASE_URL").env("RUST_LOG", "warn").args([
        subcommand,
        "--database-url",
        &app.url,
        "--storage-url",
        storage_url,
    ]);
    command
}

/// A storage URL of its own for an app: a folder, or a prefix of the test
/// bucket.
fn storage_url(app: &TestApp, files: Files, name: &str) -> String {
    match files {
        Files::Local => format!("file://{}", app.files.path().join(name).display()),
        Files::S3 => {
            let base = std::env::var("PARUTION_TEST_S3_URL").unwrap();
            let unique = app.files.path().file_name().unwrap().to_string_lossy().into_owned();
            format!("{}/cli-{}-{unique}-{name}", base.trim_end_matches('/'), std::process::id())
        }
    }
}

async fn export_and_import_carry_the_files_and_check_their_hashes(backend: Backend, files: Files) {
    let mut source = app(backend, files).await;
    let source_url = storage_url(&source, files, "source");
    source.use_storage(Storage::open(&source_url).unwrap(), crate::helpers::UPLOAD_LIMIT);
    let token = source.token();
    published(&source, "etude");
    let report = samples::pdf("Rapport exporté", 2);
    let cover = samples::cover_png(900, 500);
    upload(&source, &token, "etude", "?title=Rapport", &report, &[("Content-Type", "application/pdf")]).await;
    upload(&source, &token, "etude", "?role=cover&alt=Bleu", &cover, &[("Content-Type", "image/png")]).await;
    let before = source.get("/api/v1/publications/etude/attachments").await.json();

    let folder = tempfile::tempdir().unwrap();
    let export = cli(&source, "export", &source_url).arg("--files").arg(folder.path()).output().unwrap();
    assert!(export.status.success(), "{}", String::from_utf8_lossy(&export.stderr));
    let lines = folder.path().join("catalogue.jsonl");
    std::fs::write(&lines, &export.stdout).unwrap();
    assert_eq!(std::fs::read(folder.path().join(sha256(&report))).unwrap(), report);
    assert_eq!(std::fs::read_dir(folder.path()).unwrap().count(), 1 + 1 + 1 + 2, "lines, PDF, cover, two copies");

    // Into a new database with a storage of its own.
    let mut target = app(backend, files).await;
    let target_url = storage_url(&target, files, "target");
    target.use_storage(Storage::open(&target_url).unwrap(), crate::helpers::UPLOAD_LIMIT);
    let without = cli(&target, "import", &target_url).arg(&lines).output().unwrap();
    assert!(!without.status.success(), "the files are neither in the storage nor given");
    assert!(String::from_utf8_lossy(&without.stderr).contains("export --files"));
    assert_eq!(target.publication_count(), 0, "nothing was written");

    // A file whose bytes are not its name's: refused, nothing written.
    let tampered = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(folder.path()).unwrap().flatten() {
        std::fs::copy(entry.path(), tampered.path().join(entry.file_name())).unwrap();
    }
    std::fs::write(tampered.path().join(sha256(&report)), b"%PDF-1.4 not the report").unwrap();
    let refused = cli(&target, "import", &target_url).arg(&lines).arg("--files").arg(tampered.path()).output().unwrap();
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("SHA-256"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    assert_eq!(target.publication_count(), 0);

    let import = cli(&target, "import", &target_url).arg(&lines).arg("--files").arg(folder.path()).output().unwrap();
    assert!(import.status.success(), "{}", String::from_utf8_lossy(&import.stderr));
    let after = target.get("/api/v1/publications/etude/attachments").await.json();
    let without_ids = |list: &Value| -> Vec<Value> {
        list["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| {
                let mut item = item.clone();
                item.as_object_mut().unwrap().remove("id");
                item.as_object_mut().unwrap().remove("url");
                item["variants"].as_array_mut().unwrap().iter_mut().for_each(|variant| {
                    variant.as_object_mut().unwrap().remove("url");
                });
                item
            })
            .collect()
    };
    assert_eq!(without_ids(&after), without_ids(&before));
    for item in after["data"].as_array().unwrap() {
        let file = target.get(item["url"].as_str().unwrap()).await;
        assert_eq!(file.status, 200);
        assert_eq!(sha256(&file.body), item["sha256"].as_str().unwrap());
    }
}

/// The storage fails (its folder replaced by a file, as a lost disk
/// would): an upload is a 503 with `Retry-After` and writes no row; a
/// download of a file stored before is a 503 too; once the storage is
/// back, both work.
async fn a_storage_failure_is_a_503_and_leaves_no_row(backend: Backend) {
    let app = app(backend, Files::Local).await;
    let token = app.token();
    published(&app, "etude");
    let report = samples::pdf("Rapport", 1);
    let pdf = [("Content-Type", "application/pdf")];
    let stored = upload(&app, &token, "etude", "", &report, &pdf).await.json();

    let folder = app.files.path().to_owned();
    let aside = folder.with_extension("aside");
    std::fs::rename(&folder, &aside).unwrap();
    std::fs::write(&folder, b"not a folder").unwrap();
    let refused = upload(&app, &token, "etude", "", &samples::pdf("Autre", 2), &pdf).await;
    refused.problem(503, "UNAVAILABLE");
    assert!(refused.header("retry-after").is_some());
    app.get(stored["url"].as_str().unwrap()).await.problem(503, "UNAVAILABLE");
    let listed = app.get("/api/v1/publications/etude/attachments").await.json();
    assert_eq!(listed["data"].as_array().unwrap().len(), 1, "no row for the refused upload");

    std::fs::remove_file(&folder).unwrap();
    std::fs::rename(&aside, &folder).unwrap();
    assert_eq!(app.get(stored["url"].as_str().unwrap()).await.body, report);
    assert_eq!(upload(&app, &token, "etude", "", &samples::pdf("Autre", 2), &pdf).await.status, 201);
}
