//! What an answer depends on, and whether a change could have altered it:
//! how each kind of kept answer is keyed to the changes that drop it.
//!
//! - A publication's detail, links and related publications depend on that
//!   publication and on every publication they embed or point to (link
//!   targets, related ones, hidden or not).
//! - A page of a list (the publication list, a category's, a feed, a
//!   search) depends on the publications it shows, and on what its filter
//!   lets in: a change to another publication alters the page only if it
//!   enters or leaves the list (its total moves, and the items after it),
//!   or stays in it but moves in its order or in its facets. A search is
//!   matched on its terms: a change that adds or removes none of them
//!   leaves its matches as they were.
//! - The category tree and a category's detail depend on the categories and
//!   on their publication counts: a publication's change alters them only
//!   when it enters or leaves public view, or moves between categories.
//! - A category moved, created or deleted alters the lists filtered by it or
//!   by one of its ancestors, old or new; one renamed, a bulk load, or a write
//!   the log cannot describe alters anything.

use chrono::{Datelike, NaiveDateTime};

use crate::domain::Status;

use super::touched::{Seen, Touched};

/// What an answer shows or counts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dependencies {
    /// Whatever changes (an answer that declares nothing finer).
    pub anything: bool,
    /// These publications: their fields, links and visibility.
    pub publications: Vec<i32>,
    /// The lists it shows or counts.
    pub lists: Vec<ListScope>,
    /// The categories: their tree, names and publication counts.
    pub categories: bool,
}

impl Dependencies {
    /// An answer that any change may alter.
    pub fn anything() -> Self {
        Self { anything: true, ..Self::default() }
    }

    /// An answer that shows these publications.
    pub fn publications(ids: impl IntoIterator<Item = i32>) -> Self {
        Self { publications: ids.into_iter().collect(), ..Self::default() }
    }

    /// A page of a list, showing the publications `shown`.
    pub fn page(scope: ListScope, shown: impl IntoIterator<Item = i32>) -> Self {
        Self { lists: vec![scope], ..Self::publications(shown) }
    }

    /// An answer that shows the categories and their counts.
    pub fn categories() -> Self {
        Self { categories: true, ..Self::default() }
    }

    /// About how many bytes they take.
    pub fn weight(&self) -> usize {
        let lists: usize = self
            .lists
            .iter()
            .map(|list| {
                let categories: usize = list.categories.iter().map(Vec::len).sum::<usize>() * 4;
                let terms: usize = list.terms.iter().flatten().map(String::len).sum();
                std::mem::size_of::<ListScope>() + categories + terms
            })
            .sum();
        self.publications.len() * 4 + lists
    }

    /// Whether `touched` could have altered an answer of these dependencies.
    pub fn affected_by(&self, touched: &Touched) -> bool {
        if self.anything {
            return true;
        }
        match touched {
            Touched::Everything | Touched::Categories { names: true, .. } => true,
            Touched::Categories { names: false, .. } => {
                self.categories || self.lists.iter().any(|list| list.delta(touched).is_none())
            }
            Touched::Linked { id } => self.publications.contains(id),
            Touched::Publication { id, before, after, .. } => {
                self.publications.contains(id)
                    || self.lists.iter().any(|list| list.altered_by(touched))
                    || (self.categories && counted_differently(before.as_deref(), after.as_deref()))
            }
        }
    }
}

/// Whether a publication counts in different public category counts
/// before and after a change.
fn counted_differently(before: Option<&Seen>, after: Option<&Seen>) -> bool {
    let counted = |seen: Option<&Seen>| seen.filter(|seen| seen.public).map(|seen| seen.categories.clone());
    counted(before) != counted(after)
}

/// The order a list's pages come in, as far as a change can move an item
/// in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// By `published_at`.
    Published,
    /// By title.
    Title,
    /// By `updated_at`.
    Updated,
    /// Title matches first, then by `published_at`.
    Relevance,
}

/// What a list lets in, as far as a change can be told to concern it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListScope {
    /// Only what a reader without a token may see.
    pub public_only: bool,
    pub statuses: Vec<Status>,
    /// For each of these sets, filed under one of its categories
    /// (descendants already expanded).
    pub categories: Vec<Vec<i32>>,
    pub language: Option<String>,
    pub published_after: Option<NaiveDateTime>,
    pub published_before: Option<NaiveDateTime>,
    pub updated_after: Option<NaiveDateTime>,
    /// Whose text holds every one of these terms, if given.
    pub terms: Option<Vec<String>>,
    /// Whether some of the terms form a phrase (adjacent terms), or the
    /// search has several analyses (one per language), which a set of
    /// terms cannot tell; `terms` are then those every analysis names.
    pub phrases: bool,
    /// The order of its pages (`None` for a count, which has none).
    pub order: Option<Order>,
}

/// Whether a publication is in a list, as far as can be told.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Membership {
    Out,
    In,
    /// Its text may hold the search's terms.
    Maybe,
}

impl ListScope {
    fn member(&self, seen: Option<&Seen>) -> Membership {
        let Some(seen) = seen.filter(|seen| self.admits(seen)) else { return Membership::Out };
        match &self.terms {
            None => Membership::In,
            Some(terms) if terms.iter().all(|term| seen.terms.may_hold(term)) => Membership::Maybe,
            Some(_) => Membership::Out,
        }
    }

