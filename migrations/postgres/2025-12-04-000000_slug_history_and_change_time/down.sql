DROP TABLE category_slug_history;
DROP TABLE publication_slug_history;
CREATE OR REPLACE FUNCTION bump_catalogue_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE catalogue_revision SET revision = revision + 1 WHERE id = 1;
    RETURN NULL;
END;
$$;
ALTER TABLE catalogue_revision DROP COLUMN changed_at;
