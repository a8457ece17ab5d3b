//! Category queries: the tree, the publication counts, what a category
//! holds.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDateTime;
use diesel::dsl::count;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer};

use crate::auth::Access;
use crate::cache::{CountCache, Maintained};
use crate::change::Touched;
use crate::db::fragment::{Raw, in_ids};
use crate::db::schema::{categories, category_names, publication_categories, publications};
use crate::db::{CatalogueState, DbConnection};
use crate::publications::visibility::{Viewer, visible};

use super::names::{CategoryText, Names};
use super::tree::CategoryTree;

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = categories)]
pub struct CategoryRow {
    pub id: i32,
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
    pub parent_id: Option<i32>,
    pub position: i32,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
    pub version: i32,
}

/// Every category, as a tree. Categories are few (hundreds at most), so the
/// whole tree is one small query and is walked in memory.
pub fn tree(connection: &mut DbConnection) -> QueryResult<CategoryTree> {
    let rows = categories::table
        .select(CategoryRow::as_select())
        .order((categories::position, categories::name, categories::id))
        .load(connection)?;
    let mut names: HashMap<i32, Names> = HashMap::new();
    let translated: Vec<(i32, String, String, Option<String>)> = category_names::table
        .select((
            category_names::category_id,
            category_names::language,
            category_names::name,
            category_names::description,
        ))
        .load(connection)?;
    for (id, language, name, description) in translated {
        names.entry(id).or_default().insert(language, CategoryText { name, description });
    }
    Ok(CategoryTree::new(rows, names))
}

/// The category tree, kept until the categories change.
#[derive(Clone)]
struct KeptTree(Arc<CategoryTree>);

impl Maintained for KeptTree {
    fn apply(&mut self, touched: &Touched) -> bool {
        !matches!(touched, Touched::Categories { .. } | Touched::Everything)
    }
}

/// The category tree as of `revision`, from the count cache: what reads
/// walk (a list's category filter, the tree itself), read once until the
/// categories change.
pub fn kept_tree(
    connection: &mut DbConnection,
    cache: &CountCache,
    state: &CatalogueState,
) -> QueryResult<Arc<CategoryTree>> {
    let kept = cache.get(connection, state, "category tree", |connection| Ok(KeptTree(Arc::new(tree(connection)?))))?;
    Ok(kept.0)
}

/// For every category, how many publications a reader without a token may
/// see are filed under it or under any of its descendants, each counted
/// once. Kept, the counts follow writes: a publication entering or leaving
/// public view, or moving, counts again in every category it is filed
/// under or under a descendant of.
#[derive(Clone, Debug, Default)]
pub struct PublicationCounts {
    /// Each category's parent, as the counts were made.
    parents: HashMap<i32, Option<i32>>,
    pub counts: HashMap<i32, i64>,
}

impl PublicationCounts {
    /// The categories that count a publication filed under `filed`: those
    /// and their ancestors, each once.
    fn counting(&self, filed: &[i32]) -> Vec<i32> {
        let mut counting = Vec::new();
        for &id in filed {
            let mut at = Some(id);
            // At most as many steps as categories: a damaged tree with a
            // cycle cannot make this endless.
            for _ in 0..=self.parents.len() {
                let Some(id) = at.filter(|id| !counting.contains(id)) else { break };
                counting.push(id);
                at = self.parents.get(&id).copied().flatten();
            }
        }
        counting
    }
}

impl Maintained for PublicationCounts {
    fn apply(&mut self, touched: &Touched) -> bool {
        match touched {
            Touched::Publication { before, after, .. } => {
                for (seen, by) in [(before, -1), (after, 1)] {
                    if let Some(seen) = seen.as_ref().filter(|seen| seen.public) {
                        for id in self.counting(&seen.categories) {
                            *self.counts.entry(id).or_default() += by;
                        }
                    }
                }
                true
            }
            Touched::Linked { .. } => true,
            Touched::Categories { .. } | Touched::Everything => false,
        }
    }
}

/// Every category's publication count ([`PublicationCounts`]) at `at`.
pub fn publication_counts(connection: &mut DbConnection, at: NaiveDateTime) -> QueryResult<PublicationCounts> {
    let counts = counts_of_all(connection, at)?;
    let parents = categories::table.select((categories::id, categories::parent_id)).load(connection)?;
    Ok(PublicationCounts { parents: parents.into_iter().collect(), counts })
}

/// The publication counts of categories `ids` only (what a write answers
/// with: the category and its children), each counted under its subtree
/// as `tree` holds it. One statement per category, led by the filings of
/// its subtree: the recursive form below, given a few roots, let SQLite's
/// planner lead with the whole catalogue (100 ms for a category of 4 500
/// publications in 100 000, against 15 ms).
pub fn publication_counts_of(
    connection: &mut DbConnection,
    tree: &CategoryTree,
    ids: &[i32],
) -> QueryResult<HashMap<i32, i64>> {
    let mut counts = HashMap::new();
    for &id in ids {
        let count: i64 = publication_categories::table
            .inner_join(publications::table)
            .filter(in_ids(publication_categories::category_id, &tree.subtree_ids(id)))
            .filter(visible(&Viewer::public()))
            .select(count(publication_categories::publication_id).aggregate_distinct())
            .get_result(connection)?;
        if count > 0 {
            counts.insert(id, count);
        }
    }
    Ok(counts)
}

/// Every category's count, in one statement. `UNION`, not `UNION ALL`: a
/// pair already reached is not walked again, so even a cycle in a damaged
/// database cannot make the walk endless.
fn counts_of_all(connection: &mut DbConnection, at: NaiveDateTime) -> QueryResult<HashMap<i32, i64>> {
    let counts = Raw::<(Integer, BigInt)>::new(
        "WITH RECURSIVE subtree (root_id, category_id) AS (SELECT id, id FROM categories \
         UNION \
         SELECT subtree.root_id, categories.id FROM categories \
         JOIN subtree ON categories.parent_id = subtree.category_id \
         ) \
         SELECT subtree.root_id AS category_id, \
                COUNT(DISTINCT publication_categories.publication_id) AS publications \
         FROM subtree \
         JOIN publication_categories ON publication_categories.category_id = subtree.category_id \
         JOIN publications ON publications.id = publication_categories.publication_id \
         WHERE ",
    )
    .append(visible(&Viewer { access: Access::Public, at }))
    .sql(" GROUP BY subtree.root_id");
    Ok(counts.load::<(i32, i64)>(connection)?.into_iter().collect())
}

/// How many publications, of any status, are filed directly under a
/// category, and the slugs of the first few.
pub fn filed_publications(connection: &mut DbConnection, id: i32, sample: i64) -> QueryResult<(i64, Vec<String>)> {
    let filed = publication_categories::table.filter(publication_categories::category_id.eq(id));
    let count = filed.count().get_result(connection)?;
    let slugs = filed
        .inner_join(publications::table)
        .select(publications::slug)
        .order(publications::slug)
        .limit(sample)
        .load(connection)?;
    Ok((count, slugs))
}

/// Which of category ids `ids` exist.
pub fn existing(connection: &mut DbConnection, ids: &[i32]) -> QueryResult<Vec<i32>> {
    categories::table.filter(in_ids(categories::id, ids)).select(categories::id).load(connection)
}
