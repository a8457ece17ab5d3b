//! How a search's page is read, and whether its total is counted or
//! estimated: chosen from what its terms cost, counted once per catalogue
//! revision and shared by every request.

use diesel::QueryResult;

use crate::cache::{CountCache, Maintained};
use crate::change::{Seen, Touched};
use crate::db::search::{self, Drive, Field};
use crate::db::{CatalogueState, DbConnection};
use crate::error::ApiError;
use crate::search::SearchQuery;

use super::list::{self, Position, PublicationFilter, SearchPlan, Sort};
use super::list_query::PublicationListQuery;
use super::lookups;

/// Up to how many matches a search's breadth is counted.
const BREADTH_CAP: i64 = 20_000;

/// What each way of reading a search costs, in tenths of a microsecond
/// (measured on 100 000 publications with SQLite): a match read from the
/// index, a match looked up in the list and sorted, a row of the list's
/// order read and checked against a set of matches, a row checked against
/// the index itself.
const MATCH_READ: i64 = 2;
const MATCH_LOOKUP: i64 = 35;
const ROW_IN_SET: i64 = 2;
const ROW_PROBED: i64 = 250;

/// Above how many matches (of any status) a search's total is estimated
/// rather than counted: counting reads every match, some milliseconds per
/// thousand, and a list of `ESTIMATE_ABOVE` or more is paged through, not
/// counted by its reader.
pub const ESTIMATE_ABOVE: i64 = 2_000;

/// What a search plan says: the total (estimated or not), how to read the
/// page, and how to count.
pub struct Planned {
    pub total: i64,
    pub estimated: bool,
    pub plan: SearchPlan,
    pub counting: Drive,
}

/// How a search's page is read: whichever of its ways reads least, from
/// how many publications hold its terms (`breadth`), how many of the list
/// match, and how many rows the list has. These counts are made once per
/// catalogue revision and shared by every request; each is itself read the
/// cheaper way. A broad search's total is estimated ([`ESTIMATE_ABOVE`]).
pub fn plan(
    connection: &mut DbConnection,
    cache: &CountCache,
    state: &CatalogueState,
    key: &str,
    query: &PublicationListQuery,
    filter: &PublicationFilter,
    searched: &SearchQuery,
) -> Result<Planned, ApiError> {
    // The list the search narrows, shared by every search of it.
    let unsearched = PublicationFilter { search: None, ..filter.clone() };
    let size = cache
        .get(connection, state, &format!("unsearched {}", unsearched.key()), |connection| {
            list::total(connection, &unsearched)
        })?
        .count;
    let breadth = |connection: &mut DbConnection, field: Field| {
        let key = format!("breadth {field:?} {:?}", searched.alternatives);
        let kept = cache.get(connection, state, &key, |connection| Breadth::count(connection, field, searched))?;
        Ok::<_, diesel::result::Error>((kept.count, kept.reach))
    };
    let (breadth_all, reach_all) = breadth(connection, Field::All)?;
    let relevance = query.sort == Sort::Relevance;
    let (breadth_title, reach_title) = if relevance { breadth(connection, Field::Title)? } else { (0, 0) };
    let catalogue = if relevance || breadth_all >= ESTIMATE_ABOVE {
        cache.get(connection, state, "catalogue", lookups::catalogue_size)?.0
    } else {
        0
    };
    // Counting reads every match: looked up one by one, or found in the
    // whole list read in order.
    let counting_for = |breadth: i64| {
        if breadth.saturating_mul(MATCH_LOOKUP) > size.saturating_mul(ROW_IN_SET) {
            Drive::OrderInMatches
        } else {
            Drive::Matches
        }
    };
    let counting = counting_for(breadth_all);
    let count = |connection: &mut DbConnection, suffix: &str, filter: PublicationFilter, drive: Drive| {
        let filter = PublicationFilter { drive, ..filter };
        let key = format!("{key}{suffix}");
        cache.get(connection, state, &key, |connection| list::total(connection, &filter)).map(|total| total.count)
    };
    // A broad search's total is estimated: the share of the catalogue its
    // matches hold, applied to the list it narrows.
    let estimated = breadth_all >= ESTIMATE_ABOVE;
    let total = if estimated {
        estimate(size, breadth_all, reach_all, catalogue)
    } else {
        count(connection, "", filter.clone(), counting)?
    };
    let needed = match &query.position {
        Position::Page(page) => page.offset() + page.per_page + 1,
        Position::After(_, per_page) => per_page + 1,
    };
    // Reading the matches costs their whole doclist: at least the list's.
    let read = breadth_all.max(total).saturating_mul(MATCH_READ);
    let drive = |matching: i64| {
        // In order, `needed` matches take this many rows of the list.
        let walked = (needed.saturating_mul(size) / matching.max(1)).min(size);
        let costs = [
            (read.saturating_add(matching.saturating_mul(MATCH_LOOKUP)), Drive::Matches),
            (read.saturating_add(walked.saturating_mul(ROW_IN_SET)), Drive::OrderInMatches),
            (walked.saturating_mul(ROW_PROBED), Drive::OrderProbing),
        ];
        costs.into_iter().min_by_key(|(cost, _)| *cost).map_or(Drive::Matches, |(_, drive)| drive)
    };
    if !relevance {
        return Ok(Planned {
            total,
            estimated,
            plan: SearchPlan { all: drive(total), ..SearchPlan::default() },
            counting,
        });
    }
    // Where the title matches end matters past the first page only: it is
    // counted then; otherwise only the plan uses it, and an estimate does.
    let past_first = matches!(&query.position, Position::Page(page) if page.offset() > 0);
    let title_total = if past_first {
        let titles = PublicationFilter { search_field: Field::Title, ..filter.clone() };
        count(connection, " titles", titles, counting_for(breadth_title))?
    } else {
        estimate(size, breadth_title, reach_title, catalogue)
    };
    let plan = SearchPlan {
        all: drive(total - title_total),
        title: drive(title_total),
        title_total: past_first.then_some(title_total),
    };
    Ok(Planned { total, estimated, plan, counting })
}

