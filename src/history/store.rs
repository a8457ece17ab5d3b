//! The revisions of each publication: appended in the write's own
//! transaction, numbered from 1 per publication, pruned as they are
//! written, read whole however they are stored.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::Value;

use crate::db::DbConnection;
use crate::db::schema::publication_revisions as revisions;

use super::snapshot::{self, Snapshot};

/// Why a revision was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// An edit: told apart from its snapshots as `create`, `publish`,
    /// `unpublish`, `archive` or `update`.
    Edit,
    /// Made equal to an earlier revision, whose number it gives.
    Restore(i32),
    /// Moved to the trash.
    Trash,
    /// Put back from the trash.
    Untrash,
}

/// A revision about to be appended.
pub struct NewRevision<'a> {
    pub publication_id: i32,
    pub at: NaiveDateTime,
    pub author: String,
    pub reason: Reason,
    /// The publication's version it records.
    pub version: i32,
    pub snapshot: &'a Snapshot,
}

/// A revision just appended: its number, why it was made (`create`,
/// `update`, `publish`, …) and the fields it changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Appended {
    pub number: i32,
    pub reason: &'static str,
    pub changed: Vec<String>,
}

/// A revision as stored (its snapshot may be a patch: see
/// [`snapshot_of`]).
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = revisions)]
pub struct RevisionRow {
    pub publication_id: i32,
    pub number: i32,
    pub created_at: NaiveDateTime,
    pub author: String,
    pub reason: String,
    pub changed: String,
    pub status_changed: bool,
    pub version: i32,
    pub restored_from: Option<i32>,
}

impl RevisionRow {
    /// The fields it changed.
    pub fn changed(&self) -> Vec<String> {
        serde_json::from_str(&self.changed).unwrap_or_default()
    }
}

fn parse(text: &str) -> QueryResult<Snapshot> {
    match serde_json::from_str(text) {
        Ok(Value::Object(snapshot)) => Ok(snapshot),
        _ => Err(diesel::result::Error::DeserializationError("a revision's snapshot is not a JSON object".into())),
    }
}

/// Whether a snapshot is of a publication's first version.
fn first_version(snapshot: &Snapshot) -> bool {
    snapshot.get("version").and_then(Value::as_i64) == Some(1)
}

/// The reason an edit from `before` to `after` is recorded with. A
/// publication past its first version with no revision yet (imported, or
/// written before history was kept) starts its history with an `update`.
fn edit_reason(before: Option<&Snapshot>, after: &Snapshot) -> &'static str {
    let Some(before) = before else {
        return if first_version(after) { "create" } else { "update" };
    };
    match (snapshot::stored_status(before), snapshot::stored_status(after)) {
        (previous, current) if previous == current => "update",
        (_, Some("published")) => "publish",
        (_, Some("archived")) => "archive",
        _ => "unpublish",
    }
}

