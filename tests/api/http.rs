//! What every answer does for browsers and caches: validators and 304s,
//! Cache-Control and Vary, compression, CORS, request ids, moved slugs.

use std::io::Read;

use actix_web::http::Method;
use actix_web::test::TestRequest;
use serde_json::json;

use crate::backend_tests;
use crate::helpers::{Answer, Backend, TestApp};

backend_tests!(
    every_read_answers_304_to_its_own_validators,
    a_detail_changes_its_etag_when_a_category_or_a_link_target_is_renamed,
    a_list_changes_its_etag_after_a_write,
    writes_accept_the_etag_a_read_gave,
    anonymous_reads_are_public_token_reads_private_errors_short_lived,
    gzip_and_brotli_decode_to_the_identity_bytes,
    cors_lets_any_origin_read_and_only_configured_ones_write,
    request_ids_are_kept_or_made_on_every_answer,
    former_slugs_answer_301_to_the_current_url,
    a_former_slug_of_a_draft_stays_hidden,
    feeds_list_published_publications_newest_first,
    tokens_are_checked_alike_on_every_read,
);

const SEED: &str = "/api/v1/publications/concertation-fournisseurs-ia-ayants-droit";

async fn every_read_answers_304_to_its_own_validators(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    for uri in [
        SEED,
        "/api/v1/publications",
        "/api/v1/publications?q=developpeurs&facets=category",
        "/api/v1/categories",
        "/api/v1/categories?tree=true",
        "/api/v1/categories/etudes-publications",
        "/api/v1/categories/etudes-publications/publications",
        &format!("{SEED}/links"),
        &format!("{SEED}/related"),
        "/api/v1/feeds/publications.atom",
        "/api/v1/feeds/publications.json",
        "/openapi.json",
    ] {
        let first = app.get(uri).await;
        assert_eq!(first.status, 200, "{uri}");
        let etag = first.header("etag").unwrap_or_else(|| panic!("{uri} has an ETag")).to_owned();
        assert!(etag.starts_with('"') && etag.ends_with('"'), "{uri}: a strong tag, got {etag}");
        let modified = first.header("last-modified").unwrap_or_else(|| panic!("{uri} has Last-Modified")).to_owned();

        for header in [
            ("If-None-Match", etag.clone()),
            ("If-None-Match", format!("W/{etag}")),
            ("If-None-Match", format!("\"other\", {etag}")),
            ("If-None-Match", "*".to_owned()),
            ("If-Modified-Since", modified.clone()),
        ] {
            let again = app.call(TestRequest::get().uri(uri).insert_header(header.clone())).await;
            assert_eq!(again.status, 304, "{uri} with {header:?}");
            assert!(again.body.is_empty(), "{uri}: a 304 has no body");
            assert_eq!(again.header("etag"), Some(etag.as_str()), "{uri}");
            assert_eq!(again.header("last-modified"), Some(modified.as_str()), "{uri}");
            assert_eq!(again.header("cache-control"), first.header("cache-control"), "{uri}");
        }
        let other = app.call(TestRequest::get().uri(uri).insert_header(("If-None-Match", "\"other\""))).await;
        assert_eq!(other.status, 200, "{uri}: another tag gets the body");
        let earlier = app
            .call(TestRequest::get().uri(uri).insert_header(("If-Modified-Since", "Mon, 01 Jan 2001 00:00:00 GMT")))
            .await;
        assert_eq!(earlier.status, 200, "{uri}: an older copy gets the body");
    }
}

/// A publication filed under a category, linking to another publication.
async fn linked_publication(app: &TestApp, token: &str) -> (String, String) {
    let category = app.write(Method::POST, "/api/v1/categories", token, json!({"name": "Rapports"})).await;
    assert_eq!(category.status, 201);
    let target = app
        .write(Method::POST, "/api/v1/publications", token, json!({"title": "La cible", "status": "published"}))
        .await;
    let source = app
        .write(
            Method::POST,
            "/api/v1/publications",
            token,
            json!({"title": "La source", "status": "published", "categories": ["rapports"]}),
        )
        .await;
    let link = app
        .write(
            Method::POST,
            &format!("/api/v1/publications/{}/links", source.json()["id"]),
            token,
            json!({"rel": "related", "title": "Voir", "target": target.json()["id"]}),
        )
        .await;
    assert_eq!(link.status, 201, "{}", String::from_utf8_lossy(&link.body));
    (format!("/api/v1/publications/{}", source.json()["slug"].as_str().unwrap()), target.json()["id"].to_string())
}