/// How many publications hold a search's terms (whatever their status),
/// counted up to [`BREADTH_CAP`], and how far the count reached. Kept, it
/// follows writes as far as a set of terms can tell (a "maybe" counts):
/// what it serves, a plan and an estimate, are approximate anyway.
#[derive(Clone, Debug)]
struct Breadth {
    query: SearchQuery,
    count: i64,
    reach: i64,
}

impl Breadth {
    fn count(connection: &mut DbConnection, field: Field, searched: &SearchQuery) -> QueryResult<Self> {
        let (count, reach) = search::breadth(connection, field, searched, BREADTH_CAP)?;
        Ok(Self { query: searched.clone(), count, reach })
    }
}

impl Maintained for Breadth {
    fn apply(&mut self, touched: &Touched) -> bool {
        match touched {
            Touched::Publication { before, after, .. } => {
                if self.count < BREADTH_CAP {
                    let holds = |seen: &Option<Box<Seen>>| {
                        seen.as_ref().is_some_and(|seen| self.query.may_match(|term| seen.terms.may_hold(term)))
                    };
                    self.count = (self.count + i64::from(holds(after)) - i64::from(holds(before))).max(0);
                }
                true
            }
            Touched::Linked { .. } | Touched::Categories { .. } => true,
            Touched::Everything => false,
        }
    }
}

/// The matches among `size` publications, when `breadth` matches were
/// found among the first `reach` ids (all of them when the count did not
/// stop at its cap: `catalogue` publications): rounded to two significant
/// figures, as an estimate reads.
fn estimate(size: i64, breadth: i64, reach: i64, catalogue: i64) -> i64 {
    let among = if breadth >= BREADTH_CAP { reach } else { catalogue };
    let share = breadth as f64 / among.max(breadth).max(1) as f64;
    let estimate = (size as f64 * share).round() as i64;
    let unit = 10_i64.pow(estimate.max(1).ilog10().saturating_sub(1));
    ((estimate + unit / 2) / unit * unit).clamp(0, size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_estimate_is_the_matches_share_applied_to_the_list_to_two_figures() {
        // Counted to the end: 3 000 of the 10 000 publications match; the
        // list searched holds 90 000 (reach is not used).
        assert_eq!(estimate(90_000, 3_000, 100_000, 10_000), 27_000);
        // Stopped at the cap: 20 000 matches among the first 47 000 ids.
        assert_eq!(estimate(90_000, BREADTH_CAP, 47_000, 100_000), 38_000);
        // Two significant figures, never more than the list.
        assert_eq!(estimate(1_234, 2_500, 2_500, 2_500), 1_200);
        assert_eq!(estimate(2_000, 2_000, 3_000, 3_000), 1_300);
        assert_eq!(estimate(7, 5_000, 5_000, 5_000), 7);
        assert_eq!(estimate(0, 5_000, 5_000, 5_000), 0);
    }
}
