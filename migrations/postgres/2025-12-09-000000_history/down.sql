DROP TABLE trash;
DROP TABLE publication_revisions;
ALTER TABLE api_tokens DROP COLUMN expires_at;
ALTER TABLE api_tokens DROP COLUMN scope;
