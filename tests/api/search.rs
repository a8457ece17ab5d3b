use actix_web::http::Method;
use chrono::Datelike;
use serde_json::json;

use crate::backend_tests;
use crate::helpers::{Backend, NewPublication, TestApp, day, field, insert_category, insert_publication};

backend_tests!(
    search_folds_accents_and_case,
    search_finds_inflected_forms,
    search_requires_every_word_and_honours_phrases,
    search_reads_title_summary_and_body_and_follows_writes,
    relevance_puts_title_matches_first,
    filters_combine_with_search_and_each_other,
    status_filters_need_a_token,
    publication_dates_are_inclusive_bounds,
    updated_after_lists_changes_in_order,
    every_sort_orders_as_documented,
    facets_count_the_current_filter_and_search,
);

/// A catalogue of four publications written through the API.
async fn catalogue(app: &TestApp) -> String {
    let token = app.token();
    for (title, summary, body, published_at) in [
        (
            "Concertation entre fournisseurs d’IA et ayants droit",
            "Un cycle de concertation entre développeurs de modèles et ayants droit.",
            "<p>Le droit d’auteur est le socle de notre exception culturelle.</p>",
            "2025-12-05T09:00:00Z",
        ),
        (
            "L’emploi dans les lieux de concerts",
            "Une étude de l’emploi en Wallonie et à Bruxelles.",
            "<p>Les concertations sociales y sont fréquentes.</p>",
            "2025-11-21T09:00:00Z",
        ),
        (
            "Les DÉVELOPPEURS de jeux vidéo",
            "Portrait d’un secteur.",
            "<p>Droit et création.</p>",
            "2024-06-01T09:00:00Z",
        ),
        (
            "Économie du livre",
            "Le marché du livre en 2024.",
            "<p>Les ayants de droit moral.</p>",
            "2024-03-15T09:00:00Z",
        ),
    ] {
        let answer = app
            .write(
                Method::POST,
                "/api/v1/publications",
                &token,
                json!({"title": title, "summary": summary, "body": body, "status": "published", "published_at": published_at}),
            )
            .await;
        assert_eq!(answer.status, 201);
    }
    token
}

async fn titles(app: &TestApp, query: &str) -> Vec<String> {
    let answer = app.get(&format!("/api/v1/publications?{query}")).await;
    assert_eq!(answer.status, 200, "{query}: {}", String::from_utf8_lossy(&answer.body));
    field(&answer.json(), "title").iter().map(|title| title.as_str().unwrap().to_owned()).collect()
}

async fn search_folds_accents_and_case(backend: Backend) {
    let app = TestApp::new(backend).await;
    catalogue(&app).await;

    // Title matches first: the word is in one title, and in the other's summary.
    let expected = ["Les DÉVELOPPEURS de jeux vidéo", "Concertation entre fournisseurs d’IA et ayants droit"];
    for q in ["developpeurs", "D%C3%89VELOPPEURS", "d%C3%A9veloppeurs", "DeVeLoPpEuR"] {
        assert_eq!(titles(&app, &format!("q={q}")).await, expected, "{q}");
    }
    assert_eq!(titles(&app, "q=economie").await, ["Économie du livre"]);
}

async fn search_finds_inflected_forms(backend: Backend) {
    let app = TestApp::new(backend).await;
    catalogue(&app).await;

    let both = ["Concertation entre fournisseurs d’IA et ayants droit", "L’emploi dans les lieux de concerts"];
    assert_eq!(titles(&app, "q=concertations&sort=-published_at").await, both);
    assert_eq!(titles(&app, "q=concertation&sort=-published_at").await, both);
    assert_eq!(titles(&app, "q=fournisseur").await, [both[0]]);
    assert!(titles(&app, "q=introuvable").await.is_empty());
}

