//! A search is read through the index's matches when few publications
//! match, and in the list's order when many do. Whichever way a page is
//! read, it holds the same publications in the same order.

use parution::db::search::Drive;
use parution::pagination::PageRequest;
use parution::publications::list::{self, Position, PublicationFilter, SearchPlan, Sort};
use parution::publications::visibility::Viewer;
use parution::search::{DEFAULT_LANGUAGE, analyser};

use crate::backend_tests;
use crate::helpers::{Backend, NewPublication, TestApp, day, insert_publication};

backend_tests!(every_plan_reads_the_same_pages, broad_and_narrow_searches_page_as_documented);

/// 120 publications: every text holds "texte"; one title in five holds it
/// too; one publication in twelve holds "rare". Ten share each day.
fn catalogue(app: &TestApp) -> Vec<(i32, bool, chrono::NaiveDateTime)> {
    let connection = &mut app.connection();
    (0..120u32)
        .map(|number| {
            let title = match number {
                _ if number % 5 == 0 => format!("Texte officiel {number}"),
                _ if number % 12 == 0 => format!("Note rare {number}"),
                _ => format!("Note {number}"),
            };
            let published_at = day(1 + number % 12, 1 + number / 12 % 3);
            let slug = format!("p{number}");
            let id = insert_publication(
                connection,
                NewPublication { slug: &slug, title: &title, published_at: Some(published_at), ..Default::default() },
            );
            (id, number % 5 == 0, published_at)
        })
        .collect()
}

/// Relevance order: title matches first, then newest first, ties on id.
fn by_relevance(mut rows: Vec<(i32, bool, chrono::NaiveDateTime)>) -> Vec<i32> {
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(b.2.cmp(&a.2)).then(b.0.cmp(&a.0)));
    rows.into_iter().map(|(id, ..)| id).collect()
}

async fn every_plan_reads_the_same_pages(backend: Backend) {
    let app = TestApp::new(backend).await;
    let expected = by_relevance(catalogue(&app));
    let filter = PublicationFilter {
        search: analyser(DEFAULT_LANGUAGE).query("texte"),
        ..PublicationFilter::new(Viewer::public())
    };
    let connection = &mut app.connection();
    let drives = [Drive::Matches, Drive::OrderInMatches, Drive::OrderProbing];
    for all in drives {
        for title in drives {
            for title_total in [None, Some(24)] {
                let plan = SearchPlan { all, title, title_total };
                // Page by page, across the boundary of the two parts.
                let mut paged = Vec::new();
                for page in 1..=18 {
                    let position = Position::Page(PageRequest { page, per_page: 7 });
                    let (records, _) = list::page(connection, &filter, Sort::Relevance, &position, &plan).unwrap();
                    paged.extend(records.iter().map(|record| record.row.id));
                }
                assert_eq!(paged, expected, "pages with {plan:?}");
                // Cursor by cursor.
                let mut walked = Vec::new();
                let mut position = Position::Page(PageRequest { page: 1, per_page: 7 });
                loop {
                    let (records, next) = list::page(connection, &filter, Sort::Relevance, &position, &plan).unwrap();
                    walked.extend(records.iter().map(|record| record.row.id));
                    let Some(next) = next else { break };
                    position = Position::After(next, 7);
                }
                assert_eq!(walked, expected, "cursors with {plan:?}");
            }
            // Other orders have one part.
            let plan = SearchPlan { all, title, title_total: None };
            let position = Position::Page(PageRequest { page: 2, per_page: 30 });
            let (records, _) = list::page(connection, &filter, Sort::TitleAsc, &position, &plan).unwrap();
            let titles: Vec<&str> = records.iter().map(|record| record.row.title.as_str()).collect();
            assert_eq!(titles.len(), 30);
            assert!(titles.windows(2).all(|pair| pair[0].to_lowercase() <= pair[1].to_lowercase()), "{titles:?}");
        }
    }
}

async fn broad_and_narrow_searches_page_as_documented(backend: Backend) {
    let app = TestApp::new(backend).await;
    let rows = catalogue(&app);
    let expected = by_relevance(rows.clone());
    let ids = |answer: serde_json::Value| -> Vec<i32> {
        answer["data"].as_array().unwrap().iter().map(|item| item["id"].as_i64().unwrap() as i32).collect()
    };
    // Broad: every publication matches; pages and cursors agree.
    let mut paged = Vec::new();
    for page in 1..=12 {
        let answer = app.get(&format!("/api/v1/publications?q=texte&per_page=10&page={page}")).await.json();
        assert_eq!(answer["pagination"]["total"], 120);
        paged.extend(ids(answer));
    }
    assert_eq!(paged, expected);
    let mut walked = Vec::new();
    let mut uri = "/api/v1/publications?q=texte&per_page=10".to_owned();
    loop {
        let answer = app.get(&uri).await.json();
        walked.extend(ids(answer.clone()));
        let Some(cursor) = answer["pagination"]["next_cursor"].as_str() else { break };
        uri = format!("/api/v1/publications?q=texte&per_page=10&cursor={cursor}");
    }
    assert_eq!(walked, expected);
    // Narrow: only "rare" titles hold it, newest first.
    let mut rare: Vec<_> = rows.iter().enumerate().filter(|(number, _)| number % 12 == 0 && number % 5 != 0).collect();
    rare.sort_by(|a, b| b.1.2.cmp(&a.1.2).then(b.1.0.cmp(&a.1.0)));
    let answer = app.get("/api/v1/publications?q=rare&per_page=100").await.json();
    assert_eq!(answer["pagination"]["total"], rare.len());
    assert_eq!(ids(answer), rare.iter().map(|(_, row)| row.0).collect::<Vec<_>>());
}
