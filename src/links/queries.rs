//! Link queries.

use std::collections::HashMap;

use diesel::prelude::*;

use crate::auth::Access;
use crate::db::fragment::in_ids;
use crate::db::schema::{links, publications};
use crate::db::{self, DbConnection};
use crate::domain::Status;

use super::dto::{Link, LinkRel, PublicationRef};

#[derive(Clone, Debug, Queryable, Selectable)]
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
    pub version: i32,
}

/// The links of a publication, ordered by position. Without a token, a link
/// to a publication that is not published is left out, so a draft's title
/// never leaks.
pub fn of_publication(connection: &mut DbConnection, publication_id: i32, access: Access) -> QueryResult<Vec<Link>> {
    let rows: Vec<LinkRow> = links::table
        .filter(links::publication_id.eq(publication_id))
        .order((links::position, links::id))
        .select(LinkRow::as_select())
        .load(connection)?;
    with_targets(connection, rows, access)
}

/// One link of a publication, as its row.
pub fn row(connection: &mut DbConnection, publication_id: i32, id: i32) -> QueryResult<LinkRow> {
    links::table
        .filter(links::publication_id.eq(publication_id).and(links::id.eq(id)))
        .select(LinkRow::as_select())
        .first(connection)
}

/// One link of a publication, as the API shows it to `access`; `None`
/// when its target is hidden from `access`.
pub fn one(connection: &mut DbConnection, publication_id: i32, id: i32, access: Access) -> QueryResult<Option<Link>> {
    let row = row(connection, publication_id, id)?;
    Ok(with_targets(connection, vec![row], access)?.pop())
}

/// Embeds each link's target in one query for all of them.
fn with_targets(connection: &mut DbConnection, rows: Vec<LinkRow>, access: Access) -> QueryResult<Vec<Link>> {
    let target_ids: Vec<i32> = rows.iter().filter_map(|row| row.target_id).collect();
    let mut targets = publications::table.filter(in_ids(publications::id, &target_ids)).into_boxed();
    if !access.is_editor() {
        targets = targets.filter(publications::status.eq(Status::Published.as_str()));
    }
    let targets: HashMap<i32, PublicationRef> = targets
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

/// The columns a write sets.
pub struct LinkChanges {
    pub rel: LinkRel,
    pub title: String,
    pub url: Option<String>,
    pub target_id: Option<i32>,
    pub media_type: Option<String>,
    pub hreflang: Option<String>,
    pub position: i32,
}

/// The position after the publication's last link.
pub fn next_position(connection: &mut DbConnection, publication_id: i32) -> QueryResult<i32> {
    let last: Option<i32> = links::table
        .filter(links::publication_id.eq(publication_id))
        .select(diesel::dsl::max(links::position))
        .first(connection)?;
    Ok(last.map_or(0, |position| position + 1))
}

pub fn insert(connection: &mut DbConnection, publication_id: i32, changes: &LinkChanges) -> QueryResult<i32> {
    let now = db::now();
    diesel::insert_into(links::table)
        .values((
            links::publication_id.eq(publication_id),
            links::rel.eq(changes.rel.as_str()),
            links::title.eq(&changes.title),
            links::url.eq(&changes.url),
            links::target_id.eq(changes.target_id),
            links::media_type.eq(&changes.media_type),
            links::hreflang.eq(&changes.hreflang),
            links::position.eq(changes.position),
            links::created_at.eq(now),
            links::updated_at.eq(now),
        ))
        .returning(links::id)
        .get_result(connection)
}

/// Replaces a link at `version`; `false` when it is no longer at it.
pub fn update(connection: &mut DbConnection, id: i32, version: i32, changes: &LinkChanges) -> QueryResult<bool> {
    let updated = diesel::update(links::table.filter(links::id.eq(id).and(links::version.eq(version))))
        .set((
            links::rel.eq(changes.rel.as_str()),
            links::title.eq(&changes.title),
            links::url.eq(&changes.url),
            links::target_id.eq(changes.target_id),
            links::media_type.eq(&changes.media_type),
            links::hreflang.eq(&changes.hreflang),
            links::position.eq(changes.position),
            links::updated_at.eq(db::now()),
            links::version.eq(version + 1),
        ))
        .execute(connection)?;
    Ok(updated > 0)
}

/// Deletes a link at `version`; `false` when it is no longer at it.
pub fn delete(connection: &mut DbConnection, id: i32, version: i32) -> QueryResult<bool> {
    let deleted =
        diesel::delete(links::table.filter(links::id.eq(id).and(links::version.eq(version)))).execute(connection)?;
    Ok(deleted > 0)
}
