//! What a write touched, as the caches need to know it: a publication as
//! it was and as it is (what a public answer or a count could show of it),
//! categories, or anything at all.

use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use crate::domain::Status;

/// One thing a write touched.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Touched {
    /// A publication, as it was before the write (`None`: it did not exist)
    /// and as it is after (`None`: deleted), and the search terms its text
    /// gained or lost.
    Publication {
        id: i32,
        before: Option<Box<Seen>>,
        after: Option<Box<Seen>>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        terms_changed: Vec<String>,
    },
    /// A publication whose links from or to others changed: what shows
    /// its neighbours (its related publications) may differ; it does not.
    Linked { id: i32 },
    /// The categories: created, moved or deleted (`names: false`; the lists
    /// filtered by one of `affected`, the category and its ancestors before
    /// and after, may differ), or renamed (`names: true`: every answer that
    /// embeds a category's name or slug may differ).
    Categories {
        names: bool,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        affected: Vec<i32>,
    },
    /// Anything: a bulk load, a write described no further.
    Everything,
}

impl Touched {
    pub fn to_json(&self) -> String {
        // A plain enum of strings, numbers and lists always serialises.
        serde_json::to_string(self).unwrap_or_else(|_| r#"{"kind":"everything"}"#.to_owned())
    }

    /// The same change as a cache applying it at `at` must see it, when
    /// that differs: a publication written before its release or expiry
    /// and applied after it is public, or no longer. `None`: as it is.
    pub fn seen_at(&self, at: NaiveDateTime) -> Option<Self> {
        let Self::Publication { id, before, after, terms_changed } = self else { return None };
        let (before_at, after_at) =
            (before.as_ref().and_then(|seen| seen.at(at)), after.as_ref().and_then(|seen| seen.at(at)));
        if before_at.is_none() && after_at.is_none() {
            return None;
        }
        Some(Self::Publication {
            id: *id,
            before: before_at.or_else(|| before.clone()),
            after: after_at.or_else(|| after.clone()),
            terms_changed: terms_changed.clone(),
        })
    }

    /// Reads a logged change; one this build cannot read counts as
    /// anything.
    pub fn from_json(json: &str) -> Self {
        serde_json::from_str(json).unwrap_or(Self::Everything)
    }
}

/// What answers and counts can tell of a publication.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seen {
    pub status: Status,
    /// Whether a reader without a token may see it, at the instant of the
    /// write: a cache that applies the write later asks again
    /// ([`Touched::seen_at`]), since a release or expiry may lie between.
    pub public: bool,
    pub slug: String,
    /// Its title's sort key.
    pub title: String,
    pub language: String,
    /// The categories it is filed under directly.
    pub categories: Vec<i32>,
    pub published_at: Option<NaiveDateTime>,
    /// When it leaves public view.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unpublish_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
    /// The terms its text is indexed with.
    pub terms: Terms,
}

impl Seen {
    /// The same publication as seen at `at`, when its visibility differs.
    fn at(&self, at: NaiveDateTime) -> Option<Box<Self>> {
        let public = self.status.at(self.published_at, self.unpublish_at, at).is_public();
        (public != self.public).then(|| Box::new(Self { public, ..self.clone() }))
    }
}

/// The terms that are in one of two texts' terms but not in the other's.
pub fn changed_terms(before: &str, after: &str) -> Vec<String> {
    fn set(text: &str) -> std::collections::BTreeSet<&str> {
        text.split(' ').filter(|term| !term.is_empty()).collect()
    }
    let (before, after) = (set(before), set(after));
    before.symmetric_difference(&after).map(|term| (*term).to_owned()).collect()
}

/// A set of search terms, kept small: a Bloom filter of 8 192 bits with
/// three hashes (about one false "maybe" in a hundred for 600 distinct
/// terms, never a false "no"). Enough to tell which kept searches a change
/// may have touched.
#[derive(Clone, PartialEq, Eq)]
pub struct Terms(Box<[u8; TERMS_BYTES]>);

const TERMS_BYTES: usize = 1024;
const TERMS_BITS: u64 = (TERMS_BYTES * 8) as u64;

impl Terms {
    /// The set of the space-separated terms of `text`.
    pub fn of(text: &str) -> Self {
        let mut bits = Box::new([0u8; TERMS_BYTES]);
        for term in text.split(' ').filter(|term| !term.is_empty()) {
            for bit in Self::bits(term) {
                bits[(bit / 8) as usize] |= 1 << (bit % 8);
            }
        }
        Self(bits)
    }

    fn bits(term: &str) -> [u64; 3] {
        let hash = xxhash_rust::xxh3::xxh3_128(term.as_bytes());
        let (high, low) = ((hash >> 64) as u64, hash as u64);
        [low % TERMS_BITS, high % TERMS_BITS, (low ^ high.rotate_left(17)) % TERMS_BITS]
    }

    /// Whether `term` may be in the set (`false`: it surely is not).
    pub fn may_hold(&self, term: &str) -> bool {
        Self::bits(term).iter().all(|bit| self.0[(bit / 8) as usize] & (1 << (bit % 8)) != 0)
    }
}

impl std::fmt::Debug for Terms {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set = self.0.iter().map(|byte| byte.count_ones()).sum::<u32>();
        write!(formatter, "Terms({set} bits set)")
    }
}

impl Serialize for Terms {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&STANDARD_NO_PAD.encode(self.0.as_slice()))
    }
}

impl<'de> Deserialize<'de> for Terms {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        let bytes = STANDARD_NO_PAD.decode(text).map_err(serde::de::Error::custom)?;
        let bits: [u8; TERMS_BYTES] =
            bytes.try_into().map_err(|_| serde::de::Error::custom("a set of terms has 1 024 bytes"))?;
        Ok(Self(Box::new(bits)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_of_terms_holds_its_terms_and_rarely_others() {
        let text: Vec<String> = (0..600).map(|n| format!("terme{n}")).collect();
        let terms = Terms::of(&text.join(" "));
        assert!(text.iter().all(|term| terms.may_hold(term)), "never a false no");
        let strangers = (0..10_000).filter(|n| terms.may_hold(&format!("autre{n}"))).count();
        assert!(strangers < 300, "{strangers} false maybes in 10 000");
        let round_trip: Terms = serde_json::from_str(&serde_json::to_string(&terms).unwrap()).unwrap();
        assert_eq!(round_trip, terms);
    }
}
