//! Import: checked lines upserted by slug through the stores, in batches
//! of one transaction each, links last (a link may point to a publication
//! further down the file). A fault names its line, and nothing of that
//! line's batch is written.

use std::collections::HashMap;

use diesel::prelude::*;

use crate::attachments::store::{self as attachment_store, FileValues, MetaValues};
use crate::categories::queries as category_queries;
use crate::categories::store::{self as category_store, CategoryValues};
use crate::change::{self, Author, Change, Stamps};
use crate::db::schema::{categories, publications};
use crate::db::{self, DbConnection};
use crate::domain::Reference;
use crate::links::store::{self as link_store, LinkValues};
use crate::publications::lookups;
use crate::publications::store::{self as publication_store, NewPublication, PublicationValues};
use crate::publications::translations::{self, Membership};
use crate::search::Document;
use crate::slug_history::{self, Kind};

use super::format::{CategoryLine, Line, PublicationLine, Source, lines};

/// Lines written in one transaction: few commits, so that the pages every
/// row touches (indexes, the revision) are written once per batch, not once
/// per few rows.
const BATCH: usize = 5000;

/// SQLite's page cache while importing, in KiB: a batch's changed pages
/// stay in memory until its commit instead of spilling to the log midway.
const IMPORT_CACHE_KIB: i64 = 65_536;

/// A fault that stops an import: what went wrong, and where.
#[derive(Debug)]
struct Fault(String);

impl From<diesel::result::Error> for Fault {
    fn from(error: diesel::result::Error) -> Self {
        Self(error.to_string())
    }
}

/// What an import did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub categories_created: usize,
    pub categories_updated: usize,
    pub publications_created: usize,
    pub publications_updated: usize,
    pub links: usize,
    pub attachments: usize,
}

/// Imports JSON Lines from `source`. `progress` is told of each line written.
///
/// The input is read four times, one line at a time, so memory stays
/// bounded whatever its size: once to check every line (a malformed file
/// writes nothing), once to write categories and publications, once to
/// write links (a link may point further down the file), and once, the
/// indexes built, to join groups of translations.
pub fn import(
    connection: &mut DbConnection,
    source: &Source,
    mut progress: impl FnMut(u64, u64),
) -> Result<ImportReport, String> {
    let mut total = 0u64;
    for line in lines(source.open()?, true) {
        line?;
        total += 2;
    }
    let mut report = ImportReport::default();
    if let DbConnection::Sqlite(sqlite) = connection {
        diesel::connection::SimpleConnection::batch_execute(
            sqlite,
            &format!("PRAGMA cache_size = -{IMPORT_CACHE_KIB}"),
        )
        .map_err(|error| error.to_string())?;
    }
    // Into an empty catalogue, indexes are built once at the end rather
    // than kept up to date row by row; built again however the load ends
    // (or, if the process is killed, at the next start).
    let empty = publications::table.count().get_result::<i64>(connection).map_err(|error| error.to_string())? == 0;
    if empty {
        let deferred = db::defer_indexes(connection).map_err(|error| format!("cannot defer the indexes: {error}"))?;
        log::debug!("{deferred} index(es) will be built after the load");
    }
    let loaded = load(connection, source, &mut progress, total, &mut report);
    let restored = db::restore_indexes(connection).map_err(|error| format!("cannot build the indexes: {error}"));
    loaded?;
    restored?;
    // Groups are joined once every row is written and indexed: each join
    // reads its group's members.
    join_translations(connection, source)?;
    if let DbConnection::Sqlite(sqlite) = connection {
        diesel::connection::SimpleConnection::batch_execute(sqlite, "PRAGMA cache_size = -2000")
            .map_err(|error| error.to_string())?;
    }
    db::optimize(connection).map_err(|error| format!("cannot refresh the planner's statistics: {error}"))?;
    Ok(report)
}

