//! Category queries: the tree, the publication counts, what a category
//! holds.

use std::collections::HashMap;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer};

use crate::db::DbConnection;
use crate::db::fragment::Raw;
use crate::db::schema::{categories, publication_categories, publications};
use crate::publications::visibility::{Viewer, visible};

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
    Ok(CategoryTree::new(rows))
}

/// For every category, how many publications a reader without a token
/// may see are filed under it or under any of its descendants (each
/// counted once). `UNION`, not `UNION ALL`: a pair already reached is not
/// walked again, so even a cycle in a damaged database cannot make the
/// walk endless.
pub fn publication_counts(connection: &mut DbConnection) -> QueryResult<HashMap<i32, i64>> {
    let counts = Raw::<(Integer, BigInt)>::new(
        "WITH RECURSIVE subtree (root_id, category_id) AS ( \
             SELECT id, id FROM categories \
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
    .append(visible(&Viewer::public()))
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
