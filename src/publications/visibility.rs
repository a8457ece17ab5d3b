//! Who may see a publication: the one rule that every query reaching
//! publications applies, whether it reads them directly (details, lists,
//! totals, facets, search, feeds) or through something else (links and
//! related publications, former slugs, category counts). A change to the
//! rule is made here and nowhere else.
//!
//! The rule, today: without a token, only `published` publications; with
//! one, every publication. A list may narrow that further to the statuses
//! it asks for, which is why the rule takes them.

use chrono::NaiveDateTime;
use diesel::sql_types::Bool;

use crate::auth::Access;
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

/// Whether `access` may see publications of `status`.
pub fn may_see(access: Access, status: Status) -> bool {
    access.is_editor() || status == Status::Published
}

/// Whether a reader without a token may see a publication of `status`:
/// what the change log keeps, so that caches know what public answers a
/// write could alter.
pub fn public(status: Status) -> bool {
    may_see(Access::Public, status)
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
    if seen.len() == Status::ALL.len() {
        return Raw::always();
    }
    match (seen.as_slice(), index) {
        ([], _) => Raw::new("1 = 0"),
        // The statuses are fixed words, written inline: `status || ''`
        // is an expression that no index holds.
        (_, StatusIndex::Avoided) => {
            let quoted: Vec<String> = seen.iter().map(|status| format!("'{}'", status.as_str())).collect();
            Raw::new(format!("(publications.status || '') IN ({})", quoted.join(", ")))
        }
        // One status is an equality, which PostgreSQL walks in the order
        // of the (status, date) index; a list would make it sort every row
        // of the status first.
        ([status], StatusIndex::Usable) => Raw::new("publications.status = ").text(status.as_str().to_owned()),
        (several, StatusIndex::Usable) => {
            let mut condition = Raw::new("publications.status IN (");
            for (index, status) in several.iter().enumerate() {
                if index > 0 {
                    condition = condition.sql(", ");
                }
                condition = condition.text(status.as_str().to_owned());
            }
            condition.sql(")")
        }
    }
}