/// Writes the checked lines of `source`: categories and publications, then
/// links.
fn load(
    connection: &mut DbConnection,
    source: &Source,
    progress: &mut impl FnMut(u64, u64),
    total: u64,
    report: &mut ImportReport,
) -> Result<(), String> {
    let mut done = 0;
    let mut known = KnownCategories::default();
    // Rows are not logged one by one: each batch tells the caches of every
    // process that anything may have changed.
    let change = Change::bulk(Author::Command("import"));
    // What a failed batch leaves: nothing of it, everything before it.
    let unwritten = |first: usize, last: usize, fault: Fault| {
        format!("{} (nothing of lines {first} to {last} was written; the lines before them were)", fault.0)
    };
    for links in [false, true] {
        let reader = lines(source.open()?, false);
        // A second thread reads and prepares lines (JSON, the body's
        // cleaning, the search terms) while this one writes.
        std::thread::scope(|scope| {
            let (sender, receiver) = std::sync::mpsc::sync_channel(BATCH);
            scope.spawn(move || {
                for line in reader {
                    let line = line.map(|(number, line)| {
                        let prepared = if links { None } else { Prepared::new(&line) };
                        (number, line, prepared)
                    });
                    if sender.send(line).is_err() {
                        break;
                    }
                }
            });
            let mut reader = receiver.into_iter().peekable();
            let mut batch = Vec::with_capacity(BATCH);
            while reader.peek().is_some() {
                batch.clear();
                while batch.len() < BATCH
                    && let Some(line) = reader.next()
                {
                    batch.push(line?);
                }
                let (first, last) = (batch[0].0, batch[batch.len() - 1].0);
                db::write_transaction(connection, |connection| {
                    change::logged(connection, &change, |connection| {
                        if links {
                            replace_links(connection, &change, &batch, report)?;
                        } else {
                            write_batch(connection, &change, &mut batch, &mut known, report)?;
                        }
                        change.record_everything();
                        Ok::<_, Fault>(())
                    })
                })
                .map_err(|fault| unwritten(first, last, fault))?;
                done += batch.len() as u64;
                progress(done, total);
            }
            Ok::<_, String>(())
        })?;
    }
    Ok(())
}

/// Joins each publication whose line names `translation_of` to that
/// publication's group, a batch of lines a transaction, as a write would.
fn join_translations(connection: &mut DbConnection, source: &Source) -> Result<(), String> {
    let change = Change::bulk(Author::Command("import"));
    let mut joins: Vec<(usize, String, String, String)> = Vec::new();
    let flush = |connection: &mut DbConnection, joins: &mut Vec<(usize, String, String, String)>| {
        if joins.is_empty() {
            return Ok(());
        }
        db::write_transaction(connection, |connection| {
            change::logged(connection, &change, |connection| {
                let slugs: Vec<&str> =
                    joins.iter().flat_map(|(_, slug, other, _)| [slug.as_str(), other.as_str()]).collect();
                let ids = lookups::ids_of_slugs(connection, &slugs)?;
                for (number, slug, other, language) in joins.iter() {
                    let at = |message: String| Fault(format!("line {number}: {message}"));
                    let id = *ids.get(slug).ok_or_else(|| at(format!("the publication '{slug}' was not written")))?;
                    let other = *ids.get(other).ok_or_else(|| {
                        at(format!("the translation '{other}' is neither in the database nor in the file"))
                    })?;
                    translations::write(connection, &change, id, language, &Membership::Join(Reference::Id(other)))
                        .map_err(|error| at(error.to_string()))?;
                }
                change.record_everything();
                Ok::<_, Fault>(())
            })
        })
        .map_err(|fault| format!("{} (the groups of translations before it were joined)", fault.0))?;
        joins.clear();
        Ok::<_, String>(())
    };
    for line in lines(source.open()?, false) {
        let (number, line) = line?;
        if let Line::Publication(publication) = line
            && let Some(other) = publication.translation_of
        {
            joins.push((number, publication.slug, other, publication.language));
            if joins.len() == BATCH {
                flush(connection, &mut joins)?;
            }
        }
    }
    flush(connection, &mut joins)
}

fn id_of_category(connection: &mut DbConnection, slug: &str) -> QueryResult<Option<i32>> {
    categories::table.filter(categories::slug.eq(slug)).select(categories::id).first(connection).optional()
}

/// The ids of the categories an import has met, by slug: a catalogue has
/// few categories and many publications filed under them.
#[derive(Default)]
struct KnownCategories(HashMap<String, i32>);

impl KnownCategories {
    fn id(&mut self, connection: &mut DbConnection, slug: &str) -> QueryResult<Option<i32>> {
        if let Some(id) = self.0.get(slug) {
            return Ok(Some(*id));
        }
        let id = id_of_category(connection, slug)?;
        if let Some(id) = id {
            self.0.insert(slug.to_owned(), id);
        }
        Ok(id)
    }
}

/// A publication line made ready off the writing thread: its values (the
/// body cleaned; the categories are filled in by the writer, which knows
/// their ids) and its search terms.
struct Prepared {
    values: PublicationValues,
    document: Document,
}

impl Prepared {
    fn new(line: &Line) -> Option<Self> {
        let Line::Publication(publication) = line else { return None };
        let values = PublicationValues {
            slug: publication.slug.clone(),
            title: publication.title.clone(),
            summary: publication.summary.clone(),
            body: crate::domain::html::sanitize(&publication.body),
            status: publication.status,
            language: publication.language.clone(),
            published_at: publication.published_at.map(|at| at.naive_utc()),
            unpublish_at: publication.unpublish_at.map(|at| at.naive_utc()),
            announce: publication.announce,
            authors: publication.authors.clone(),
            category_ids: Vec::new(),
        };
        let document = values.document();
        Some(Self { values, document })
    }
}

