-- Scheduled releases and expiry. A publication is public from its
-- `published_at` until its `unpublish_at` (when set); both are compared
-- with the time of the read, so nothing needs to run for a release to
-- show. `announce` puts a coming release in the public release calendar.
ALTER TABLE publications ADD COLUMN unpublish_at TIMESTAMP;
ALTER TABLE publications ADD COLUMN announce BOOLEAN NOT NULL DEFAULT false;
-- The list indexes hold `unpublish_at` too, so that a count of what is
-- public now stays an index-only scan, as before.
DROP INDEX publications_status_published;
CREATE INDEX publications_status_published ON publications (status, published_at DESC, id DESC) INCLUDE (unpublish_at);
DROP INDEX publications_status_language_published;
CREATE INDEX publications_status_language_published ON publications (status, language, published_at DESC, id DESC) INCLUDE (unpublish_at);
CREATE INDEX publications_status_expiry ON publications (status, unpublish_at) WHERE unpublish_at IS NOT NULL;

-- The transitions a write scheduled (a release or an expiry in the
-- future), for what must happen once at that instant: a process claims a
-- due row, does it, and marks it announced in one transaction, so it
-- happens once across processes, and after a restart when nobody ran at
-- the instant.
CREATE TABLE scheduled_transitions (
    publication_id INTEGER NOT NULL REFERENCES publications (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('release', 'expiry')),
    due_at TIMESTAMP NOT NULL,
    announced_at TIMESTAMP,
    announced_by TEXT,
    PRIMARY KEY (publication_id, kind, due_at)
);
CREATE INDEX scheduled_transitions_due ON scheduled_transitions (due_at) WHERE announced_at IS NULL;
