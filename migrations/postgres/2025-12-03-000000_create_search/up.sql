-- Full-text search. The language work (accent folding, French stemming) is
-- done once in Rust, for both backends; each row here holds the resulting
-- terms, and a GIN index over their tsvector serves the queries.
CREATE TABLE publication_search (
    publication_id INTEGER PRIMARY KEY REFERENCES publications (id) ON DELETE CASCADE,
    title_terms TEXT NOT NULL,
    all_terms TEXT NOT NULL,
    title_vector TSVECTOR GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, title_terms)) STORED,
    all_vector TSVECTOR GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, all_terms)) STORED
);
CREATE INDEX publication_search_title ON publication_search USING GIN (title_vector);
CREATE INDEX publication_search_all ON publication_search USING GIN (all_vector);

-- Sorting by title: a folded key, compared byte by byte on both backends.
ALTER TABLE publications ADD COLUMN sort_title TEXT COLLATE "C" NOT NULL DEFAULT '';
CREATE INDEX publications_status_title ON publications (status, sort_title, id);
CREATE INDEX publications_status_updated ON publications (status, updated_at, id);
