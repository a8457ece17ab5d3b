use std::collections::HashSet;

use crate::backend_tests;
use crate::helpers::{Answer, Backend, NewPublication, TestApp, day, insert_publication};

backend_tests!(
    walking_by_cursor_neither_repeats_nor_skips_while_items_are_added,
    every_sort_can_be_walked_by_cursor,
    cursor_pages_link_to_the_next_by_cursor,
    altered_or_misused_cursors_are_refused,
);

fn ids(answer: &Answer) -> Vec<i64> {
    answer.json()["data"].as_array().unwrap().iter().map(|item| item["id"].as_i64().unwrap()).collect()
}

/// Walks a list to its end by `next_cursor`; calls `between` after each page.
async fn walk(app: &TestApp, first: &str, mut between: impl FnMut(usize)) -> Vec<i64> {
    let mut seen = Vec::new();
    let mut answer = app.get(first).await;
    for page in 0.. {
        assert_eq!(answer.status, 200, "{}", String::from_utf8_lossy(&answer.body));
        seen.extend(ids(&answer));
        let body = answer.json();
        let Some(cursor) = body["pagination"]["next_cursor"].as_str() else {
            break;
        };
        between(page);
        let separator = if first.contains('?') { '&' } else { '?' };
        answer = app.get(&format!("{first}{separator}cursor={cursor}")).await;
    }
    seen
}

async fn walking_by_cursor_neither_repeats_nor_skips_while_items_are_added(backend: Backend) {
    let app = TestApp::new(backend).await;
    let mut original = HashSet::new();
    {
        let connection = &mut app.connection();
        for number in 0..300u32 {
            // Ten publications share each day, so the keyset must break ties on id.
            let published_at = Some(day(1 + number / 30, 1 + (number / 10) % 3));
            let slug = format!("p{number}");
            original.insert(insert_publication(
                connection,
                NewPublication { slug: &slug, published_at, ..Default::default() },
            ) as i64);
        }
    }

    let mut added = 0;
    let seen = walk(&app, "/api/v1/publications?per_page=25", |page| {
        let connection = &mut app.connection();
        // Newer than everything, and in the middle of what is still to come.
        for (slug, published_at) in [(format!("new-{page}"), day(12, 31)), (format!("mid-{page}"), day(6, 2))] {
            insert_publication(
                connection,
                NewPublication { slug: &slug, published_at: Some(published_at), ..Default::default() },
            );
            added += 1;
        }
    })
    .await;

    let unique: HashSet<i64> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len(), "no item repeated");
    assert!(original.is_subset(&unique), "no original item skipped");
    assert!(added >= 22, "items were added while walking: {added}");
}

async fn every_sort_can_be_walked_by_cursor(backend: Backend) {
    let app = TestApp::new(backend).await;
    {
        let connection = &mut app.connection();
        for number in 0..40u32 {
            let title = format!("{} étude {}", ["Alpha", "beta", "Élan", "zeta"][number as usize % 4], number % 7);
            let (status, published_at) = match number % 5 {
                0 => ("draft", None),
                _ => ("published", Some(day(1 + number % 3, 1))),
            };
            let slug = format!("s{number}");
            insert_publication(
                connection,
                NewPublication { slug: &slug, title: &title, status, published_at, ..Default::default() },
            );
        }
    }
    let token = app.token();

    for query in [
        "sort=-published_at",
        "sort=published_at",
        "sort=title",
        "sort=-title",
        "sort=-updated_at",
        "sort=updated_at",
        "q=etude",
        "q=alpha+etude&sort=relevance",
        "q=etude&status=draft&status=published",
        "status=draft&status=published&sort=published_at",
    ] {
        let everything = app.get_with(&format!("/api/v1/publications?per_page=100&{query}"), &token).await;
        let expected = ids(&everything);
        let mut seen = Vec::new();
        let mut uri = format!("/api/v1/publications?per_page=6&{query}");
        loop {
            let answer = app.get_with(&uri, &token).await;
            assert_eq!(answer.status, 200, "{query}: {}", String::from_utf8_lossy(&answer.body));
            seen.extend(ids(&answer));
            match answer.json()["pagination"]["next_cursor"].as_str() {
                Some(cursor) => uri = format!("/api/v1/publications?per_page=6&{query}&cursor={cursor}"),
                None => break,
            }
        }
        assert!(!expected.is_empty(), "{query}");
        assert_eq!(seen, expected, "walking {query} by cursor gives the same order as one page");
    }
}

async fn cursor_pages_link_to_the_next_by_cursor(backend: Backend) {
    let app = TestApp::new(backend).await;
    {
        let connection = &mut app.connection();
        for number in 0..5 {
            insert_publication(connection, NewPublication { slug: &format!("p{number}"), ..Default::default() });
        }
    }

    let first = app.get("/api/v1/publications?per_page=2").await;
    let cursor = first.json()["pagination"]["next_cursor"].as_str().unwrap().to_owned();
    let second = app.get(&format!("/api/v1/publications?per_page=2&cursor={cursor}")).await;

    assert!(first.header("link").unwrap().contains("page=2>; rel=\"next\""), "page mode links by page");
    let body = second.json();
    assert_eq!(body["pagination"]["page"], serde_json::Value::Null);
    assert_eq!(body["pagination"]["total"], 5);
    let next = body["pagination"]["next_cursor"].as_str().unwrap();
    assert_eq!(
        second.header("link"),
        Some(format!("</api/v1/publications?per_page=2&page=1>; rel=\"first\", </api/v1/publications?per_page=2&cursor={next}>; rel=\"next\"").as_str())
    );
    let last = app.get(&format!("/api/v1/publications?per_page=2&cursor={next}")).await.json();
    assert_eq!(last["data"].as_array().unwrap().len(), 1);
    assert_eq!(last["pagination"]["next_cursor"], serde_json::Value::Null);
}

async fn altered_or_misused_cursors_are_refused(backend: Backend) {
    let app = TestApp::new(backend).await;
    {
        let connection = &mut app.connection();
        for number in 0..3 {
            insert_publication(connection, NewPublication { slug: &format!("p{number}"), ..Default::default() });
        }
    }
    let cursor = app.get("/api/v1/publications?per_page=1").await.json()["pagination"]["next_cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut flipped = cursor.clone().into_bytes();
    flipped[5] = if flipped[5] == b'A' { b'B' } else { b'A' };
    let flipped = String::from_utf8(flipped).unwrap();

    for uri in [
        "/api/v1/publications?per_page=1&cursor=bm90LWEtY3Vyc29y".to_owned(),
        "/api/v1/publications?per_page=1&cursor=%%%".to_owned(),
        format!("/api/v1/publications?per_page=1&cursor={flipped}"),
        format!("/api/v1/publications?per_page=1&language=fr&cursor={cursor}"),
        format!("/api/v1/publications?per_page=1&sort=title&cursor={cursor}"),
    ] {
        let problem = app.get(&uri).await.problem(400, "INVALID_PARAMETER");
        assert_eq!(problem["errors"][0]["field"], "cursor", "{uri}");
    }
    let both = app.get(&format!("/api/v1/publications?page=2&cursor={cursor}")).await;
    assert_eq!(both.problem(400, "INVALID_PARAMETER")["errors"][0]["code"], "with_page");
    assert_eq!(
        app.get(&format!("/api/v1/publications?per_page=2&cursor={cursor}")).await.status,
        200,
        "per_page may change"
    );
}
