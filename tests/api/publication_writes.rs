use actix_web::http::Method;
use actix_web::test::TestRequest;
use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::{Backend, TestApp, insert_category};

backend_tests!(
    creating_a_publication_answers_201_with_location_etag_and_body,
    slugs_are_made_from_french_titles_and_kept_unique,
    a_given_slug_that_is_taken_is_a_conflict,
    invalid_fields_are_all_listed_and_nothing_is_written,
    bad_bodies_are_refused_with_the_right_status,
    put_replaces_the_whole_publication,
    patch_merges_and_honours_if_match,
    publishing_sets_the_publication_time_once,
    delete_removes_the_publication_and_its_links,
    concurrent_patches_with_the_same_if_match_let_exactly_one_win,
    hostile_html_is_sanitised_and_article_html_kept,
);

async fn create(app: &TestApp, token: &str, body: Value) -> Value {
    let answer = app.write(Method::POST, "/api/v1/publications", token, body).await;
    assert_eq!(answer.status, 201, "{}", String::from_utf8_lossy(&answer.body));
    answer.json()
}

async fn creating_a_publication_answers_201_with_location_etag_and_body(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token();
    let studies = insert_category(&mut app.connection(), "etudes", "Études", None, 0);
    insert_category(&mut app.connection(), "presse", "Presse", None, 1);

    let answer = app
        .write(
            Method::POST,
            "/api/v1/publications",
            &token,
            json!({
                "title": "  Rapport annuel  ",
                "summary": "Le résumé.",
                "body": "<p>Le texte.</p>",
                "status": "published",
                "language": "fr-BE",
                "published_at": "2025-12-05",
                "authors": ["Anne", "Bruno"],
                "categories": ["presse", studies, "presse"]
            }),
        )
        .await;

    assert_eq!(answer.status, 201);
    let publication = answer.json();
    let id = publication["id"].as_i64().unwrap();
    assert_eq!(answer.header("location"), Some(format!("/api/v1/publications/{id}").as_str()));
    assert_eq!(answer.tag_version(), Some(1));
    assert_eq!(publication["title"], "Rapport annuel");
    assert_eq!(publication["slug"], "rapport-annuel");
    assert_eq!(publication["language"], "fr-BE");
    assert_eq!(publication["published_at"], "2025-12-05T00:00:00Z");
    assert_eq!(publication["authors"], json!(["Anne", "Bruno"]));
    let categories: Vec<&str> =
        publication["categories"].as_array().unwrap().iter().map(|c| c["slug"].as_str().unwrap()).collect();
    assert_eq!(categories, ["presse", "etudes"], "in the order given, without repeats");
    assert_eq!(publication["version"], 1);
    assert_eq!(publication["links"], json!([]));

    let read = app.get(&format!("/api/v1/publications/{id}")).await;
    assert_eq!(read.json(), publication);
    assert_eq!(read.tag_version(), Some(1));

    let draft = create(&app, &token, json!({"title": "Brouillon"})).await;
    assert_eq!(draft["status"], "draft");
    assert_eq!(draft["language"], "fr");
    assert_eq!(draft["published_at"], Value::Null);
}

async fn slugs_are_made_from_french_titles_and_kept_unique(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token();

    let cases = [
        ("Études & publications", "etudes-publications"),
        ("Études & publications", "etudes-publications-2"),
        ("ÉTUDES — publications !", "etudes-publications-3"),
        ("L’emploi dans les lieux de concerts", "l-emploi-dans-les-lieux-de-concerts"),
        ("Cœur de l’été", "coeur-de-l-ete"),
        ("2025", "n-2025"),
    ];
    for (title, slug) in cases {
        assert_eq!(create(&app, &token, json!({"title": title})).await["slug"], slug, "{title}");
    }
    let renamed = app
        .write(Method::PATCH, "/api/v1/publications/etudes-publications-2", &token, json!({"title": "Autre titre"}))
        .await;
    assert_eq!(renamed.json()["slug"], "etudes-publications-2", "an existing slug stays when the title changes");
}

