//! Facets: how many publications of a list fall under each category, year
//! and language, so that a front end can draw its filter chips. Kept, they
//! follow writes: a publication entering or leaving the list moves its
//! own category, year and language by one.

use chrono::Datelike;
use diesel::dsl::count_star;
use diesel::prelude::*;

use crate::cache::Maintained;
use crate::change::{ListScope, Seen, Touched};
use crate::db::schema::{categories, publication_categories, publications};
use crate::db::{self, DbConnection};

use super::list::PublicationFilter;

/// Counts for a list's filter chips, most first.
#[derive(Clone, Debug)]
pub struct FacetCounts {
    /// What the list lets in.
    scope: ListScope,
    /// `(id, slug, name, count)` of the categories publications are filed
    /// under directly.
    pub category: Option<Vec<(i32, String, String, i64)>>,
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
    let mut counts = FacetCounts { scope: filter.scope(), category: None, year: None, language: None };
    if wanted.category {
        counts.category = Some(
            publications::table
                .inner_join(publication_categories::table.inner_join(categories::table))
                .filter(filter.condition(backend))
                .group_by((categories::id, categories::slug, categories::name))
                .select((categories::id, categories::slug, categories::name, count_star()))
                .load(connection)?,
        );
    }
    if wanted.year {
        let year = db::search::year_published(backend);
        let rows: Vec<(Option<i32>, i64)> = publications::table
            .filter(filter.condition(backend))
            .group_by(year.clone())
            .select((year, count_star()))
            .load(connection)?;
        counts.year = Some(rows.into_iter().filter_map(|(year, count)| Some((year?, count))).collect());
    }
    if wanted.language {
        counts.language = Some(
            publications::table
                .filter(filter.condition(backend))
                .group_by(publications::language)
                .select((publications::language, count_star()))
                .load(connection)?,
        );
    }
    counts.sort();
    Ok(counts)
}

impl FacetCounts {
    /// Most first (categories by slug, languages by tag among equals);
    /// years newest first. Nothing counted zero.
    fn sort(&mut self) {
        if let Some(rows) = &mut self.category {
            rows.retain(|row| row.3 > 0);
            rows.sort_by(|a, b| b.3.cmp(&a.3).then_with(|| a.1.cmp(&b.1)));
        }
        if let Some(rows) = &mut self.year {
            rows.retain(|row| row.1 > 0);
            rows.sort_by_key(|row| std::cmp::Reverse(row.0));
        }
        if let Some(rows) = &mut self.language {
            rows.retain(|row| row.1 > 0);
            rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        }
    }

    /// Counts `seen` `by` more (one, or minus one); `false` when a category
    /// it enters is not among the counted ones (its name is not known here).
    fn count(&mut self, seen: &Seen, by: i64) -> bool {
        if let Some(rows) = &mut self.category {
            for id in &seen.categories {
                match rows.iter_mut().find(|row| row.0 == *id) {
                    Some(row) => row.3 += by,
                    None if by > 0 => return false,
                    None => {}
                }
            }
        }
        if let (Some(rows), Some(at)) = (&mut self.year, seen.published_at) {
            match rows.iter_mut().find(|row| row.0 == at.year()) {
                Some(row) => row.1 += by,
                None => rows.push((at.year(), by)),
            }
        }
        if let Some(rows) = &mut self.language {
            match rows.iter_mut().find(|row| row.0 == seen.language) {
                Some(row) => row.1 += by,
                None => rows.push((seen.language.clone(), by)),
            }
        }
        true
    }
}

impl Maintained for FacetCounts {
    fn apply(&mut self, touched: &Touched) -> bool {
        if let Touched::Categories { names: true, .. } = touched {
            return false;
        }
        let Some((left, entered)) = self.scope.moved(touched) else { return false };
        let kept = left.is_none_or(|seen| self.count(seen, -1)) && entered.is_none_or(|seen| self.count(seen, 1));
        self.sort();
        kept
    }
}
