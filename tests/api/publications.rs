use std::collections::HashSet;

use crate::backend_tests;
use crate::helpers::{Backend, NewPublication, TestApp, day, field, insert_category, insert_link, insert_publication};

backend_tests!(
    list_returns_only_published_publications_newest_first,
    list_breaks_ties_on_id,
    pages_neither_repeat_nor_skip_an_item,
    list_sends_link_and_total_count_headers,
    a_page_past_the_last_is_empty,
    list_filters_by_category_including_descendants,
    list_filters_by_language,
    list_refuses_an_unknown_category,
    list_items_have_the_summary_shape,
    a_publication_is_found_by_id_and_by_slug,
    drafts_and_archived_publications_are_not_found,
    unknown_publications_are_not_found,
    related_publications_are_found_in_either_direction,
);

async fn list_returns_only_published_publications_newest_first(backend: Backend) {
    let app = TestApp::new(backend).await;
    let connection = &mut app.connection();
    let old = NewPublication { slug: "ancienne", published_at: Some(day(1, 10)), ..Default::default() };
    let new = NewPublication { slug: "recente", published_at: Some(day(3, 10)), ..Default::default() };
    let middle = NewPublication { slug: "milieu", published_at: Some(day(2, 10)), ..Default::default() };
    for publication in [old, new, middle] {
        insert_publication(connection, publication);
    }
    insert_publication(
        connection,
        NewPublication { slug: "brouillon", status: "draft", published_at: None, ..Default::default() },
    );
    insert_publication(connection, NewPublication { slug: "archivee", status: "archived", ..Default::default() });

    let answer = app.get("/api/v1/publications").await;

    assert_eq!(answer.status, 200);
    let body = answer.json();
    assert_eq!(field(&body, "slug"), ["recente", "milieu", "ancienne"]);
    assert_eq!(body["pagination"]["total"], 3);
    assert_eq!(body["pagination"]["total_pages"], 1);
    assert_eq!(body["pagination"]["page"], 1);
    assert_eq!(body["pagination"]["per_page"], 20);
}

async fn list_breaks_ties_on_id(backend: Backend) {
    let app = TestApp::new(backend).await;
    let connection = &mut app.connection();
    let ids: Vec<i32> = ["a", "b", "c"]
        .into_iter()
        .map(|slug| insert_publication(connection, NewPublication { slug, ..Default::default() }))
        .collect();

    let body = app.get("/api/v1/publications").await.json();

    let listed: Vec<i64> = field(&body, "id").iter().map(|id| id.as_i64().unwrap()).collect();
    let expected: Vec<i64> = ids.iter().rev().map(|&id| id as i64).collect();
    assert_eq!(listed, expected);
}

async fn pages_neither_repeat_nor_skip_an_item(backend: Backend) {
    let app = TestApp::new(backend).await;
    let connection = &mut app.connection();
    let mut inserted = HashSet::new();
    for number in 0..23 {
        // Five publications share each date, so ties must break on id.
        let published_at = Some(day(1 + number / 5, 1));
        let slug = format!("publication-{number}");
        inserted
            .insert(insert_publication(connection, NewPublication { slug: &slug, published_at, ..Default::default() }));
    }

    let mut seen = Vec::new();
    let mut next = Some("/api/v1/publications?per_page=4".to_owned());
    while let Some(uri) = next {
        let answer = app.get(&uri).await;
        assert_eq!(answer.status, 200);
        assert_eq!(answer.header("x-total-count"), Some("23"));
        seen.extend(field(&answer.json(), "id").iter().map(|id| id.as_i64().unwrap() as i32));
        next = answer.header("link").unwrap().split(", ").find_map(|link| {
            link.strip_suffix("; rel=\"next\"").map(|target| target.trim_matches(['<', '>']).to_owned())
        });
    }

    assert_eq!(seen.len(), 23, "no item repeated: {seen:?}");
    assert_eq!(seen.iter().copied().collect::<HashSet<_>>(), inserted, "no item skipped");
}

async fn list_sends_link_and_total_count_headers(backend: Backend) {
    let app = TestApp::new(backend).await;
    let connection = &mut app.connection();
    for number in 0..5 {
        insert_publication(connection, NewPublication { slug: &format!("p{number}"), ..Default::default() });
    }

    let answer = app.get("/api/v1/publications?language=fr&per_page=2&page=2").await;

    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("x-total-count"), Some("5"));
    assert_eq!(
        answer.header("link"),
        Some(
            "</api/v1/publications?language=fr&per_page=2&page=1>; rel=\"first\", \
             </api/v1/publications?language=fr&per_page=2&page=1>; rel=\"prev\", \
             </api/v1/publications?language=fr&per_page=2&page=3>; rel=\"next\", \
             </api/v1/publications?language=fr&per_page=2&page=3>; rel=\"last\""
        )
    );
    assert_eq!(answer.json()["pagination"]["total_pages"], 3);
}

