//! A broad search's total is estimated, not counted: marked so, and paging
//! stays exact whatever the estimate says.

use crate::backend_tests;
use crate::helpers::{Backend, TestApp};

backend_tests!(a_broad_search_is_estimated_and_a_narrow_one_counted);

/// 3 000 publications, one in three a draft; every one holds "commun", the
/// even ones "pair", the published ones "publie".
fn catalogue(app: &TestApp) {
    let mut lines = String::new();
    for number in 0..3000 {
        let published = number % 3 != 0;
        let mut words = vec!["commun"];
        if number % 2 == 0 {
            words.push("pair");
        }
        if published {
            words.push("publie");
        }
        let (status, published_at) =
            if published { ("published", "\"2025-06-01T09:00:00Z\"") } else { ("draft", "null") };
        lines.push_str(&format!(
            r#"{{"type":"publication","slug":"etude-{number}","title":"Étude {number}","summary":"","body":"<p>{}</p>","status":"{status}","language":"fr","published_at":{published_at},"authors":[],"categories":[],"links":[],"created_at":"2025-01-01T00:00:00Z","updated_at":"2025-01-01T00:00:00Z","version":1}}"#,
            words.join(" ")
        ));
        lines.push('\n');
    }
    let source = parution::exchange::Source::spooled(lines.as_bytes()).unwrap();
    parution::exchange::import(&mut app.connection(), &source, |_, _| {}).expect("the catalogue loads");
}

async fn a_broad_search_is_estimated_and_a_narrow_one_counted(backend: Backend) {
    let app = TestApp::new(backend).await;
    catalogue(&app);
    let app = &app;
    let search = |query: &str| {
        let uri = format!("/api/v1/publications?{query}");
        async move { app.get(&uri).await }
    };

    // 1 500 matches of any status: counted. 1 000 of them are published.
    let narrow = search("q=pair").await;
    assert_eq!(narrow.json()["pagination"]["total"], 1000);
    assert_eq!(narrow.json()["pagination"]["total_is_estimate"], false);
    assert_eq!(narrow.header("x-total-count"), Some("1000"));

    // 3 000 matches: estimated from their share of the catalogue (all of
    // it), applied to the 2 000 published.
    let broad = search("q=commun").await;
    assert_eq!(broad.json()["pagination"]["total"], 2000);
    assert_eq!(broad.json()["pagination"]["total_is_estimate"], true);
    assert_eq!(broad.header("x-total-count"), Some("2000"));

    // A word only the published hold: its share of the catalogue (two
    // thirds) says 1 300 of the 2 000 published; they all hold it. The
    // estimate is off, and says so; the pages are not.
    let skewed = search("q=publie&per_page=100&page=13").await;
    let body = skewed.json();
    assert_eq!(
        (body["pagination"]["total"].clone(), body["pagination"]["total_pages"].clone()),
        (1300.into(), 13.into())
    );
    assert_eq!(body["data"].as_array().unwrap().len(), 100);
    assert!(skewed.header("link").unwrap().contains("page=14>; rel=\"next\""), "a page follows");
    let last = search("q=publie&per_page=100&page=20").await;
    assert_eq!(last.json()["data"].as_array().unwrap().len(), 100);
    assert!(!last.header("link").unwrap().contains("rel=\"next\""), "the last page has no next");
    assert_eq!(search("q=publie&per_page=100&page=21").await.json()["data"], serde_json::json!([]));

    // An editor's list holds the drafts: 3 000, all holding "commun".
    let token = app.token();
    let all = app.get_with("/api/v1/publications?q=commun&status=published&status=draft", &token).await.json();
    assert_eq!(
        (all["pagination"]["total"].clone(), all["pagination"]["total_is_estimate"].clone()),
        (3000.into(), true.into())
    );
}
