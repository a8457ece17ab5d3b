//! Snapshots and the merge patches between them.
//!
//! A snapshot is a JSON object whose members are scalars and arrays (a
//! publication's detail): a patch between two of them names each member
//! that differs with its value in the target, as RFC 7396 reads it
//! (arrays replace whole; `null` clears). Applied here, a `null` member
//! becomes `null`, so that a snapshot keeps every member it had.

use serde_json::{Map, Value};

/// A JSON object: a publication as a revision recorded it.
pub type Snapshot = Map<String, Value>;

/// Members that change with every write and say nothing of the content.
const STAMPS: [&str; 2] = ["version", "updated_at"];

/// The JSON Merge Patch that turns `from` into `to`: every member of `to`
/// that differs from `from`'s (objects compared member by member), and
/// `null` for each member `from` has and `to` lacks.
pub fn diff(from: &Snapshot, to: &Snapshot) -> Snapshot {
    let mut patch = Map::new();
    for (key, value) in to {
        match (from.get(key), value) {
            (Some(before), after) if before == after => {}
            (Some(Value::Object(before)), Value::Object(after)) => {
                patch.insert(key.clone(), Value::Object(diff(before, after)));
            }
            _ => {
                patch.insert(key.clone(), value.clone());
            }
        }
    }
    for key in from.keys() {
        if !to.contains_key(key) {
            patch.insert(key.clone(), Value::Null);
        }
    }
    patch
}

/// Applies a patch made by [`diff`] to `base`, in place.
pub fn apply(base: &mut Snapshot, patch: &Snapshot) {
    for (key, value) in patch {
        match (base.get_mut(key), value) {
            (Some(Value::Object(before)), Value::Object(after)) => apply(before, after),
            _ => {
                base.insert(key.clone(), value.clone());
            }
        }
    }
}

/// The stored status a snapshot's `status` stands for: a `scheduled` or
/// `expired` publication is a published one read at another instant.
pub fn stored_status(snapshot: &Snapshot) -> Option<&str> {
    snapshot.get("status").and_then(Value::as_str).map(|status| match status {
        "scheduled" | "expired" => "published",
        other => other,
    })
}

/// What a snapshot says of its content, for comparing two: without its
/// stamps, with its stored status, its categories by id, and its links
/// without their versions and with their targets by id (a renamed
/// category or target is not a change to this publication).
fn content(snapshot: &Snapshot) -> Snapshot {
    let mut content = snapshot.clone();
    for stamp in STAMPS {
        content.remove(stamp);
    }
    if let Some(status) = stored_status(snapshot) {
        content.insert("status".into(), Value::String(status.to_owned()));
    }
    if let Some(Value::Array(categories)) = content.get_mut("categories") {
        for category in categories.iter_mut() {
            *category = category.get("id").cloned().unwrap_or(Value::Null);
        }
    }
    // Its translations are other publications: which ones, not their titles.
    if let Some(Value::Array(translations)) = content.get_mut("translations") {
        for translation in translations.iter_mut() {
            *translation = translation.get("id").cloned().unwrap_or(Value::Null);
        }
    }
    if let Some(Value::Array(links)) = content.get_mut("links") {
        for link in links.iter_mut() {
            if let Value::Object(link) = link {
                link.remove("version");
                if let Some(target) = link.get_mut("target") {
                    *target = target.get("id").cloned().unwrap_or(Value::Null);
                }
            }
        }
    }
    content
}

/// The members whose content differs between two snapshots, in the order
/// of `to`; every member of `to` when there is no `from`.
pub fn changed_fields(from: Option<&Snapshot>, to: &Snapshot) -> Vec<String> {
    let after = content(to);
    let Some(from) = from else {
        return after.keys().filter(|key| *key != "id" && *key != "created_at").cloned().collect();
    };
    let before = content(from);
    let mut changed: Vec<String> =
        after.iter().filter(|(key, value)| before.get(*key) != Some(*value)).map(|(key, _)| key.clone()).collect();
    changed.extend(before.keys().filter(|key| !after.contains_key(*key)).cloned());
    changed
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn object(value: Value) -> Snapshot {
        value.as_object().cloned().expect("an object")
    }

    #[test]
    fn a_patch_turns_one_snapshot_into_the_other() {
        let from =
            object(json!({"title": "A", "published_at": "2026-01-01T00:00:00Z", "links": [1], "x": {"a": 1, "b": 2}}));
        let to = object(json!({"title": "B", "published_at": null, "links": [1], "x": {"a": 1, "b": 3}, "new": true}));
        let patch = diff(&from, &to);
        assert_eq!(
            Value::Object(patch.clone()),
            json!({"title": "B", "published_at": null, "x": {"b": 3}, "new": true})
        );
        let mut rebuilt = from.clone();
        apply(&mut rebuilt, &patch);
        assert_eq!(rebuilt, to);
    }

    #[test]
    fn stamps_renames_and_instants_are_not_changes() {
        let from = object(json!({
            "id": 1, "title": "A", "status": "scheduled", "version": 1, "updated_at": "x",
            "categories": [{"id": 3, "name": "Old"}], "links": [{"id": 9, "version": 1, "target": {"id": 2, "title": "T"}}]
        }));
        let to = object(json!({
            "id": 1, "title": "A", "status": "published", "version": 2, "updated_at": "y",
            "categories": [{"id": 3, "name": "New"}], "links": [{"id": 9, "version": 2, "target": {"id": 2, "title": "U"}}]
        }));
        assert!(changed_fields(Some(&from), &to).is_empty());
        let mut edited = to.clone();
        edited.insert("title".into(), json!("B"));
        edited.insert("categories".into(), json!([]));
        assert_eq!(changed_fields(Some(&from), &edited), ["title", "categories"]);
    }
}
