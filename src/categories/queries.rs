//! Category queries.

use std::collections::HashMap;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer};

use crate::db::DbConnection;
use crate::db::schema::categories;

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

#[derive(QueryableByName)]
struct CountRow {
    #[diesel(sql_type = Integer)]
    category_id: i32,
    #[diesel(sql_type = BigInt)]
    publications: i64,
}

/// For every category, how many published publications are filed under it
/// or under any of its descendants (each counted once).
pub fn publication_counts(connection: &mut DbConnection) -> QueryResult<HashMap<i32, i64>> {
    let rows: Vec<CountRow> = diesel::sql_query(
        "WITH RECURSIVE subtree (root_id, category_id) AS ( \
             SELECT id, id FROM categories \
             UNION ALL \
             SELECT subtree.root_id, categories.id FROM categories \
             JOIN subtree ON categories.parent_id = subtree.category_id \
         ) \
         SELECT subtree.root_id AS category_id, \
                COUNT(DISTINCT publication_categories.publication_id) AS publications \
         FROM subtree \
         JOIN publication_categories ON publication_categories.category_id = subtree.category_id \
         JOIN publications ON publications.id = publication_categories.publication_id \
         WHERE publications.status = 'published' \
         GROUP BY subtree.root_id",
    )
    .load(connection)?;
    Ok(rows.into_iter().map(|row| (row.category_id, row.publications)).collect())
}
