//! Link queries.

use std::collections::HashMap;

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::{links, publications};
use crate::domain::Status;

use super::dto::{Link, LinkRel, PublicationRef};

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = links)]
struct LinkRow {
    id: i32,
    rel: String,
    title: String,
    url: Option<String>,
    target_id: Option<i32>,
    media_type: Option<String>,
    hreflang: Option<String>,
    position: i32,
}

/// The links of a publication, ordered by position. A link to a publication
/// that is not published is left out, so a draft's title never leaks.
pub fn of_publication(connection: &mut DbConnection, publication_id: i32) -> QueryResult<Vec<Link>> {
    let rows: Vec<LinkRow> = links::table
        .filter(links::publication_id.eq(publication_id))
        .order((links::position, links::id))
        .select(LinkRow::as_select())
        .load(connection)?;
    let target_ids: Vec<i32> = rows.iter().filter_map(|row| row.target_id).collect();
    let targets: HashMap<i32, PublicationRef> = publications::table
        .filter(publications::id.eq_any(target_ids))
        .filter(publications::status.eq(Status::Published.as_str()))
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
            })
        })
        .collect())
}
