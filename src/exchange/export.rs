//! The catalogue as JSON Lines: categories depth first (parents before
//! children), then publications by id, with their categories, links,
//! attachments and former slugs.

use std::collections::HashMap;
use std::io::Write;

use diesel::prelude::*;

use crate::attachments::dto::Role;
use crate::attachments::queries::{AttachmentRow, of_publications};
use crate::categories::queries as category_queries;
use crate::db::DbConnection;
use crate::db::fragment::in_ids;
use crate::db::schema::{categories, links, publication_categories, publications};
use crate::domain::Status;
use crate::links::dto::LinkRel;
use crate::slug_history::{self, Kind};

use super::format::{AttachmentLine, CategoryLine, Line, LinkLine, PublicationLine};

/// Publications read at a time.
const BATCH: i64 = 5000;

/// Writes every category and publication to `out`; returns how many of each.
pub fn export(connection: &mut DbConnection, out: &mut impl Write) -> Result<(usize, usize), String> {
    let fail = |error: &dyn std::fmt::Display| format!("export failed: {error}");
    let tree = category_queries::tree(connection).map_err(|e| fail(&e))?;
    let ordered = tree.depth_first();
    let ids: Vec<i32> = ordered.iter().map(|row| row.id).collect();
    let mut former = slug_history::of(connection, Kind::Category, &ids).map_err(|e| fail(&e))?;
    for row in &ordered {
        let line = Line::Category(CategoryLine {
            slug: row.slug.clone(),
            name: row.name.clone(),
            description: row.description.clone(),
            parent: row.parent_id.and_then(|id| tree.get(id)).map(|parent| parent.slug.clone()),
            position: row.position,
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
            version: row.version,
            former_slugs: former.remove(&row.id).unwrap_or_default(),
            names: tree.names(row.id).clone(),
        });
        write_line(out, &line).map_err(|e| fail(&e))?;
    }
    let mut exported = 0;
    let mut after = 0;
    loop {
        let rows: Vec<PublicationRow> = publications::table
            .filter(publications::id.gt(after))
            .order(publications::id)
            .limit(BATCH)
            .select(PublicationRow::as_select())
            .load(connection)
            .map_err(|e| fail(&e))?;
        let Some(last) = rows.last() else { break };
        after = last.id;
        let ids: Vec<i32> = rows.iter().map(|row| row.id).collect();
        let mut filed = filing(connection, &ids).map_err(|e| fail(&e))?;
        let mut linked = links_of(connection, &ids).map_err(|e| fail(&e))?;
        let mut attached = attachments_of(connection, &ids).map_err(|e| fail(&e))?;
        let mut former = slug_history::of(connection, Kind::Publication, &ids).map_err(|e| fail(&e))?;
        let mut translated = translation_of(connection, &ids).map_err(|e| fail(&e))?;
        for row in rows {
            let line = Line::Publication(PublicationLine {
                translation_of: translated.remove(&row.id),
                former_slugs: former.remove(&row.id).unwrap_or_default(),
                categories: filed.remove(&row.id).unwrap_or_default(),
                links: linked.remove(&row.id).unwrap_or_default(),
                attachments: attached.remove(&row.id).unwrap_or_default(),
                authors: serde_json::from_str(&row.authors).unwrap_or_default(),
                slug: row.slug,
                title: row.title,
                summary: row.summary,
                body: row.body,
                status: Status::from_stored(&row.status),
                language: row.language,
                published_at: row.published_at.map(|at| at.and_utc()),
                unpublish_at: row.unpublish_at.map(|at| at.and_utc()),
                announce: row.announce,
                created_at: row.created_at.and_utc(),
                updated_at: row.updated_at.and_utc(),
                version: row.version,
            });
            write_line(out, &line).map_err(|e| fail(&e))?;
            exported += 1;
        }
    }
    out.flush().map_err(|e| fail(&e))?;
    Ok((ordered.len(), exported))
}

fn write_line(out: &mut impl Write, line: &Line) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, line)?;
    out.write_all(b"\n")
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = publications)]
struct PublicationRow {
    id: i32,
    slug: String,
    title: String,
    summary: String,
    body: String,
    status: String,
    language: String,
    published_at: Option<chrono::NaiveDateTime>,
    unpublish_at: Option<chrono::NaiveDateTime>,
    announce: bool,
    authors: String,
    created_at: chrono::NaiveDateTime,
    updated_at: chrono::NaiveDateTime,
    version: i32,
}

