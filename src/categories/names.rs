//! Category names in several languages: the category's own columns hold
//! the default language's name and description; `category_names` holds
//! the others. A reader's language ([`Lang`]) chooses which are answered,
//! name by name: one without a translation is answered in the default
//! language, and each answer says which language it served.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::http::language::{self, Lang};

use super::dto::CategorySummary;
use super::queries::CategoryRow;
use super::tree::CategoryTree;

/// A category's name and description in one language.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"name": "Recorded music industry watch", "description": null}))]
pub struct CategoryText {
    /// Plain text, at most 200 characters.
    pub name: String,
    /// Plain text, at most 2,000 characters.
    pub description: Option<String>,
}

/// A category's names in languages other than the default, by BCP 47 tag.
pub type Names = BTreeMap<String, CategoryText>;

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