async fn a_page_past_the_last_is_empty(backend: Backend) {
    let app = TestApp::new(backend).await;
    insert_publication(&mut app.connection(), NewPublication { slug: "seule", ..Default::default() });

    let answer = app.get("/api/v1/publications?page=5").await;

    assert_eq!(answer.status, 200);
    let body = answer.json();
    assert_eq!(body["data"], serde_json::json!([]));
    assert_eq!(body["pagination"]["total"], 1);
    assert!(answer.header("link").unwrap().contains("page=1>; rel=\"prev\""), "prev points to the last page");
}

async fn list_filters_by_category_including_descendants(backend: Backend) {
    let app = TestApp::new(backend).await;
    let connection = &mut app.connection();
    let studies = insert_category(connection, "etudes", "Études", None, 0);
    let music = insert_category(connection, "musique", "Musique", Some(studies), 0);
    let press = insert_category(connection, "presse", "Presse", None, 1);
    insert_publication(
        connection,
        NewPublication {
            slug: "dans-etudes",
            published_at: Some(day(1, 3)),
            categories: &[studies],
            ..Default::default()
        },
    );
    insert_publication(
        connection,
        NewPublication {
            slug: "dans-musique",
            published_at: Some(day(1, 2)),
            categories: &[music],
            ..Default::default()
        },
    );
    insert_publication(
        connection,
        NewPublication {
            slug: "dans-presse",
            published_at: Some(day(1, 1)),
            categories: &[press],
            ..Default::default()
        },
    );
    insert_publication(
        connection,
        NewPublication {
            slug: "dans-les-deux",
            published_at: Some(day(1, 4)),
            categories: &[music, studies],
            ..Default::default()
        },
    );

    let cases = [
        ("category=etudes", vec!["dans-les-deux", "dans-etudes", "dans-musique"]),
        (&format!("category={studies}") as &str, vec!["dans-les-deux", "dans-etudes", "dans-musique"]),
        ("category=musique", vec!["dans-les-deux", "dans-musique"]),
        ("category=musique&category=presse", vec!["dans-les-deux", "dans-musique", "dans-presse"]),
        ("category=presse", vec!["dans-presse"]),
    ];
    for (query, expected) in cases {
        let body = app.get(&format!("/api/v1/publications?{query}")).await.json();
        assert_eq!(field(&body, "slug"), expected, "{query}");
        assert_eq!(body["pagination"]["total"], expected.len(), "{query}");
    }
}

async fn list_filters_by_language(backend: Backend) {
    let app = TestApp::new(backend).await;
    let connection = &mut app.connection();
    insert_publication(connection, NewPublication { slug: "francais", ..Default::default() });
    insert_publication(connection, NewPublication { slug: "english", language: "en", ..Default::default() });

    let body = app.get("/api/v1/publications?language=en").await.json();

    assert_eq!(field(&body, "slug"), ["english"]);
    assert_eq!(field(&body, "language"), ["en"]);
}

async fn list_refuses_an_unknown_category(backend: Backend) {
    let app = TestApp::new(backend).await;

    let answer = app.get("/api/v1/publications?category=nulle-part").await;

    let problem = answer.problem(400, "INVALID_PARAMETER");
    assert_eq!(problem["errors"][0]["field"], "category");
    assert!(problem["detail"].as_str().unwrap().contains("nulle-part"));
}

async fn list_items_have_the_summary_shape(backend: Backend) {
    let app = TestApp::new(backend).await;
    let connection = &mut app.connection();
    let category = insert_category(connection, "etudes", "Études", None, 0);
    insert_publication(
        connection,
        NewPublication { slug: "forme", title: "La forme", categories: &[category], ..Default::default() },
    );

    let body = app.get("/api/v1/publications").await.json();

    let item = &body["data"][0];
    let mut keys: Vec<&str> = item.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "announce",
            "authors",
            "categories",
            "cover",
            "created_at",
            "id",
            "language",
            "published_at",
            "slug",
            "status",
            "summary",
            "title",
            "unpublish_at",
            "updated_at",
            "version"
        ]
    );
    assert_eq!(item["title"], "La forme");
    assert_eq!(item["status"], "published");
    assert_eq!(item["published_at"], "2025-06-01T09:00:00Z");
    assert_eq!(item["authors"], serde_json::json!(["Service des études"]));
    assert_eq!(
        item["categories"],
        serde_json::json!([{"id": category, "slug": "etudes", "name": "Études", "lang": "fr"}])
    );
    assert_eq!(item["version"], 1);
}

