//! Reading publications one at a time or a few at once: by id or slug,
//! their bodies and categories, their related publications, and the slugs
//! a new one may take. Every read of a publication a viewer asked for goes
//! through [`visible`].

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::attachments::dto::Attachment;
use crate::attachments::queries as attachment_queries;
use crate::cache::Maintained;
use crate::categories::dto::CategorySummary;
use crate::change::Touched;
use crate::db::fragment::in_ids;
use crate::db::schema::{categories, links, publication_categories, publications};
use crate::db::{DbConnection, MultiBackend};
use crate::domain::Reference;
use crate::error::{ApiError, OrNotFound};
use crate::http::language::DEFAULT;
use crate::links::dto::LinkRel;

use super::visibility::{Viewer, visible};

/// The columns of a list item (no body).
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = publications)]
pub struct SummaryRow {
    pub id: i32,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub status: String,
    pub language: String,
    pub published_at: Option<NaiveDateTime>,
    pub unpublish_at: Option<NaiveDateTime>,
    pub announce: bool,
    pub authors: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub version: i32,
}

/// A list item with its categories.
pub struct SummaryRecord {
    pub row: SummaryRow,
    pub categories: Vec<CategorySummary>,
    /// Its first cover, if it has one.
    pub cover: Option<Attachment>,
}

/// One publication with its body and categories.
pub struct PublicationRecord {
    pub row: SummaryRow,
    pub body: String,
    pub categories: Vec<CategorySummary>,
    pub cover: Option<Attachment>,
}

/// What `viewer` may read of the publications.
fn seen_by(viewer: &Viewer) -> publications::BoxedQuery<'static, MultiBackend> {
    publications::table.filter(visible(viewer)).into_boxed()
}

fn by_reference(reference: &Reference, viewer: &Viewer) -> publications::BoxedQuery<'static, MultiBackend> {
    match reference {
        Reference::Id(id) => seen_by(viewer).filter(publications::id.eq(*id)),
        Reference::Slug(slug) => seen_by(viewer).filter(publications::slug.eq(slug.clone())),
    }
}

/// A publication that `viewer` may read, by id or slug.
pub fn find(connection: &mut DbConnection, reference: &Reference, viewer: &Viewer) -> QueryResult<PublicationRecord> {
    let (row, body) =
        by_reference(reference, viewer).select((SummaryRow::as_select(), publications::body)).first(connection)?;
    let categories = categories_of(connection, &[row.id])?.remove(&row.id).unwrap_or_default();
    let cover = attachment_queries::covers(connection, &[row.id])?.remove(&row.id);
    Ok(PublicationRecord { row, body, categories, cover })
}

/// The id of a publication that `viewer` may read, by id or slug, or the
/// 404 that names what was asked for.
pub fn find_id(connection: &mut DbConnection, reference: &Reference, viewer: &Viewer) -> Result<i32, ApiError> {
    by_reference(reference, viewer)
        .select(publications::id)
        .first(connection)
        .or_not_found(|| ApiError::no_such("publication", reference))
}

/// The id and title of a publication that `viewer` may read, by id or slug.
pub fn find_title(connection: &mut DbConnection, reference: &Reference, viewer: &Viewer) -> QueryResult<(i32, String)> {
    by_reference(reference, viewer).select((publications::id, publications::title)).first(connection)
}

/// Which of publication ids `ids` exist, whoever may see them.
pub fn existing(connection: &mut DbConnection, ids: &[i32]) -> QueryResult<Vec<i32>> {
    publications::table.filter(in_ids(publications::id, ids)).select(publications::id).load(connection)
}

/// The bodies of publications `ids`.
pub fn bodies(connection: &mut DbConnection, ids: &[i32]) -> QueryResult<HashMap<i32, String>> {
    Ok(publications::table
        .filter(in_ids(publications::id, ids))
        .select((publications::id, publications::body))
        .load::<(i32, String)>(connection)?
        .into_iter()
        .collect())
}

/// The publications that `viewer` may read linked to `id` by a `related`
/// link, in either direction, newest first (drafts, undated, last); and
/// every publication so linked, shown or not.
pub fn related(connection: &mut DbConnection, id: i32, viewer: &Viewer) -> QueryResult<(Vec<SummaryRecord>, Vec<i32>)> {
    let outgoing: Vec<Option<i32>> = links::table
        .filter(links::publication_id.eq(id).and(links::rel.eq(LinkRel::Related.as_str())))
        .select(links::target_id)
        .load(connection)?;
    let incoming: Vec<i32> = links::table
        .filter(links::target_id.eq(id).and(links::rel.eq(LinkRel::Related.as_str())))
        .select(links::publication_id)
        .load(connection)?;
    let ids: Vec<i32> = outgoing.into_iter().flatten().chain(incoming).filter(|&other| other != id).collect();
    let rows = seen_by(viewer)
        .filter(in_ids(publications::id, &ids))
        .order((publications::published_at.is_null(), publications::published_at.desc(), publications::id.desc()))
        .select(SummaryRow::as_select())
        .load(connection)?;
    Ok((with_categories(connection, rows)?, ids))
}