async fn a_detail_changes_its_etag_when_a_category_or_a_link_target_is_renamed(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token();
    let (source, target) = linked_publication(&app, &token).await;
    let before = app.get(&source).await;
    let version = before.json()["version"].clone();

    let renamed = app.write(Method::PATCH, "/api/v1/categories/rapports", &token, json!({"name": "Études"})).await;
    assert_eq!(renamed.status, 200);
    let after_rename = app.get(&source).await;
    assert_eq!(after_rename.json()["categories"][0]["name"], "Études");
    assert_eq!(after_rename.json()["version"], version, "the publication itself did not change");
    assert_ne!(after_rename.header("etag"), before.header("etag"), "the bytes changed, so does the tag");
    let stale =
        app.call(TestRequest::get().uri(&source).insert_header(("If-None-Match", before.header("etag").unwrap())));
    assert_eq!(stale.await.status, 200);

    let retitled =
        app.write(Method::PATCH, &format!("/api/v1/publications/{target}"), &token, json!({"title": "Nouveau"})).await;
    assert_eq!(retitled.status, 200);
    let after_retitle = app.get(&source).await;
    assert_eq!(after_retitle.json()["links"][0]["target"]["title"], "Nouveau");
    assert_ne!(after_retitle.header("etag"), after_rename.header("etag"));
}

async fn a_list_changes_its_etag_after_a_write(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let token = app.token();
    let list = app.get("/api/v1/publications").await;
    let tree = app.get("/api/v1/categories?tree=true").await;
    let feed = app.get("/api/v1/feeds/publications.atom").await;

    let created = app
        .write(Method::POST, "/api/v1/publications", &token, json!({"title": "Nouvelle étude", "status": "published"}))
        .await;
    assert_eq!(created.status, 201);

    for (uri, before) in [
        ("/api/v1/publications", list),
        ("/api/v1/categories?tree=true", tree),
        ("/api/v1/feeds/publications.atom", feed),
    ] {
        let after =
            app.call(TestRequest::get().uri(uri).insert_header(("If-None-Match", before.header("etag").unwrap())));
        let after = after.await;
        if uri.contains("categories") {
            // A publication filed nowhere changes no category count: the
            // same bytes keep the same tag.
            assert_eq!(after.status, 304, "{uri}");
        } else {
            assert_eq!(after.status, 200, "{uri}");
            assert_ne!(after.header("etag"), before.header("etag"), "{uri}");
        }
    }
}

