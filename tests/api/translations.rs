//! French and English: publications linked as translations of each other,
//! search in each one's language, category names per language.

use actix_web::http::Method;
use actix_web::test::TestRequest;
use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::{Answer, Backend, TestApp};

backend_tests!(
    translations_form_a_group_with_one_publication_per_language,
    readers_see_only_the_translations_they_may_see,
    a_trashed_version_leaves_the_others_and_comes_back_to_its_group,
    a_file_names_the_same_file_in_the_other_languages,
    each_language_is_searched_with_its_own_analyser,
    category_names_follow_the_language_asked_for,
    category_names_are_written_per_language,
);

async fn create(app: &TestApp, token: &str, body: Value) -> Value {
    let created = app.write(Method::POST, "/api/v1/publications", token, body).await;
    assert_eq!(created.status, 201, "{}", String::from_utf8_lossy(&created.body));
    created.json()
}

fn languages(answer: &Value) -> Vec<String> {
    answer["translations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|translation| translation["language"].as_str().unwrap().to_owned())
        .collect()
}

async fn get_in(app: &TestApp, uri: &str, accept_language: &str) -> Answer {
    app.call(TestRequest::get().uri(uri).insert_header(("Accept-Language", accept_language))).await
}

async fn translations_form_a_group_with_one_publication_per_language(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token();
    let french = create(&app, &token, json!({"title": "Politiques culturelles", "status": "published"})).await;
    let english = create(
        &app,
        &token,
        json!({"title": "Cultural policies", "language": "en", "status": "published", "translation_of": "politiques-culturelles"}),
    )
    .await;
    assert_eq!(
        english["translations"],
        json!([{"language": "fr", "id": french["id"], "slug": "politiques-culturelles", "title": "Politiques culturelles"}])
    );
    let detail = app.get("/api/v1/publications/politiques-culturelles").await;
    assert_eq!(languages(&detail.json()), ["en"]);
    assert_eq!(detail.header("content-language"), Some("fr"));
    assert_eq!(
        detail.header("link"),
        Some("</api/v1/publications/cultural-policies>; rel=\"alternate\"; hreflang=\"en\"; type=\"application/json\"")
    );
    let english_detail = app.get("/api/v1/publications/cultural-policies").await;
    assert_eq!(english_detail.header("content-language"), Some("en"));

    // A third language joins through any member; a tag's case is made
    // conventional.
    let german = create(
        &app,
        &token,
        json!({"title": "Kulturpolitik", "language": "DE-ch", "status": "published", "translation_of": english["id"]}),
    )
    .await;
    assert_eq!(german["language"], "de-CH");
    assert_eq!(languages(&app.get("/api/v1/publications/politiques-culturelles").await.json()), ["de-CH", "en"]);

    // One publication per language: a second English one is a 409 naming
    // the first; nothing is written.
    let before = app.publication_count();
    let taken = app
        .write(
            Method::POST,
            "/api/v1/publications",
            &token,
            json!({"title": "Culture policy", "language": "en", "translation_of": "politiques-culturelles"}),
        )
        .await;
    let problem = taken.problem(409, "CONFLICT");
    assert!(problem["detail"].as_str().unwrap().contains("'en'"), "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("cultural-policies"), "{problem}");
    assert_eq!(app.publication_count(), before);
    // Nor can a member change its language to one the group has.
    let german_uri = format!("/api/v1/publications/{}", german["id"]);
    app.write(Method::PATCH, &german_uri, &token, json!({"language": "en"})).await.problem(409, "CONFLICT");

    // Bad references and tags are 422s naming the field.
    for (body, code) in [
        (json!({"title": "X", "translation_of": "no-such-publication"}), "unknown_publication"),
        (json!({"title": "X", "translation_of": {"id": 1}}), "invalid_reference"),
        (json!({"title": "X", "language": "english!"}), "invalid_language"),
    ] {
        let refused = app.write(Method::POST, "/api/v1/publications", &token, body).await;
        assert_eq!(refused.problem(422, "VALIDATION_FAILED")["errors"][0]["code"], code);
    }
    let itself = app.write(Method::PATCH, &german_uri, &token, json!({"translation_of": german["id"]})).await;
    assert_eq!(itself.problem(422, "VALIDATION_FAILED")["errors"][0]["code"], "itself");
    assert_eq!(app.publication_count(), before);

    // `null` leaves the group; the others no longer list it. Its history
    // says what changed.
    let left = app.write(Method::PATCH, &german_uri, &token, json!({"translation_of": null})).await;
    assert_eq!((left.status.as_u16(), left.json()["translations"].clone()), (200, json!([])));
    assert_eq!(languages(&app.get("/api/v1/publications/cultural-policies").await.json()), ["fr"]);
    let history = app.get_with(&format!("{german_uri}/revisions"), &token).await.json();
    assert_eq!(history["data"][0]["changed"], json!(["translations"]));
    // A write that does not name the group keeps it.
    let kept = app
        .write(Method::PATCH, "/api/v1/publications/cultural-policies", &token, json!({"summary": "A study."}))
        .await;
    assert_eq!(languages(&kept.json()), ["fr"]);
}

async fn readers_see_only_the_translations_they_may_see(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token();
    create(&app, &token, json!({"title": "Étude publique", "status": "published"})).await;
    // Read anonymously (and kept by the response cache) before the English
    // version exists.
    let before = app.get("/api/v1/publications/etude-publique").await;
    assert_eq!((languages(&before.json()), before.header("link")), (Vec::<String>::new(), None));

    let draft =
        create(&app, &token, json!({"title": "Public study", "language": "en", "translation_of": "etude-publique"}))
            .await;
    let draft_uri = format!("/api/v1/publications/{}", draft["id"]);
    let anonymous = app.get("/api/v1/publications/etude-publique").await;
    assert_eq!(languages(&anonymous.json()), Vec::<String>::new(), "a draft translation does not leak");
    assert_eq!(anonymous.header("link"), None);
    assert_eq!(languages(&app.get_with("/api/v1/publications/etude-publique", &token).await.json()), ["en"]);
    // The draft itself stays hidden, and so does its list of translations.
    app.get(&draft_uri).await.problem(404, "NOT_FOUND");

    // Scheduled: still hidden until its instant.
    let scheduled = app
        .write(
            Method::PATCH,
            &draft_uri,
            &token,
            json!({"status": "published", "published_at": "2999-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(scheduled.json()["status"], "scheduled");
    assert_eq!(languages(&app.get("/api/v1/publications/etude-publique").await.json()), Vec::<String>::new());

    // Published: listed at once, through the cache, with its link.
    let published = app.write(Method::PATCH, &draft_uri, &token, json!({"published_at": "2025-01-01T00:00:00Z"})).await;
    assert_eq!(published.json()["status"], "published");
    let after = app.get("/api/v1/publications/etude-publique").await;
    assert_eq!(languages(&after.json()), ["en"]);
    assert!(after.header("link").unwrap().contains("hreflang=\"en\""));
    // A change to the translation's title shows in the other's list.
    app.write(Method::PATCH, &draft_uri, &token, json!({"title": "A public study"})).await;
    assert_eq!(
        app.get("/api/v1/publications/etude-publique").await.json()["translations"][0]["title"],
        "A public study"
    );
}

async fn a_trashed_version_leaves_the_others_and_comes_back_to_its_group(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token();
    create(&app, &token, json!({"title": "Rapport", "status": "published"})).await;
    let english = create(
        &app,
        &token,
        json!({"title": "Report", "language": "en", "status": "published", "translation_of": "rapport"}),
    )
    .await;
    let uri = format!("/api/v1/publications/{}", english["id"]);
    assert_eq!(languages(&app.get("/api/v1/publications/rapport").await.json()), ["en"]);

    let trashed = app.call(TestRequest::delete().uri(&uri).insert_header(("Authorization", format!("Bearer {token}"))));
    assert_eq!(trashed.await.status, 204);
    let french = app.get("/api/v1/publications/rapport").await;
    assert_eq!((french.status.as_u16(), languages(&french.json())), (200, Vec::<String>::new()));
    assert_eq!(french.header("link"), None);

    let restored =
        app.write(Method::POST, &format!("/api/v1/trash/{}/restore", english["id"]), &token, json!({})).await;
    assert_eq!(restored.status, 201, "{}", String::from_utf8_lossy(&restored.body));
    assert_eq!(languages(&app.get("/api/v1/publications/rapport").await.json()), ["en"]);
    assert_eq!(languages(&app.get(&uri).await.json()), ["fr"]);
}

/// The ids of the publications a list answers, in order.
async fn found(app: &TestApp, query: &str) -> Vec<String> {
    let answer = app.get(&format!("/api/v1/publications?{query}")).await;
    assert_eq!(answer.status, 200, "{}", String::from_utf8_lossy(&answer.body));
    answer.json()["data"].as_array().unwrap().iter().map(|item| item["slug"].as_str().unwrap().to_owned()).collect()
}

async fn each_language_is_searched_with_its_own_analyser(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token();
    create(
        &app,
        &token,
        json!({"title": "Les politiques culturelles des villes", "summary": "Une étude des politiques culturelles.", "status": "published"}),
    )
    .await;
    create(
        &app,
        &token,
        json!({"title": "Cultural policy in cities", "summary": "A study of how cities fund culture.", "language": "en", "status": "published", "translation_of": "les-politiques-culturelles-des-villes"}),
    )
    .await;
    create(
        &app,
        &token,
        json!({"title": "Musées et publics", "summary": "Les musées accueillent leurs publics.", "status": "published"}),
    )
    .await;

    // Each query is analysed in each language there is: French words find
    // the French study, English inflections the English one.
    assert_eq!(found(&app, "q=politiques%20culturelles").await, ["les-politiques-culturelles-des-villes"]);
    assert_eq!(found(&app, "q=cultural%20policies").await, ["cultural-policy-in-cities"]);
    assert_eq!(found(&app, "q=policies").await, ["cultural-policy-in-cities"]);
    assert_eq!(found(&app, "q=funding").await, ["cultural-policy-in-cities"], "fund, funds, funding");
    assert_eq!(found(&app, "q=%22cultural%20policies%22").await, ["cultural-policy-in-cities"], "a phrase");
    // `language` narrows the list and the analysis alike.
    assert_eq!(found(&app, "q=policies&language=fr").await, Vec::<String>::new());
    assert_eq!(found(&app, "q=policies&language=en").await, ["cultural-policy-in-cities"]);
    assert_eq!(found(&app, "q=musee&language=fr").await, ["musees-et-publics"]);
    // Relevance puts a title match first, in either language.
    assert_eq!(found(&app, "q=policies&sort=relevance").await, ["cultural-policy-in-cities"]);
    assert_eq!(found(&app, "q=villes&sort=relevance").await, ["les-politiques-culturelles-des-villes"]);
    // A language without a stemmer folds accents and case only.
    create(&app, &token, json!({"title": "Übersetzungen", "language": "de", "status": "published"})).await;
    assert_eq!(found(&app, "q=UBERSETZUNGEN").await, ["ubersetzungen"]);
    assert_eq!(found(&app, "q=ubersetzung").await, Vec::<String>::new(), "not stemmed");
    // Totals count what the pages show.
    let list = app.get("/api/v1/publications?q=cultural%20policies").await;
    assert_eq!(list.json()["pagination"]["total"], 1);
}

async fn category_names_follow_the_language_asked_for(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let article = "/api/v1/publications/concertation-fournisseurs-ia-ayants-droit";

    // Without a language: the default one's names, saying so.
    let french = app.get(article).await;
    assert_eq!(
        french.json()["categories"][0],
        json!({"id": 1, "slug": "etudes-publications", "name": "Études & publications", "lang": "fr"})
    );
    assert!(french.header("vary").unwrap().contains("Accept-Language"));

    // `lang` and `Accept-Language` choose; the response cache tells them
    // apart (the same URL, asked in turn in each language).
    for _ in 0..2 {
        let english = get_in(&app, article, "en-GB,en;q=0.9,fr;q=0.5").await.json();
        assert_eq!(english["categories"][0]["name"], "Studies & publications");
        assert_eq!(english["categories"][0]["lang"], "en");
        let french = get_in(&app, article, "fr-FR, en;q=0.5").await.json();
        assert_eq!(french["categories"][0]["name"], "Études & publications");
        let asked = app.get(&format!("{article}?lang=en")).await.json();
        assert_eq!(asked["categories"][1]["name"], "Recorded music industry watch");
    }
    // The publication's own text is not translated: only labels are.
    assert!(get_in(&app, article, "en").await.json()["title"].as_str().unwrap().starts_with("Concertation"));

    // Breadcrumbs, children, lists, facets, related and the calendar.
    let detail = app.get("/api/v1/categories/veille-industrie-phonographique?lang=en").await.json();
    assert_eq!((detail["name"].clone(), detail["lang"].clone()), (json!("Recorded music industry watch"), json!("en")));
    assert_eq!(detail["description"], "Following the recorded music industry.");
    assert_eq!(
        detail["ancestors"],
        json!([{"id": 1, "slug": "etudes-publications", "name": "Studies & publications", "lang": "en"}])
    );
    assert_eq!(detail["names"]["en"]["name"], "Recorded music industry watch");
    let tree = get_in(&app, "/api/v1/categories?tree=true", "en").await.json();
    assert_eq!(tree["data"][0]["children"][0]["name"], "Recorded music industry watch");
    let listed = app.get("/api/v1/publications?lang=en&facets=category&language=fr").await.json();
    assert_eq!(listed["data"][0]["categories"][0]["name"], "Studies & publications");
    assert_eq!(listed["facets"]["category"][0]["name"], "Studies & publications");
    assert_eq!(listed["facets"]["category"][0]["lang"], "en");
    let in_category = app.get("/api/v1/categories/etudes-publications/publications?lang=en").await.json();
    assert_eq!(in_category["data"][0]["categories"][0]["lang"], "en");
    let related = app.get(&format!("{article}/related?lang=en")).await.json();
    assert_eq!(related["data"][0]["categories"][0]["name"], "Studies & publications");

    // A language with no names falls back to the default, and says so.
    let german = get_in(&app, "/api/v1/categories/etudes-publications", "de").await.json();
    assert_eq!((german["name"].clone(), german["lang"].clone()), (json!("Études & publications"), json!("fr")));
    let asked = app.get("/api/v1/categories/etudes-publications?lang=de").await.json();
    assert_eq!(asked["lang"], "fr");
    // A bad `lang` is a 400 naming it; an unreadable header is ignored.
    let bad = app.get(&format!("{article}?lang=english!")).await.problem(400, "INVALID_PARAMETER");
    assert_eq!(bad["errors"][0]["field"], "lang");
    assert_eq!(get_in(&app, article, ";;q=x, *").await.status, 200);
}

async fn category_names_are_written_per_language(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token();
    let created = app
        .write(
            Method::POST,
            "/api/v1/categories",
            &token,
            json!({"name": "Études", "description": "Les études.", "names": {"EN": {"name": "Studies"}, "de": {"name": "Studien", "description": "Die Studien."}}}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", String::from_utf8_lossy(&created.body));
    let created = created.json();
    assert_eq!(
        created["names"],
        json!({"de": {"name": "Studien", "description": "Die Studien."}, "en": {"name": "Studies", "description": null}})
    );
    let uri = format!("/api/v1/categories/{}", created["id"]);
    let english = app.get(&format!("{uri}?lang=en")).await.json();
    assert_eq!((english["name"].clone(), english["description"].clone()), (json!("Studies"), Value::Null));

    // A merge patch merges the names language by language.
    let version = created["version"].as_i64().unwrap();
    let patched = app
        .call(
            TestRequest::patch()
                .uri(&uri)
                .insert_header(("Authorization", format!("Bearer {token}")))
                .insert_header(("Content-Type", "application/merge-patch+json"))
                .insert_header(("If-Match", format!("\"{version}\"")))
                .set_payload(json!({"names": {"de": null, "en": {"description": "The studies."}}}).to_string()),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", String::from_utf8_lossy(&patched.body));
    assert_eq!(patched.json()["names"], json!({"en": {"name": "Studies", "description": "The studies."}}));
    assert_eq!(app.get(&format!("{uri}?lang=de")).await.json()["lang"], "fr");

    // Bad names are 422s naming the field, and change nothing.
    for (names, field, code) in [
        (json!({"english": {"name": "X"}}), "names.english", "invalid_language"),
        (json!({"fr": {"name": "X"}}), "names.fr", "default_language"),
        (json!({"en": {"description": "no name"}}), "names.en.name", "required"),
        (json!({"en": {"name": "X", "slug": "x"}}), "names.en.slug", "unknown_field"),
        (json!({"en": "Studies"}), "names.en", "not_an_object"),
        (json!(["en"]), "names", "not_an_object"),
    ] {
        let refused = app.write(Method::PUT, &uri, &token, json!({"name": "Études", "names": names})).await;
        let problem = refused.problem(422, "VALIDATION_FAILED");
        let errors = problem["errors"].as_array().unwrap();
        assert!(errors.iter().any(|error| error["field"] == field && error["code"] == code), "{problem}");
    }
    assert_eq!(app.get(&uri).await.json()["names"]["en"]["name"], "Studies");
    // A PUT replaces the whole category, names included.
    let replaced = app.write(Method::PUT, &uri, &token, json!({"name": "Études"})).await;
    assert_eq!(replaced.json()["names"], json!({}));
}

/// Uploads `text` as a document in `language` to publication `id`; returns
/// its URL.
async fn upload(app: &TestApp, token: &str, id: &Value, language: &str, text: &str) -> String {
    let request = TestRequest::post()
        .uri(&format!("/api/v1/publications/{id}/attachments?title=Rapport&language={language}"))
        .insert_header(("Authorization", format!("Bearer {token}")))
        .insert_header(("Content-Type", "text/plain"))
        .set_payload(text.to_owned());
    let answer = app.call(request).await;
    assert_eq!(answer.status, 201, "{}", String::from_utf8_lossy(&answer.body));
    answer.json()["url"].as_str().unwrap().to_owned()
}

async fn a_file_names_the_same_file_in_the_other_languages(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token();
    let french = create(&app, &token, json!({"title": "Rapport annuel", "status": "published"})).await;
    let english =
        create(&app, &token, json!({"title": "Annual report", "language": "en", "translation_of": "rapport-annuel"}))
            .await;
    let french_file = upload(&app, &token, &french["id"], "fr", "Le rapport.").await;
    let english_file = upload(&app, &token, &english["id"], "en", "The report.").await;
    // A German summary on the French publication itself.
    let german_file = upload(&app, &token, &french["id"], "de", "Der Bericht.").await;

    // The English version is a draft: its file is no alternate for readers.
    let download = app.get(&french_file).await;
    assert_eq!((download.status.as_u16(), download.header("content-language")), (200, Some("fr")));
    assert_eq!(
        download.header("link"),
        Some(format!("<{german_file}>; rel=\"alternate\"; hreflang=\"de\"; type=\"text/plain\"").as_str())
    );
    let with_token = app.get_with(&french_file, &token).await;
    assert!(
        with_token.header("link").unwrap().contains(&format!("<{english_file}>; rel=\"alternate\"; hreflang=\"en\""))
    );

    let uri = format!("/api/v1/publications/{}", english["id"]);
    app.write(Method::PATCH, &uri, &token, json!({"status": "published"})).await;
    let link = app.get(&french_file).await.header("link").unwrap().to_owned();
    assert!(
        link.contains(&format!("<{english_file}>; rel=\"alternate\"; hreflang=\"en\"; type=\"text/plain\"")),
        "{link}"
    );
    assert!(link.contains("hreflang=\"de\""), "{link}");
    let back = app.get(&english_file).await.header("link").unwrap().to_owned();
    assert!(back.contains(&format!("<{french_file}>; rel=\"alternate\"; hreflang=\"fr\"")), "{back}");
    assert!(back.contains(&format!("<{german_file}>")), "{back}");
}
