-- Narrow rows: PostgreSQL moves long values out of the row (TOAST) only
-- past about 2 KiB, so a compressed body would often stay inline and be
-- read by every list, search and count. Past 256 bytes, it goes out of line.
ALTER TABLE publications SET (toast_tuple_target = 256);