async fn search_requires_every_word_and_honours_phrases(backend: Backend) {
    let app = TestApp::new(backend).await;
    catalogue(&app).await;

    assert_eq!(
        titles(&app, "q=droit&sort=title").await,
        ["Concertation entre fournisseurs d’IA et ayants droit", "Économie du livre", "Les DÉVELOPPEURS de jeux vidéo"]
    );
    assert_eq!(titles(&app, "q=droit+concertation").await, ["Concertation entre fournisseurs d’IA et ayants droit"]);
    assert_eq!(titles(&app, "q=droit+livre").await, ["Économie du livre"]);
    // "ayants droit" as a phrase: the book's body has "ayants de droit".
    assert_eq!(titles(&app, "q=%22ayants+droit%22").await, ["Concertation entre fournisseurs d’IA et ayants droit"]);
    assert_eq!(titles(&app, "q=ayants+droit&sort=title").await.len(), 2, "as words, both");
}

async fn search_reads_title_summary_and_body_and_follows_writes(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = catalogue(&app).await;

    assert_eq!(titles(&app, "q=wallonie").await, ["L’emploi dans les lieux de concerts"], "summary");
    assert_eq!(titles(&app, "q=socle").await, ["Concertation entre fournisseurs d’IA et ayants droit"], "body");
    app.write(Method::PATCH, "/api/v1/publications/economie-du-livre", &token, json!({"summary": "La Wallonie lit."}))
        .await;
    assert_eq!(
        titles(&app, "q=wallonie&sort=title").await,
        ["Économie du livre", "L’emploi dans les lieux de concerts"]
    );
    let delete = actix_web::test::TestRequest::delete()
        .uri("/api/v1/publications/economie-du-livre")
        .insert_header(("Authorization", format!("Bearer {token}")));
    assert_eq!(app.call(delete).await.status, 204);
    assert_eq!(titles(&app, "q=wallonie").await, ["L’emploi dans les lieux de concerts"]);
}

async fn relevance_puts_title_matches_first(backend: Backend) {
    let app = TestApp::new(backend).await;
    catalogue(&app).await;

    // "droit" is in the first title; in the other two only in the text.
    let by_relevance = titles(&app, "q=droit").await;
    let explicit = titles(&app, "q=droit&sort=relevance").await;

    assert_eq!(
        by_relevance,
        ["Concertation entre fournisseurs d’IA et ayants droit", "Les DÉVELOPPEURS de jeux vidéo", "Économie du livre"]
    );
    assert_eq!(explicit, by_relevance);
    assert_eq!(
        titles(&app, "q=emploi+OR+portrait").await,
        Vec::<String>::new(),
        "words are combined with AND, never OR"
    );
}

async fn filters_combine_with_search_and_each_other(backend: Backend) {
    let app = TestApp::new(backend).await;
    let connection = &mut app.connection();
    let studies = insert_category(connection, "etudes", "Études", None, 0);
    let press = insert_category(connection, "presse", "Presse", None, 1);
    for (slug, title, language, published_at, categories) in [
        ("a", "Étude sur la musique", "fr", day(1, 10), vec![studies]),
        ("b", "Study of music", "en", day(2, 10), vec![studies]),
        ("c", "Revue de presse musique", "fr", day(3, 10), vec![press]),
        ("d", "Étude sur le cinéma", "fr", day(4, 10), vec![studies, press]),
    ] {
        insert_publication(
            connection,
            NewPublication {
                slug,
                title,
                language,
                published_at: Some(published_at),
                categories: &categories,
                ..Default::default()
            },
        );
    }

    let slugs = |body: serde_json::Value| -> Vec<String> {
        field(&body, "slug").iter().map(|slug| slug.as_str().unwrap().to_owned()).collect()
    };
    let cases = [
        ("q=musique", vec!["c", "a"]),
        ("q=musique&category=etudes", vec!["a"]),
        ("q=musique&language=fr&category=etudes&category=presse", vec!["c", "a"]),
        ("q=etude&published_after=2025-02-01", vec!["d"]),
        ("category=etudes&language=fr&published_before=2025-03-31", vec!["a"]),
        ("category=presse&published_after=2025-03-10&published_before=2025-04-10", vec!["d", "c"]),
    ];
    for (query, expected) in cases {
        let body = app.get(&format!("/api/v1/publications?{query}")).await.json();
        assert_eq!(slugs(body.clone()), expected, "{query}");
        assert_eq!(body["pagination"]["total"], expected.len(), "{query}");
        let within = app.get(&format!("/api/v1/categories/etudes/publications?{query}")).await.json();
        let in_studies: Vec<String> =
            expected.iter().filter(|slug| **slug != "c").map(|slug| slug.to_string()).collect();
        assert_eq!(slugs(within), in_studies, "within a category: {query}");
    }
}

