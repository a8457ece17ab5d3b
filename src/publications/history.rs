//! The history of publications as a service: every write to a publication
//! records a revision of it (through [`revise`]), in the write's own
//! transaction; a revision can be read, compared with the current state,
//! and restored whole — links and categories included; a deletion moves a
//! publication to the trash, from which it can be put back or purged.
//!
//! A publication in the trash has no row: every surface that reads
//! publications, for any viewer, misses it without a condition of its own
//! (and without the cost of one in every query and index). What putting it
//! back needs is kept: its last revision (its content, categories and
//! links), the links other publications had to it and its former slugs.
//! It keeps its id, which no other publication can take (ids are never
//! given twice); its slug is free for others meanwhile.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::attachments::queries as attachment_queries;
use crate::categories::queries as category_queries;
use crate::change::{Change, Note, Stamps};
use crate::db::DbConnection;
use crate::domain::{Reference, Status};
use crate::error::{ApiError, FieldError, OrNotFound};
use crate::history::store::{self as revisions, NewRevision, Reason};
use crate::history::trash::{self, TrashRow};
use crate::history::{Snapshot, snapshot};
use crate::links::dto::LinkRel;
use crate::links::queries::{self as link_queries, LinkRow};
use crate::links::store::{self as link_store, LinkValues};
use crate::preconditions::IfMatch;
use crate::slug_history::{self, Kind};

use super::dto::{Parts, Publication};
use super::lookups;
use super::store::{self, PublicationValues};
use super::translations;
use super::visibility::Viewer;
use super::writes;

/// Publication `id` as a token holder reads it at the change's instant.
pub fn detail(connection: &mut DbConnection, id: i32, at: NaiveDateTime) -> Result<Publication, ApiError> {
    let viewer = Viewer { access: crate::auth::Access::Editor, at };
    let record =
        lookups::find(connection, &Reference::Id(id), &viewer).or_not_found(|| ApiError::no_such("publication", id))?;
    let links = link_queries::of_publication(connection, id, &viewer)?;
    let attachments = attachment_queries::shown(connection, id)?;
    let (translations, _) = translations::of(connection, id, &viewer)?;
    Ok(Publication::new(record, Parts { links, attachments, translations }, at))
}

fn snapshot_of(publication: &Publication) -> Result<Snapshot, ApiError> {
    match serde_json::to_value(publication).map_err(ApiError::internal)? {
        Value::Object(snapshot) => Ok(snapshot),
        _ => Err(ApiError::internal("a publication serialises as an object")),
    }
}

/// Records a revision of publication `id` as `change` left it (unless an
/// edit left its content as it was); returns the publication, as the
/// answer to the write shows it, and the revision's number.
pub fn revise(
    connection: &mut DbConnection,
    change: &Change,
    id: i32,
    reason: Reason,
) -> Result<(Publication, Option<i32>), ApiError> {
    let publication = detail(connection, id, change.at)?;
    let snapshot = snapshot_of(&publication)?;
    let revision = NewRevision {
        publication_id: id,
        at: change.at,
        author: change.author.name(),
        reason,
        version: publication.summary.version,
        snapshot: &snapshot,
    };
    let appended = revisions::append(connection, &revision, change.keep)?;
    let number = appended.as_ref().map(|appended| appended.number);
    // A write that left the content as it was still gave the publication
    // a new version (its ETag changed): the event log tells it, with no
    // field changed, so that a mirror's version stays true.
    let (reason, changed) = appended.map_or(("update", Vec::new()), |appended| (appended.reason, appended.changed));
    change.note(Note::Publication { id, reason, changed, version: publication.summary.version });
    Ok((publication, number))
}

/// What a snapshot holds that a restore writes back.
#[derive(Debug, Deserialize)]
struct Restorable {
    slug: String,
    title: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    body: String,
    status: String,
    language: String,
    published_at: Option<DateTime<Utc>>,
    #[serde(default)]
    unpublish_at: Option<DateTime<Utc>>,
    #[serde(default)]
    announce: bool,
    #[serde(default)]
    authors: Vec<String>,
    #[serde(default)]
    categories: Vec<CategoryMention>,
    #[serde(default)]
    links: Vec<LinkMention>,
    /// Its translations when the revision was recorded: back from the
    /// trash, it rejoins their group.
    #[serde(default)]
    translations: Vec<translations::Translation>,
    created_at: DateTime<Utc>,
    version: i32,
}

#[derive(Debug, Deserialize)]
struct CategoryMention {
    id: i32,
    #[serde(default)]
    slug: String,
}