/// Appends a revision of `new.publication_id` unless it is an edit that
/// changes nothing; returns what it appended. The revision before it is turned
/// into a patch from this one (unless it changed the status), and the
/// revisions beyond the newest `keep` that did not change the status are
/// pruned: a handful of rows a write, never a scan.
pub fn append(connection: &mut DbConnection, new: &NewRevision, keep: u32) -> QueryResult<Option<Appended>> {
    let latest: Option<(i32, bool, String)> = revisions::table
        .filter(revisions::publication_id.eq(new.publication_id))
        .order(revisions::number.desc())
        .select((revisions::number, revisions::status_changed, revisions::snapshot))
        .first(connection)
        .optional()?;
    let previous: Option<(i32, bool, Snapshot)> = match &latest {
        Some((number, status_changed, text)) => Some((*number, *status_changed, parse(text)?)),
        None => None,
    };
    let before = previous.as_ref().map(|(_, _, snapshot)| snapshot);
    let changed = snapshot::changed_fields(before, new.snapshot);
    let (reason, restored_from) = match new.reason {
        Reason::Edit if changed.is_empty() => return Ok(None),
        Reason::Edit => (edit_reason(before, new.snapshot), None),
        Reason::Restore(number) => ("restore", Some(number)),
        Reason::Trash => ("trash", None),
        Reason::Untrash => ("untrash", None),
    };
    let status_changed = match before {
        _ if matches!(new.reason, Reason::Trash | Reason::Untrash) => true,
        Some(before) => snapshot::stored_status(before) != snapshot::stored_status(new.snapshot),
        None => first_version(new.snapshot),
    };
    let number = previous.as_ref().map_or(1, |(number, _, _)| number + 1);
    if let Some((previous_number, false, before)) = &previous {
        let patch = snapshot::diff(new.snapshot, before);
        diesel::update(revisions::table.find((new.publication_id, previous_number)))
            .set((revisions::patched.eq(true), revisions::snapshot.eq(Value::Object(patch).to_string())))
            .execute(connection)?;
    }
    diesel::insert_into(revisions::table)
        .values((
            revisions::publication_id.eq(new.publication_id),
            revisions::number.eq(number),
            revisions::created_at.eq(new.at),
            revisions::author.eq(&new.author),
            revisions::reason.eq(reason),
            revisions::changed.eq(Value::from(changed.clone()).to_string()),
            revisions::status_changed.eq(status_changed),
            revisions::version.eq(new.version),
            revisions::restored_from.eq(restored_from),
            revisions::patched.eq(false),
            revisions::snapshot.eq(Value::Object(new.snapshot.clone()).to_string()),
        ))
        .execute(connection)?;
    let appended = Appended { number, reason, changed };
    let oldest_kept = number - keep.min(i32::MAX as u32) as i32;
    if oldest_kept < 1 {
        return Ok(Some(appended));
    }
    diesel::delete(
        revisions::table.filter(
            revisions::publication_id
                .eq(new.publication_id)
                .and(revisions::number.le(oldest_kept))
                .and(revisions::status_changed.eq(false)),
        ),
    )
    .execute(connection)?;
    Ok(Some(appended))
}

/// The revisions of publication `id`, newest first, one page of them, and
/// how many there are.
pub fn list(connection: &mut DbConnection, id: i32, limit: i64, offset: i64) -> QueryResult<(Vec<RevisionRow>, i64)> {
    let rows = revisions::table
        .filter(revisions::publication_id.eq(id))
        .order(revisions::number.desc())
        .limit(limit)
        .offset(offset)
        .select(RevisionRow::as_select())
        .load(connection)?;
    let total = revisions::table.filter(revisions::publication_id.eq(id)).count().get_result(connection)?;
    Ok((rows, total))
}

/// Revision `number` of publication `id`, if it is kept.
pub fn find(connection: &mut DbConnection, id: i32, number: i32) -> QueryResult<Option<RevisionRow>> {
    revisions::table.find((id, number)).select(RevisionRow::as_select()).first(connection).optional()
}

/// The newest revision of publication `id`, if it has one.
pub fn latest(connection: &mut DbConnection, id: i32) -> QueryResult<Option<RevisionRow>> {
    revisions::table
        .filter(revisions::publication_id.eq(id))
        .order(revisions::number.desc())
        .select(RevisionRow::as_select())
        .first(connection)
        .optional()
}

/// The whole snapshot of revision `number` of publication `id`, if it is
/// kept: the first whole snapshot at or after it, patched down to it.
pub fn snapshot_of(connection: &mut DbConnection, id: i32, number: i32) -> QueryResult<Option<Snapshot>> {
    let whole: Option<i32> = revisions::table
        .filter(revisions::publication_id.eq(id).and(revisions::number.ge(number)).and(revisions::patched.eq(false)))
        .select(diesel::dsl::min(revisions::number))
        .first(connection)?;
    let Some(whole) = whole else { return Ok(None) };
    let rows: Vec<(i32, String)> = revisions::table
        .filter(revisions::publication_id.eq(id).and(revisions::number.between(number, whole)))
        .order(revisions::number.desc())
        .select((revisions::number, revisions::snapshot))
        .load(connection)?;
    // Every revision between a patch and the whole snapshot after it is
    // kept (pruning takes only the oldest); a gap means `number` is not.
    if rows.len() as i64 != i64::from(whole - number + 1) {
        return Ok(None);
    }
    let mut rows = rows.into_iter();
    let Some((_, text)) = rows.next() else { return Ok(None) };
    let mut snapshot = parse(&text)?;
    for (_, patch) in rows {
        snapshot::apply(&mut snapshot, &parse(&patch)?);
    }
    Ok(Some(snapshot))
}

/// Removes the whole history of publication `id` (a purge).
pub fn purge(connection: &mut DbConnection, id: i32) -> QueryResult<usize> {
    diesel::delete(revisions::table.filter(revisions::publication_id.eq(id))).execute(connection)
}
