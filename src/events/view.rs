//! Who reads the event log, through which filters, and what each event
//! looks like to them.
//!
//! A view is an audience (without a token: what is public; with one:
//! everything that exists, drafts included) narrowed by filters (types,
//! categories a publication is filed under directly, languages). An event
//! is in a view when the resource was in it before the change or is after
//! it; when it was and no longer is — deleted, trashed, unpublished,
//! expired, moved out of a filtered category or language — the event is a
//! tombstone, typed `publication.removed` (its own type is its `cause`),
//! so that a mirror kept through any view sees everything leave it.

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::change::events::{CATALOGUE, PUBLICATION};
use crate::db::events::EventRow;

use super::dto::Event;

/// The type of an event that takes a publication out of a view.
pub const REMOVED: &str = "publication.removed";

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct View {
    /// Everything that exists (a token's view), not only what is public.
    pub drafts: bool,
    /// Types wanted (`publication.published`, `publication.*`, `*`);
    /// empty: all.
    pub types: Vec<String>,
    /// Publications filed directly under one of these categories; empty:
    /// any.
    pub categories: Vec<i32>,
    /// Publications in one of these languages; empty: any.
    pub languages: Vec<String>,
}

fn ids(json: &str) -> Vec<i32> {
    serde_json::from_str(json).unwrap_or_default()
}

fn texts(json: &str) -> Vec<String> {
    serde_json::from_str(json).unwrap_or_default()
}

/// Whether `pattern` is an event type (`publication.published`), a
/// family (`publication.*`) or `*`.
pub fn is_type_pattern(pattern: &str) -> bool {
    let word = |text: &str| !text.is_empty() && text.len() <= 40 && text.bytes().all(|byte| byte.is_ascii_lowercase());
    pattern == "*" || pattern.split_once('.').is_some_and(|(family, name)| word(family) && (name == "*" || word(name)))
}

/// Whether `pattern` names the type `kind`: itself, `prefix.*` or `*`.
pub fn type_matches(pattern: &str, kind: &str) -> bool {
    pattern == "*"
        || pattern == kind
        || pattern.strip_suffix(".*").is_some_and(|prefix| kind.split_once('.').is_some_and(|(head, _)| head == prefix))
}

impl View {
    /// Whether the filters take a publication in `language` filed under
    /// `categories`.
    fn takes(&self, categories: &[i32], language: Option<&str>) -> bool {
        (self.categories.is_empty() || categories.iter().any(|id| self.categories.contains(id)))
            && (self.languages.is_empty()
                || language
                    .is_some_and(|language| self.languages.iter().any(|wanted| wanted.eq_ignore_ascii_case(language))))
    }

    /// Whether the type filter takes an event of `kind` (or its cause).
    pub fn wants(&self, kind: &str, cause: Option<&str>) -> bool {
        self.types.is_empty()
            || self
                .types
                .iter()
                .any(|pattern| type_matches(pattern, kind) || cause.is_some_and(|cause| type_matches(pattern, cause)))
    }

    /// The event as this view shows it, or `None` when it is not in it.
    pub fn present(&self, row: &EventRow) -> Option<Event> {
        let categories = ids(&row.categories);
        let (inside_before, inside_after) = if row.resource == PUBLICATION {
            let existed = if self.drafts { row.exists_before } else { row.public_before };
            let exists = if self.drafts { row.exists_after } else { row.public_after };
            (
                existed && self.takes(&ids(&row.categories_before), row.language_before.as_deref()),
                exists && self.takes(&categories, row.language.as_deref()),
            )
        } else {
            (row.exists_before, row.exists_after)
        };
        if !inside_before && !inside_after && row.resource != CATALOGUE {
            return None;
        }
        let tombstone = !inside_after && row.resource != CATALOGUE;
        let (kind, cause) = if tombstone && row.resource == PUBLICATION {
            (REMOVED.to_owned(), Some(row.kind.clone()))
        } else {
            (row.kind.clone(), None)
        };
        if !self.wants(&kind, cause.as_deref()) {
            return None;
        }
        Some(Event {
            seq: Some(row.seq),
            kind,
            cause,
            tombstone,
            href: Event::href_of(&row.resource, row.resource_id),
            resource: row.resource.clone(),
            id: (row.resource != CATALOGUE).then_some(row.resource_id),
            slug: (!row.slug.is_empty()).then(|| row.slug.clone()),
            language: row.language.clone(),
            version: row.version,
            categories,
            changed: texts(&row.changed),
            occurred_at: row.occurred_at.and_utc(),
        })
    }

