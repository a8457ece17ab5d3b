//! The category tree, walked in memory.

use std::collections::HashMap;

use crate::domain::Reference;

use super::names::Names;
use super::queries::CategoryRow;
use crate::http::language::DEFAULT;

pub struct CategoryTree {
    /// Rows ordered by position, then name, then id.
    rows: Vec<CategoryRow>,
    index: HashMap<i32, usize>,
    children: HashMap<Option<i32>, Vec<usize>>,
    /// Names in languages other than the default, by category.
    names: HashMap<i32, Names>,
    /// The languages there are names in, the default first.
    languages: Vec<String>,
}

impl CategoryTree {
    pub fn new(rows: Vec<CategoryRow>, names: HashMap<i32, Names>) -> Self {
        let index = rows.iter().enumerate().map(|(at, row)| (row.id, at)).collect();
        let mut children: HashMap<Option<i32>, Vec<usize>> = HashMap::new();
        for (at, row) in rows.iter().enumerate() {
            children.entry(row.parent_id).or_default().push(at);
        }
        let mut languages = vec![DEFAULT.to_owned()];
        for tag in names.values().flat_map(Names::keys) {
            if !languages.contains(tag) {
                languages.push(tag.clone());
            }
        }
        Self { rows, index, children, names, languages }
    }

    /// Category `id`'s names in languages other than the default.
    pub fn names(&self, id: i32) -> &Names {
        static NONE: Names = Names::new();
        self.names.get(&id).unwrap_or(&NONE)
    }

    /// The languages there are category names in, the default first.
    pub fn languages(&self) -> &[String] {
        &self.languages
    }

    pub fn get(&self, id: i32) -> Option<&CategoryRow> {
        self.index.get(&id).map(|&at| &self.rows[at])
    }

    pub fn find(&self, reference: &Reference) -> Option<&CategoryRow> {
        match reference {
            Reference::Id(id) => self.get(*id),
            Reference::Slug(slug) => self.rows.iter().find(|row| &row.slug == slug),
        }
    }

    /// Every category, in order.
    pub fn rows(&self) -> impl Iterator<Item = &CategoryRow> {
        self.rows.iter()
    }

    /// Every category's slug.
    pub fn slugs(&self) -> impl Iterator<Item = &str> {
        self.rows.iter().map(|row| row.slug.as_str())
    }

    /// The direct children of a category (`None`: the roots), in order.
    pub fn children(&self, parent: Option<i32>) -> impl Iterator<Item = &CategoryRow> {
        self.children.get(&parent).into_iter().flatten().map(|&at| &self.rows[at])
    }

    /// The category and all its descendants. Each is visited once, so even
    /// a cycle in a damaged database ends the walk.
    pub fn subtree_ids(&self, id: i32) -> Vec<i32> {
        let mut ids = vec![id];
        let mut seen = std::collections::HashSet::from([id]);
        let mut next = 0;
        while next < ids.len() {
            let children: Vec<i32> = self.children(Some(ids[next])).map(|row| row.id).collect();
            ids.extend(children.into_iter().filter(|child| seen.insert(*child)));
            next += 1;
        }
        ids
    }

    /// Whether giving `id` the parent `parent` would make a cycle: `parent`
    /// is `id` itself or one of its descendants.
    pub fn would_cycle(&self, id: i32, parent: i32) -> bool {
        self.subtree_ids(id).contains(&parent)
    }

    /// The ancestors of a category, from the root down to its parent.
    pub fn ancestors(&self, id: i32) -> Vec<&CategoryRow> {
        let mut ancestors = Vec::new();
        let mut current = self.get(id).and_then(|row| row.parent_id);
        // The length bound guards against a cycle that the writes never allow.
        while let Some(parent) = current.and_then(|id| self.get(id)) {
            if ancestors.len() > self.rows.len() {
                break;
            }
            ancestors.push(parent);
            current = parent.parent_id;
        }
        ancestors.reverse();
        ancestors
    }

    /// Every category, depth first: each one followed by its descendants.
    pub fn depth_first(&self) -> Vec<&CategoryRow> {
        let mut ordered = Vec::with_capacity(self.rows.len());
        let mut stack: Vec<&CategoryRow> = self.children(None).collect();
        stack.reverse();
        while let Some(row) = stack.pop() {
            ordered.push(row);
            let mut children: Vec<&CategoryRow> = self.children(Some(row.id)).collect();
            children.reverse();
            stack.extend(children);
        }
        ordered
    }
}