/// Rows with their categories and covers, read in one query each for all
/// of them.
pub fn with_categories(connection: &mut DbConnection, rows: Vec<SummaryRow>) -> QueryResult<Vec<SummaryRecord>> {
    let ids: Vec<i32> = rows.iter().map(|row| row.id).collect();
    let mut categories = categories_of(connection, &ids)?;
    let mut covers = attachment_queries::covers(connection, &ids)?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let categories = categories.remove(&row.id).unwrap_or_default();
            let cover = covers.remove(&row.id);
            SummaryRecord { row, categories, cover }
        })
        .collect())
}

/// The categories of several publications in one query, each list in the
/// order the publication gives them.
fn categories_of(connection: &mut DbConnection, ids: &[i32]) -> QueryResult<HashMap<i32, Vec<CategorySummary>>> {
    let rows: Vec<(i32, i32, String, String)> = publication_categories::table
        .inner_join(categories::table)
        .filter(in_ids(publication_categories::publication_id, ids))
        .order((publication_categories::publication_id, publication_categories::position, categories::id))
        .select((publication_categories::publication_id, categories::id, categories::slug, categories::name))
        .load(connection)?;
    let mut grouped: HashMap<i32, Vec<CategorySummary>> = HashMap::new();
    for (publication_id, id, slug, name) in rows {
        grouped.entry(publication_id).or_default().push(CategorySummary { id, slug, name, lang: DEFAULT.into() });
    }
    Ok(grouped)
}

/// The id of the publication that has `slug`, whoever may see it.
pub fn id_of_slug(connection: &mut DbConnection, slug: &str) -> QueryResult<Option<i32>> {
    publications::table.filter(publications::slug.eq(slug)).select(publications::id).first(connection).optional()
}

/// The ids of the publications that have one of `slugs`, whoever may see
/// them, in statements of at most a thousand slugs.
pub fn ids_of_slugs(connection: &mut DbConnection, slugs: &[&str]) -> QueryResult<HashMap<String, i32>> {
    let mut ids = HashMap::new();
    for slugs in slugs.chunks(crate::db::ROWS_A_STATEMENT) {
        let found: Vec<(String, i32)> = publications::table
            .filter(publications::slug.eq_any(slugs))
            .select((publications::slug, publications::id))
            .load(connection)?;
        ids.extend(found);
    }
    Ok(ids)
}

/// The slugs that are `base` or start with `base-` (an index range).
pub fn slugs_from(connection: &mut DbConnection, base: &str) -> QueryResult<Vec<String>> {
    publications::table
        .filter(
            publications::slug
                .eq(base)
                .or(publications::slug.ge(format!("{base}-")).and(publications::slug.lt(format!("{base}.")))),
        )
        .select(publications::slug)
        .load(connection)
}

/// Whether a publication other than `except` has `slug`.
pub fn slug_taken(connection: &mut DbConnection, slug: &str, except: Option<i32>) -> QueryResult<bool> {
    let mut query = publications::table.filter(publications::slug.eq(slug)).into_boxed();
    if let Some(id) = except {
        query = query.filter(publications::id.ne(id));
    }
    Ok(query.count().get_result::<i64>(connection)? > 0)
}

/// How many publications there are, whatever their status: what a
/// search's matches are a share of. Kept, it follows creations and
/// deletions.
#[derive(Clone, Copy, Debug)]
pub struct CatalogueSize(pub i64);

pub fn catalogue_size(connection: &mut DbConnection) -> QueryResult<CatalogueSize> {
    publications::table.count().get_result(connection).map(CatalogueSize)
}

impl Maintained for CatalogueSize {
    fn apply(&mut self, touched: &Touched) -> bool {
        match touched {
            Touched::Publication { before, after, .. } => {
                self.0 += i64::from(after.is_some()) - i64::from(before.is_some());
                true
            }
            Touched::Linked { .. } | Touched::Categories { .. } => true,
            Touched::Everything => false,
        }
    }
}

/// How many publications there are in each language, whatever their
/// status: the languages a search that names none is analysed in. Kept,
/// it follows every write.
#[derive(Clone, Debug, Default)]
pub struct Languages(pub std::collections::BTreeMap<String, i64>);

pub fn languages(connection: &mut DbConnection) -> QueryResult<Languages> {
    let counted: Vec<(String, i64)> = publications::table
        .group_by(publications::language)
        .select((publications::language, diesel::dsl::count_star()))
        .load(connection)?;
    Ok(Languages(counted.into_iter().collect()))
}

impl Languages {
    /// The languages at least one publication is in.
    pub fn present(&self) -> impl Iterator<Item = &str> {
        self.0.iter().filter(|(_, count)| **count > 0).map(|(language, _)| language.as_str())
    }
}

impl Maintained for Languages {
    fn apply(&mut self, touched: &Touched) -> bool {
        match touched {
            Touched::Publication { before, after, .. } => {
                if let Some(before) = before {
                    *self.0.entry(before.language.clone()).or_default() -= 1;
                }
                if let Some(after) = after {
                    *self.0.entry(after.language.clone()).or_default() += 1;
                }
                true
            }
            Touched::Linked { .. } | Touched::Categories { .. } => true,
            Touched::Everything => false,
        }
    }
}
