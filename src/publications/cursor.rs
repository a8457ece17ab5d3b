//! Cursors: opaque, keyset-based positions in a sorted list. A cursor holds
//! the sort keys of the last item a page showed; the next page starts
//! strictly after them, so its cost does not grow with depth and items
//! inserted meanwhile neither repeat nor shift what follows.
//!
//! A cursor is base64url of a small JSON document that also carries a
//! fingerprint of the query it belongs to: a cursor that was altered, or
//! that is used with other filters, is refused (400).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::search::{SearchQuery, title_matches};

use super::list::Sort;
use super::lookups::SummaryRow;

/// The sort keys of the last item of a page, and its id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Key {
    /// `published_at` (`None` for a draft).
    Published(Option<NaiveDateTime>),
    Title(String),
    Updated(NaiveDateTime),
    /// Whether the title matched, then `published_at`.
    Relevance(bool, Option<NaiveDateTime>),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub key: Key,
    pub id: i32,
}

#[derive(Serialize, Deserialize)]
struct Envelope {
    /// The fingerprint of the query.
    q: String,
    key: Key,
    id: i32,
}

/// What a query's cursors are bound to: every parameter but the position.
pub fn fingerprint(query_string: &str) -> String {
    let mut pairs: Vec<(String, String)> = form_urlencoded::parse(query_string.as_bytes())
        .into_owned()
        .filter(|(name, _)| !matches!(name.as_str(), "page" | "per_page" | "cursor"))
        .collect();
    pairs.sort();
    let digest = Sha256::digest(serde_json::to_vec(&pairs).unwrap_or_default());
    digest.iter().take(8).map(|byte| format!("{byte:02x}")).collect()
}

impl Cursor {
    /// The position after `row` in `sort` order.
    pub fn after(row: &SummaryRow, sort_title: &str, sort: Sort, search: Option<&SearchQuery>) -> Self {
        let key = match sort {
            Sort::PublishedDesc | Sort::PublishedAsc => Key::Published(row.published_at),
            Sort::TitleAsc | Sort::TitleDesc => Key::Title(sort_title.to_owned()),
            Sort::UpdatedDesc | Sort::UpdatedAsc => Key::Updated(row.updated_at),
            Sort::Relevance => {
                let in_title = search.is_some_and(|search| title_matches(&row.language, &row.title, search));
                Key::Relevance(in_title, row.published_at)
            }
        };
        Self { key, id: row.id }
    }

    pub fn encode(&self, fingerprint: &str) -> String {
        let envelope = Envelope { q: fingerprint.to_owned(), key: self.key.clone(), id: self.id };
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&envelope).unwrap_or_default())
    }

    /// Reads a cursor made for this query and this sort.
    pub fn decode(raw: &str, fingerprint: &str, sort: Sort) -> Result<Self, ApiError> {
        let invalid = |message: &str| ApiError::invalid_parameter("cursor", "invalid_cursor", message.to_owned());
        let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| invalid("is not a cursor this API made"))?;
        let envelope: Envelope =
            serde_json::from_slice(&bytes).map_err(|_| invalid("is not a cursor this API made"))?;
        if envelope.q != fingerprint {
            return Err(invalid("belongs to another query: keep every parameter but page and cursor"));
        }
        let fits = matches!(
            (&envelope.key, sort),
            (Key::Published(_), Sort::PublishedDesc | Sort::PublishedAsc)
                | (Key::Title(_), Sort::TitleAsc | Sort::TitleDesc)
                | (Key::Updated(_), Sort::UpdatedDesc | Sort::UpdatedAsc)
                | (Key::Relevance(..), Sort::Relevance)
        );
        if !fits {
            return Err(invalid("belongs to another sort"));
        }
        Ok(Self { key: envelope.key, id: envelope.id })
    }
}
