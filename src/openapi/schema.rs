//! Schemas written as JSON, for what derive cannot say: patterns shared
//! with the server's checks, `oneOf`, `null` field by field. A leaf: the
//! input types of every resource use it, and it uses nothing of theirs.

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;

/// A schema written as JSON.
pub fn schema_from_json(json: serde_json::Value) -> RefOr<Schema> {
    serde_json::from_value(json).expect("a schema written in the code is valid")
}

/// A reference to a component schema, for use inside [`schema_from_json`].
pub fn component(name: &str) -> serde_json::Value {
    serde_json::json!({ "$ref": format!("#/components/schemas/{name}") })
}
