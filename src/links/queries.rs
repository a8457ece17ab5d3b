//! Link queries: a publication's links, with their targets as the viewer
//! may see them.

use std::collections::HashMap;

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::fragment::in_ids;
use crate::db::schema::{links, publications};
use crate::publications::visibility::{Viewer, visible};

use super::dto::{Link, LinkRel, PublicationRef};

#[derive(Clone, Debug, Queryable, Selectable, serde::Serialize, serde::Deserialize)]
#[diesel(table_name = links)]
pub struct LinkRow {
    pub id: i32,
    pub rel: String,
    pub title: String,
    pub url: Option<String>,
    pub target_id: Option<i32>,
    pub media_type: Option<String>,
    pub hreflang: Option<String>,
    pub position: i32,
    pub created_at: chrono::NaiveDateTime,
    pub version: i32,
}

/// The links of a publication, ordered by position. A link to a
/// publication that `viewer` may not see is left out, so a draft's title
/// never leaks.
pub fn of_publication(connection: &mut DbConnection, publication_id: i32, viewer: &Viewer) -> QueryResult<Vec<Link>> {
    Ok(shown(connection, publication_id, viewer)?.0)
}

/// The same, and every publication the links point to, shown or not: what
/// an answer that shows them depends on (a hidden target that becomes
/// visible adds its link).
pub fn shown(
    connection: &mut DbConnection,
    publication_id: i32,
    viewer: &Viewer,
) -> QueryResult<(Vec<Link>, Vec<i32>)> {
    let rows: Vec<LinkRow> = links::table
        .filter(links::publication_id.eq(publication_id))
        .order((links::position, links::id))
        .select(LinkRow::as_select())
        .load(connection)?;
    let targets = rows.iter().filter_map(|row| row.target_id).collect();
    Ok((with_targets(connection, rows, viewer)?, targets))
}

/// Every link of a publication, as rows, ordered by position.
pub fn rows_of(connection: &mut DbConnection, publication_id: i32) -> QueryResult<Vec<LinkRow>> {
    links::table
        .filter(links::publication_id.eq(publication_id))
        .order((links::position, links::id))
        .select(LinkRow::as_select())
        .load(connection)
}

/// The links that other publications have to publication `target_id`,
/// each with the publication it belongs to.
pub fn to_target(connection: &mut DbConnection, target_id: i32) -> QueryResult<Vec<(i32, LinkRow)>> {
    links::table
        .filter(links::target_id.eq(target_id))
        .order(links::id)
        .select((links::publication_id, LinkRow::as_select()))
        .load(connection)
}

/// Which of link ids `ids` exist.
pub fn existing(connection: &mut DbConnection, ids: &[i32]) -> QueryResult<Vec<i32>> {
    links::table.filter(in_ids(links::id, ids)).select(links::id).load(connection)
}

/// One link of a publication, as its row.
pub fn row(connection: &mut DbConnection, publication_id: i32, id: i32) -> QueryResult<LinkRow> {
    links::table
        .filter(links::publication_id.eq(publication_id).and(links::id.eq(id)))
        .select(LinkRow::as_select())
        .first(connection)
}

/// One link of a publication, as the API shows it to `viewer`; `None`
/// when its target is hidden from `viewer`.
pub fn one(connection: &mut DbConnection, publication_id: i32, id: i32, viewer: &Viewer) -> QueryResult<Option<Link>> {
    let row = row(connection, publication_id, id)?;
    Ok(with_targets(connection, vec![row], viewer)?.pop())
}

/// Embeds each link's target in one query for all of them.
fn with_targets(connection: &mut DbConnection, rows: Vec<LinkRow>, viewer: &Viewer) -> QueryResult<Vec<Link>> {
    let target_ids: Vec<i32> = rows.iter().filter_map(|row| row.target_id).collect();
    let targets: HashMap<i32, PublicationRef> = publications::table
        .filter(in_ids(publications::id, &target_ids))
        .filter(visible(viewer))
        .select((publications::id, publications::slug, publications::title))
        .load::<(i32, String, String)>(connection)?
        .into_iter()
        .map(|(id, slug, title)| (id, PublicationRef { id, slug, title }))
        .collect();
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let target = match row.target_id {
                Some(id) => Some(targets.get(&id)?.clone()),
                None => None,
            };
            Some(Link {
                id: row.id,
                rel: LinkRel::from_stored(&row.rel),
                title: row.title,
                url: row.url,
                target,
                media_type: row.media_type,
                hreflang: row.hreflang,
                position: row.position,
                version: row.version,
            })
        })
        .collect())
}

/// How many links a publication has.
pub fn count(connection: &mut DbConnection, publication_id: i32) -> QueryResult<i64> {
    links::table.filter(links::publication_id.eq(publication_id)).count().get_result(connection)
}

/// The position after the publication's last link.
pub fn next_position(connection: &mut DbConnection, publication_id: i32) -> QueryResult<i32> {
    let last: Option<i32> = links::table
        .filter(links::publication_id.eq(publication_id))
        .select(diesel::dsl::max(links::position))
        .first(connection)?;
    Ok(last.map_or(0, |position| position + 1))
}
