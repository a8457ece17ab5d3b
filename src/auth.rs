//! Who is asking: the public, or the holder of an API token.
//!
//! `Editor` is required by every write, and runs it ([`Editor::write`]);
//! `Access` is taken by reads, which show drafts and archived content only
//! to a token holder. A token that is sent must be valid, even where none
//! is needed: a bad one is a 401, never a silent fall back to public
//! access. The token's author goes with the request, for the access log.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};

use crate::change::{self, Author, Change};
use crate::db::{self, DbConnection, Pool};
use crate::error::ApiError;
use crate::tokens;

/// The holder of a valid API token.
#[derive(Clone, Debug)]
pub struct Editor {
    pub token_id: i32,
    /// The token's name: who the token says makes the change.
    pub name: String,
}

impl Editor {
    /// Who this editor is, as a change records it.
    pub fn author(&self) -> Author {
        Author::Token { id: self.token_id, name: self.name.clone() }
    }

    /// Runs `write` in one write transaction ([`db::write`], which may run
    /// it again after a lost race), with the change it makes: by this
    /// editor, now. What it touched goes to the change log in the same
    /// transaction.
    pub async fn write<T, F>(&self, pool: &Pool, mut write: F) -> Result<T, ApiError>
    where
        F: FnMut(&mut DbConnection, &Change) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let change = Change::now(self.author());
        db::write(pool, move |connection| change::logged(connection, &change, |connection| write(connection, &change)))
            .await
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
    let malformed = || ApiError::Unauthorized("the Authorization header must read: Bearer <token>".into());
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

async fn authenticate(request: HttpRequest) -> Result<Option<Editor>, ApiError> {
    let Some(token) = bearer(&request)? else {
        return Ok(None);
    };
    let pool = request
        .app_data::<web::Data<Pool>>()
        .ok_or_else(|| ApiError::internal("the database pool is not configured"))?
        .clone();
    let lookup: String = token.chars().take(tokens::LOOKUP_LENGTH).collect();
    let recognised = db::run(&pool, move |connection| Ok(tokens::authenticate(connection, &token)?)).await?;
    let Some(recognised) = recognised else {
        return Err(ApiError::Unauthorized("the API token is unknown or revoked".into()));
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
    let editor = Editor { token_id: recognised.id, name: recognised.name };
    request.extensions_mut().insert(editor.author());
    Ok(Some(editor))
}

impl FromRequest for Editor {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let request = request.clone();
        Box::pin(async move {
            authenticate(request).await?.ok_or_else(|| {
                ApiError::Unauthorized("this request needs an API token: send Authorization: Bearer <token>".into())
            })
        })
    }
}

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