    /// What a cursor made for this view is bound to.
    pub fn fingerprint(&self) -> String {
        let mut types = self.types.clone();
        types.sort();
        let mut categories = self.categories.clone();
        categories.sort_unstable();
        let mut languages: Vec<String> = self.languages.iter().map(|tag| tag.to_ascii_lowercase()).collect();
        languages.sort();
        let described = Value::from(vec![
            Value::from(self.drafts),
            Value::from(types),
            Value::from(categories),
            Value::from(languages),
        ]);
        let digest = Sha256::digest(described.to_string().as_bytes());
        digest.iter().take(8).map(|byte| format!("{byte:02x}")).collect()
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDateTime;

    use super::*;

    fn row(kind: &str, before: (bool, &str), after: (bool, &str)) -> EventRow {
        EventRow {
            seq: 7,
            occurred_at: NaiveDateTime::default(),
            kind: kind.to_owned(),
            resource: PUBLICATION.to_owned(),
            resource_id: 3,
            slug: "etude".to_owned(),
            language: Some("fr".to_owned()),
            version: Some(2),
            categories: after.1.to_owned(),
            categories_before: before.1.to_owned(),
            language_before: Some("fr".to_owned()),
            changed: "[]".to_owned(),
            public_before: before.0,
            public_after: after.0,
            exists_before: true,
            exists_after: true,
        }
    }

    #[test]
    fn what_leaves_a_view_is_a_tombstone_there_only() {
        let public = View::default();
        let unpublished = row("publication.unpublished", (true, "[1]"), (false, "[1]"));
        let shown = public.present(&unpublished).unwrap();
        assert_eq!(
            (shown.kind.as_str(), shown.cause.as_deref(), shown.tombstone),
            (REMOVED, Some("publication.unpublished"), true)
        );
        let drafts = View { drafts: true, ..View::default() };
        let shown = drafts.present(&unpublished).unwrap();
        assert_eq!((shown.kind.as_str(), shown.tombstone), ("publication.unpublished", false));

        let moved = row("publication.updated", (true, "[1, 2]"), (true, "[2]"));
        let in_one = View { categories: vec![1], ..View::default() };
        assert!(in_one.present(&moved).unwrap().tombstone, "moved out of category 1");
        let in_two = View { categories: vec![2], ..View::default() };
        assert!(!in_two.present(&moved).unwrap().tombstone);
        let in_three = View { categories: vec![3], ..View::default() };
        assert_eq!(in_three.present(&moved), None);

        let draft_edit = row("publication.updated", (false, "[1]"), (false, "[1]"));
        assert_eq!(public.present(&draft_edit), None, "a draft's event is not public");
        assert!(drafts.present(&draft_edit).is_some());
    }

    #[test]
    fn types_match_by_name_family_or_cause() {
        assert!(type_matches("*", "category.created"));
        assert!(type_matches("publication.*", "publication.removed"));
        assert!(!type_matches("publication.*", "publications.removed"));
        assert!(!type_matches("publication.published", "publication.publishedx"));
        let removals = View { types: vec!["publication.unpublished".to_owned()], ..View::default() };
        let unpublished = row("publication.unpublished", (true, "[]"), (false, "[]"));
        assert!(removals.present(&unpublished).is_some(), "a tombstone is wanted by its cause");
    }
}