async fn a_given_slug_that_is_taken_is_a_conflict(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token();
    create(&app, &token, json!({"title": "Premier", "slug": "mon-slug"})).await;
    let second = create(&app, &token, json!({"title": "Second"})).await;

    let created =
        app.write(Method::POST, "/api/v1/publications", &token, json!({"title": "X", "slug": "mon-slug"})).await;
    let patched = app
        .write(Method::PATCH, &format!("/api/v1/publications/{}", second["id"]), &token, json!({"slug": "mon-slug"}))
        .await;

    assert!(created.problem(409, "CONFLICT")["detail"].as_str().unwrap().contains("mon-slug"));
    patched.problem(409, "CONFLICT");
    let unchanged = app.get_with(&format!("/api/v1/publications/{}", second["id"]), &token).await.json();
    assert_eq!(unchanged["slug"], "second");
    assert_eq!(unchanged["version"], 1);
}

async fn invalid_fields_are_all_listed_and_nothing_is_written(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token();

    let answer = app
        .write(
            Method::POST,
            "/api/v1/publications",
            &token,
            json!({
                "summary": 12,
                "body": ["not", "text"],
                "status": "online",
                "language": "français",
                "published_at": "le 5 décembre",
                "authors": "Anne",
                "categories": ["inconnue"],
                "slug": "Not A Slug",
                "colour": "red"
            }),
        )
        .await;

    let problem = answer.problem(422, "VALIDATION_FAILED");
    let mut fields: Vec<&str> =
        problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    fields.sort_unstable();
    assert_eq!(fields, ["authors", "body", "colour", "language", "published_at", "slug", "status", "summary", "title"]);
    let title_error = problem["errors"].as_array().unwrap().iter().find(|e| e["field"] == "title").unwrap();
    assert_eq!(title_error["code"], "required");

    let unknown_category = app
        .write(Method::POST, "/api/v1/publications", &token, json!({"title": "T", "categories": [1, "inconnue"]}))
        .await;
    let problem = unknown_category.problem(422, "VALIDATION_FAILED");
    assert_eq!(problem["errors"][0]["field"], "categories[0]");
    assert_eq!(problem["errors"][1]["field"], "categories[1]");

    let control = app
        .write(Method::POST, "/api/v1/publications", &token, json!({"title": "Nul\u{0}", "authors": ["A\u{0}"]}))
        .await;
    let problem = control.problem(422, "VALIDATION_FAILED");
    assert_eq!(problem["errors"][0]["code"], "control_character");
    assert_eq!(problem["errors"][1]["field"], "authors[0]");
    let nul_body =
        app.write(Method::POST, "/api/v1/publications", &token, json!({"title": "T", "body": "<p>a\u{0}b</p>"})).await;
    assert_eq!(nul_body.status, 201, "{}", String::from_utf8_lossy(&nul_body.body));
    assert!(!nul_body.json()["body"].as_str().unwrap().contains('\u{0}'));
    let delete = TestRequest::delete()
        .uri(&format!("/api/v1/publications/{}", nul_body.json()["id"]))
        .insert_header(("Authorization", format!("Bearer {token}")));
    assert_eq!(app.call(delete).await.status, 204);
    let markup = app.write(Method::POST, "/api/v1/publications", &token, json!({"title": "<b>Gras</b>"})).await;
    assert_eq!(markup.problem(422, "VALIDATION_FAILED")["errors"][0]["code"], "not_plain_text");
    let too_long = app.write(Method::POST, "/api/v1/publications", &token, json!({"title": "a".repeat(301)})).await;
    assert_eq!(too_long.problem(422, "VALIDATION_FAILED")["errors"][0]["code"], "too_long");

    assert_eq!(app.publication_count(), 0);
}

