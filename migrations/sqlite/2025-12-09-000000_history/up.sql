-- Tokens with scopes: `read` (drafts, history, the trash), `write`
-- (content, restores) and `admin` (tokens, purges). The tokens made before
-- scopes existed could do everything: they become `admin`. A token may
-- expire.
ALTER TABLE api_tokens ADD COLUMN scope TEXT NOT NULL DEFAULT 'admin' CHECK (scope IN ('read', 'write', 'admin'));
ALTER TABLE api_tokens ADD COLUMN expires_at TIMESTAMP;

-- The history of each publication: one row per write that changed it.
-- No foreign key: a publication in the trash keeps its history; purging it
-- removes the history with it. The newest revision of a publication, and
-- every revision that changed its status, hold the whole snapshot; the
-- others hold the merge patch that turns the next revision's snapshot into
-- theirs (`patched`), which is a few hundred bytes for a typical edit.
-- Stored by key (no rowid), so that a publication's revisions sit
-- together and the room a snapshot leaves when it becomes a patch is taken
-- by the next revision (in a rowid table it stayed empty: 2 460 bytes of
-- pages a revision against 560 of data, measured).
CREATE TABLE publication_revisions (
    publication_id INTEGER NOT NULL,
    number INTEGER NOT NULL CHECK (number >= 1),
    created_at TIMESTAMP NOT NULL,
    author TEXT NOT NULL,
    reason TEXT NOT NULL,
    -- A JSON array of the fields that changed.
    changed TEXT NOT NULL,
    status_changed BOOLEAN NOT NULL,
    -- The publication's version this revision recorded.
    version INTEGER NOT NULL,
    restored_from INTEGER,
    patched BOOLEAN NOT NULL DEFAULT 0,
    snapshot TEXT NOT NULL,
    PRIMARY KEY (publication_id, number)
) WITHOUT ROWID;

-- Publications in the trash: gone from every surface (their row is
-- removed, so no query has to exclude them), kept here with what putting
-- them back needs that their last revision does not hold: the links other
-- publications had to them, and their former slugs.
CREATE TABLE trash (
    publication_id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL,
    title TEXT NOT NULL,
    trashed_at TIMESTAMP NOT NULL,
    trashed_by TEXT NOT NULL,
    -- The revision that recorded the publication as it was trashed.
    revision INTEGER NOT NULL,
    -- A JSON array of the links to it, as rows.
    incoming TEXT NOT NULL,
    -- A JSON array of its former slugs.
    former_slugs TEXT NOT NULL
);
CREATE INDEX trash_trashed_at ON trash (trashed_at, publication_id);
