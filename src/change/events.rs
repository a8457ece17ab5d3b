//! The events a change appends to the event log, in its own transaction:
//! one per resource a service changed in a way a reader could see, told
//! by the notes the services leave in the change (what kind of change,
//! which fields) and by what the stores recorded (the publication before
//! and after: its visibility, categories and language).
//!
//! "Before" is what the log last said of the resource, when it said
//! anything: a follower of the log knows the resource as its last event
//! left it, so a change is told against that (a publication that left
//! public view at its `unpublish_at` before its expiry was announced still
//! leaves it, in the follower's eyes, with the next change). Without an
//! earlier event, it is the state the store read before writing.

use chrono::NaiveDateTime;
use diesel::QueryResult;
use serde_json::Value;

use crate::db::DbConnection;
use crate::db::events::{self, EventRow, NewEvent};
use crate::domain::Status;

use super::{Change, Seen, Touched};

/// What a service says of a change it made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Note {
    /// A revision of a publication was recorded: why (`create`, `update`,
    /// `publish`, `unpublish`, `archive`, `restore`, `trash`, `untrash`),
    /// the fields it changed and the version it left.
    Publication { id: i32, reason: &'static str, changed: Vec<String>, version: i32 },
    /// A category was created, changed or deleted.
    Category { id: i32, kind: CategoryChange, slug: String, version: i32, changed: Vec<String> },
}

/// What happened to a category.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CategoryChange {
    Created,
    /// Its name, description, slug or position changed.
    Updated,
    /// Its parent changed (and maybe more).
    Moved,
    Deleted,
}

impl CategoryChange {
    fn kind(self) -> &'static str {
        match self {
            Self::Created => "category.created",
            Self::Updated => "category.updated",
            Self::Moved => "category.moved",
            Self::Deleted => "category.deleted",
        }
    }
}

pub const PUBLICATION: &str = "publication";
pub const CATEGORY: &str = "category";
pub const CATALOGUE: &str = "catalogue";

/// The type of a bulk load's event: the catalogue changed as a whole, and
/// whoever mirrors it starts over.
pub const IMPORTED: &str = "catalogue.imported";

fn json_ids(ids: &[i32]) -> String {
    Value::from(ids.to_vec()).to_string()
}

fn json_texts(texts: &[String]) -> String {
    Value::from(texts.to_vec()).to_string()
}

/// Appends the events of `change`: one per note, and one for a bulk load
/// (which notes nothing row by row).
pub fn append(connection: &mut DbConnection, change: &Change, touched: &[Touched], notes: &[Note]) -> QueryResult<()> {
    let mut new = Vec::with_capacity(notes.len());
    if notes.is_empty() && touched.iter().any(|touched| matches!(touched, Touched::Everything)) {
        new.push(NewEvent {
            occurred_at: change.at,
            kind: IMPORTED.to_owned(),
            resource: CATALOGUE.to_owned(),
            resource_id: 0,
            slug: String::new(),
            language: None,
            version: None,
            categories: "[]".to_owned(),
            categories_before: "[]".to_owned(),
            language_before: None,
            changed: "[]".to_owned(),
            public_before: true,
            public_after: true,
            exists_before: true,
            exists_after: true,
        });
    }
    for note in notes {
        match note {
            Note::Publication { id, reason, changed, version } => {
                let (before, after) = seen_of(touched, *id);
                let kind = publication_kind(reason, after, change.at);
                let Some(event) = publication_event(
                    connection,
                    change.at,
                    *id,
                    Facts { kind, version: Some(*version), changed, before, after, public_before: None },
                )?
                else {
                    log::warn!("publication {id} was revised without a row written: no event");
                    continue;
                };
                new.push(event);
            }
            Note::Category { id, kind, slug, version, changed } => {
                let exists_before = *kind != CategoryChange::Created;
                let exists_after = *kind != CategoryChange::Deleted;
                new.push(NewEvent {
                    occurred_at: change.at,
                    kind: kind.kind().to_owned(),
                    resource: CATEGORY.to_owned(),
                    resource_id: *id,
                    slug: slug.clone(),
                    language: None,
                    version: Some(*version),
                    categories: "[]".to_owned(),
                    categories_before: "[]".to_owned(),
                    language_before: None,
                    changed: json_texts(changed),
                    public_before: exists_before,
                    public_after: exists_after,
                    exists_before,
                    exists_after,
                });
            }
        }
    }
    events::append(connection, &new)
}