#[derive(Debug, Deserialize)]
struct LinkMention {
    id: i32,
    rel: LinkRel,
    title: String,
    url: Option<String>,
    target: Option<TargetMention>,
    media_type: Option<String>,
    hreflang: Option<String>,
    position: i32,
    version: i32,
}

#[derive(Debug, Deserialize)]
struct TargetMention {
    id: i32,
    #[serde(default)]
    slug: String,
}

impl Restorable {
    fn from_snapshot(snapshot: Snapshot) -> Result<Self, ApiError> {
        serde_json::from_value(Value::Object(snapshot))
            .map_err(|error| ApiError::internal(format!("a revision's snapshot cannot be read: {error}")))
    }

    /// What it refers to and no longer exists: categories and link targets
    /// (a publication in the trash is not there). `links[i]` names the
    /// link by its place in the snapshot.
    /// They are taken out of it, to be left out if the restore is partial.
    fn take_missing(&mut self, connection: &mut DbConnection, me: i32) -> Result<Vec<FieldError>, ApiError> {
        let category_ids: Vec<i32> = self.categories.iter().map(|category| category.id).collect();
        let categories = category_queries::existing(connection, &category_ids)?;
        let target_ids: Vec<i32> =
            self.links.iter().filter_map(|link| link.target.as_ref()).map(|target| target.id).collect();
        let targets = lookups::existing(connection, &target_ids)?;
        let mut missing = Vec::new();
        for (index, category) in self.categories.iter().enumerate() {
            if !categories.contains(&category.id) {
                missing.push(FieldError {
                    field: format!("categories[{index}]"),
                    code: "category_gone",
                    message: format!("category {} ('{}') no longer exists", category.id, category.slug),
                });
            }
        }
        for (index, link) in self.links.iter().enumerate() {
            if let Some(target) = &link.target
                && target.id != me
                && !targets.contains(&target.id)
            {
                missing.push(FieldError {
                    field: format!("links[{index}].target"),
                    code: "target_gone",
                    message: format!(
                        "publication {} ('{}') that link {} points to no longer exists or is in the trash",
                        target.id, target.slug, link.id
                    ),
                });
            }
        }
        self.categories.retain(|category| categories.contains(&category.id));
        self.links
            .retain(|link| link.target.as_ref().is_none_or(|target| target.id == me || targets.contains(&target.id)));
        Ok(missing)
    }

    /// Its values, under `slug`.
    fn values(&self, slug: String) -> PublicationValues {
        let category_ids = self.categories.iter().map(|category| category.id).collect();
        PublicationValues {
            slug,
            title: self.title.clone(),
            summary: self.summary.clone(),
            body: self.body.clone(),
            status: Status::parse(&self.status).unwrap_or(Status::Draft).stored(),
            language: self.language.clone(),
            published_at: self.published_at.map(|at| at.naive_utc()),
            unpublish_at: self.unpublish_at.map(|at| at.naive_utc()),
            announce: self.announce,
            authors: self.authors.clone(),
            category_ids,
        }
    }

    /// Its links: id, version and values.
    fn links(&self) -> Vec<(i32, i32, LinkValues)> {
        self.links
            .iter()
            .map(|link| {
                let values = LinkValues {
                    rel: link.rel,
                    title: link.title.clone(),
                    url: link.url.clone(),
                    target_id: link.target.as_ref().map(|target| target.id),
                    media_type: link.media_type.clone(),
                    hreflang: link.hreflang.clone(),
                    position: link.position,
                };
                (link.id, link.version, values)
            })
            .collect()
    }
}

/// The 409 of a restore that refers to what is gone, unless `partial`.
fn refuse_missing(missing: &[FieldError], partial: bool) -> Result<(), ApiError> {
    if missing.is_empty() || partial {
        return Ok(());
    }
    Err(ApiError::MissingReferences {
        detail: format!(
            "the revision refers to {} thing(s) that no longer exist; nothing was changed (restore with ?partial=true to leave them out)",
            missing.len()
        ),
        missing: missing.to_vec(),
    })
}

/// The publication as a restore made it, and what it left out.
pub struct Restored {
    pub publication: Publication,
    /// The revision that records the restore.
    pub revision: Option<i32>,
    /// The revision it was made equal to.
    pub restored_from: i32,
    pub left_out: Vec<FieldError>,
}

/// The whole snapshot of revision `number` of publication `id`, or a 404.
pub fn revision_snapshot(connection: &mut DbConnection, id: i32, number: i32) -> Result<Snapshot, ApiError> {
    revisions::snapshot_of(connection, id, number)?
        .ok_or_else(|| ApiError::NotFound(format!("publication {id} has no revision {number} (or it was pruned)")))
}

