DROP TABLE catalogue_revision;
DROP FUNCTION bump_catalogue_revision() CASCADE;
DROP TABLE links;
DROP TABLE publication_categories;
DROP TABLE publications;
DROP TABLE categories;
