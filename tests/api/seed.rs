//! The page Parution was born from, rebuilt from the API alone.

use crate::backend_tests;
use crate::helpers::{Backend, TestApp, field};

backend_tests!(the_seed_page_can_be_rebuilt_from_the_api, demo_content_is_loaded_once);

const TITLE: &str = "Concertation entre fournisseurs d’IA et ayants droit : un espace de dialogue et de négociation structuré mais un partage de la valeur encore insuffisant";

async fn the_seed_page_can_be_rebuilt_from_the_api(backend: Backend) {
    let app = TestApp::with_demo(backend).await;

    // The newest publication of the section is the article.
    let section = app.get("/api/v1/categories/etudes-publications/publications").await.json();
    let slug = section["data"][0]["slug"].as_str().unwrap().to_owned();
    let article = app.get(&format!("/api/v1/publications/{slug}")).await.json();

    assert_eq!(article["title"], TITLE);
    assert!(article["published_at"].as_str().unwrap().starts_with("2025-12-05"));
    let categories: Vec<&str> =
        article["categories"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(categories, ["Études & publications", "Veille industrie phonographique"]);
    assert!(article["summary"].as_str().unwrap().starts_with("Le 2 juin dernier, la ministre de la Culture"));
    let body = article["body"].as_str().unwrap();
    assert!(body.starts_with("<p>L’esprit de cette concertation"));
    assert!(body.contains("<blockquote><p>« Je veux redire, tant aux ayants droit qu’aux développeurs"));
    assert!(body.contains("mais il doit être gagnant pour tous. »</p></blockquote>"));

    // The breadcrumb: Accueil › ÉTUDES & PUBLICATIONS, from the category's ancestors.
    let category = app.get("/api/v1/categories/veille-industrie-phonographique").await.json();
    assert_eq!(category["ancestors"][0]["name"], "Études & publications");

    // The two publications shown beside the article.
    let related = app.get(&format!("/api/v1/publications/{slug}/related")).await.json();
    assert_eq!(
        field(&related, "title"),
        [
            "Prévenir en amont les violences sexistes et sexuelles au travail (VSST) : un kit pour les référentes et référents CSE et employeur",
            "L’emploi dans les lieux et organisations de concerts en Wallonie et à Bruxelles : Un secteur qui se transforme",
        ]
    );
    let back = app.get(&format!("/api/v1/publications/{}/related", related["data"][0]["id"])).await.json();
    assert_eq!(field(&back, "title"), [TITLE]);
    for item in related["data"].as_array().unwrap() {
        assert!(item["summary"].as_str().unwrap().starts_with("Contenu de démonstration"), "demo content says so");
    }
}

async fn demo_content_is_loaded_once(backend: Backend) {
    let app = TestApp::with_demo(backend).await;

    let loaded_again = parution::demo::load(&mut app.connection()).expect("the demo loader runs");

    assert!(!loaded_again);
    assert_eq!(app.get("/api/v1/publications").await.header("x-total-count"), Some("4"));
    assert_eq!(app.get("/api/v1/categories").await.json()["data"].as_array().unwrap().len(), 2);
}