/// Makes publication `reference` equal to its revision `number`: content,
/// categories and links. What the revision refers to and no longer exists
/// is a 409 that changes nothing, or, with `partial`, is left out.
pub fn restore(
    connection: &mut DbConnection,
    change: &Change,
    reference: &Reference,
    if_match: &IfMatch,
    number: i32,
    partial: bool,
) -> Result<Restored, ApiError> {
    let current = writes::current(connection, reference)?;
    if_match.check(current.row.version)?;
    let id = current.row.id;
    let mut restorable = Restorable::from_snapshot(revision_snapshot(connection, id, number)?)?;
    let missing = restorable.take_missing(connection, id)?;
    refuse_missing(&missing, partial)?;
    if lookups::slug_taken(connection, &restorable.slug, Some(id))? {
        return Err(ApiError::Conflict(format!(
            "the slug '{}' of revision {number} is taken by another publication now",
            restorable.slug
        )));
    }
    let values = restorable.values(restorable.slug.clone());
    let stamps = Stamps::next(current.row.created_at, current.row.version, change);
    if !store::update(connection, change, id, Some(current.row.version), &values, &values.document(), &stamps)? {
        return Err(writes::stale());
    }
    slug_history::moved(connection, Kind::Publication, id, &current.row.slug, &values.slug)?;
    replace_links(connection, change, id, &restorable.links())?;
    let (publication, revision) = revise(connection, change, id, Reason::Restore(number))?;
    Ok(Restored { publication, revision, restored_from: number, left_out: missing })
}

/// Makes the links of publication `id` those of `wanted`, by id: those not
/// wanted are deleted, those that differ rewritten, those gone put back
/// with the id they had.
fn replace_links(
    connection: &mut DbConnection,
    change: &Change,
    id: i32,
    wanted: &[(i32, i32, LinkValues)],
) -> Result<(), ApiError> {
    let current = link_queries::rows_of(connection, id)?;
    for row in &current {
        if !wanted.iter().any(|(link_id, _, _)| *link_id == row.id) {
            link_store::delete(connection, change, row.id, row.version)?;
        }
    }
    for (link_id, version, values) in wanted {
        match current.iter().find(|row| row.id == *link_id) {
            Some(row) if same_link(row, values) => {}
            Some(row) => {
                let stamps = Stamps::next(row.created_at, row.version, change);
                link_store::update(connection, change, row.id, row.version, values, &stamps)?;
            }
            None => {
                let stamps = Stamps { created_at: change.at, updated_at: change.at, version: *version };
                link_store::reinsert(connection, change, id, *link_id, values, &stamps)?;
            }
        }
    }
    Ok(())
}

fn same_link(row: &LinkRow, values: &LinkValues) -> bool {
    row.rel == values.rel.as_str()
        && row.title == values.title
        && row.url == values.url
        && row.target_id == values.target_id
        && row.media_type == values.media_type
        && row.hreflang == values.hreflang
        && row.position == values.position
}

/// A link another publication had to one now in the trash.
#[derive(Debug, Serialize, Deserialize)]
struct IncomingLink {
    publication_id: i32,
    link: LinkRow,
}

/// Moves publication `reference` to the trash: a `trash` revision records
/// it whole, the trash keeps the links to it and its former slugs, and its
/// row goes, with its links, filings, index entry and schedule. Returns its
/// id.
pub fn trash(
    connection: &mut DbConnection,
    change: &Change,
    reference: &Reference,
    if_match: &IfMatch,
) -> Result<i32, ApiError> {
    let current = writes::current(connection, reference)?;
    if_match.check(current.row.version)?;
    let id = current.row.id;
    let (_, revision) = revise(connection, change, id, Reason::Trash)?;
    let revision = revision.ok_or_else(|| ApiError::internal("a trash revision is always recorded"))?;
    let incoming: Vec<IncomingLink> = link_queries::to_target(connection, id)?
        .into_iter()
        .map(|(publication_id, link)| IncomingLink { publication_id, link })
        .collect();
    let former = slug_history::of(connection, Kind::Publication, &[id])?.remove(&id).unwrap_or_default();
    let row = TrashRow {
        publication_id: id,
        slug: current.row.slug.clone(),
        title: current.row.title.clone(),
        trashed_at: change.at,
        trashed_by: change.author.name(),
        revision,
        incoming: serde_json::to_string(&incoming).map_err(ApiError::internal)?,
        former_slugs: serde_json::to_string(&former).map_err(ApiError::internal)?,
    };
    trash::insert(connection, &row)?;
    if !store::delete(connection, change, id, current.row.version)? {
        return Err(writes::stale());
    }
    Ok(id)
}

