-- Translations: the publications of one group are the versions of one
-- study in different languages, at most one per language. A group is
-- named by the id of the publication it started from (which may since
-- have been deleted: the number is only a name).
ALTER TABLE publications ADD COLUMN translation_group INTEGER;
CREATE UNIQUE INDEX publications_translation_language ON publications (translation_group, language);

-- A category's name and description in languages other than the default
-- one (which the category's own columns hold).
CREATE TABLE category_names (
    category_id INTEGER NOT NULL REFERENCES categories (id) ON DELETE CASCADE,
    language TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    PRIMARY KEY (category_id, language)
);

-- Each language now has its own analyser: publications in a language
-- other than French, analysed as French until now, are indexed again in
-- theirs (at start-up, which indexes whatever the index lacks).
DELETE FROM publication_search WHERE publication_id IN
    (SELECT id FROM publications WHERE lower(language) <> 'fr' AND lower(language) NOT LIKE 'fr-%');
