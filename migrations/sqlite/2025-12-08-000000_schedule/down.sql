DROP TABLE scheduled_transitions;
DROP INDEX publications_status_expiry;
DROP INDEX publications_status_published;
CREATE INDEX publications_status_published ON publications (status, published_at DESC, id DESC);
DROP INDEX publications_status_language_published;
CREATE INDEX publications_status_language_published ON publications (status, language, published_at DESC, id DESC);
ALTER TABLE publications DROP COLUMN announce;
ALTER TABLE publications DROP COLUMN unpublish_at;
