DROP TABLE category_names;
DROP INDEX publications_translation_language;
ALTER TABLE publications DROP COLUMN translation_group;
DELETE FROM publication_search WHERE publication_id IN
    (SELECT id FROM publications WHERE lower(language) <> 'fr' AND lower(language) NOT LIKE 'fr-%');
