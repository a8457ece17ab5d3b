//! Former slugs of publications and categories, so that links in the wild
//! keep working: a former slug answers a redirect to the current URL.
//!
//! A slug is in the history only while no live item has it: taking a slug
//! (by creation or rename) removes it from the history, so a slug freed by
//! a rename can be reused, and the new owner wins. Each former slug points
//! at the item, never at the next slug, so chains (A → B → C) collapse.

use std::collections::HashMap;

use chrono::NaiveDateTime;

use diesel::prelude::*;

use crate::auth::Access;
use crate::db::schema::{categories, category_slug_history, publication_slug_history, publications};
use crate::db::{self, DbConnection};
use crate::domain::{Reference, Status};
use crate::publications::visibility::{StatusIndex, Viewer, visible, visible_among};

/// Which kind of item a slug names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Publication,
    Category,
}

impl Kind {
    pub fn noun(self) -> &'static str {
        match self {
            Self::Publication => "publication",
            Self::Category => "category",
        }
    }
}

/// Records that item `id` of `kind` now has `new` instead of `old`.
pub fn moved(connection: &mut DbConnection, kind: Kind, id: i32, old: &str, new: &str) -> QueryResult<()> {
    taken(connection, kind, new)?;
    if old != new {
        remember(connection, kind, id, old)?;
    }
    Ok(())
}

/// Keeps `slug` as a former slug of item `id`, taking it from any other
/// item whose former slug it was.
pub fn remember(connection: &mut DbConnection, kind: Kind, id: i32, slug: &str) -> QueryResult<()> {
    taken(connection, kind, slug)?;
    let now = db::now();
    match kind {
        Kind::Publication => diesel::insert_into(publication_slug_history::table)
            .values((
                publication_slug_history::slug.eq(slug),
                publication_slug_history::publication_id.eq(id),
                publication_slug_history::moved_at.eq(now),
            ))
            .execute(connection),
        Kind::Category => diesel::insert_into(category_slug_history::table)
            .values((
                category_slug_history::slug.eq(slug),
                category_slug_history::category_id.eq(id),
                category_slug_history::moved_at.eq(now),
            ))
            .execute(connection),
    }
    .map(drop)
}

/// Forgets each of `slugs` as a former slug of a publication: live ones
/// have them now (a bulk load), in statements of at most a thousand.
pub fn publications_taken(connection: &mut DbConnection, slugs: &[&str]) -> QueryResult<()> {
    for slugs in slugs.chunks(crate::db::ROWS_A_STATEMENT) {
        diesel::delete(publication_slug_history::table.filter(publication_slug_history::slug.eq_any(slugs)))
            .execute(connection)?;
    }
    Ok(())
}

/// Whether `slug` is a former slug of some publication.
pub fn is_former_publication_slug(connection: &mut DbConnection, slug: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(publication_slug_history::table.filter(publication_slug_history::slug.eq(slug))))
        .get_result(connection)
}

/// Forgets `slug` as a former slug: a live item has it now.
pub fn taken(connection: &mut DbConnection, kind: Kind, slug: &str) -> QueryResult<()> {
    match kind {
        Kind::Publication => {
            diesel::delete(publication_slug_history::table.filter(publication_slug_history::slug.eq(slug)))
                .execute(connection)
        }
        Kind::Category => diesel::delete(category_slug_history::table.filter(category_slug_history::slug.eq(slug)))
            .execute(connection),
    }
    .map(drop)
}

/// The current slug of the item that had `former`, if `viewer` may see
/// it and no live item has `former` now.
pub fn current_slug(
    connection: &mut DbConnection,
    kind: Kind,
    former: &str,
    viewer: &Viewer,
) -> QueryResult<Option<String>> {
    match kind {
        Kind::Publication => publication_slug_history::table
            .inner_join(publications::table)
            .filter(publication_slug_history::slug.eq(former))
            .filter(publications::slug.ne(former))
            .filter(visible(viewer))
            .select(publications::slug)
            .first(connection)
            .optional(),
        Kind::Category => category_slug_history::table
            .inner_join(categories::table)
            .filter(category_slug_history::slug.eq(former))
            .filter(categories::slug.ne(former))
            .select(categories::slug)
            .first(connection)
            .optional(),
    }
}

/// The slug of the publication that `reference` (an id, a slug or a
/// former slug) names, and when it left public view, if it is expired at
/// `at`: what answers 410 instead of 404.
pub fn expired_publication(
    connection: &mut DbConnection,
    reference: &Reference,
    at: NaiveDateTime,
) -> QueryResult<Option<(String, NaiveDateTime)>> {
    let expired = Viewer { access: Access::Editor, at };
    let query = publications::table
        .filter(visible_among(&expired, &[Status::Expired], StatusIndex::Usable))
        .select((publications::slug, publications::unpublish_at.assume_not_null()))
        .into_boxed();
    let query = match reference {
        Reference::Id(id) => query.filter(publications::id.eq(*id)),
        Reference::Slug(slug) => query.filter(
            publications::slug.eq(slug.clone()).or(publications::id.eq_any(
                publication_slug_history::table
                    .filter(publication_slug_history::slug.eq(slug.clone()))
                    .select(publication_slug_history::publication_id),
            )),
        ),
    };
    query.first(connection).optional()
}

/// The former slugs of items `ids`, in slug order, for export.
pub fn of(connection: &mut DbConnection, kind: Kind, ids: &[i32]) -> QueryResult<HashMap<i32, Vec<String>>> {
    let rows: Vec<(i32, String)> = match kind {
        Kind::Publication => publication_slug_history::table
            .filter(publication_slug_history::publication_id.eq_any(ids))
            .order(publication_slug_history::slug)
            .select((publication_slug_history::publication_id, publication_slug_history::slug))
            .load(connection)?,
        Kind::Category => category_slug_history::table
            .filter(category_slug_history::category_id.eq_any(ids))
            .order(category_slug_history::slug)
            .select((category_slug_history::category_id, category_slug_history::slug))
            .load(connection)?,
    };
    let mut former: HashMap<i32, Vec<String>> = HashMap::new();
    for (id, slug) in rows {
        former.entry(id).or_default().push(slug);
    }
    Ok(former)
}
