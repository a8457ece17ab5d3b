-- Indexes that a bulk import into an empty catalogue dropped, to build each
-- once after the load instead of row by row. The import builds them again
-- when it ends, failed or not; start-up and `migrate` build any left here
-- by an import that was killed.
CREATE TABLE deferred_indexes (
    name TEXT PRIMARY KEY,
    definition TEXT NOT NULL
);