/// The category slugs of several publications, in their order.
fn filing(connection: &mut DbConnection, ids: &[i32]) -> QueryResult<HashMap<i32, Vec<String>>> {
    let rows: Vec<(i32, String)> = publication_categories::table
        .inner_join(categories::table)
        .filter(publication_categories::publication_id.eq_any(ids))
        .order((publication_categories::publication_id, publication_categories::position, categories::id))
        .select((publication_categories::publication_id, categories::slug))
        .load(connection)?;
    let mut grouped: HashMap<i32, Vec<String>> = HashMap::new();
    for (id, slug) in rows {
        grouped.entry(id).or_default().push(slug);
    }
    Ok(grouped)
}

/// The links of several publications, in order, targets by slug.
fn links_of(connection: &mut DbConnection, ids: &[i32]) -> QueryResult<HashMap<i32, Vec<LinkLine>>> {
    #[allow(clippy::type_complexity)]
    let rows: Vec<(i32, String, String, Option<String>, Option<i32>, Option<String>, Option<String>, i32, i32)> =
        links::table
            .filter(links::publication_id.eq_any(ids))
            .order((links::publication_id, links::position, links::id))
            .select((
                links::publication_id,
                links::rel,
                links::title,
                links::url,
                links::target_id,
                links::media_type,
                links::hreflang,
                links::position,
                links::version,
            ))
            .load(connection)?;
    let target_ids: Vec<i32> = rows.iter().filter_map(|row| row.4).collect();
    let slugs: HashMap<i32, String> = publications::table
        .filter(publications::id.eq_any(target_ids))
        .select((publications::id, publications::slug))
        .load::<(i32, String)>(connection)?
        .into_iter()
        .collect();
    let mut grouped: HashMap<i32, Vec<LinkLine>> = HashMap::new();
    for (id, rel, title, url, target_id, media_type, hreflang, position, version) in rows {
        grouped.entry(id).or_default().push(LinkLine {
            rel: LinkRel::from_stored(&rel),
            title,
            url,
            target: target_id.and_then(|target| slugs.get(&target).cloned()),
            media_type,
            hreflang,
            position,
            version,
        });
    }
    Ok(grouped)
}

/// The attachments of several publications, in order.
fn attachments_of(connection: &mut DbConnection, ids: &[i32]) -> QueryResult<HashMap<i32, Vec<AttachmentLine>>> {
    let mut grouped: HashMap<i32, Vec<AttachmentLine>> = HashMap::new();
    for row in of_publications(connection, ids)? {
        let facts = row.facts();
        let AttachmentRow { publication_id, role, title, language, filename, media_type, size, sha256, alt, .. } = row;
        grouped.entry(publication_id).or_default().push(AttachmentLine {
            role: Role::from_stored(&role),
            title,
            language,
            filename,
            media_type,
            size,
            sha256,
            alt,
            facts,
            position: row.position,
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
            version: row.version,
        });
    }
    Ok(grouped)
}

/// For each of publications `ids` in a group of translations but not its
/// first (by id), the slug of the group's first.
fn translation_of(connection: &mut DbConnection, ids: &[i32]) -> QueryResult<HashMap<i32, String>> {
    let groups: Vec<i32> = publications::table
        .filter(in_ids(publications::id, ids))
        .filter(publications::translation_group.is_not_null())
        .select(publications::translation_group.assume_not_null())
        .distinct()
        .load(connection)?;
    let mut translated = HashMap::new();
    for groups in groups.chunks(crate::db::ROWS_A_STATEMENT) {
        let members: Vec<(i32, i32, String)> = publications::table
            .filter(publications::translation_group.eq_any(groups))
            .order((publications::translation_group, publications::id))
            .select((publications::translation_group.assume_not_null(), publications::id, publications::slug))
            .load(connection)?;
        let mut first: Option<(i32, String)> = None;
        for (group, id, slug) in members {
            match &first {
                Some((of, first_slug)) if *of == group => {
                    translated.insert(id, first_slug.clone());
                }
                _ => first = Some((group, slug)),
            }
        }
    }
    Ok(translated)
}
