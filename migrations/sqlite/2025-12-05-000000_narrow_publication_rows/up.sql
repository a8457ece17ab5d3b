-- Narrow rows: what lists, searches and counts read (status, dates, slug,
-- title) comes before the long texts, so a row is read without the
-- overflow pages of its body. SQLite reads a row's columns in order, and
-- cannot reorder them in place: the table is rebuilt, with its indexes and
-- triggers, as SQLite documents (foreign keys off, checked before commit).
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
CREATE TABLE publications_narrow (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    slug TEXT NOT NULL UNIQUE CHECK (length(slug) BETWEEN 1 AND 200),
    status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'archived')),
    language TEXT NOT NULL DEFAULT 'fr',
    published_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    sort_title TEXT NOT NULL DEFAULT '',
    title TEXT NOT NULL CHECK (length(title) >= 1),
    authors TEXT NOT NULL DEFAULT '[]',
    summary TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL DEFAULT '',
    CHECK (status <> 'published' OR published_at IS NOT NULL)
);
INSERT INTO publications_narrow
    (id, slug, status, language, published_at, created_at, updated_at, version, sort_title, title, authors, summary, body)
SELECT id, slug, status, language, published_at, created_at, updated_at, version, sort_title, title, authors, summary, body
FROM publications;
-- Ids are never reused: the sequence goes on where it was.
DELETE FROM sqlite_sequence WHERE name = 'publications_narrow';
INSERT INTO sqlite_sequence (name, seq) SELECT 'publications_narrow', seq FROM sqlite_sequence WHERE name = 'publications';
-- The rebuild is no change to the catalogue: the counter stays as it was.
DROP TABLE publications;
ALTER TABLE publications_narrow RENAME TO publications;
CREATE INDEX publications_status_published ON publications (status, published_at DESC, id DESC);
CREATE INDEX publications_status_language_published ON publications (status, language, published_at DESC, id DESC);
CREATE INDEX publications_updated ON publications (updated_at, id);
CREATE INDEX publications_status_title ON publications (status, sort_title, id);
CREATE INDEX publications_status_updated ON publications (status, updated_at, id);
CREATE TRIGGER publications_insert_revision AFTER INSERT ON publications
BEGIN UPDATE catalogue_revision SET revision = revision + 1 WHERE id = 1; END;
CREATE TRIGGER publications_update_revision AFTER UPDATE ON publications
BEGIN UPDATE catalogue_revision SET revision = revision + 1 WHERE id = 1; END;
CREATE TRIGGER publications_delete_revision AFTER DELETE ON publications
BEGIN UPDATE catalogue_revision SET revision = revision + 1 WHERE id = 1; END;
CREATE TRIGGER publications_delete_search AFTER DELETE ON publications
BEGIN DELETE FROM publication_search WHERE rowid = old.id; END;
COMMIT;
PRAGMA foreign_keys = ON;
