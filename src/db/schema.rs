//! The tables, declared once for both backends with portable types only.
//! Times are `Timestamp` columns holding UTC.

diesel::table! {
    categories (id) {
        id -> Integer,
        slug -> Text,
        name -> Text,
        description -> Nullable<Text>,
        parent_id -> Nullable<Integer>,
        position -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
    }
}

diesel::table! {
    publications (id) {
        id -> Integer,
        slug -> Text,
        title -> Text,
        summary -> Text,
        body -> Text,
        status -> Text,
        language -> Text,
        published_at -> Nullable<Timestamp>,
        /// A JSON array of strings.
        authors -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
        /// The title folded for sorting, compared byte by byte.
        sort_title -> Text,
        /// When it leaves public view; `NULL`: never.
        unpublish_at -> Nullable<Timestamp>,
        /// Whether its release, while coming, is in the public calendar.
        announce -> Bool,
    }
}

diesel::table! {
    scheduled_transitions (publication_id, kind, due_at) {
        publication_id -> Integer,
        /// `release` or `expiry`.
        kind -> Text,
        due_at -> Timestamp,
        announced_at -> Nullable<Timestamp>,
        announced_by -> Nullable<Text>,
    }
}

diesel::table! {
    publication_categories (publication_id, category_id) {
        publication_id -> Integer,
        category_id -> Integer,
        position -> Integer,
    }
}

diesel::table! {
    links (id) {
        id -> Integer,
        publication_id -> Integer,
        rel -> Text,
        title -> Text,
        url -> Nullable<Text>,
        target_id -> Nullable<Integer>,
        media_type -> Nullable<Text>,
        hreflang -> Nullable<Text>,
        position -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> Integer,
        name -> Text,
        lookup_key -> Text,
        secret_hash -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    catalogue_revision (id) {
        id -> Integer,
        revision -> BigInt,
        changed_at -> Timestamp,
    }
}

diesel::table! {
    publication_slug_history (slug) {
        slug -> Text,
        publication_id -> Integer,
        moved_at -> Timestamp,
    }
}

diesel::table! {
    category_slug_history (slug) {
        slug -> Text,
        category_id -> Integer,
        moved_at -> Timestamp,
    }
}

diesel::joinable!(publication_categories -> categories (category_id));
diesel::joinable!(publication_categories -> publications (publication_id));

diesel::joinable!(publication_slug_history -> publications (publication_id));
diesel::joinable!(scheduled_transitions -> publications (publication_id));
diesel::joinable!(category_slug_history -> categories (category_id));

diesel::allow_tables_to_appear_in_same_query!(
    categories,
    publications,
    publication_categories,
    links,
    publication_slug_history,
    category_slug_history,
    scheduled_transitions,
);
