-- Full-text search. The language work (accent folding, French stemming) is
-- done once in Rust, for both backends; each row here holds the resulting
-- terms, and FTS5 indexes them. The rowid is the publication's id.
CREATE VIRTUAL TABLE publication_search USING fts5(title_terms, all_terms, tokenize = 'unicode61');

CREATE TRIGGER publications_delete_search AFTER DELETE ON publications
BEGIN DELETE FROM publication_search WHERE rowid = old.id; END;

-- Sorting by title: a folded key, compared byte by byte on both backends.
ALTER TABLE publications ADD COLUMN sort_title TEXT NOT NULL DEFAULT '';
CREATE INDEX publications_status_title ON publications (status, sort_title, id);
CREATE INDEX publications_status_updated ON publications (status, updated_at, id);