    /// By how many publications a change changed the list's size; `None`
    /// when that cannot be told (a search's terms added or removed, a
    /// category move under its filter, a bulk load).
    pub fn delta(&self, touched: &Touched) -> Option<i64> {
        match touched {
            Touched::Publication { before, after, terms_changed, .. } => {
                match (self.member(before.as_deref()), self.member(after.as_deref())) {
                    (Membership::Out, Membership::Out) | (Membership::In, Membership::In) => Some(0),
                    (Membership::Out, Membership::In) => Some(1),
                    (Membership::In, Membership::Out) => Some(-1),
                    (Membership::Maybe, Membership::Maybe) if self.terms_unchanged(terms_changed) => Some(0),
                    _ => None,
                }
            }
            Touched::Linked { .. } => Some(0),
            Touched::Categories { names: false, affected } => {
                let touches = self.categories.iter().flatten().any(|id| affected.contains(id));
                (!touches).then_some(0)
            }
            Touched::Categories { names: true, .. } | Touched::Everything => None,
        }
    }

    /// Whether the presence of every searched term is as it was: then the
    /// search holds the publication after exactly when it did before.
    fn terms_unchanged(&self, terms_changed: &[String]) -> bool {
        !self.phrases && self.terms.iter().flatten().all(|term| !terms_changed.contains(term))
    }

    /// Whether a page of the list that does not show the touched
    /// publication could differ after the change: it entered or left the
    /// list, or, in it before and after, it moved in its order or in its
    /// facets.
    fn altered_by(&self, touched: &Touched) -> bool {
        let Touched::Publication { before, after, .. } = touched else { return self.delta(touched) != Some(0) };
        if self.delta(touched) != Some(0) {
            return true;
        }
        let (Some(before), Some(after)) = (before.as_deref(), after.as_deref()) else { return false };
        if self.member(Some(before)) == Membership::Out {
            return false;
        }
        let moved = match self.order {
            None => false,
            Some(Order::Published) => before.published_at != after.published_at,
            Some(Order::Title) => before.title != after.title,
            Some(Order::Updated) => before.updated_at != after.updated_at,
            Some(Order::Relevance) => before.published_at != after.published_at || before.title != after.title,
        };
        let year = |seen: &Seen| seen.published_at.map(|at| at.year());
        let faceted =
            before.categories != after.categories || before.language != after.language || year(before) != year(after);
        moved || faceted
    }

