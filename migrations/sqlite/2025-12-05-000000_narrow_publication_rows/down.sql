-- The column order is no part of the schema's meaning: nothing to undo.
SELECT 1;
