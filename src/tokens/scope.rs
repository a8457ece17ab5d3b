//! What a token may do. Scopes are ranked: `write` includes `read`, and
//! `admin` includes both, so a token's scope is the widest it was given.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A token's scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Drafts, scheduled items, revisions, the trash: everything a reader
    /// with a token sees.
    Read,
    /// Content writes and restores; includes `read`.
    Write,
    /// Tokens, trash purges and partner settings; includes `write`.
    Admin,
}

impl Scope {
    pub const ALL: [Self; 3] = [Self::Read, Self::Write, Self::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
            Self::Admin => "admin",
        }
    }

    /// Whether a token of this scope may do what `needed` allows.
    pub fn allows(self, needed: Self) -> bool {
        self >= needed
    }

    /// The stored word, read back; a word the schema cannot hold reads as
    /// the narrowest scope.
    pub fn from_stored(word: &str) -> Self {
        word.parse().unwrap_or(Self::Read)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

impl FromStr for Scope {
    type Err = String;

    fn from_str(word: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|scope| scope.as_str() == word)
            .ok_or_else(|| format!("'{word}' is not a scope: read, write or admin"))
    }
}

#[cfg(test)]
mod tests {
    use super::Scope;

    #[test]
    fn wider_scopes_include_narrower_ones() {
        assert!(Scope::Admin.allows(Scope::Write) && Scope::Admin.allows(Scope::Read));
        assert!(Scope::Write.allows(Scope::Read) && !Scope::Write.allows(Scope::Admin));
        assert!(!Scope::Read.allows(Scope::Write));
        assert_eq!("write".parse::<Scope>(), Ok(Scope::Write));
        assert!("root".parse::<Scope>().is_err());
    }
}
