//! What an answer depends on, and whether a change could have altered it:
//! how each kind of kept answer is keyed to the changes that drop it.
//!
//! - A publication's detail, links and related publications depend on that
//!   publication and on every publication they embed or point to (link
//!   targets, related ones, hidden or not), and on category names.
//! - A list (a page of publications, a category's, a feed, a search)
//!   depends on what its filter lets in: a change to a publication that
//!   was in it or is in it now (its status, categories, language, dates and
//!   text as the filter reads them) may alter it; a change to one outside it
//!   before and after cannot. A search is matched on its terms.
//! - The category tree and a category's detail depend on the categories and
//!   on their publication counts: a publication's change alters them only
//!   when it enters or leaves public view, or moves between categories.
//! - Renaming a category, a bulk load, or a write the log cannot describe
//!   alters anything.

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

    /// An answer that shows or counts a list.
    pub fn list(scope: ListScope) -> Self {
        Self { lists: vec![scope], ..Self::default() }
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
            Touched::Everything | Touched::Categories { names: true } => true,
            Touched::Categories { names: false } => {
                self.categories || self.lists.iter().any(|list| !list.categories.is_empty())
            }
            Touched::Linked { id } => self.publications.contains(id),
            Touched::Publication { id, before, after } => {
                self.publications.contains(id)
                    || self.lists.iter().any(|list| list.may_hold(before.as_deref()) || list.may_hold(after.as_deref()))
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
    pub published_after: Option<chrono::NaiveDateTime>,
    pub published_before: Option<chrono::NaiveDateTime>,
    pub updated_after: Option<chrono::NaiveDateTime>,
    /// Whose text holds every one of these terms, if given.
    pub terms: Option<Vec<String>>,
}

impl ListScope {
    /// Whether the list lets `seen` in, when that can be told exactly
    /// (`None` for a search: its terms are known only as "maybe").
    pub fn holds(&self, seen: &Seen) -> Option<bool> {
        if !self.admits(seen) {
            return Some(false);
        }
        match &self.terms {
            None => Some(true),
            Some(terms) if terms.iter().all(|term| seen.terms.may_hold(term)) => None,
            Some(_) => Some(false),
        }
    }

    /// How a change moved the list: the publication as it left it (when it
    /// was in it before) and as it entered it (when it is in it after);
    /// `None` when that cannot be told (a search's terms, a category move
    /// under a filter, a bulk load).
    pub fn moved<'a>(&self, touched: &'a Touched) -> Option<(Option<&'a Seen>, Option<&'a Seen>)> {
        match touched {
            Touched::Publication { before, after, .. } => {
                let held = |seen: &'a Option<Box<Seen>>| match seen.as_deref() {
                    None => Some(None),
                    Some(seen) => self.holds(seen).map(|holds| holds.then_some(seen)),
                };
                Some((held(before)?, held(after)?))
            }
            Touched::Linked { .. } => Some((None, None)),
            Touched::Categories { .. } if self.categories.is_empty() => Some((None, None)),
            Touched::Categories { .. } | Touched::Everything => None,
        }
    }

    /// Whether the list may let `seen` in.
    pub fn may_hold(&self, seen: Option<&Seen>) -> bool {
        seen.is_some_and(|seen| self.holds(seen) != Some(false))
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
        Seen {
            status: if public { Status::Published } else { Status::Draft },
            public,
            slug: "etude".into(),
            language: "fr".into(),
            categories: categories.to_vec(),
            published_at: NaiveDate::from_ymd_opt(2025, 6, 1).and_then(|day| day.and_hms_opt(9, 0, 0)),
            updated_at: NaiveDate::from_ymd_opt(2025, 6, 1).and_then(|day| day.and_hms_opt(9, 0, 0)).unwrap(),
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
        }
    }

    fn edit(id: i32, before: Seen, after: Seen) -> Touched {
        Touched::Publication { id, before: Some(Box::new(before)), after: Some(Box::new(after)) }
    }

    #[test]
    fn a_publication_change_drops_what_shows_it_and_keeps_the_rest() {
        let detail = Dependencies { publications: vec![7], ..Dependencies::default() };
        let other = Dependencies { publications: vec![8], ..Dependencies::default() };
        let tree = Dependencies { categories: true, ..Dependencies::default() };
        let summary = edit(7, seen(&[1], true, "etud"), seen(&[1], true, "etud"));
        assert!(detail.affected_by(&summary));
        assert!(!other.affected_by(&summary), "another publication's detail stays");
        assert!(!tree.affected_by(&summary), "the counts stay");
        let in_category = Dependencies { lists: vec![list(Some(vec![1, 2]), None)], ..Dependencies::default() };
        let elsewhere = Dependencies { lists: vec![list(Some(vec![3]), None)], ..Dependencies::default() };
        assert!(in_category.affected_by(&summary));
        assert!(!elsewhere.affected_by(&summary));
        let moved = edit(7, seen(&[1], true, "etud"), seen(&[3], true, "etud"));
        assert!(elsewhere.affected_by(&moved), "it enters the list");
        assert!(tree.affected_by(&moved), "the counts of categories change");
        assert!(!other.affected_by(&moved));
    }

    #[test]
    fn hidden_publications_touch_no_public_list_and_searches_follow_their_terms() {
        let every = Dependencies { lists: vec![list(None, None)], ..Dependencies::default() };
        let draft = edit(7, seen(&[1], false, "etud"), seen(&[1], false, "autr"));
        assert!(!every.affected_by(&draft));
        assert!(every.affected_by(&edit(7, seen(&[1], false, "etud"), seen(&[1], true, "etud"))), "published now");
        let search = Dependencies { lists: vec![list(None, Some(&["concert"]))], ..Dependencies::default() };
        assert!(!search.affected_by(&edit(7, seen(&[1], true, "etud"), seen(&[1], true, "etud droit"))));
        assert!(search.affected_by(&edit(7, seen(&[1], true, "etud"), seen(&[1], true, "etud concert"))));
        assert!(search.affected_by(&edit(7, seen(&[1], true, "concert"), seen(&[1], true, "etud"))));
    }

    #[test]
    fn category_changes_drop_what_embeds_categories() {
        let detail = Dependencies { publications: vec![7], ..Dependencies::default() };
        let tree = Dependencies { categories: true, ..Dependencies::default() };
        assert!(!detail.affected_by(&Touched::Categories { names: false }));
        assert!(tree.affected_by(&Touched::Categories { names: false }));
        assert!(detail.affected_by(&Touched::Categories { names: true }));
        assert!(detail.affected_by(&Touched::Everything));
        assert!(Dependencies::anything().affected_by(&Touched::Linked { id: 1 }));
    }
}