async fn status_filters_need_a_token(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.token();
    let connection = &mut app.connection();
    insert_publication(connection, NewPublication { slug: "publiee", ..Default::default() });
    insert_publication(
        connection,
        NewPublication { slug: "brouillon", status: "draft", published_at: None, ..Default::default() },
    );
    insert_publication(
        connection,
        NewPublication { slug: "archivee", status: "archived", published_at: Some(day(1, 1)), ..Default::default() },
    );

    app.get("/api/v1/publications?status=draft").await.problem(401, "UNAUTHORIZED");
    let drafts = app.get_with("/api/v1/publications?status=draft", &token).await.json();
    let all = app.get_with("/api/v1/publications?status=draft&status=published&status=archived", &token).await.json();
    let published = app.get("/api/v1/publications?status=published").await.json();

    assert_eq!(field(&drafts, "slug"), ["brouillon"]);
    assert_eq!(field(&all, "slug"), ["publiee", "archivee", "brouillon"], "drafts without a date come last");
    assert_eq!(field(&published, "slug"), ["publiee"]);
}

async fn publication_dates_are_inclusive_bounds(backend: Backend) {
    let app = TestApp::new(backend).await;
    let connection = &mut app.connection();
    for (slug, published_at) in [("veille", day(3, 31)), ("jour", day(4, 1)), ("lendemain", day(4, 2))] {
        insert_publication(connection, NewPublication { slug, published_at: Some(published_at), ..Default::default() });
    }

    let slugs = |query: &'static str| {
        let app = &app;
        async move {
            field(&app.get(&format!("/api/v1/publications?{query}")).await.json(), "slug")
                .iter()
                .map(|s| s.as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(slugs("published_after=2025-04-01&published_before=2025-04-01").await, ["jour"]);
    assert_eq!(slugs("published_after=2025-04-01T09:00:00Z").await, ["lendemain", "jour"]);
    assert_eq!(slugs("published_before=2025-04-01T09:00:00Z").await, ["jour", "veille"]);
    assert_eq!(slugs("published_before=2025-04-01T08:59:59Z").await, ["veille"]);
    assert_eq!(slugs("published_after=2025-04-01T11:00:00%2B02:00").await, ["lendemain", "jour"], "offsets count");
}

async fn updated_after_lists_changes_in_order(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = catalogue(&app).await;
    let before = app.get("/api/v1/publications?sort=-updated_at").await.json();
    let since = before["data"][0]["updated_at"].as_str().unwrap().to_owned();

    app.write(Method::PATCH, "/api/v1/publications/economie-du-livre", &token, json!({"summary": "Revu."})).await;
    app.write(
        Method::PATCH,
        "/api/v1/publications/l-emploi-dans-les-lieux-de-concerts",
        &token,
        json!({"summary": "Revu."}),
    )
    .await;
    let changed = app.get(&format!("/api/v1/publications?updated_after={}", since.replace('+', "%2B"))).await.json();

    let slugs: Vec<&str> = field(&changed, "slug").iter().map(|slug| slug.as_str().unwrap()).collect();
    assert_eq!(slugs, ["economie-du-livre", "l-emploi-dans-les-lieux-de-concerts"], "the changes, oldest first");
    let boundary = app
        .get(&format!("/api/v1/publications?updated_after={}", changed["data"][1]["updated_at"].as_str().unwrap()))
        .await;
    assert_eq!(field(&boundary.json(), "slug"), ["l-emploi-dans-les-lieux-de-concerts"], "the bound is inclusive");
}

async fn every_sort_orders_as_documented(backend: Backend) {
    let app = TestApp::new(backend).await;
    let connection = &mut app.connection();
    for (slug, title, published_at) in [
        ("b", "Écrire", day(2, 1)),
        ("a", "zèbre", day(2, 1)),
        ("c", "Abeille", day(1, 1)),
        ("d", "ecrire aussi", day(3, 1)),
    ] {
        insert_publication(
            connection,
            NewPublication { slug, title, published_at: Some(published_at), ..Default::default() },
        );
    }

    let slugs = |sort: &'static str| {
        let app = &app;
        async move {
            field(&app.get(&format!("/api/v1/publications?sort={sort}")).await.json(), "slug")
                .iter()
                .map(|s| s.as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(slugs("-published_at").await, ["d", "a", "b", "c"], "ties break on id, descending");
    assert_eq!(slugs("published_at").await, ["c", "b", "a", "d"], "ties break on id, ascending");
    assert_eq!(slugs("title").await, ["c", "b", "d", "a"], "accents and case folded");
    assert_eq!(slugs("-title").await, ["a", "d", "b", "c"]);
    assert_eq!(slugs("-updated_at").await, ["d", "c", "a", "b"]);
    assert_eq!(slugs("updated_at").await, ["b", "a", "c", "d"]);
}

async fn facets_count_the_current_filter_and_search(backend: Backend) {
    let app = TestApp::new(backend).await;
    let connection = &mut app.connection();
    let studies = insert_category(connection, "etudes", "Études", None, 0);
    let music = insert_category(connection, "musique", "Musique", Some(studies), 0);
    let press = insert_category(connection, "presse", "Presse", None, 1);
    let mut year_2024 = day(5, 1);
    year_2024 = year_2024.with_year(2024).unwrap();
    for (slug, title, language, published_at, categories) in [
        ("a", "Étude sur la musique", "fr", day(1, 10), vec![studies, music]),
        ("b", "Study of music", "en", day(2, 10), vec![music]),
        ("c", "Revue de presse : la musique", "fr", year_2024, vec![press]),
        ("d", "Étude sur le cinéma", "fr", day(4, 10), vec![studies]),
    ] {
        insert_publication(
            connection,
            NewPublication {
                slug,
                title,
                language,
                published_at: Some(published_at),
                categories: &categories,
                ..Default::default()
            },
        );
    }
    insert_publication(
        connection,
        NewPublication {
            slug: "e",
            title: "Brouillon musical",
            status: "draft",
            published_at: None,
            categories: &[press],
            ..Default::default()
        },
    );

    let all = app.get("/api/v1/publications?facets=category,year,language&per_page=1").await.json();
    let searched = app.get("/api/v1/publications?q=musique&facets=category&facets=year").await.json();
    let plain = app.get("/api/v1/publications").await.json();

    assert_eq!(
        all["facets"],
        json!({
            "category": [
                {"slug": "etudes", "name": "Études", "lang": "fr", "count": 2},
                {"slug": "musique", "name": "Musique", "lang": "fr", "count": 2},
                {"slug": "presse", "name": "Presse", "lang": "fr", "count": 1}
            ],
            "year": [{"value": 2025, "count": 3}, {"value": 2024, "count": 1}],
            "language": [{"value": "fr", "count": 3}, {"value": "en", "count": 1}]
        }),
        "counts cover the whole list, not the page, and published only"
    );
    assert_eq!(all["data"].as_array().unwrap().len(), 1);
    assert_eq!(
        searched["facets"],
        json!({
            "category": [
                {"slug": "etudes", "name": "Études", "lang": "fr", "count": 1},
                {"slug": "musique", "name": "Musique", "lang": "fr", "count": 1},
                {"slug": "presse", "name": "Presse", "lang": "fr", "count": 1}
            ],
            "year": [{"value": 2025, "count": 1}, {"value": 2024, "count": 1}]
        }),
        "the search narrows the counts; music in English is another word"
    );
    assert!(plain.get("facets").is_none());
    let within = app.get("/api/v1/categories/etudes/publications?facets=category").await.json();
    assert_eq!(within["facets"]["category"][0], json!({"slug": "etudes", "name": "Études", "lang": "fr", "count": 2}));
    let problem = app.get("/api/v1/publications?facets=author").await.problem(400, "INVALID_PARAMETER");
    assert_eq!(problem["errors"][0]["field"], "facets");
}
