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
        /// Its group of translations (one publication per language);
        /// `NULL`: none.
        translation_group -> Nullable<Integer>,
    }
}

diesel::table! {
    /// A category's name and description in a language other than the
    /// default one.
    category_names (category_id, language) {
        category_id -> Integer,
        language -> Text,
        name -> Text,
        description -> Nullable<Text>,
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
        /// `read`, `write` or `admin`.
        scope -> Text,
        expires_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    publication_revisions (publication_id, number) {
        publication_id -> Integer,
        number -> Integer,
        created_at -> Timestamp,
        author -> Text,
        reason -> Text,
        /// A JSON array of field names.
        changed -> Text,
        status_changed -> Bool,
        version -> Integer,
        restored_from -> Nullable<Integer>,
        /// `snapshot` is the merge patch from the next revision's snapshot.
        patched -> Bool,
        snapshot -> Text,
    }
}

diesel::table! {
    trash (publication_id) {
        publication_id -> Integer,
        slug -> Text,
        title -> Text,
        trashed_at -> Timestamp,
        trashed_by -> Text,
        revision -> Integer,
        /// A JSON array of link rows.
        incoming -> Text,
        /// A JSON array of slugs.
        former_slugs -> Text,
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

diesel::table! {
    events (seq) {
        seq -> BigInt,
        occurred_at -> Timestamp,
        #[sql_name = "type"]
        kind -> Text,
        resource -> Text,
        resource_id -> Integer,
        slug -> Text,
        language -> Nullable<Text>,
        version -> Nullable<Integer>,
        /// JSON arrays of category ids.
        categories -> Text,
        categories_before -> Text,
        language_before -> Nullable<Text>,
        /// A JSON array of field names.
        changed -> Text,
        public_before -> Bool,
        public_after -> Bool,
        exists_before -> Bool,
        exists_after -> Bool,
    }
}

diesel::table! {
    event_log (id) {
        id -> Integer,
        pruned_through -> BigInt,
        fanned_through -> BigInt,
    }
}

diesel::table! {
    webhooks (id) {
        id -> Integer,
        url -> Text,
        description -> Text,
        /// A JSON array of event types.
        events -> Text,
        include_drafts -> Bool,
        enabled -> Bool,
        secret -> Text,
        previous_secret -> Nullable<Text>,
        previous_secret_until -> Nullable<Timestamp>,
        after_seq -> BigInt,
        failing_since -> Nullable<Timestamp>,
        disabled_reason -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> BigInt,
        webhook_id -> Integer,
        message_id -> Text,
        event_type -> Text,
        event_seq -> Nullable<BigInt>,
        payload -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Nullable<Timestamp>,
        last_attempt_at -> Nullable<Timestamp>,
        last_status -> Nullable<Integer>,
        last_response -> Nullable<Text>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        delivered_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    attachments (id) {
        id -> Integer,
        publication_id -> Integer,
        /// `document`, `cover`, `annex` or `dataset`.
        role -> Text,
        title -> Text,
        language -> Nullable<Text>,
        filename -> Text,
        media_type -> Text,
        size -> BigInt,
        /// The blob's name: the SHA-256 of its bytes, in hex.
        sha256 -> Text,
        alt -> Nullable<Text>,
        /// What was read from the bytes (JSON): an image's size and
        /// copies, a PDF's pages.
        facts -> Text,
        position -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
    }
}

diesel::joinable!(publication_categories -> categories (category_id));
diesel::joinable!(publication_categories -> publications (publication_id));

diesel::joinable!(publication_slug_history -> publications (publication_id));
diesel::joinable!(scheduled_transitions -> publications (publication_id));
diesel::joinable!(category_slug_history -> categories (category_id));
diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));
diesel::joinable!(attachments -> publications (publication_id));
diesel::joinable!(category_names -> categories (category_id));

diesel::allow_tables_to_appear_in_same_query!(
    categories,
    category_names,
    publications,
    publication_categories,
    links,
    attachments,
    publication_slug_history,
    category_slug_history,
    scheduled_transitions,
    webhooks,
    webhook_deliveries,
);