/// A line of a batch: its number, the line, and what was prepared of it.
type Numbered = (usize, Line, Option<Prepared>);

/// Writes a batch of lines: its categories first, one by one and in order
/// (a tree: parents first), then its publications, those already there one
/// by one, the new ones all at once.
fn write_batch(
    connection: &mut DbConnection,
    change: &Change,
    batch: &mut [Numbered],
    known: &mut KnownCategories,
    report: &mut ImportReport,
) -> Result<(), Fault> {
    let at = |number: usize| move |error: String| Fault(format!("line {number}: {error}"));
    for (number, line, _) in batch.iter() {
        if let Line::Category(category) = line {
            write_category(connection, change, category, known, report).map_err(at(*number))?;
        }
    }
    for (number, line, prepared) in batch.iter_mut() {
        if let Line::Publication(publication) = line {
            let prepared = prepared.as_mut().ok_or_else(|| at(*number)("the line was not prepared".into()))?;
            let category_ids = &mut prepared.values.category_ids;
            category_ids.clear();
            for slug in &publication.categories {
                let id = known.id(connection, slug)?.ok_or_else(|| {
                    at(*number)(format!("the category '{slug}' is neither in the database nor earlier in the file"))
                })?;
                if !category_ids.contains(&id) {
                    category_ids.push(id);
                }
            }
        }
    }
    let publications: Vec<(usize, &PublicationLine, &Prepared)> = batch
        .iter()
        .filter_map(|(number, line, prepared)| match (line, prepared) {
            (Line::Publication(publication), Some(prepared)) => Some((*number, publication, prepared)),
            _ => None,
        })
        .collect();
    let slugs: Vec<&str> = publications.iter().map(|(_, publication, _)| publication.slug.as_str()).collect();
    let mut existing = lookups::ids_of_slugs(connection, &slugs)?;
    let mut new: Vec<(usize, &PublicationLine, &Prepared)> = Vec::new();
    for (number, publication, prepared) in publications {
        if new.iter().any(|(_, waiting, _)| waiting.slug == publication.slug) {
            // The file names it twice: the first comes in before the second.
            existing.extend(insert_new(connection, change, &mut new, report)?);
        }
        match existing.get(&publication.slug) {
            Some(&id) => {
                let stamps = stamps_of(publication.created_at, publication.updated_at, publication.version);
                publication_store::update(connection, change, id, None, &prepared.values, &prepared.document, &stamps)?;
                report.publications_updated += 1;
                remember(connection, Kind::Publication, id, &publication.slug, &publication.former_slugs)?;
            }
            None => new.push((number, publication, prepared)),
        }
    }
    insert_new(connection, change, &mut new, report)?;
    Ok(())
}

/// Inserts the new publications waiting, all at once; returns their ids by
/// slug.
fn insert_new(
    connection: &mut DbConnection,
    change: &Change,
    new: &mut Vec<(usize, &PublicationLine, &Prepared)>,
    report: &mut ImportReport,
) -> Result<HashMap<String, i32>, Fault> {
    let rows: Vec<NewPublication> = new
        .iter()
        .map(|(_, publication, prepared)| NewPublication {
            values: &prepared.values,
            document: &prepared.document,
            stamps: stamps_of(publication.created_at, publication.updated_at, publication.version),
        })
        .collect();
    let ids = publication_store::insert_many(connection, change, &rows)?;
    let slugs: Vec<&str> = new.iter().map(|(_, publication, _)| publication.slug.as_str()).collect();
    slug_history::publications_taken(connection, &slugs)?;
    let mut written = HashMap::new();
    for ((_, publication, _), id) in new.iter().zip(ids) {
        if !publication.former_slugs.is_empty() {
            remember(connection, Kind::Publication, id, &publication.slug, &publication.former_slugs)?;
        }
        written.insert(publication.slug.clone(), id);
    }
    report.publications_created += new.len();
    new.clear();
    Ok(written)
}

/// The dates and version a line keeps.
fn stamps_of(
    created_at: chrono::DateTime<chrono::Utc>,
    updated_at: chrono::DateTime<chrono::Utc>,
    version: i32,
) -> Stamps {
    Stamps { created_at: created_at.naive_utc(), updated_at: updated_at.naive_utc(), version }
}

