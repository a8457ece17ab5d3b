DROP TABLE scheduled_transitions;
DROP INDEX publications_status_expiry;
ALTER TABLE publications DROP COLUMN announce;
ALTER TABLE publications DROP COLUMN unpublish_at;
