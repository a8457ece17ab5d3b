//! The past of the catalogue: the revisions of each publication and the
//! trash. This layer stores and reads them — numbered, pruned, patched —
//! and knows no resource: a snapshot is a JSON object that the
//! publication service makes (its detail as a token holder reads it).
//!
//! How a history stays small: the newest revision of a publication holds
//! its whole snapshot, and each older one, once a newer one exists, only
//! the merge patch that turns the next revision's snapshot into its own
//! (a title edit: a few hundred bytes instead of the whole body). A
//! revision that changed the status keeps its whole snapshot, so that it
//! stands alone when the revisions around it are pruned. Reading revision
//! `n` starts from the first whole snapshot at or after it and applies
//! the patches down to `n`: at most as many as the history keeps.

pub mod snapshot;
pub mod store;
pub mod trash;

pub use snapshot::Snapshot;
pub use store::{NewRevision, Reason, RevisionRow};