fn write_category(
    connection: &mut DbConnection,
    change: &Change,
    category: &CategoryLine,
    known: &mut KnownCategories,
    report: &mut ImportReport,
) -> Result<(), String> {
    let database = |error: diesel::result::Error| error.to_string();
    let parent_id = match &category.parent {
        Some(parent) => Some(known.id(connection, parent).map_err(database)?.ok_or_else(|| {
            format!("the parent category '{parent}' is neither in the database nor earlier in the file")
        })?),
        None => None,
    };
    let values = CategoryValues {
        slug: category.slug.clone(),
        name: category.name.clone(),
        description: category.description.clone(),
        parent_id,
        position: category.position,
        names: category.names.clone(),
    };
    let stamps = stamps_of(category.created_at, category.updated_at, category.version);
    let id = match id_of_category(connection, &category.slug).map_err(database)? {
        Some(id) => {
            // Checked on the tree as it is now, inside the write lock:
            // moving a category under its own descendant would make a
            // cycle.
            if let Some(parent_id) = parent_id
                && category_queries::tree(connection).map_err(database)?.would_cycle(id, parent_id)
            {
                return Err(format!(
                    "the category '{}' cannot move under '{}', one of its own descendants",
                    category.slug,
                    category.parent.as_deref().unwrap_or_default()
                ));
            }
            category_store::update(connection, change, id, None, &values, &stamps).map_err(database)?;
            report.categories_updated += 1;
            id
        }
        None => {
            report.categories_created += 1;
            category_store::insert(connection, change, &values, &stamps).map_err(database)?
        }
    };
    remember(connection, Kind::Category, id, &category.slug, &category.former_slugs).map_err(database)
}

/// Records an imported item's slug history: `slug` is live now, and each
/// former slug that no live item has leads to it.
fn remember(connection: &mut DbConnection, kind: Kind, id: i32, slug: &str, former: &[String]) -> QueryResult<()> {
    slug_history::taken(connection, kind, slug)?;
    for old in former {
        let live = match kind {
            Kind::Publication => lookups::id_of_slug(connection, old)?,
            Kind::Category => id_of_category(connection, old)?,
        };
        if live.is_none() {
            slug_history::remember(connection, kind, id, old)?;
        }
    }
    Ok(())
}

/// Replaces the links of a batch's publications by their lines': all
/// deleted, then all added, at once.
fn replace_links(
    connection: &mut DbConnection,
    change: &Change,
    batch: &[Numbered],
    report: &mut ImportReport,
) -> Result<(), Fault> {
    let publications: Vec<(usize, &PublicationLine)> = batch
        .iter()
        .filter_map(|(number, line, _)| match line {
            Line::Publication(publication) => Some((*number, publication)),
            Line::Category(_) => None,
        })
        .collect();
    let mut slugs: Vec<&str> = Vec::new();
    for (_, publication) in &publications {
        slugs.push(&publication.slug);
        slugs.extend(publication.links.iter().filter_map(|link| link.target.as_deref()));
    }
    let ids = lookups::ids_of_slugs(connection, &slugs)?;
    let mut own = Vec::with_capacity(publications.len());
    let mut rows = Vec::new();
    for (number, publication) in &publications {
        let id = *ids
            .get(&publication.slug)
            .ok_or_else(|| Fault(format!("line {number}: the publication '{}' was not written", publication.slug)))?;
        own.push(id);
        for link in &publication.links {
            let target_id = match &link.target {
                Some(slug) => Some(*ids.get(slug).ok_or_else(|| {
                    Fault(format!("line {number}: the link target '{slug}' is neither in the database nor in the file"))
                })?),
                None => None,
            };
            let values = LinkValues {
                rel: link.rel,
                title: link.title.clone(),
                url: link.url.clone(),
                target_id,
                media_type: link.media_type.clone(),
                hreflang: link.hreflang.clone(),
                position: link.position,
            };
            // The file keeps a link's version, not its dates.
            rows.push((id, values, Stamps { version: link.version, ..Stamps::new(change) }));
        }
    }
    link_store::delete_all_of_many(connection, change, &own)?;
    link_store::insert_many(connection, change, &rows)?;
    report.links += rows.len();
    // Their blobs were brought into the storage before the import began.
    attachment_store::delete_all_of_many(connection, &own)?;
    for ((_, publication), id) in publications.iter().zip(&own) {
        for attachment in &publication.attachments {
            let meta = MetaValues {
                role: attachment.role,
                title: attachment.title.clone(),
                language: attachment.language.clone(),
                filename: attachment.filename.clone(),
                alt: attachment.alt.clone(),
                position: attachment.position,
            };
            let file = FileValues {
                media_type: attachment.media_type.clone(),
                size: attachment.size,
                sha256: attachment.sha256.clone(),
                facts: attachment.facts.clone(),
            };
            let stamps = stamps_of(attachment.created_at, attachment.updated_at, attachment.version);
            attachment_store::insert(connection, *id, &meta, &file, &stamps)?;
            report.attachments += 1;
        }
    }
    Ok(())
}
