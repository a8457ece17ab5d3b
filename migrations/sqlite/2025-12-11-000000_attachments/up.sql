-- Files of a publication. The bytes are a blob in object storage, named by
-- their SHA-256; the row is written after the blob, so a row always has its
-- file (a blob without a row is an orphan the collector removes).
CREATE TABLE attachments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    publication_id INTEGER NOT NULL REFERENCES publications (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('document', 'cover', 'annex', 'dataset')),
    title TEXT NOT NULL DEFAULT '',
    language TEXT,
    filename TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size INTEGER NOT NULL CHECK (size >= 0),
    sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
    alt TEXT,
    -- What was read from the bytes, as JSON: {width, height} of an image,
    -- {pages} of a PDF, and an image's copies as variants: [{width,
    -- height, media_type, size, sha256}].
    facts TEXT NOT NULL DEFAULT '{}',
    position INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    CHECK (role <> 'cover' OR alt IS NOT NULL)
);
CREATE INDEX attachments_publication_position ON attachments (publication_id, position, id);
-- The collector asks whether any row still refers to a blob.
CREATE INDEX attachments_sha256 ON attachments (sha256);