/// The trash's row of publication `id`, or a 404.
fn in_trash(connection: &mut DbConnection, id: i32) -> Result<TrashRow, ApiError> {
    trash::find(connection, id)?.ok_or_else(|| ApiError::NotFound(format!("no publication {id} is in the trash")))
}

/// Puts publication `id` back from the trash, under `slug` when given
/// (its own otherwise, a 409 when another publication took it), with its
/// links, the links other publications had to it (those whose publication
/// still exists) and its former slugs (those no one took).
pub fn untrash(
    connection: &mut DbConnection,
    change: &Change,
    id: i32,
    slug: Option<String>,
    partial: bool,
) -> Result<Restored, ApiError> {
    let row = in_trash(connection, id)?;
    let mut restorable = Restorable::from_snapshot(revision_snapshot(connection, id, row.revision)?)?;
    let slug = slug.unwrap_or_else(|| restorable.slug.clone());
    if lookups::slug_taken(connection, &slug, None)? {
        return Err(ApiError::Conflict(format!(
            "the slug '{slug}' was taken while the publication was in the trash; send {{\"slug\": \"…\"}} to put it back under another"
        )));
    }
    let missing = restorable.take_missing(connection, id)?;
    refuse_missing(&missing, partial)?;
    let values = restorable.values(slug);
    let stamps = Stamps {
        created_at: restorable.created_at.naive_utc(),
        updated_at: change.at,
        version: restorable.version + 1,
    };
    store::reinsert(connection, change, id, &values, &values.document(), &stamps)?;
    let former: Vec<i32> = restorable.translations.iter().map(|translation| translation.id).collect();
    translations::rejoin(connection, change, id, &values.language, &former)?;
    slug_history::taken(connection, Kind::Publication, &values.slug)?;
    replace_links(connection, change, id, &restorable.links())?;
    let incoming: Vec<IncomingLink> = serde_json::from_str(&row.incoming).map_err(ApiError::internal)?;
    let sources: Vec<i32> = incoming.iter().map(|incoming| incoming.publication_id).collect();
    let sources = lookups::existing(connection, &sources)?;
    let link_ids: Vec<i32> = incoming.iter().map(|incoming| incoming.link.id).collect();
    let taken_ids = link_queries::existing(connection, &link_ids)?;
    for IncomingLink { publication_id, link } in incoming {
        if !sources.contains(&publication_id) || taken_ids.contains(&link.id) {
            continue;
        }
        let values = LinkValues {
            rel: LinkRel::from_stored(&link.rel),
            title: link.title,
            url: link.url,
            target_id: link.target_id,
            media_type: link.media_type,
            hreflang: link.hreflang,
            position: link.position,
        };
        let stamps = Stamps { created_at: link.created_at, updated_at: link.created_at, version: link.version };
        link_store::reinsert(connection, change, publication_id, link.id, &values, &stamps)?;
    }
    let former: Vec<String> = serde_json::from_str(&row.former_slugs).map_err(ApiError::internal)?;
    for former in former {
        if former != values.slug
            && !lookups::slug_taken(connection, &former, None)?
            && !slug_history::is_former_publication_slug(connection, &former)?
        {
            slug_history::remember(connection, Kind::Publication, id, &former)?;
        }
    }
    trash::remove(connection, id)?;
    let (publication, revision) = revise(connection, change, id, Reason::Untrash)?;
    Ok(Restored { publication, revision, restored_from: row.revision, left_out: missing })
}

/// Removes publication `id` from the trash for good, with its history.
/// No event: it left every view when it was trashed.
pub fn purge(connection: &mut DbConnection, id: i32) -> Result<(), ApiError> {
    in_trash(connection, id)?;
    revisions::purge(connection, id)?;
    trash::remove(connection, id)?;
    Ok(())
}

/// Purges at most `limit` publications trashed before `before`; returns
/// how many.
pub fn purge_due(connection: &mut DbConnection, before: NaiveDateTime, limit: i64) -> Result<usize, ApiError> {
    let due = trash::due(connection, before, limit)?;
    for id in &due {
        purge(connection, *id)?;
    }
    Ok(due.len())
}

/// A snapshot's content compared with the current state's: the merge patch
/// (RFC 7396) that turns the current detail into revision `number`'s,
/// leaving out what changes with every write (`version`, `updated_at`).
pub fn diff(current: &Publication, revision: &Snapshot) -> Result<Snapshot, ApiError> {
    let mut patch = snapshot::diff(&snapshot_of(current)?, revision);
    patch.remove("version");
    patch.remove("updated_at");
    Ok(patch)
}
