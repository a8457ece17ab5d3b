//! The category tree, walked in memory.

use std::collections::HashMap;

use crate::domain::Reference;

use super::queries::CategoryRow;

pub struct CategoryTree {
    /// Rows ordered by position, then name, then id.
    rows: Vec<CategoryRow>,
    index: HashMap<i32, usize>,
    children: HashMap<Option<i32>, Vec<usize>>,
}

impl CategoryTree {
    pub fn new(rows: Vec<CategoryRow>) -> Self {
        let index = rows.iter().enumerate().map(|(at, row)| (row.id, at)).collect();
        let mut children: HashMap<Option<i32>, Vec<usize>> = HashMap::new();
        for (at, row) in rows.iter().enumerate() {
            children.entry(row.parent_id).or_default().push(at);
        }
        Self { rows, index, children }
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

    /// The direct children of a category (`None`: the roots), in order.
    pub fn children(&self, parent: Option<i32>) -> impl Iterator<Item = &CategoryRow> {
        self.children.get(&parent).into_iter().flatten().map(|&at| &self.rows[at])
    }

    /// The category and all its descendants.
    pub fn subtree_ids(&self, id: i32) -> Vec<i32> {
        let mut ids = vec![id];
        let mut next = 0;
        while next < ids.len() {
            ids.extend(self.children(Some(ids[next])).map(|row| row.id));
            next += 1;
        }
        ids
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
