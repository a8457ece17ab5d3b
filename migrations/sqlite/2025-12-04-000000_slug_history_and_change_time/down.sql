DROP TABLE category_slug_history;
DROP TABLE publication_slug_history;
DROP TRIGGER catalogue_revision_changed_at;
ALTER TABLE catalogue_revision DROP COLUMN changed_at;
