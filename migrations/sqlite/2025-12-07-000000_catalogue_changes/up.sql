-- What each write changed, for the caches of every process: a write
-- appends its rows in its own transaction, stamped with the catalogue
-- revision it found (`since`) and the one it left (`revision`). A process
-- that kept answers at one revision reads the rows up to the next and
-- drops only the answers they touch; a gap in the chain (a write this log
-- does not describe) makes it drop everything. Rows are kept a while,
-- then pruned by the writes themselves.
CREATE TABLE catalogue_changes (
    revision BIGINT NOT NULL,
    position INTEGER NOT NULL,
    since BIGINT NOT NULL,
    change TEXT NOT NULL,
    changed_at TIMESTAMP NOT NULL,
    PRIMARY KEY (revision, position)
);
