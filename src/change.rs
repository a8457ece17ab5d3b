//! Who makes a change, and when. Every write receives its [`Change`] —
//! from the API (a token), the importer or the demo loader alike — so that
//! whatever a write records about itself (its dates today) is decided
//! inside its transaction, the same way whichever path it came by.

use std::fmt;

use chrono::NaiveDateTime;

/// Who makes a change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Author {
    /// The holder of an API token, by the token's id and name.
    Token { id: i32, name: String },
    /// A command of the `parution` binary: `import`, `seed-demo`.
    Command(&'static str),
}

impl fmt::Display for Author {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Token { name, .. } => write!(formatter, "token '{name}'"),
            Self::Command(command) => write!(formatter, "parution {command}"),
        }
    }
}

/// One change: its author, and its instant, which every row it writes is
/// dated with (the same instant however many rows, and however many times
/// the write is tried again).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub author: Author,
    pub at: NaiveDateTime,
}

impl Change {
    /// A change by `author`, now.
    pub fn now(author: Author) -> Self {
        Self { author, at: crate::db::now() }
    }
}

/// The dates and version a write gives a row: through the API, the
/// change's instant and the next version; through the importer, those the
/// file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamps {
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub version: i32,
}

impl Stamps {
    /// A row made by `change`: its first version.
    pub fn new(change: &Change) -> Self {
        Self { created_at: change.at, updated_at: change.at, version: 1 }
    }

    /// The next version of a row made at `created_at` and at `version`
    /// now, changed by `change`.
    pub fn next(created_at: NaiveDateTime, version: i32, change: &Change) -> Self {
        Self { created_at, updated_at: change.at, version: version + 1 }
    }
}