async fn bad_bodies_are_refused_with_the_right_status(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token();
    let request = |content_type: Option<&str>, payload: Vec<u8>| {
        let mut request = TestRequest::post()
            .uri("/api/v1/publications")
            .insert_header(("Authorization", format!("Bearer {token}")))
            .set_payload(payload);
        if let Some(content_type) = content_type {
            request = request.insert_header(("Content-Type", content_type));
        }
        request
    };
    let title = br#"{"title": "T"}"#.to_vec();

    let cases = [
        (request(Some("application/json"), b"{\"title\": ".to_vec()), 400, "MALFORMED_BODY"),
        (request(Some("application/json"), b"[1, 2]".to_vec()), 400, "MALFORMED_BODY"),
        (request(Some("application/json"), b"".to_vec()), 400, "MALFORMED_BODY"),
        (request(Some("application/json"), vec![0xff, 0xfe]), 400, "MALFORMED_BODY"),
        (request(Some("text/plain"), title.clone()), 415, "UNSUPPORTED_MEDIA_TYPE"),
        (request(Some("application/merge-patch+json"), title.clone()), 415, "UNSUPPORTED_MEDIA_TYPE"),
        (request(None, title.clone()), 415, "UNSUPPORTED_MEDIA_TYPE"),
        (
            request(
                Some("application/json"),
                format!(r#"{{"title": "T", "body": "{}"}}"#, "x".repeat(1 << 20)).into_bytes(),
            ),
            413,
            "PAYLOAD_TOO_LARGE",
        ),
    ];
    for (request, status, code) in cases {
        app.call(request).await.problem(status, code);
    }
    let charset = app.call(request(Some("application/json; charset=utf-8"), title)).await;
    assert_eq!(charset.status, 201);
    assert_eq!(app.publication_count(), 1);
}

async fn put_replaces_the_whole_publication(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token();
    insert_category(&mut app.connection(), "etudes", "Études", None, 0);
    let created = create(
        &app,
        &token,
        json!({"title": "Avant", "summary": "Résumé", "authors": ["Anne"], "categories": ["etudes"], "status": "published"}),
    )
    .await;
    let uri = format!("/api/v1/publications/{}", created["id"]);

    let answer = app.write(Method::PUT, &uri, &token, json!({"title": "Après", "status": "published"})).await;

    assert_eq!(answer.status, 200);
    assert_eq!(answer.tag_version(), Some(2));
    let replaced = answer.json();
    assert_eq!(replaced["title"], "Après");
    assert_eq!(replaced["slug"], "avant", "an absent slug keeps the current one");
    assert_eq!(replaced["summary"], "", "absent fields take their defaults");
    assert_eq!(replaced["authors"], json!([]));
    assert_eq!(replaced["categories"], json!([]));
    assert_eq!(replaced["published_at"], created["published_at"]);
    assert_eq!(replaced["version"], 2);
    assert_ne!(replaced["updated_at"], created["updated_at"]);
    app.write(Method::PUT, "/api/v1/publications/404", &token, json!({"title": "T"})).await.problem(404, "NOT_FOUND");
    app.write(Method::PUT, &uri, &token, json!({"summary": "sans titre"})).await.problem(422, "VALIDATION_FAILED");
}

async fn patch_merges_and_honours_if_match(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token();
    let created = create(&app, &token, json!({"title": "Titre", "summary": "Résumé", "authors": ["Anne"]})).await;
    let uri = format!("/api/v1/publications/{}", created["id"]);
    let patch = |body: Value, if_match: Option<&str>, content_type: &str| {
        let mut request = TestRequest::patch()
            .uri(&uri)
            .insert_header(("Authorization", format!("Bearer {token}")))
            .insert_header(("Content-Type", content_type))
            .set_payload(body.to_string());
        if let Some(tag) = if_match {
            request = request.insert_header(("If-Match", tag));
        }
        request
    };

    let first = app
        .call(patch(json!({"summary": null, "language": "en"}), Some("\"1\""), "application/merge-patch+json"))
        .await;
    assert_eq!(first.status, 200, "{}", String::from_utf8_lossy(&first.body));
    assert_eq!(first.tag_version(), Some(2));
    let patched = first.json();
    assert_eq!(patched["summary"], "", "null resets a member");
    assert_eq!(patched["language"], "en");
    assert_eq!(patched["title"], "Titre", "members not given stay");
    assert_eq!(patched["authors"], json!(["Anne"]));

    let stale = app.call(patch(json!({"title": "Perdu"}), Some("\"1\""), "application/json")).await;
    stale.problem(412, "PRECONDITION_FAILED");
    let weak = app.call(patch(json!({"title": "Perdu"}), Some("W/\"2\""), "application/json")).await;
    weak.problem(412, "PRECONDITION_FAILED");
    let current = app.get_with(&uri, &token).await.json();
    assert_eq!(current["title"], "Titre", "a refused patch changes nothing");
    assert_eq!(current["version"], 2);

    let listed = app.call(patch(json!({"title": "Liste"}), Some("\"7\", \"2\""), "application/json")).await;
    assert_eq!(listed.status, 200);
    let any = app.call(patch(json!({"title": "Étoile"}), Some("*"), "application/json")).await;
    assert_eq!(any.json()["version"], 4);
    let invalid = app.call(patch(json!({"status": "gone", "extra": 1}), None, "application/json")).await;
    assert_eq!(invalid.problem(422, "VALIDATION_FAILED")["errors"].as_array().unwrap().len(), 2);
    let unknown = TestRequest::patch()
        .uri("/api/v1/publications/inconnue")
        .insert_header(("Authorization", format!("Bearer {token}")))
        .insert_header(("Content-Type", "application/json"))
        .set_payload("{}");
    app.call(unknown).await.problem(404, "NOT_FOUND");
}

async fn publishing_sets_the_publication_time_once(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token();
    let draft = create(&app, &token, json!({"title": "Bientôt"})).await;
    let uri = format!("/api/v1/publications/{}", draft["id"]);
    assert_eq!(app.get(&uri).await.status, 404, "a draft is not public");

    let published = app.write(Method::PATCH, &uri, &token, json!({"status": "published"})).await.json();
    let published_at = published["published_at"].as_str().unwrap().to_owned();
    let edited = app.write(Method::PATCH, &uri, &token, json!({"summary": "Un résumé"})).await.json();

    assert_eq!(edited["published_at"], published_at.as_str(), "it stays when the publication changes again");
    assert_eq!(app.get(&uri).await.status, 200, "now it is public");
    assert_eq!(app.get("/api/v1/publications").await.header("x-total-count"), Some("1"));
}

async fn delete_removes_the_publication_and_its_links(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token();
    let first = create(&app, &token, json!({"title": "Un", "status": "published"})).await;
    let second = create(&app, &token, json!({"title": "Deux", "status": "published"})).await;
    let link = app.write(Method::POST, "/api/v1/publications/un/links", &token, json!({"target": "deux"})).await;
    assert_eq!(link.status, 201);
    let uri = format!("/api/v1/publications/{}", second["id"]);

    let stale = app
        .call(
            TestRequest::delete()
                .uri(&uri)
                .insert_header(("Authorization", format!("Bearer {token}")))
                .insert_header(("If-Match", "\"9\"")),
        )
        .await;
    stale.problem(412, "PRECONDITION_FAILED");
    let deleted = app
        .call(
            TestRequest::delete()
                .uri(&uri)
                .insert_header(("Authorization", format!("Bearer {token}")))
                .insert_header(("If-Match", "\"1\"")),
        )
        .await;

    assert_eq!(deleted.status, 204);
    assert!(deleted.body.is_empty());
    app.get(&uri).await.problem(404, "NOT_FOUND");
    let links = app.get(&format!("/api/v1/publications/{}/links", first["id"])).await.json();
    assert_eq!(links["data"], json!([]), "links to it went with it");
    let again =
        app.call(TestRequest::delete().uri(&uri).insert_header(("Authorization", format!("Bearer {token}")))).await;
    again.problem(404, "NOT_FOUND");
}

async fn concurrent_patches_with_the_same_if_match_let_exactly_one_win(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token();
    let created = create(&app, &token, json!({"title": "Course"})).await;
    let uri = format!("/api/v1/publications/{}", created["id"]);
    let document = std::sync::Arc::new(parution::openapi::document());
    let service = actix_web::test::init_service(parution::startup::app(parution::startup::Shared::new(
        app.pool.clone(),
        &document,
        parution::config::HttpSettings::default(),
    )))
    .await;

    let requests = (0..16).map(|number| {
        let request = TestRequest::patch()
            .uri(&uri)
            .insert_header(("Authorization", format!("Bearer {token}")))
            .insert_header(("Content-Type", "application/merge-patch+json"))
            .insert_header(("If-Match", "\"1\""))
            .set_payload(json!({"title": format!("Éditeur {number}")}).to_string())
            .to_request();
        actix_web::test::call_service(&service, request)
    });
    let statuses: Vec<u16> =
        futures_util::future::join_all(requests).await.iter().map(|response| response.status().as_u16()).collect();

    assert_eq!(statuses.iter().filter(|&&status| status == 200).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|&&status| status == 412).count(), 15, "{statuses:?}");
    let current = app.get_with(&uri, &token).await.json();
    assert_eq!(current["version"], 2);
}

