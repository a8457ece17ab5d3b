//! The change feed's cursors: opaque to clients, base64url of a small JSON
//! document holding where the reader is (in the snapshot a feed starts
//! with, or after an event of the log) and the fingerprint of the view it
//! was made for, so that a cursor altered or used with other filters is
//! refused rather than silently skipping events.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// The longest cursor read: a few dozen bytes are made.
const MAX_LENGTH: usize = 512;

/// Where a reader of the feed is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "at", rename_all = "snake_case")]
pub enum Position {
    /// In the snapshot of the state as of event `head`: its categories
    /// after id `after`, then its publications.
    Categories { head: i64, after: i32 },
    /// In the snapshot: its publications after id `after`.
    Publications { head: i64, after: i32 },
    /// After event `seq` of the log.
    Log { seq: i64 },
}

#[derive(Serialize, Deserialize)]
struct Envelope {
    /// The fingerprint of the view.
    v: String,
    #[serde(flatten)]
    position: Position,
}

impl Position {
    pub fn encode(&self, fingerprint: &str) -> String {
        let envelope = Envelope { v: fingerprint.to_owned(), position: *self };
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&envelope).unwrap_or_default())
    }

    /// Reads a cursor made for the view of `fingerprint`.
    pub fn decode(raw: &str, fingerprint: &str) -> Result<Self, ApiError> {
        let invalid = |message: &str| ApiError::invalid_parameter("cursor", "invalid_cursor", message.to_owned());
        if raw.len() > MAX_LENGTH {
            return Err(invalid("is longer than any cursor this API makes"));
        }
        let envelope: Envelope = URL_SAFE_NO_PAD
            .decode(raw)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or_else(|| invalid("is not a cursor this API made; start without one"))?;
        if envelope.v != fingerprint {
            return Err(invalid(
                "was made for other filters (type, category, language) or another audience; keep the filters a cursor was made with",
            ));
        }
        let position = envelope.position;
        let negative = match position {
            Position::Categories { head, after } | Position::Publications { head, after } => head < 0 || after < 0,
            Position::Log { seq } => seq < 0,
        };
        if negative {
            return Err(invalid("is not a cursor this API made; start without one"));
        }
        Ok(position)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_for_its_view_only() {
        for position in [
            Position::Log { seq: 42 },
            Position::Categories { head: 9, after: 0 },
            Position::Publications { head: 9, after: 17 },
        ] {
            let cursor = position.encode("abc");
            assert_eq!(Position::decode(&cursor, "abc").unwrap(), position);
            assert!(Position::decode(&cursor, "abd").is_err());
        }
        assert!(Position::decode("not a cursor", "abc").is_err());
        assert!(Position::decode(&"a".repeat(600), "abc").is_err());
        let negative = URL_SAFE_NO_PAD.encode(br#"{"v":"abc","at":"log","seq":-1}"#);
        assert!(Position::decode(&negative, "abc").is_err());
    }
}