async fn a_publication_is_found_by_id_and_by_slug(backend: Backend) {
    let app = TestApp::new(backend).await;
    let connection = &mut app.connection();
    let category = insert_category(connection, "etudes", "Études", None, 0);
    let id = insert_publication(
        connection,
        NewPublication { slug: "etude-2025", title: "Étude 2025", categories: &[category], ..Default::default() },
    );
    insert_link(connection, id, "source", Err("https://example.org/rapport.pdf"), 0);

    let by_id = app.get(&format!("/api/v1/publications/{id}")).await;
    let by_slug = app.get("/api/v1/publications/etude-2025").await;

    assert_eq!(by_id.status, 200);
    assert_eq!(by_id.json(), by_slug.json());
    let publication = by_slug.json();
    assert_eq!(publication["id"], id);
    assert_eq!(publication["title"], "Étude 2025");
    assert_eq!(publication["body"], "<p>Texte de Étude 2025</p>");
    assert_eq!(publication["categories"][0]["slug"], "etudes");
    assert_eq!(publication["links"][0]["url"], "https://example.org/rapport.pdf");
    assert_eq!(publication["links"][0]["rel"], "source");
}

async fn drafts_and_archived_publications_are_not_found(backend: Backend) {
    let app = TestApp::new(backend).await;
    let connection = &mut app.connection();
    let draft = insert_publication(
        connection,
        NewPublication { slug: "brouillon", status: "draft", published_at: None, ..Default::default() },
    );
    insert_publication(connection, NewPublication { slug: "archivee", status: "archived", ..Default::default() });

    for uri in [
        format!("/api/v1/publications/{draft}"),
        "/api/v1/publications/brouillon".to_owned(),
        "/api/v1/publications/archivee".to_owned(),
        "/api/v1/publications/brouillon/links".to_owned(),
        "/api/v1/publications/archivee/related".to_owned(),
    ] {
        app.get(&uri).await.problem(404, "NOT_FOUND");
    }
}

async fn unknown_publications_are_not_found(backend: Backend) {
    let app = TestApp::new(backend).await;

    for reference in ["inconnue", "42", "99999999999999999999", "%C3%A9t%C3%A9", "Majuscule", "a%20b"] {
        let problem = app.get(&format!("/api/v1/publications/{reference}")).await.problem(404, "NOT_FOUND");
        assert!(problem["detail"].as_str().unwrap().starts_with("no publication has the id or slug"));
    }
}

async fn related_publications_are_found_in_either_direction(backend: Backend) {
    let app = TestApp::new(backend).await;
    let connection = &mut app.connection();
    let article = insert_publication(
        connection,
        NewPublication { slug: "article", published_at: Some(day(5, 1)), ..Default::default() },
    );
    let older = insert_publication(
        connection,
        NewPublication { slug: "plus-ancienne", published_at: Some(day(1, 1)), ..Default::default() },
    );
    let newer = insert_publication(
        connection,
        NewPublication { slug: "plus-recente", published_at: Some(day(9, 1)), ..Default::default() },
    );
    let draft = insert_publication(
        connection,
        NewPublication { slug: "brouillon", status: "draft", published_at: None, ..Default::default() },
    );
    let cited = insert_publication(connection, NewPublication { slug: "citee", ..Default::default() });
    insert_link(connection, article, "related", Ok(older), 0);
    insert_link(connection, newer, "related", Ok(article), 0);
    insert_link(connection, article, "related", Ok(draft), 1);
    insert_link(connection, article, "source", Ok(cited), 2);

    let from_article = app.get("/api/v1/publications/article/related").await.json();
    let from_older = app.get(&format!("/api/v1/publications/{older}/related")).await.json();

    assert_eq!(field(&from_article, "slug"), ["plus-recente", "plus-ancienne"]);
    assert_eq!(field(&from_older, "slug"), ["article"]);
    assert!(from_article["data"][0].get("body").is_none(), "related items have the summary shape");
}
