//! Category names in several languages: the category's own columns hold
//! the default language's name and description; `category_names` holds
//! the others. A reader's language chooses which are answered, name by
//! name (`dto::Localiser`): one without a translation is answered in the
//! default language, and each answer says which language it served.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A category's name and description in one language.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"name": "Recorded music industry watch", "description": null}))]
pub struct CategoryText {
    /// Plain text, at most 200 characters.
    pub name: String,
    /// Plain text, at most 2,000 characters.
    pub description: Option<String>,
}

/// A category's names in languages other than the default, by BCP 47 tag.
pub type Names = BTreeMap<String, CategoryText>;
