-- Publications, their categories (a tree) and their related links.
-- Times are UTC, stored as ISO 8601 text by diesel's Timestamp type.

CREATE TABLE categories (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    slug TEXT NOT NULL UNIQUE CHECK (length(slug) BETWEEN 1 AND 200),
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description TEXT,
    parent_id INTEGER REFERENCES categories (id) ON DELETE RESTRICT,
    position INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    CHECK (parent_id IS NULL OR parent_id <> id)
);
CREATE INDEX categories_parent_position ON categories (parent_id, position, id);

CREATE TABLE publications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    slug TEXT NOT NULL UNIQUE CHECK (length(slug) BETWEEN 1 AND 200),
    title TEXT NOT NULL CHECK (length(title) >= 1),
    summary TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'archived')),
    language TEXT NOT NULL DEFAULT 'fr',
    published_at TIMESTAMP,
    authors TEXT NOT NULL DEFAULT '[]',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    CHECK (status <> 'published' OR published_at IS NOT NULL)
);
-- The default listing: newest first, ties broken on id.
CREATE INDEX publications_status_published ON publications (status, published_at DESC, id DESC);
CREATE INDEX publications_status_language_published ON publications (status, language, published_at DESC, id DESC);
CREATE INDEX publications_updated ON publications (updated_at, id);

CREATE TABLE publication_categories (
    publication_id INTEGER NOT NULL REFERENCES publications (id) ON DELETE CASCADE,
    category_id INTEGER NOT NULL REFERENCES categories (id) ON DELETE RESTRICT,
    position INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (publication_id, category_id)
);
CREATE INDEX publication_categories_category ON publication_categories (category_id, publication_id);

CREATE TABLE links (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    publication_id INTEGER NOT NULL REFERENCES publications (id) ON DELETE CASCADE,
    rel TEXT NOT NULL CHECK (rel IN ('related', 'attachment', 'source', 'see_also')),
    title TEXT NOT NULL DEFAULT '',
    url TEXT,
    target_id INTEGER REFERENCES publications (id) ON DELETE CASCADE,
    media_type TEXT,
    hreflang TEXT,
    position INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    CHECK ((url IS NULL) <> (target_id IS NULL)),
    CHECK (target_id IS NULL OR target_id <> publication_id)
);
CREATE INDEX links_publication_position ON links (publication_id, position, id);
CREATE INDEX links_target ON links (target_id, rel);

-- A counter bumped by every change to the catalogue, so that a cache can
-- tell whether anything changed with one cheap read.
CREATE TABLE catalogue_revision (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    revision BIGINT NOT NULL
);
INSERT INTO catalogue_revision (id, revision) VALUES (1, 0);

CREATE TRIGGER categories_insert_revision AFTER INSERT ON categories
BEGIN UPDATE catalogue_revision SET revision = revision + 1 WHERE id = 1; END;
CREATE TRIGGER categories_update_revision AFTER UPDATE ON categories
BEGIN UPDATE catalogue_revision SET revision = revision + 1 WHERE id = 1; END;
CREATE TRIGGER categories_delete_revision AFTER DELETE ON categories
BEGIN UPDATE catalogue_revision SET revision = revision + 1 WHERE id = 1; END;
CREATE TRIGGER publications_insert_revision AFTER INSERT ON publications
BEGIN UPDATE catalogue_revision SET revision = revision + 1 WHERE id = 1; END;
CREATE TRIGGER publications_update_revision AFTER UPDATE ON publications
BEGIN UPDATE catalogue_revision SET revision = revision + 1 WHERE id = 1; END;
CREATE TRIGGER publications_delete_revision AFTER DELETE ON publications
BEGIN UPDATE catalogue_revision SET revision = revision + 1 WHERE id = 1; END;
CREATE TRIGGER publication_categories_insert_revision AFTER INSERT ON publication_categories
BEGIN UPDATE catalogue_revision SET revision = revision + 1 WHERE id = 1; END;
CREATE TRIGGER publication_categories_update_revision AFTER UPDATE ON publication_categories
BEGIN UPDATE catalogue_revision SET revision = revision + 1 WHERE id = 1; END;
CREATE TRIGGER publication_categories_delete_revision AFTER DELETE ON publication_categories
BEGIN UPDATE catalogue_revision SET revision = revision + 1 WHERE id = 1; END;
CREATE TRIGGER links_insert_revision AFTER INSERT ON links
BEGIN UPDATE catalogue_revision SET revision = revision + 1 WHERE id = 1; END;
CREATE TRIGGER links_update_revision AFTER UPDATE ON links
BEGIN UPDATE catalogue_revision SET revision = revision + 1 WHERE id = 1; END;
CREATE TRIGGER links_delete_revision AFTER DELETE ON links
BEGIN UPDATE catalogue_revision SET revision = revision + 1 WHERE id = 1; END;
