DROP TABLE catalogue_revision;
DROP TABLE links;
DROP TABLE publication_categories;
DROP TABLE publications;
DROP TABLE categories;
