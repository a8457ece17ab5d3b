//! Facets: how many publications of a list fall under each category, year
//! and language, so that a front end can draw its filter chips.

use diesel::dsl::count_star;
use diesel::prelude::*;

use crate::db::schema::{categories, publication_categories, publications};
use crate::db::{self, DbConnection};

use super::list::PublicationFilter;

/// Counts for a list's filter chips, most first.
#[derive(Clone, Debug, Default)]
pub struct FacetCounts {
    /// `(slug, name, count)` of the categories publications are filed
    /// under directly.
    pub category: Option<Vec<(String, String, i64)>>,
    /// `(year, count)` by year of publication, newest first.
    pub year: Option<Vec<(i32, i64)>>,
    /// `(language, count)`.
    pub language: Option<Vec<(String, i64)>>,
}

/// Which facets a list asks for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FacetSet {
    pub category: bool,
    pub year: bool,
    pub language: bool,
}

/// Counts the publications of the filtered list by category, by year of
/// publication and by language, one grouped query each.
pub fn facets(connection: &mut DbConnection, filter: &PublicationFilter, wanted: FacetSet) -> QueryResult<FacetCounts> {
    let backend = db::backend(connection);
    let filter = PublicationFilter { counting: true, ..filter.clone() };
    let mut counts = FacetCounts::default();
    if wanted.category {
        let mut rows: Vec<(String, String, i64)> = publications::table
            .inner_join(publication_categories::table.inner_join(categories::table))
            .filter(filter.condition(backend))
            .group_by((categories::id, categories::slug, categories::name))
            .select((categories::slug, categories::name, count_star()))
            .load(connection)?;
        rows.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
        counts.category = Some(rows);
    }
    if wanted.year {
        let year = db::search::year_published(backend);
        let mut rows: Vec<(Option<i32>, i64)> = publications::table
            .filter(filter.condition(backend))
            .group_by(year.clone())
            .select((year, count_star()))
            .load(connection)?;
        rows.sort_by_key(|row| std::cmp::Reverse(row.0));
        counts.year = Some(rows.into_iter().filter_map(|(year, count)| Some((year?, count))).collect());
    }
    if wanted.language {
        let mut rows: Vec<(String, i64)> = publications::table
            .filter(filter.condition(backend))
            .group_by(publications::language)
            .select((publications::language, count_star()))
            .load(connection)?;
        rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        counts.language = Some(rows);
    }
    Ok(counts)
}
