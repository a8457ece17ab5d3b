//! What the API answers about categories.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::names::Names;
use super::queries::CategoryRow;
use super::tree::CategoryTree;
use crate::http::language::{self, Lang};

/// A category: a label in a tree that publications are filed under.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 2,
    "slug": "veille-industrie-phonographique",
    "name": "Veille industrie phonographique",
    "description": "Suivi de l’industrie phonographique.",
    "lang": "fr",
    "names": {"en": {"name": "Recorded music industry watch", "description": null}},
    "parent_id": 1,
    "position": 0,
    "publication_count": 1,
    "created_at": "2025-12-01T09:00:00Z",
    "updated_at": "2025-12-01T09:00:00Z",
    "version": 1
}))]
pub struct Category {
    pub id: i32,
    /// Unique, URL-safe.
    pub slug: String,
    /// In the language asked for (`lang`, `Accept-Language`), or the
    /// default language's when it has none in it.
    pub name: String,
    pub description: Option<String>,
    /// The language `name` and `description` are in (BCP 47).
    pub lang: String,
    /// Its names in languages other than the default one (`fr`), by tag.
    pub names: Names,
    /// The parent category; `null` for a root.
    pub parent_id: Option<i32>,
    /// Order among siblings, ascending.
    pub position: i32,
    /// Published publications filed under this category or its descendants,
    /// each counted once.
    pub publication_count: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Incremented on every change.
    pub version: i32,
}

impl Category {
    pub fn new(row: &CategoryRow, counts: &HashMap<i32, i64>, names: &Localiser) -> Self {
        let localised = names.of(row);
        Self {
            id: row.id,
            slug: row.slug.clone(),
            name: localised.name.to_owned(),
            description: localised.description.map(str::to_owned),
            lang: localised.lang.to_owned(),
            names: names.all(row.id).clone(),
            parent_id: row.parent_id,
            position: row.position,
            publication_count: counts.get(&row.id).copied().unwrap_or(0),
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
            version: row.version,
        }
    }
}

/// A category in the list: with `tree=true`, its descendants are nested
/// under `children`; otherwise `children` is absent.
#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryNode {
    #[serde(flatten)]
    pub category: Category,
    /// The direct children, in order, each with its own children (only
    /// with `tree=true`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(no_recursion)]
    pub children: Option<Vec<CategoryNode>>,
}

impl CategoryNode {
    /// The forest of categories under `parent` (`None`: the whole tree).
    pub fn forest(
        tree: &CategoryTree,
        parent: Option<i32>,
        counts: &HashMap<i32, i64>,
        names: &Localiser,
    ) -> Vec<Self> {
        tree.children(parent)
            .map(|row| Self {
                category: Category::new(row, counts, names),
                children: Some(Self::forest(tree, Some(row.id), counts, names)),
            })
            .collect()
    }

    /// Every category, depth first, without nesting.
    pub fn flat(tree: &CategoryTree, counts: &HashMap<i32, i64>, names: &Localiser) -> Vec<Self> {
        tree.depth_first()
            .into_iter()
            .map(|row| Self { category: Category::new(row, counts, names), children: None })
            .collect()
    }
}

/// A category as an ancestor or child: enough for a breadcrumb or a menu.
#[derive(Debug, Serialize, ToSchema)]
pub struct CategorySummary {
    pub id: i32,
    pub slug: String,
    /// In the language asked for, or the default language's.
    pub name: String,
    /// The language `name` is in (BCP 47).
    pub lang: String,
}

/// One category with its direct children and its ancestors.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 2,
    "slug": "veille-industrie-phonographique",
    "name": "Veille industrie phonographique",
    "description": null,
    "lang": "fr",
    "names": {"en": {"name": "Recorded music industry watch", "description": null}},
    "parent_id": 1,
    "position": 0,
    "publication_count": 1,
    "created_at": "2025-12-01T09:00:00Z",
    "updated_at": "2025-12-01T09:00:00Z",
    "version": 1,
    "children": [],
    "ancestors": [{"id": 1, "slug": "etudes-publications", "name": "Études & publications", "lang": "fr"}]
}))]
pub struct CategoryDetail {
    #[serde(flatten)]
    pub category: Category,
    /// The direct children, in order.
    pub children: Vec<Category>,
    /// From the root down to the parent: a breadcrumb.
    pub ancestors: Vec<CategorySummary>,
}

/// All categories, flat (depth first) or nested.
#[derive(Debug, Serialize, ToSchema)]
pub struct Categories {
    pub data: Vec<CategoryNode>,
}

/// What a category is called in one language, and that language.
pub struct Localised<'a> {
    pub name: &'a str,
    pub description: Option<&'a str>,
    /// The language served: the one asked for, or the default.
    pub lang: &'a str,
}

/// Names categories in the language a reader asked for.
#[derive(Clone)]
pub struct Localiser {
    tree: Arc<CategoryTree>,
    language: String,
}

impl Localiser {
    /// For a reader who asked `lang`, among the languages `tree` has names in.
    pub fn new(tree: Arc<CategoryTree>, lang: &Lang) -> Self {
        let language = lang.choose(tree.languages().iter().map(String::as_str));
        Self { tree, language }
    }

    /// The language asked for, as chosen.
    pub fn language(&self) -> &str {
        &self.language
    }

    /// `row`'s name and description in the chosen language, or the
    /// default's.
    pub fn of<'a>(&'a self, row: &'a CategoryRow) -> Localised<'a> {
        let names = self.tree.names(row.id);
        let primary = self.language.split('-').next().unwrap_or_default();
        let found = names.get_key_value(&self.language).or_else(|| {
            names.iter().find(|(tag, _)| tag.split('-').next().is_some_and(|other| other.eq_ignore_ascii_case(primary)))
        });
        match found {
            Some((tag, text)) => Localised { name: &text.name, description: text.description.as_deref(), lang: tag },
            None => Localised { name: &row.name, description: row.description.as_deref(), lang: language::DEFAULT },
        }
    }

    /// Category `id`'s names in languages other than the default.
    pub fn all(&self, id: i32) -> &Names {
        self.tree.names(id)
    }

    /// A category, as an ancestor, a child or a publication's, named.
    pub fn summary(&self, row: &CategoryRow) -> CategorySummary {
        let localised = self.of(row);
        CategorySummary {
            id: row.id,
            slug: row.slug.clone(),
            name: localised.name.to_owned(),
            lang: localised.lang.to_owned(),
        }
    }

    /// Names again, in place, categories read with their default names.
    pub fn rename<'a>(&self, summaries: impl IntoIterator<Item = &'a mut CategorySummary>) {
        for summary in summaries {
            if let Some(row) = self.tree.get(summary.id) {
                let localised = self.of(row);
                summary.name = localised.name.to_owned();
                summary.lang = localised.lang.to_owned();
            }
        }
    }
}
