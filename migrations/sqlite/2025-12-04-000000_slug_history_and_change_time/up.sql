-- When the catalogue last changed: the Last-Modified of every answer made
-- from it. Set by the database on every change, so it never goes back and
-- every process agrees on it.
ALTER TABLE catalogue_revision ADD COLUMN changed_at TIMESTAMP NOT NULL DEFAULT '2025-12-01 00:00:00.000';
UPDATE catalogue_revision SET changed_at = strftime('%Y-%m-%d %H:%M:%f', 'now');
CREATE TRIGGER catalogue_revision_changed_at AFTER UPDATE OF revision ON catalogue_revision
BEGIN
    UPDATE catalogue_revision SET changed_at = max(old.changed_at, strftime('%Y-%m-%d %H:%M:%f', 'now'))
    WHERE id = new.id;
END;

-- The slugs that publications and categories had before: an old slug
-- answers 301 to the current one. A slug is here only while no live item
-- has it; one item's history never holds its own current slug.
CREATE TABLE publication_slug_history (
    slug TEXT PRIMARY KEY,
    publication_id INTEGER NOT NULL REFERENCES publications (id) ON DELETE CASCADE,
    moved_at TIMESTAMP NOT NULL
);
CREATE INDEX publication_slug_history_publication ON publication_slug_history (publication_id);

CREATE TABLE category_slug_history (
    slug TEXT PRIMARY KEY,
    category_id INTEGER NOT NULL REFERENCES categories (id) ON DELETE CASCADE,
    moved_at TIMESTAMP NOT NULL
);
CREATE INDEX category_slug_history_category ON category_slug_history (category_id);
