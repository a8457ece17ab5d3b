//! Export and import as JSON Lines: one JSON object a line, first every
//! category (parents before children), then every publication with its
//! categories and links. Resources refer to each other by slug, so a file
//! moves between databases (and backends); times and versions travel as
//! they are, so exporting what was imported into an empty database gives
//! the same bytes.
//!
//! Import upserts by slug. It checks the whole file before writing; then
//! it writes in batches, each in one transaction, links last (a link may
//! point to a publication further down the file). A fault names its line,
//! and nothing of that line's batch is written.

use std::collections::HashMap;
use std::io::{BufRead, Write};

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::categories::input::CategoryInput;
use crate::categories::queries as category_queries;
use crate::db::schema::{categories, links, publication_categories, publications};
use crate::db::{self, DbConnection};
use crate::domain::{Status, is_slug};
use crate::error::ApiError;
use crate::links::dto::LinkRel;
use crate::links::input::LinkInput;
use crate::publications::input::PublicationInput;
use crate::slug_history::{self, Kind};

/// Lines written in one transaction: few commits, so that the pages every
/// row touches (indexes, the revision) are written once per batch, not once
/// per few rows.
const BATCH: usize = 5000;

/// SQLite's page cache while importing, in KiB: a batch's changed pages
/// stay in memory until its commit instead of spilling to the log midway.
const IMPORT_CACHE_KIB: i64 = 65_536;

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Line {
    Category(CategoryLine),
    Publication(PublicationLine),
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CategoryLine {
    slug: String,
    name: String,
    description: Option<String>,
    /// The parent's slug.
    parent: Option<String>,
    position: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    version: i32,
    /// Slugs the category had before, which answer a redirect.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    former_slugs: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PublicationLine {
    slug: String,
    title: String,
    summary: String,
    body: String,
    status: Status,
    language: String,
    published_at: Option<DateTime<Utc>>,
    authors: Vec<String>,
    /// Category slugs, in order.
    categories: Vec<String>,
    links: Vec<LinkLine>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    version: i32,
    /// Slugs the publication had before, which answer a redirect.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    former_slugs: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct LinkLine {
    rel: LinkRel,
    title: String,
    url: Option<String>,
    /// The target publication's slug.
    target: Option<String>,
    media_type: Option<String>,
    hreflang: Option<String>,
    position: i32,
    version: i32,
}

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
        });
        write_line(out, &line).map_err(|e| fail(&e))?;
    }
    let mut exported = 0;
    let mut after = 0;
    loop {
        let rows: Vec<PublicationRow> = publications::table
            .filter(publications::id.gt(after))
            .order(publications::id)
            .limit(BATCH as i64)
            .select(PublicationRow::as_select())
            .load(connection)
            .map_err(|e| fail(&e))?;
        let Some(last) = rows.last() else { break };
        after = last.id;
        let ids: Vec<i32> = rows.iter().map(|row| row.id).collect();
        let mut filed = filing(connection, &ids).map_err(|e| fail(&e))?;
        let mut linked = links_of(connection, &ids).map_err(|e| fail(&e))?;
        let mut former = slug_history::of(connection, Kind::Publication, &ids).map_err(|e| fail(&e))?;
        for row in rows {
            let line = Line::Publication(PublicationLine {
                former_slugs: former.remove(&row.id).unwrap_or_default(),
                categories: filed.remove(&row.id).unwrap_or_default(),
                links: linked.remove(&row.id).unwrap_or_default(),
                authors: serde_json::from_str(&row.authors).unwrap_or_default(),
                slug: row.slug,
                title: row.title,
                summary: row.summary,
                body: row.body,
                status: Status::from_stored(&row.status),
                language: row.language,
                published_at: row.published_at.map(|at| at.and_utc()),
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
}

/// What a refused line says: each field at fault and why.
fn describe(error: ApiError) -> String {
    match error {
        ApiError::ValidationFailed(errors) => {
            let faults: Vec<String> = errors.iter().map(|error| format!("{} {}", error.field, error.message)).collect();
            faults.join("; ")
        }
        other => other.to_string(),
    }
}

fn object(value: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    match value {
        serde_json::Value::Object(object) => object,
        _ => serde_json::Map::new(),
    }
}

/// Checks one line on its own, with the very rules of the API's writes
/// (the same input types read it), so that a file cannot store what a
/// PATCH would later refuse.
fn check(line: &Line) -> Result<(), String> {
    let former = |current: &str, former: &[String]| {
        former.iter().try_for_each(|old| {
            if !is_slug(old) {
                Err(format!("former slug '{old}' is not a slug (lowercase letters, digits, hyphens)"))
            } else if old == current {
                Err(format!("'{old}' is the current slug, not a former one"))
            } else {
                Ok(())
            }
        })
    };
    match line {
        Line::Category(category) => {
            CategoryInput::from_json(object(json!({
                "slug": category.slug,
                "name": category.name,
                "description": category.description,
                "parent_id": category.parent,
                "position": category.position,
            })))
            .map_err(describe)?;
            former(&category.slug, &category.former_slugs)?;
            if category.parent.as_deref() == Some(category.slug.as_str()) {
                return Err("a category cannot be its own parent".into());
            }
        }
        Line::Publication(publication) => {
            PublicationInput::from_json(object(json!({
                "slug": publication.slug,
                "title": publication.title,
                "summary": publication.summary,
                "body": publication.body,
                "status": publication.status,
                "language": publication.language,
                "published_at": publication.published_at,
                "authors": publication.authors,
                "categories": publication.categories,
            })))
            .map_err(describe)?;
            former(&publication.slug, &publication.former_slugs)?;
            if publication.status == Status::Published && publication.published_at.is_none() {
                return Err("a published publication needs published_at".into());
            }
            for (index, link) in publication.links.iter().enumerate() {
                LinkInput::from_json(object(json!({
                    "rel": link.rel,
                    "title": link.title,
                    "url": link.url,
                    "target": link.target,
                    "media_type": link.media_type,
                    "hreflang": link.hreflang,
                    "position": link.position,
                })))
                .map_err(|error| format!("links[{index}]: {}", describe(error)))?;
                if link.target.as_deref() == Some(publication.slug.as_str()) {
                    return Err(format!("links[{index}]: a publication cannot link to itself"));
                }
            }
        }
    }
    Ok(())
}

/// Reads the lines of `input` one at a time: (line number, line), each
/// checked when `checked` (the first pass), only parsed after it.
fn lines(input: impl BufRead, checked: bool) -> impl Iterator<Item = Result<(usize, Line), String>> {
    input.lines().enumerate().filter_map(move |(index, text)| {
        let number = index + 1;
        match text {
            Err(error) => Some(Err(format!("line {number}: cannot be read: {error}"))),
            Ok(text) if text.trim().is_empty() => None,
            Ok(text) => Some(
                serde_json::from_str::<Line>(&text)
                    .map_err(|error| format!("line {number}: {error}"))
                    .and_then(|line| if checked { check(&line).map(|()| line) } else { Ok(line) })
                    .map(|line| (number, line))
                    .map_err(
                        |error| if error.starts_with("line ") { error } else { format!("line {number}: {error}") },
                    ),
            ),
        }
    })
}

/// Where an import reads from: a file, read again for each pass, or a
/// stream (standard input), kept in a temporary file meanwhile.
pub enum Source {
    File(std::path::PathBuf),
    Spooled(Spool),
}

impl Source {
    /// Keeps `input` in a temporary file, to be read as often as needed.
    pub fn spooled(input: impl BufRead) -> Result<Self, String> {
        let spool = Spool::new()?;
        let mut copy = std::io::BufWriter::new(spool.create()?);
        for (index, text) in input.lines().enumerate() {
            let text = text.map_err(|error| format!("line {}: cannot be read: {error}", index + 1))?;
            writeln!(copy, "{text}").map_err(|error| format!("cannot keep the input: {error}"))?;
        }
        copy.flush().map_err(|error| format!("cannot keep the input: {error}"))?;
        Ok(Self::Spooled(spool))
    }

    fn open(&self) -> Result<std::io::BufReader<std::fs::File>, String> {
        let path = match self {
            Self::File(path) => path,
            Self::Spooled(spool) => &spool.0,
        };
        std::fs::File::open(path)
            .map(std::io::BufReader::new)
            .map_err(|error| format!("cannot read {}: {error}", path.display()))
    }
}

/// Imports JSON Lines from `source`. `progress` is told of each line written.
///
/// The input is read three times, one line at a time, so memory stays
/// bounded whatever its size: once to check every line (a malformed file
/// writes nothing), once to write categories and publications, once to
/// write links (a link may point further down the file).
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
                    for (number, line, prepared) in &batch {
                        let written = match (line, prepared) {
                            (Line::Publication(publication), _) if links => {
                                replace_links(connection, publication).map(|count| report.links += count)
                            }
                            (Line::Category(_), _) if links => Ok(()),
                            (line, prepared) => upsert(connection, line, prepared.as_ref(), &mut known, report),
                        };
                        written.map_err(|error| Fault(format!("line {number}: {error}")))?;
                    }
                    Ok::<_, Fault>(())
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

/// A temporary copy of the input, removed when dropped.
pub struct Spool(std::path::PathBuf);

impl Spool {
    fn new() -> Result<Self, String> {
        let mut random = [0u8; 8];
        getrandom::fill(&mut random).map_err(|error| format!("cannot name a temporary file: {error}"))?;
        let name: String = random.iter().map(|byte| format!("{byte:02x}")).collect();
        Ok(Self(std::env::temp_dir().join(format!("parution-import-{name}.jsonl"))))
    }

    fn create(&self) -> Result<std::fs::File, String> {
        std::fs::File::create(&self.0)
            .map_err(|error| format!("cannot keep the input in {}: {error}", self.0.display()))
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn id_of_publication(connection: &mut DbConnection, slug: &str) -> QueryResult<Option<i32>> {
    publications::table.filter(publications::slug.eq(slug)).select(publications::id).first(connection).optional()
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

/// What a publication line needs beside its fields: its body cleaned and
/// its search terms, made off the writing thread.
struct Prepared {
    body: String,
    document: crate::search::Document,
}

impl Prepared {
    fn new(line: &Line) -> Option<Self> {
        let Line::Publication(publication) = line else { return None };
        let body = crate::domain::html::sanitize(&publication.body);
        let document = crate::search::Document::new(&publication.title, &publication.summary, &body);
        Some(Self { body, document })
    }
}

fn upsert(
    connection: &mut DbConnection,
    line: &Line,
    prepared: Option<&Prepared>,
    known: &mut KnownCategories,
    report: &mut ImportReport,
) -> Result<(), String> {
    let database = |error: diesel::result::Error| error.to_string();
    match line {
        Line::Category(category) => {
            let parent_id = match &category.parent {
                Some(parent) => Some(known.id(connection, parent).map_err(database)?.ok_or_else(|| {
                    format!("the parent category '{parent}' is neither in the database nor earlier in the file")
                })?),
                None => None,
            };
            let values = (
                categories::name.eq(&category.name),
                categories::description.eq(&category.description),
                categories::parent_id.eq(parent_id),
                categories::position.eq(category.position),
                categories::created_at.eq(category.created_at.naive_utc()),
                categories::updated_at.eq(category.updated_at.naive_utc()),
                categories::version.eq(category.version),
            );
            let id = match id_of_category(connection, &category.slug).map_err(database)? {
                Some(id) => {
                    // Checked on the tree as it is now, inside the write
                    // lock: moving a category under its own descendant
                    // would make a cycle.
                    if let Some(parent_id) = parent_id
                        && category_queries::tree(connection).map_err(database)?.would_cycle(id, parent_id)
                    {
                        return Err(format!(
                            "the category '{}' cannot move under '{}', one of its own descendants",
                            category.slug,
                            category.parent.as_deref().unwrap_or_default()
                        ));
                    }
                    diesel::update(categories::table.find(id)).set(values).execute(connection).map_err(database)?;
                    report.categories_updated += 1;
                    id
                }
                None => {
                    report.categories_created += 1;
                    diesel::insert_into(categories::table)
                        .values((categories::slug.eq(&category.slug), values))
                        .returning(categories::id)
                        .get_result(connection)
                        .map_err(database)?
                }
            };
            remember(connection, Kind::Category, id, &category.slug, &category.former_slugs).map_err(database)?;
        }
        Line::Publication(publication) => {
            let mut category_ids = Vec::new();
            for slug in &publication.categories {
                let id = known.id(connection, slug).map_err(database)?.ok_or_else(|| {
                    format!("the category '{slug}' is neither in the database nor earlier in the file")
                })?;
                if !category_ids.contains(&id) {
                    category_ids.push(id);
                }
            }
            let authors = serde_json::to_string(&publication.authors).map_err(|error| error.to_string())?;
            let prepared = prepared.ok_or("the line was not prepared")?;
            let body = &prepared.body;
            let values = (
                publications::title.eq(&publication.title),
                publications::summary.eq(&publication.summary),
                publications::body.eq(body),
                publications::status.eq(publication.status.as_str()),
                publications::language.eq(&publication.language),
                publications::published_at.eq(publication.published_at.map(|at| at.naive_utc())),
                publications::authors.eq(&authors),
                publications::created_at.eq(publication.created_at.naive_utc()),
                publications::updated_at.eq(publication.updated_at.naive_utc()),
                publications::version.eq(publication.version),
            );
            let (id, created) = match id_of_publication(connection, &publication.slug).map_err(database)? {
                Some(id) => {
                    diesel::update(publications::table.find(id)).set(values).execute(connection).map_err(database)?;
                    diesel::delete(publication_categories::table.filter(publication_categories::publication_id.eq(id)))
                        .execute(connection)
                        .map_err(database)?;
                    report.publications_updated += 1;
                    (id, false)
                }
                None => {
                    report.publications_created += 1;
                    let id = diesel::insert_into(publications::table)
                        .values((
                            publications::slug.eq(&publication.slug),
                            publications::sort_title.eq(crate::search::sort_key(&publication.title)),
                            values,
                        ))
                        .returning(publications::id)
                        .get_result(connection)
                        .map_err(database)?;
                    (id, true)
                }
            };
            for (position, category_id) in category_ids.into_iter().enumerate() {
                diesel::insert_into(publication_categories::table)
                    .values((
                        publication_categories::publication_id.eq(id),
                        publication_categories::category_id.eq(category_id),
                        publication_categories::position.eq(position as i32),
                    ))
                    .execute(connection)
                    .map_err(database)?;
            }
            if created {
                db::search::index_new(connection, id, &prepared.document).map_err(database)?;
            } else {
                db::search::index(connection, id, &publication.title, &publication.summary, body).map_err(database)?;
            }
            remember(connection, Kind::Publication, id, &publication.slug, &publication.former_slugs)
                .map_err(database)?;
        }
    }
    Ok(())
}

/// Records an imported item's slug history: `slug` is live now, and each
/// former slug that no live item has leads to it.
fn remember(connection: &mut DbConnection, kind: Kind, id: i32, slug: &str, former: &[String]) -> QueryResult<()> {
    slug_history::taken(connection, kind, slug)?;
    for old in former {
        let live = match kind {
            Kind::Publication => id_of_publication(connection, old)?,
            Kind::Category => id_of_category(connection, old)?,
        };
        if live.is_none() {
            slug_history::remember(connection, kind, id, old)?;
        }
    }
    Ok(())
}

/// Replaces a publication's links by the line's; returns how many.
fn replace_links(connection: &mut DbConnection, publication: &PublicationLine) -> Result<usize, String> {
    let database = |error: diesel::result::Error| error.to_string();
    let id = id_of_publication(connection, &publication.slug)
        .map_err(database)?
        .ok_or_else(|| format!("the publication '{}' was not written", publication.slug))?;
    diesel::delete(links::table.filter(links::publication_id.eq(id))).execute(connection).map_err(database)?;
    let now = db::now();
    for link in &publication.links {
        let target_id = match &link.target {
            Some(slug) => Some(
                id_of_publication(connection, slug)
                    .map_err(database)?
                    .ok_or_else(|| format!("the link target '{slug}' is neither in the database nor in the file"))?,
            ),
            None => None,
        };
        diesel::insert_into(links::table)
            .values((
                links::publication_id.eq(id),
                links::rel.eq(link.rel.as_str()),
                links::title.eq(&link.title),
                links::url.eq(&link.url),
                links::target_id.eq(target_id),
                links::media_type.eq(&link.media_type),
                links::hreflang.eq(&link.hreflang),
                links::position.eq(link.position),
                links::version.eq(link.version),
                links::created_at.eq(now),
                links::updated_at.eq(now),
            ))
            .execute(connection)
            .map_err(database)?;
    }
    Ok(publication.links.len())
}
