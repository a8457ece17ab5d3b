//! The coming releases: publications scheduled after the viewer's
//! instant, announced ones only for readers without a token.

use diesel::prelude::*;

use crate::db::schema::{publication_categories, publications};
use crate::db::{DbConnection, MultiBackend};
use crate::domain::Status;
use crate::publications::lookups::{SummaryRecord, SummaryRow, with_categories};
use crate::publications::visibility::{StatusIndex, Viewer, visible_among};

/// Which coming releases to list.
#[derive(Clone, Debug)]
pub struct ScheduleFilter {
    pub viewer: Viewer,
    /// Filed under one of these categories (a subtree already expanded).
    pub category_ids: Option<Vec<i32>>,
    pub language: Option<String>,
    /// Released at or after.
    pub after: Option<chrono::NaiveDateTime>,
    /// Released before.
    pub before: Option<chrono::NaiveDateTime>,
}

fn filtered(filter: &ScheduleFilter) -> publications::BoxedQuery<'static, MultiBackend> {
    // Scheduled as of the viewer's instant: the visibility rule's own
    // condition, whoever looks; the announcement is what lets the public in.
    let scheduled = Viewer { access: crate::auth::Access::Editor, ..filter.viewer };
    let mut query =
        publications::table.filter(visible_among(&scheduled, &[Status::Scheduled], StatusIndex::Usable)).into_boxed();
    if !filter.viewer.access.is_editor() {
        query = query.filter(publications::announce.eq(true));
    }
    if let Some(language) = &filter.language {
        query = query.filter(publications::language.eq(language.clone()));
    }
    if let Some(after) = filter.after {
        query = query.filter(publications::published_at.ge(after));
    }
    if let Some(before) = filter.before {
        query = query.filter(publications::published_at.lt(before));
    }
    if let Some(ids) = &filter.category_ids {
        query = query.filter(
            publications::id.eq_any(
                publication_categories::table
                    .filter(publication_categories::category_id.eq_any(ids.clone()))
                    .select(publication_categories::publication_id),
            ),
        );
    }
    query
}

/// How many releases the filter lets in.
pub fn count(connection: &mut DbConnection, filter: &ScheduleFilter) -> QueryResult<i64> {
    filtered(filter).count().get_result(connection)
}

/// The releases the filter lets in, soonest first, `limit` from `offset`.
pub fn coming(
    connection: &mut DbConnection,
    filter: &ScheduleFilter,
    limit: i64,
    offset: i64,
) -> QueryResult<Vec<SummaryRecord>> {
    let rows = filtered(filter)
        .order((publications::published_at.asc(), publications::id.asc()))
        .limit(limit)
        .offset(offset)
        .select(SummaryRow::as_select())
        .load(connection)?;
    with_categories(connection, rows)
}
