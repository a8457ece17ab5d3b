DROP INDEX publications_status_updated;
DROP INDEX publications_status_title;
ALTER TABLE publications DROP COLUMN sort_title;
DROP TABLE publication_search;
