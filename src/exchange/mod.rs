//! Export and import as JSON Lines: one JSON object a line, first every
//! category (parents before children), then every publication with its
//! categories and links. Resources refer to each other by slug, so a file
//! moves between databases (and backends); times and versions travel as
//! they are, so exporting what was imported into an empty database gives
//! the same bytes.
//!
//! - `format`: the lines, checked with the very rules of the API's writes,
//!   and where they are read from;
//! - `export`: the catalogue as lines;
//! - `import`: lines upserted by slug through the stores, in batches.

mod export;
mod format;
mod import;

pub use export::export;
pub use format::{Source, blobs_in};
pub use import::{ImportReport, import};
