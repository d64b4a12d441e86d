-- PostgreSQL's 0012 sets how kept batches are stored (no TOAST
-- compression of data already compressed); SQLite has no such setting.
SELECT 1;
