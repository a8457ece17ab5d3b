//! Who is asking: the public, or the holder of an API token, and what its
//! scope lets it do.
//!
//! `Access` is taken by reads, which show drafts, scheduled and archived
//! content to any token holder (every scope includes `read`). `Reader`,
//! `Editor` and `Admin` are required by what needs a token of at least
//! `read`, `write` or `admin`: without a token, a 401; with one of a
//! narrower scope, a 403 naming the scope needed (RFC 6750). A token that
//! is sent must be valid, even where none is needed: a bad or expired one
//! is a 401, never a silent fall back to public access. The token's author
//! goes with the request, for the access log.

use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};

use crate::change::{self, Author, Change};
use crate::config::HistorySettings;
use crate::db::{self, DbConnection, Pool};
use crate::error::ApiError;
use crate::tokens::scope::Scope;
use crate::tokens::store::{self as tokens, Presented};

/// A valid API token, as presented with a request.
#[derive(Clone, Debug)]
pub struct Token {
    pub id: i32,
    /// The token's name: who the token says makes a change.
    pub name: String,
    pub scope: Scope,
    /// How the history of what it writes is kept.
    history: HistorySettings,
}

impl Token {
    /// Who this token's holder is, as a change records it.
    pub fn author(&self) -> Author {
        Author::Token { id: self.id, name: self.name.clone() }
    }

    /// Runs `write` in one write transaction ([`db::write`], which may run
    /// it again after a lost race), with the change it makes: by this
    /// token's holder, now. What it touched goes to the change log in the
    /// same transaction.
    pub async fn write<T, F>(&self, pool: &Pool, mut write: F) -> Result<T, ApiError>
    where
        F: FnMut(&mut DbConnection, &Change) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let change = Change::now(self.author()).keeping(self.history.revisions_keep);
        db::write(pool, move |connection| change::logged(connection, &change, |connection| write(connection, &change)))
            .await
    }
}

/// The holder of a token of at least `read` scope.
#[derive(Clone, Debug)]
pub struct Reader(pub Token);

/// The holder of a token of at least `write` scope: required by every
/// content write.
#[derive(Clone, Debug)]
pub struct Editor(pub Token);

/// The holder of an `admin` token: tokens, purges, partner settings.
#[derive(Clone, Debug)]
pub struct Admin(pub Token);

impl Deref for Reader {
    type Target = Token;
    fn deref(&self) -> &Token {
        &self.0
    }
}

impl Deref for Editor {
    type Target = Token;
    fn deref(&self) -> &Token {
        &self.0
    }
}

impl Deref for Admin {
    type Target = Token;
    fn deref(&self) -> &Token {
        &self.0
    }
}

/// What a reader may see.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Published content only.
    Public,
    /// Everything, drafts and archived content included.
    Editor,
}

impl Access {
    pub fn is_editor(self) -> bool {
        self == Self::Editor
    }
}

/// The bearer token of the request: `Ok(None)` when none is sent.
pub fn bearer(request: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = request.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let malformed = || ApiError::InvalidToken("the Authorization header must read: Bearer <token>".into());
    let value = value.to_str().map_err(|_| malformed())?;
    let (scheme, token) = value.split_once(' ').ok_or_else(malformed)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(malformed());
    }
    Ok(Some(token.trim().to_owned()))
}

/// Tokens whose use is being recorded now, by their public lookup part.
static RECORDING: std::sync::LazyLock<std::sync::Mutex<std::collections::HashSet<String>>> =
    std::sync::LazyLock::new(Default::default);

fn recording() -> std::sync::MutexGuard<'static, std::collections::HashSet<String>> {
    RECORDING.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Takes a token out of `RECORDING` when its recording ends, done or not.
struct Recording(String);

impl Drop for Recording {
    fn drop(&mut self) {
        recording().remove(&self.0);
    }
}

async fn authenticate(request: HttpRequest) -> Result<Option<Token>, ApiError> {
    let Some(presented) = bearer(&request)? else {
        return Ok(None);
    };
    let pool = request
        .app_data::<web::Data<Pool>>()
        .ok_or_else(|| ApiError::internal("the database pool is not configured"))?
        .clone();
    let lookup: String = presented.chars().take(tokens::LOOKUP_LENGTH).collect();
    let outcome = db::run(&pool, move |connection| Ok(tokens::authenticate(connection, &presented)?)).await?;
    let recognised = match outcome {
        Presented::Valid(recognised) => recognised,
        Presented::Expired => return Err(ApiError::InvalidToken("the API token has expired".into())),
        Presented::Unknown => return Err(ApiError::InvalidToken("the API token is unknown or revoked".into())),
    };
    if recognised.use_to_record && recording().insert(lookup.clone()) {
        let guard = Recording(lookup);
        // Recorded apart from the answer, once at a time per token: the
        // answer never waits for this write.
        let id = recognised.id;
        actix_web::rt::spawn(async move {
            if let Err(error) = db::run(&pool, move |connection| Ok(tokens::record_use(connection, id)?)).await {
                log::debug!("the use of token {id} was not recorded: {error}");
            }
            drop(guard);
        });
    }
    let history = request.app_data::<web::Data<HistorySettings>>().map(|data| *data.get_ref()).unwrap_or_default();
    let token = Token { id: recognised.id, name: recognised.name, scope: recognised.scope, history };
    request.extensions_mut().insert(token.author());
    Ok(Some(token))
}

/// The token of the request, which must allow `needed`.
async fn token_with(request: HttpRequest, needed: Scope) -> Result<Token, ApiError> {
    let token = authenticate(request).await?.ok_or_else(|| {
        ApiError::Unauthorized("this request needs an API token: send Authorization: Bearer <token>".into())
    })?;
    if !token.scope.allows(needed) {
        return Err(ApiError::InsufficientScope { needed: needed.as_str(), held: token.scope.as_str() });
    }
    Ok(token)
}

macro_rules! scoped_extractor {
    ($holder:ident, $scope:expr) => {
        impl FromRequest for $holder {
            type Error = ApiError;
            type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

            fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
                let request = request.clone();
                Box::pin(async move { token_with(request, $scope).await.map($holder) })
            }
        }
    };
}

scoped_extractor!(Reader, Scope::Read);
scoped_extractor!(Editor, Scope::Write);
scoped_extractor!(Admin, Scope::Admin);

impl FromRequest for Access {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let request = request.clone();
        Box::pin(async move {
            Ok(match authenticate(request).await? {
                Some(_) => Self::Editor,
                None => Self::Public,
            })
        })
    }
}