async fn writes_accept_the_etag_a_read_gave(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let token = app.token();
    let read = app.get_with(SEED, &token).await;
    let etag = read.header("etag").unwrap().to_owned();
    let patch = |tag: &str| {
        TestRequest::patch()
            .uri(SEED)
            .insert_header(("Authorization", format!("Bearer {token}")))
            .insert_header(("Content-Type", "application/merge-patch+json"))
            .insert_header(("If-Match", tag.to_owned()))
            .set_payload(r#"{"summary": "Un autre chapeau."}"#)
    };

    let first = app.call(patch(&etag)).await;
    assert_eq!(first.status, 200, "{}", String::from_utf8_lossy(&first.body));
    assert_eq!(first.tag_version(), Some(read.tag_version().unwrap() + 1));
    let again = app.call(patch(&etag)).await;
    again.problem(412, "PRECONDITION_FAILED");
    let weak = app.call(patch(&format!("W/{}", first.header("etag").unwrap()))).await;
    weak.problem(412, "PRECONDITION_FAILED");
    assert_eq!(
        app.get_with(SEED, &token).await.header("etag"),
        first.header("etag"),
        "a write answers the tag a read gives"
    );
}

async fn anonymous_reads_are_public_token_reads_private_errors_short_lived(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let token = app.token();

    let public = app.get(SEED).await;
    assert_eq!(public.header("cache-control"), Some("public, max-age=60"));
    let vary = public.header("vary").unwrap().to_lowercase();
    for name in ["accept-encoding", "authorization", "origin"] {
        assert!(vary.contains(name), "Vary names {name}: {vary}");
    }
    assert_eq!(app.get_with(SEED, &token).await.header("cache-control"), Some("private, no-store"));
    assert_eq!(app.get("/api/v1/publications/inconnue").await.header("cache-control"), Some("public, max-age=5"));
    assert_eq!(app.get("/api/v1/publications?per_page=0").await.header("cache-control"), Some("no-store"));

    let mut configured = TestApp::with_demo(backend).await;
    configured.http.cache_max_age = 600;
    assert_eq!(configured.get(SEED).await.header("cache-control"), Some("public, max-age=600"));
}

fn decode(encoding: &str, body: &[u8]) -> Vec<u8> {
    let mut decoded = Vec::new();
    match encoding {
        "gzip" => flate2::read::GzDecoder::new(body).read_to_end(&mut decoded).unwrap(),
        "br" => brotli::Decompressor::new(body, 4096).read_to_end(&mut decoded).unwrap(),
        other => panic!("unexpected encoding {other}"),
    };
    decoded
}

async fn gzip_and_brotli_decode_to_the_identity_bytes(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    for uri in [SEED, "/api/v1/publications", "/api/v1/feeds/publications.atom"] {
        let identity = app.get(uri).await;
        assert_eq!(identity.header("content-encoding"), None, "{uri}: nothing asked, nothing encoded");
        for encoding in ["gzip", "br"] {
            let encoded = app.call(TestRequest::get().uri(uri).insert_header(("Accept-Encoding", encoding))).await;
            assert_eq!(encoded.header("content-encoding"), Some(encoding), "{uri}");
            assert!(encoded.body.len() < identity.body.len(), "{uri}: {encoding} is smaller");
            assert_eq!(decode(encoding, &encoded.body), identity.body, "{uri}: {encoding} decodes to the same bytes");
            assert_eq!(encoded.header("etag"), identity.header("etag"), "{uri}: one representation, one tag");
        }
    }
    let tiny = app.call(TestRequest::get().uri("/health").insert_header(("Accept-Encoding", "gzip, br"))).await;
    assert_eq!(tiny.header("content-encoding"), None, "a tiny body is sent as it is");
    let missing = app.call(TestRequest::get().uri("/api/v1/publications/x").insert_header(("Accept-Encoding", "br")));
    assert_eq!(missing.await.header("content-encoding"), None);
}

fn preflight(origin: &str, method: &str) -> TestRequest {
    TestRequest::default()
        .method(Method::OPTIONS)
        .uri("/api/v1/publications")
        .insert_header(("Origin", origin.to_owned()))
        .insert_header(("Access-Control-Request-Method", method.to_owned()))
        .insert_header(("Access-Control-Request-Headers", "authorization, content-type, if-match, x-request-id"))
}

async fn cors_lets_any_origin_read_and_only_configured_ones_write(backend: Backend) {
    let mut app = TestApp::with_demo(backend).await;
    app.http.cors_origins = vec!["https://admin.example.org".into()];
    let front_end = "http://localhost:5173";

    let read = app.call(preflight(front_end, "GET")).await;
    assert_eq!(read.status, 204);
    assert_eq!(read.header("access-control-allow-origin"), Some(front_end));
    assert_eq!(read.header("access-control-max-age"), Some("7200"));
    let allowed = read.header("access-control-allow-headers").unwrap();
    for name in ["authorization", "content-type", "if-match", "if-none-match", "x-request-id"] {
        assert!(allowed.contains(name), "{name} may be sent: {allowed}");
    }

    let refused = app.call(preflight(front_end, "PATCH")).await;
    assert_eq!(refused.status, 204, "a refused origin is no fault");
    assert_eq!(refused.header("access-control-allow-origin"), None, "and gets no grant");

    let admin = app.call(preflight("https://admin.example.org", "PATCH")).await;
    assert_eq!(admin.status, 204);
    assert_eq!(admin.header("access-control-allow-origin"), Some("https://admin.example.org"));
    assert!(admin.header("access-control-allow-methods").unwrap().contains("PATCH"));

    let get = app.call(TestRequest::get().uri("/api/v1/publications").insert_header(("Origin", front_end))).await;
    assert_eq!(get.status, 200);
    assert_eq!(get.header("access-control-allow-origin"), Some(front_end));
    let exposed = get.header("access-control-expose-headers").unwrap();
    for name in ["etag", "last-modified", "link", "x-total-count", "location", "x-request-id"] {
        assert!(exposed.contains(name), "{name} is exposed: {exposed}");
    }
    let error = app.call(TestRequest::get().uri("/api/v1/publications/x").insert_header(("Origin", front_end))).await;
    assert_eq!(error.header("access-control-allow-origin"), Some(front_end), "errors are readable too");

    let by_default = TestApp::with_demo(backend).await;
    let write = by_default.call(preflight("https://admin.example.org", "POST")).await;
    assert_eq!(write.header("access-control-allow-origin"), None, "no origin may write until configured");
}

async fn request_ids_are_kept_or_made_on_every_answer(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let kept = app.call(TestRequest::get().uri(SEED).insert_header(("X-Request-Id", "trace-42/abc"))).await;
    assert_eq!(kept.header("x-request-id"), Some("trace-42/abc"));

    let generated = |answer: &Answer| {
        let id = answer.header("x-request-id").expect("an id").to_owned();
        assert!(id.len() == 32 && id.bytes().all(|byte| byte.is_ascii_hexdigit()), "a made id: {id}");
        id
    };
    let first = generated(&app.get(SEED).await);
    let second = generated(&app.get(SEED).await);
    assert_ne!(first, second);
    for refused in ["has spaces".to_owned(), "x".repeat(129)] {
        let answer = app.call(TestRequest::get().uri(SEED).insert_header(("X-Request-Id", refused.clone()))).await;
        assert_ne!(answer.header("x-request-id"), Some(refused.as_str()));
        generated(&answer);
    }
    generated(&app.get("/api/v1/publications/inconnue").await);
    generated(&app.get("/api/v1/publications?per_page=0").await);
    let long = app.get(&format!("/api/v1/publications?q={}", "a".repeat(17000))).await;
    long.problem(414, "URI_TOO_LONG");
    generated(&long);
}

async fn former_slugs_answer_301_to_the_current_url(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let token = app.token();
    let rename = |from: String, to: &'static str| {
        let token = token.clone();
        let app = &app;
        async move {
            let answer = app.write(Method::PATCH, &from, &token, json!({"slug": to})).await;
            assert_eq!(answer.status, 200, "{}", String::from_utf8_lossy(&answer.body));
        }
    };
    rename(SEED.to_owned(), "concertation-b").await;
    rename("/api/v1/publications/concertation-b".to_owned(), "concertation-c").await;

    for (old, new) in [
        (SEED.to_owned(), "/api/v1/publications/concertation-c"),
        ("/api/v1/publications/concertation-b".to_owned(), "/api/v1/publications/concertation-c"),
        (format!("{SEED}/links"), "/api/v1/publications/concertation-c/links"),
        (format!("{SEED}/related"), "/api/v1/publications/concertation-c/related"),
    ] {
        let moved = app.get(&old).await;
        moved.problem(301, "MOVED");
        assert_eq!(moved.header("location"), Some(new), "{old}: chains collapse");
        assert_eq!(app.get(new).await.status, 200);
    }
    let write = app.write(Method::PATCH, SEED, &token, json!({"summary": "x"})).await;
    write.problem(308, "MOVED");
    assert_eq!(write.header("location"), Some("/api/v1/publications/concertation-c"));

    // A freed slug can be taken; its new owner wins.
    let taken = app
        .write(Method::POST, "/api/v1/publications", &token, json!({"title": "Autre", "slug": "concertation-b"}))
        .await;
    assert_eq!(taken.status, 201);
    let owner = app.get_with("/api/v1/publications/concertation-b", &token).await;
    assert_eq!(owner.status, 200);
    assert_eq!(owner.json()["title"], "Autre");

    // Categories too, with the query string kept.
    let category =
        app.write(Method::PATCH, "/api/v1/categories/etudes-publications", &token, json!({"slug": "etudes"})).await;
    assert_eq!(category.status, 200);
    let moved = app.get("/api/v1/categories/etudes-publications/publications?per_page=1&sort=title").await;
    moved.problem(301, "MOVED");
    assert_eq!(moved.header("location"), Some("/api/v1/categories/etudes/publications?per_page=1&sort=title"));
    assert_eq!(
        app.get("/api/v1/categories/etudes-publications").await.header("location"),
        Some("/api/v1/categories/etudes")
    );
}

