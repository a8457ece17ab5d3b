//! Changes: who makes one and when ([`Change`]), what it touched
//! ([`Touched`], recorded by the stores and appended to the change log in
//! the write's own transaction by [`logged`]), the log as each process
//! follows it ([`feed`]), and what an answer depends on ([`Dependencies`]),
//! so that a cache drops only the answers a change could have altered.
//!
//! Every write receives its change — from the API (a token), the importer
//! or the demo loader alike — so that whatever a write records about itself
//! is decided inside its transaction, the same way whichever path it came
//! by.

mod dependencies;
pub mod events;
pub mod feed;
mod touched;

use std::cell::RefCell;
use std::fmt;

use chrono::NaiveDateTime;

use crate::db::{self, DbConnection};

pub use dependencies::{Dependencies, ListScope, Order};
pub use events::Note;
pub use touched::{Seen, Terms, Touched, changed_terms};

/// How many revisions of a publication are kept unless configured.
pub const DEFAULT_KEEP: u32 = 50;

/// Who makes a change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Author {
    /// The holder of an API token, by the token's id and name.
    Token { id: i32, name: String },
    /// A command of the `parution` binary: `import`, `seed-demo`.
    Command(&'static str),
}

impl Author {
    /// The name a revision records: the token's, or the command's.
    pub fn name(&self) -> String {
        match self {
            Self::Token { name, .. } => name.clone(),
            Self::Command(command) => format!("parution {command}"),
        }
    }
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
/// the write is tried again). The stores record in it what they touched.
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    pub author: Author,
    pub at: NaiveDateTime,
    /// A bulk load records what it touched as a whole, not row by row.
    bulk: bool,
    /// How many revisions of a publication its history keeps (besides
    /// those that changed its status).
    pub keep: u32,
    touched: RefCell<Vec<Touched>>,
    /// What the services say of the change, for the event log.
    notes: RefCell<Vec<Note>>,
}

impl Change {
    /// A change by `author`, now.
    pub fn now(author: Author) -> Self {
        Self {
            author,
            at: db::now(),
            bulk: false,
            keep: DEFAULT_KEEP,
            touched: RefCell::default(),
            notes: RefCell::default(),
        }
    }

    /// The same change, keeping `keep` revisions of each publication.
    pub fn keeping(self, keep: u32) -> Self {
        Self { keep: keep.max(1), ..self }
    }

    /// A bulk change by `author`, now: its rows are not recorded one by
    /// one; whoever makes it records [`Touched::Everything`].
    pub fn bulk(author: Author) -> Self {
        Self { bulk: true, ..Self::now(author) }
    }

    /// Records that the write touched something (a store calls this for
    /// every row it writes, unless the change is a bulk one).
    pub fn record(&self, touched: impl FnOnce() -> Touched) {
        if !self.bulk {
            self.touched.borrow_mut().push(touched());
        }
    }

    /// Whether this change records its rows one by one (a store need not
    /// read what it would record otherwise).
    pub fn records(&self) -> bool {
        !self.bulk
    }

    /// Notes what kind of change a service made to a resource (the event
    /// log tells it so).
    /// A bulk change notes nothing row by row.
    pub fn note(&self, note: Note) {
        if !self.bulk {
            self.notes.borrow_mut().push(note);
        }
    }

    /// Records, even in a bulk change, that anything may have changed.
    pub fn record_everything(&self) {
        self.touched.borrow_mut().push(Touched::Everything);
    }
}

/// Runs `write` (inside a write transaction) and appends what it touched
/// to the change log in the same transaction, stamped with the revision it
/// found and the one it leaves, and the events a reader could see to the
/// event log. What an earlier attempt recorded is forgotten: a write tried
/// again records afresh.
pub fn logged<T, E>(
    connection: &mut DbConnection,
    change: &Change,
    write: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    change.touched.borrow_mut().clear();
    change.notes.borrow_mut().clear();
    let since = db::catalogue_revision(connection)?;
    let value = write(connection)?;
    let touched = change.touched.take();
    let notes = change.notes.take();
    events::append(connection, change, &touched, &notes)?;
    let documents: Vec<String> = touched.iter().map(Touched::to_json).collect();
    db::changes::append(connection, since, &documents)?;
    Ok(value)
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
