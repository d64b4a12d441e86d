-- Kept batches are already compressed (S2 or zstd): PostgreSQL's TOAST
-- would try pglz on every 0.5 MB value and keep the result only if it were
-- smaller, which it never is. EXTERNAL stores the value out of line
-- without that attempt.
ALTER TABLE monitor_raw ALTER COLUMN data SET STORAGE EXTERNAL;