async fn a_former_slug_of_a_draft_stays_hidden(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token();
    let draft = app.write(Method::POST, "/api/v1/publications", &token, json!({"title": "Brouillon"})).await;
    let uri = format!("/api/v1/publications/{}", draft.json()["id"]);
    assert_eq!(app.write(Method::PATCH, &uri, &token, json!({"slug": "b"})).await.status, 200);

    app.get("/api/v1/publications/brouillon").await.problem(404, "NOT_FOUND");
    let editor = app.get_with("/api/v1/publications/brouillon", &token).await;
    editor.problem(301, "MOVED");
    assert_eq!(editor.header("location"), Some("/api/v1/publications/b"));
}

async fn feeds_list_published_publications_newest_first(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let token = app.token();
    let draft = app.write(Method::POST, "/api/v1/publications", &token, json!({"title": "Brouillon secret"})).await;
    assert_eq!(draft.status, 201);

    let atom = app.get("/api/v1/feeds/publications.atom").await;
    assert_eq!(atom.header("content-type"), Some("application/atom+xml; charset=utf-8"));
    let feed = atom_syndication::Feed::read_from(atom.body.as_slice()).expect("a valid Atom feed");
    assert_eq!(feed.entries.len(), 4);
    let first = &feed.entries[0];
    assert!(first.title.value.starts_with("Concertation entre fournisseurs"), "{}", first.title.value);
    assert!(first.id.starts_with("tag:"), "a stable id: {}", first.id);
    assert!(first.content.as_ref().unwrap().value.as_ref().unwrap().contains("<blockquote>"));
    assert_eq!(first.categories.len(), 2);
    assert!(first.links[0].href.ends_with("/api/v1/publications/concertation-fournisseurs-ia-ayants-droit"));
    // Its English version is an alternate, with its language and title.
    assert_eq!(first.links.len(), 2);
    assert_eq!((first.links[1].rel.as_str(), first.links[1].hreflang.as_deref()), ("alternate", Some("en")));
    assert!(first.links[1].href.ends_with("/api/v1/publications/consultation-ai-providers-rights-holders"));
    assert!(first.links[1].title.as_deref().unwrap().starts_with("Consultation between AI providers"));
    assert!(!String::from_utf8_lossy(&atom.body).contains("Brouillon secret"), "drafts never appear");

    let json = app.get("/api/v1/feeds/publications.json?language=fr").await;
    assert_eq!(json.header("content-type"), Some("application/feed+json; charset=utf-8"));
    let json = json.json();
    assert_eq!(json["version"], "https://jsonfeed.org/version/1.1");
    assert_eq!(json["items"].as_array().unwrap().len(), 3, "the demo's French publications");
    assert_eq!(json["items"][0]["id"], first.id.as_str(), "both feeds give an item the same id");
    assert!(json["items"][0]["content_html"].as_str().unwrap().contains("<blockquote>"));
    let translations = &json["items"][0]["_parution"]["translations"];
    assert_eq!((translations[0]["language"].clone(), translations.as_array().unwrap().len()), (json!("en"), 1));
    assert!(translations[0]["url"].as_str().unwrap().ends_with("/consultation-ai-providers-rights-holders"));
    assert!(json["items"][1].get("_parution").is_none(), "no extension where there is nothing to say");

    let veille = app.get("/api/v1/feeds/publications.json?category=veille-industrie-phonographique").await.json();
    assert_eq!(veille["items"].as_array().unwrap().len(), 2, "the article and its English version");
    let english = app.get("/api/v1/feeds/publications.json?language=en").await.json();
    assert_eq!(english["items"].as_array().unwrap().len(), 1);
    // A feed in one language names its categories in it.
    assert_eq!(english["items"][0]["tags"], json!(["Studies & publications", "Recorded music industry watch"]));
    assert_eq!(english["items"][0]["_parution"]["translations"][0]["language"], "fr");
    app.get("/api/v1/feeds/publications.atom?categroy=x").await.problem(400, "INVALID_PARAMETER");

    let mut public = TestApp::with_demo(backend).await;
    public.http.public_url = Some("https://www.example.org/publications/{slug}".into());
    let json = public.get("/api/v1/feeds/publications.json").await.json();
    assert_eq!(
        json["items"][0]["url"],
        "https://www.example.org/publications/concertation-fournisseurs-ia-ayants-droit"
    );
    assert!(json["items"][0]["id"].as_str().unwrap().starts_with("tag:www.example.org,"));
}

async fn tokens_are_checked_alike_on_every_read(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    for uri in [
        "/api/v1/publications".to_owned(),
        SEED.to_owned(),
        format!("{SEED}/links"),
        format!("{SEED}/related"),
        "/api/v1/categories".to_owned(),
        "/api/v1/categories/etudes-publications".to_owned(),
        "/api/v1/categories/etudes-publications/publications".to_owned(),
        "/api/v1/feeds/publications.atom".to_owned(),
    ] {
        app.get_with(&uri, "prt_unknown_token").await.problem(401, "UNAUTHORIZED");
    }

    let token = app.token();
    let draft = app.write(Method::POST, "/api/v1/publications", &token, json!({"title": "Brouillon"})).await;
    let id = draft.json()["id"].clone();
    let related = app.get_with(&format!("/api/v1/publications/{id}/related"), &token).await;
    assert_eq!(related.status, 200, "a draft's related list answers like its detail");
    assert_eq!(related.header("cache-control"), Some("private, no-store"));
    app.get(&format!("/api/v1/publications/{id}/related")).await.problem(404, "NOT_FOUND");
}
