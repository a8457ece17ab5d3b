//! Who may see a publication: the one rule that every query reaching
//! publications applies, whether it reads them directly (details, lists,
//! totals, facets, search, feeds, the release calendar) or through
//! something else (links and related publications, former slugs, category
//! counts). A change to the rule is made here and nowhere else.
//!
//! The rule: without a token, only publications that are `published` at
//! the viewer's instant — stored as published, `published_at` reached,
//! `unpublish_at` not reached; with one, every publication. A list may
//! narrow that further to the statuses it asks for, which is why the rule
//! takes them. The instant is the server's clock, read once per request
//! and bound as a parameter, so the database's clock plays no part and a
//! read replica answers what the primary would at the same instant.
//! [`Status::at`] is the same rule in Rust, for what is already read.

use chrono::NaiveDateTime;
use diesel::sql_types::Bool;

use crate::auth::Access;
use crate::db::CatalogueState;
use crate::db::fragment::Raw;
use crate::domain::Status;

/// Who is looking, and at what instant: the same instant for every query
/// of one request, so that its parts agree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Viewer {
    pub access: Access,
    pub at: NaiveDateTime,
}

impl Viewer {
    /// `access` looking now.
    pub fn now(access: Access) -> Self {
        Self { access, at: crate::db::now() }
    }

    /// `access` looking at the instant `state` was read at, so that the
    /// answer agrees with the state's validators and cache lifetime.
    pub fn as_of(access: Access, state: &CatalogueState) -> Self {
        Self { access, at: state.at }
    }

    /// A reader without a token, now: what public counts are made for.
    pub fn public() -> Self {
        Self::now(Access::Public)
    }

    /// A token holder, now: what writes read the current state as.
    pub fn editor() -> Self {
        Self::now(Access::Editor)
    }
}

/// How the status is compared. SQLite's planner, without statistics,
/// prefers the status index to a search's few matches; a search driven by
/// its matches asks for a comparison that index cannot serve.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StatusIndex {
    #[default]
    Usable,
    Avoided,
}

/// Whether `access` may see publications of `status` (as of an instant:
/// [`Status::at`]).
pub fn may_see(access: Access, status: Status) -> bool {
    access.is_editor() || status.is_public()
}

/// The publications that `viewer` may see, as a condition on any query
/// whose FROM clause holds `publications` (alone, joined or grouped, or in
/// SQL written by hand).
pub fn visible(viewer: &Viewer) -> Raw<Bool> {
    visible_among(viewer, &Status::ALL, StatusIndex::Usable)
}

/// The same, among the publications of `statuses` only (a list's status
/// filter), with the status compared as `index` asks.
pub fn visible_among(viewer: &Viewer, statuses: &[Status], index: StatusIndex) -> Raw<Bool> {
    let seen: Vec<Status> = statuses.iter().copied().filter(|status| may_see(viewer.access, *status)).collect();
    if Status::ALL.iter().all(|status| seen.contains(status)) {
        return Raw::always();
    }
    // Stored statuses wholly seen are compared alone; the stages of a
    // published publication that are not all seen, with their times.
    let released_whole = Status::RELEASED.iter().all(|status| seen.contains(status));
    let whole: Vec<Status> = seen
        .iter()
        .copied()
        .filter(|status| !Status::RELEASED.contains(status))
        .chain(released_whole.then_some(Status::Published))
        .collect();
    let stages: Vec<Status> = if released_whole {
        Vec::new()
    } else {
        seen.iter().copied().filter(|status| Status::RELEASED.contains(status)).collect()
    };
    let mut terms: Vec<Raw<Bool>> = Vec::new();
    if !whole.is_empty() {
        terms.push(stored_among(&whole, index));
    }
    for stage in stages {
        terms.push(stored_among(&[Status::Published], index).sql(" AND ").append(stage_at(stage, viewer.at)));
    }
    match terms.len() {
        0 => Raw::new("1 = 0"),
        1 => terms.remove(0),
        _ => {
            let mut any = Raw::new("(");
            for (position, term) in terms.into_iter().enumerate() {
                if position > 0 {
                    any = any.sql(" OR ");
                }
                any = any.sql("(").append(term).sql(")");
            }
            any.sql(")")
        }
    }
}

/// The publications stored with one of `statuses`.
fn stored_among(statuses: &[Status], index: StatusIndex) -> Raw<Bool> {
    match (statuses, index) {
        // The statuses are fixed words, written inline: `status || ''`
        // is an expression that no index holds.
        (_, StatusIndex::Avoided) => {
            let quoted: Vec<String> = statuses.iter().map(|status| format!("'{}'", status.as_str())).collect();
            Raw::new(format!("(publications.status || '') IN ({})", quoted.join(", ")))
        }
        // One status is an equality, which PostgreSQL walks in the order
        // of the (status, date) index; a list would make it sort every row
        // of the status first.
        ([status], StatusIndex::Usable) => Raw::new("publications.status = ").text(status.as_str().to_owned()),
        (several, StatusIndex::Usable) => {
            let mut condition = Raw::new("publications.status IN (");
            for (position, status) in several.iter().enumerate() {
                if position > 0 {
                    condition = condition.sql(", ");
                }
                condition = condition.text(status.as_str().to_owned());
            }
            condition.sql(")")
        }
    }
}

/// The times that make a published publication show `stage` at `at`
/// (a published one always has a `published_at`).
fn stage_at(stage: Status, at: NaiveDateTime) -> Raw<Bool> {
    match stage {
        Status::Scheduled => Raw::new("publications.published_at > ").timestamp(at),
        Status::Expired => Raw::new("publications.published_at <= ")
            .timestamp(at)
            .sql(" AND publications.unpublish_at <= ")
            .timestamp(at),
        _ => Raw::new("publications.published_at <= ")
            .timestamp(at)
            .sql(" AND (publications.unpublish_at IS NULL OR publications.unpublish_at > ")
            .timestamp(at)
            .sql(")"),
    }
}
