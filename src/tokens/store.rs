//! The token store: tokens made, listed, revoked and recognised.
//!
//! A token reads `prt_<key>_<secret>`: 8 random bytes of lookup key and 32
//! of secret (256 bits), in hex. The key finds the row; the SHA-256 of the
//! secret is compared with the stored one in constant time, so neither the
//! database nor the timing of an answer gives the secret away.

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::db::schema::api_tokens;
use crate::db::{self, DbConnection};

use super::Scope;

const PREFIX: &str = "prt_";

/// The public start of a token: its prefix and lookup key.
pub const LOOKUP_LENGTH: usize = PREFIX.len() + 16;

/// `last_used_at` is written at most this often per token, so reading with
/// a token does not turn every request into a write.
const LAST_USE_PRECISION: TimeDelta = TimeDelta::minutes(1);

/// A token that was recognised.
#[derive(Clone, Debug)]
pub struct Recognised {
    pub id: i32,
    pub name: String,
    pub scope: Scope,
    /// Its `last_used_at` is older than the precision kept: the caller
    /// should record this use (apart from the answer, see `record_use`).
    pub use_to_record: bool,
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = api_tokens)]
pub struct TokenRow {
    pub id: i32,
    pub name: String,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
    pub scope: String,
    pub expires_at: Option<NaiveDateTime>,
}

/// What a presented token turned out to be.
#[derive(Clone, Debug)]
pub enum Presented {
    Valid(Recognised),
    /// Known, but past its expiry.
    Expired,
    /// Unknown, revoked, or not a token at all.
    Unknown,
}

fn random_hex(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    getrandom::fill(&mut buffer).expect("the operating system provides random bytes");
    hex(&buffer)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn hash(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// Creates a token named `name`, of `scope`, valid until `expires_at`
/// (for ever without), and returns its row and its only clear copy.
/// `Ok(None)` when the name is taken.
pub fn create(
    connection: &mut DbConnection,
    name: &str,
    scope: Scope,
    expires_at: Option<NaiveDateTime>,
) -> QueryResult<Option<(TokenRow, String)>> {
    let key = random_hex(8);
    let secret = random_hex(32);
    let inserted = diesel::insert_into(api_tokens::table)
        .values((
            api_tokens::name.eq(name),
            api_tokens::lookup_key.eq(&key),
            api_tokens::secret_hash.eq(hash(&secret)),
            api_tokens::created_at.eq(db::now()),
            api_tokens::scope.eq(scope.as_str()),
            api_tokens::expires_at.eq(expires_at),
        ))
        .execute(connection);
    match inserted {
        Ok(_) => {
            let row = api_tokens::table
                .filter(api_tokens::lookup_key.eq(&key))
                .select(TokenRow::as_select())
                .first(connection)?;
            Ok(Some((row, format!("{PREFIX}{key}_{secret}"))))
        }
        Err(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)) => Ok(None),
        Err(error) => Err(error),
    }
}

/// Token `id`, without its secret.
pub fn find(connection: &mut DbConnection, id: i32) -> QueryResult<Option<TokenRow>> {
    api_tokens::table.find(id).select(TokenRow::as_select()).first(connection).optional()
}

/// Every token, oldest first, without secrets.
pub fn list(connection: &mut DbConnection) -> QueryResult<Vec<TokenRow>> {
    api_tokens::table.select(TokenRow::as_select()).order(api_tokens::id).load(connection)
}

/// Revokes the token named `name`; `false` when no live token has that name.
pub fn revoke(connection: &mut DbConnection, name: &str) -> QueryResult<bool> {
    let revoked = diesel::update(api_tokens::table)
        .filter(api_tokens::name.eq(name).and(api_tokens::revoked_at.is_null()))
        .set(api_tokens::revoked_at.eq(Some(db::now())))
        .execute(connection)?;
    Ok(revoked > 0)
}

/// Revokes token `id`: its row as revoked, or `None` when no token has
/// that id. Revoking a revoked token changes nothing.
pub fn revoke_id(connection: &mut DbConnection, id: i32) -> QueryResult<Option<TokenRow>> {
    diesel::update(api_tokens::table.filter(api_tokens::id.eq(id).and(api_tokens::revoked_at.is_null())))
        .set(api_tokens::revoked_at.eq(Some(db::now())))
        .execute(connection)?;
    api_tokens::table.find(id).select(TokenRow::as_select()).first(connection).optional()
}

/// What `presented` is: a live token (and which), an expired one, or
/// nothing known.
pub fn authenticate(connection: &mut DbConnection, presented: &str) -> QueryResult<Presented> {
    let Some((key, secret)) = presented.strip_prefix(PREFIX).and_then(|rest| rest.split_once('_')) else {
        return Ok(Presented::Unknown);
    };
    type Found = (i32, String, String, Option<NaiveDateTime>, String, Option<NaiveDateTime>);
    let found: Option<Found> = api_tokens::table
        .filter(api_tokens::lookup_key.eq(key).and(api_tokens::revoked_at.is_null()))
        .select((
            api_tokens::id,
            api_tokens::name,
            api_tokens::secret_hash,
            api_tokens::last_used_at,
            api_tokens::scope,
            api_tokens::expires_at,
        ))
        .first(connection)
        .optional()?;
    let Some((id, name, stored, last_used_at, scope, expires_at)) = found else {
        return Ok(Presented::Unknown);
    };
    if !bool::from(hash(secret).as_bytes().ct_eq(stored.as_bytes())) {
        return Ok(Presented::Unknown);
    }
    let now = db::now();
    if expires_at.is_some_and(|expires_at| expires_at <= now) {
        return Ok(Presented::Expired);
    }
    Ok(Presented::Valid(Recognised {
        id,
        name,
        scope: Scope::from_stored(&scope),
        use_to_record: last_used_at.is_none_or(|at| now - at >= LAST_USE_PRECISION),
    }))
}

/// Records that token `id` was used now. A read must not wait for it (it
/// is a write, which may queue behind an import): callers run it apart.
pub fn record_use(connection: &mut DbConnection, id: i32) -> QueryResult<()> {
    diesel::update(api_tokens::table.find(id)).set(api_tokens::last_used_at.eq(Some(db::now()))).execute(connection)?;
    Ok(())
}