async fn hostile_html_is_sanitised_and_article_html_kept(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token();
    let hostile = [
        "<script>alert(1)</script>",
        "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
        "<img src=x onerror=alert(1)>",
        "<a href=\"javascript:alert(1)\">lien</a>",
        "<a href=\" JaVaScRiPt:alert(1)\">lien</a>",
        "<a href=\"data:text/html;base64,PHNjcmlwdD4=\">lien</a>",
        "<p style=\"background:url(javascript:alert(1))\" onclick=\"x()\">texte</p>",
        "<iframe src=\"https://evil.example\"></iframe>",
        "<svg onload=alert(1)><circle/></svg>",
        "<<script>script>alert(1)<</script>/script>",
        "<div><p><b>non fermé <i>imbriqué</div>",
        "<style>body{display:none}</style>",
        "<object data=\"x.swf\"></object><embed src=\"x.swf\">",
        "<form action=\"https://evil.example\"><input name=x></form>",
        "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
    ];
    for body in hostile {
        let publication = create(&app, &token, json!({"title": "Hostile", "body": body})).await;
        let cleaned = publication["body"].as_str().unwrap().to_lowercase();
        for danger in [
            "<script",
            "onerror",
            "onload",
            "onclick",
            "javascript:",
            "data:",
            "style",
            "<iframe",
            "<object",
            "<embed",
            "<form",
            "<svg",
        ] {
            assert!(!cleaned.contains(danger), "{body} kept {danger}: {cleaned}");
        }
    }

    let article = "<h2>Titre</h2><p>Un <em>texte</em> <strong>fort</strong> avec <a href=\"https://www.culture.gouv.fr/\">un lien</a>.</p>\
        <ul><li>un</li><li>deux</li></ul><ol><li>premier</li></ol><blockquote><p>« Une citation. »</p></blockquote>\
        <figure><img src=\"https://www.culture.gouv.fr/image.jpg\" alt=\"Une image\"><figcaption>Légende</figcaption></figure>";
    let kept = create(&app, &token, json!({"title": "Article", "body": article})).await;
    let body = kept["body"].as_str().unwrap();
    for markup in [
        "<h2>Titre</h2>",
        "<em>texte</em>",
        "<strong>fort</strong>",
        "href=\"https://www.culture.gouv.fr/\"",
        "<ul><li>un</li><li>deux</li></ul>",
        "<ol><li>premier</li></ol>",
        "<blockquote><p>« Une citation. »</p></blockquote>",
        "<figure><img src=\"https://www.culture.gouv.fr/image.jpg\" alt=\"Une image\"><figcaption>Légende</figcaption></figure>",
    ] {
        assert!(body.contains(markup), "{markup} is kept: {body}");
    }
}