/// The type of a publication's event, from its revision's reason.
fn publication_kind(reason: &str, after: Option<&Seen>, at: NaiveDateTime) -> &'static str {
    match reason {
        "create" => "publication.created",
        "publish"
            if after
                .is_some_and(|seen| seen.status.at(seen.published_at, seen.unpublish_at, at) == Status::Scheduled) =>
        {
            "publication.scheduled"
        }
        "publish" => "publication.published",
        "unpublish" => "publication.unpublished",
        "archive" => "publication.archived",
        "restore" => "publication.restored",
        "trash" => "publication.trashed",
        "untrash" => "publication.untrashed",
        _ => "publication.updated",
    }
}

/// Publication `id` as the change found it (the first record of it) and
/// left it (the last: `None` when it was deleted).
fn seen_of(touched: &[Touched], id: i32) -> (Option<&Seen>, Option<&Seen>) {
    let records: Vec<_> = touched
        .iter()
        .filter_map(|touched| match touched {
            Touched::Publication { id: touched_id, before, after, .. } if *touched_id == id => Some((before, after)),
            _ => None,
        })
        .collect();
    let (Some(first), Some(last)) = (records.first(), records.last()) else { return (None, None) };
    (first.0.as_deref(), last.1.as_deref())
}

/// What an event of a publication says, besides what the log said before.
pub struct Facts<'a> {
    pub kind: &'a str,
    pub version: Option<i32>,
    pub changed: &'a [String],
    pub before: Option<&'a Seen>,
    pub after: Option<&'a Seen>,
    /// Whether it was public before, when the log has no earlier event
    /// and the caller knows better than `before`.
    pub public_before: Option<bool>,
}

/// The event of publication `id`; `None` when neither `before` nor
/// `after` is known (nothing to tell it by).
fn publication_event(
    connection: &mut DbConnection,
    at: NaiveDateTime,
    id: i32,
    facts: Facts,
) -> QueryResult<Option<NewEvent>> {
    let prior: Option<EventRow> = events::last_of(connection, PUBLICATION, id)?;
    let Some(described) = facts.after.or(facts.before) else { return Ok(None) };
    let (public_before, exists_before, categories_before, language_before) = match &prior {
        Some(prior) => (prior.public_after, prior.exists_after, prior.categories.clone(), prior.language.clone()),
        None => (
            facts.public_before.unwrap_or_else(|| facts.before.is_some_and(|seen| seen.public)),
            facts.before.is_some(),
            json_ids(facts.before.map_or(&[][..], |seen| &seen.categories)),
            facts.before.map(|seen| seen.language.clone()),
        ),
    };
    Ok(Some(NewEvent {
        occurred_at: at,
        kind: facts.kind.to_owned(),
        resource: PUBLICATION.to_owned(),
        resource_id: id,
        slug: described.slug.clone(),
        language: Some(described.language.clone()),
        version: facts.version,
        categories: json_ids(&described.categories),
        categories_before,
        language_before,
        changed: json_texts(facts.changed),
        public_before,
        public_after: facts.after.is_some_and(|seen| seen.public),
        exists_before,
        exists_after: facts.after.is_some(),
    }))
}

/// Appends the event of a scheduled transition of publication `id`, as
/// `seen` now (`publication.published` at a release, `publication.expired`
/// at an expiry).
pub fn transition(
    connection: &mut DbConnection,
    at: NaiveDateTime,
    id: i32,
    kind: &str,
    version: i32,
    seen: &Seen,
) -> QueryResult<()> {
    // Without an earlier event, a release was not public before, and an
    // expiry was.
    let public_before = Some(kind != "publication.published");
    let facts =
        Facts { kind, version: Some(version), changed: &[], before: Some(seen), after: Some(seen), public_before };
    match publication_event(connection, at, id, facts)? {
        Some(event) => events::append(connection, &[event]),
        None => Ok(()),
    }
}