    /// How a change moved the list, for a count that follows it: the
    /// publication as it left (when it was in it before) and as it entered
    /// (when it is in it after), `(None, None)` when it stayed where it was;
    /// `None` when that cannot be told.
    pub fn moved<'a>(&self, touched: &'a Touched) -> Option<(Option<&'a Seen>, Option<&'a Seen>)> {
        let delta = self.delta(touched)?;
        let Touched::Publication { before, after, .. } = touched else { return Some((None, None)) };
        let (before, after) = (before.as_deref(), after.as_deref());
        Some(match (self.member(before), self.member(after), delta) {
            (Membership::In, Membership::In, _) => (before, after),
            (Membership::Maybe, Membership::Maybe, _) => {
                // In it both times or in it neither time: a count stays;
                // what a count tells of its members must not change.
                let year = |seen: Option<&Seen>| seen.and_then(|seen| seen.published_at).map(|at| at.year());
                let same = |seen: Option<&Seen>| seen.map(|seen| (seen.categories.clone(), seen.language.clone()));
                if same(before) != same(after) || year(before) != year(after) {
                    return None;
                }
                (None, None)
            }
            (_, _, 1) => (None, after),
            (_, _, -1) => (before, None),
            _ => (None, None),
        })
    }

    /// Everything but the terms.
    fn admits(&self, seen: &Seen) -> bool {
        (!self.public_only || seen.public)
            && self.statuses.contains(&seen.status)
            && self.categories.iter().all(|ids| seen.categories.iter().any(|id| ids.contains(id)))
            && self.language.as_ref().is_none_or(|language| *language == seen.language)
            && self.published_after.is_none_or(|after| seen.published_at.is_some_and(|at| at >= after))
            && self.published_before.is_none_or(|before| seen.published_at.is_some_and(|at| at < before))
            && self.updated_after.is_none_or(|after| seen.updated_at >= after)
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::change::Terms;

    fn seen(categories: &[i32], public: bool, text: &str) -> Seen {
        let at = NaiveDate::from_ymd_opt(2025, 6, 1).and_then(|day| day.and_hms_opt(9, 0, 0)).unwrap();
        Seen {
            status: if public { Status::Published } else { Status::Draft },
            public,
            slug: "etude".into(),
            title: "etude".into(),
            language: "fr".into(),
            categories: categories.to_vec(),
            published_at: Some(at),
            unpublish_at: None,
            updated_at: at,
            terms: Terms::of(text),
        }
    }

    fn list(categories: Option<Vec<i32>>, terms: Option<&[&str]>) -> ListScope {
        ListScope {
            public_only: true,
            statuses: vec![Status::Published],
            categories: categories.into_iter().collect(),
            language: None,
            published_after: None,
            published_before: None,
            updated_after: None,
            terms: terms.map(|terms| terms.iter().map(|term| term.to_string()).collect()),
            phrases: false,
            order: Some(Order::Published),
        }
    }

    fn edit(id: i32, before: Seen, after: Seen) -> Touched {
        let terms_changed = ["etud", "autr", "droit", "concert"]
            .into_iter()
            .filter(|term| before.terms.may_hold(term) != after.terms.may_hold(term))
            .map(str::to_owned)
            .collect();
        Touched::Publication { id, before: Some(Box::new(before)), after: Some(Box::new(after)), terms_changed }
    }

    fn page(scope: ListScope, shown: &[i32]) -> Dependencies {
        Dependencies::page(scope, shown.iter().copied())
    }

    #[test]
    fn a_publication_change_drops_what_shows_it_and_keeps_the_rest() {
        let detail = Dependencies::publications([7]);
        let other = Dependencies::publications([8]);
        let tree = Dependencies::categories();
        let summary = edit(7, seen(&[1], true, "etud"), seen(&[1], true, "etud"));
        assert!(detail.affected_by(&summary));
        assert!(!other.affected_by(&summary), "another publication's detail stays");
        assert!(!tree.affected_by(&summary), "the counts stay");
        assert!(page(list(Some(vec![1, 2]), None), &[7, 9]).affected_by(&summary), "a page that shows it");
        assert!(
            !page(list(Some(vec![1, 2]), None), &[9]).affected_by(&summary),
            "in the list, not on the page, in place"
        );
        assert!(!page(list(Some(vec![3]), None), &[9]).affected_by(&summary), "another category's list");
        let moved = edit(7, seen(&[1], true, "etud"), seen(&[3], true, "etud"));
        assert!(page(list(Some(vec![3]), None), &[9]).affected_by(&moved), "it enters the list");
        assert!(page(list(Some(vec![1]), None), &[9]).affected_by(&moved), "it leaves the list");
        assert!(page(list(None, None), &[9]).affected_by(&moved), "its facets move");
        assert!(tree.affected_by(&moved), "the counts of categories change");
        assert!(!other.affected_by(&moved));
    }

    #[test]
    fn hidden_publications_touch_no_public_list_and_searches_follow_their_terms() {
        let every = page(list(None, None), &[9]);
        assert!(!every.affected_by(&edit(7, seen(&[1], false, "etud"), seen(&[1], false, "autr"))));
        assert!(every.affected_by(&edit(7, seen(&[1], false, "etud"), seen(&[1], true, "etud"))), "published now");
        let search = page(list(None, Some(&["concert"])), &[9]);
        assert!(!search.affected_by(&edit(7, seen(&[1], true, "etud"), seen(&[1], true, "etud droit"))));
        assert!(search.affected_by(&edit(7, seen(&[1], true, "etud"), seen(&[1], true, "etud concert"))));
        assert!(search.affected_by(&edit(7, seen(&[1], true, "concert"), seen(&[1], true, "etud"))));
        assert!(
            !search.affected_by(&edit(7, seen(&[1], true, "concert etud"), seen(&[1], true, "concert autr"))),
            "it holds the term before and after: its place is the same"
        );
    }

    #[test]
    fn counts_follow_what_enters_and_leaves() {
        let scope = list(Some(vec![1]), None);
        assert_eq!(scope.delta(&edit(7, seen(&[1], true, "etud"), seen(&[2], true, "etud"))), Some(-1));
        assert_eq!(scope.delta(&edit(7, seen(&[2], true, "etud"), seen(&[1], true, "etud"))), Some(1));
        assert_eq!(scope.delta(&edit(7, seen(&[1], false, "etud"), seen(&[1], true, "etud"))), Some(1));
        let search = list(None, Some(&["concert"]));
        assert_eq!(search.delta(&edit(7, seen(&[1], true, "etud"), seen(&[1], true, "concert"))), None);
        assert_eq!(search.delta(&edit(7, seen(&[1], true, "concert"), seen(&[1], true, "concert etud"))), Some(0));
    }

    #[test]
    fn category_changes_drop_what_their_filters_and_the_tree_hold() {
        let detail = Dependencies::publications([7]);
        let tree = Dependencies::categories();
        let moved = Touched::Categories { names: false, affected: vec![4, 1] };
        assert!(!detail.affected_by(&moved));
        assert!(tree.affected_by(&moved));
        assert!(page(list(Some(vec![1, 5]), None), &[]).affected_by(&moved), "an ancestor's list");
        assert!(!page(list(Some(vec![2]), None), &[]).affected_by(&moved), "another subtree's list");
        assert!(!page(list(None, None), &[]).affected_by(&moved), "the unfiltered list");
        assert!(detail.affected_by(&Touched::Categories { names: true, affected: Vec::new() }));
        assert!(detail.affected_by(&Touched::Everything));
        assert!(Dependencies::anything().affected_by(&Touched::Linked { id: 1 }));
    }
}
