-- A kept batch's bytes may live in an append-only segment file of the
-- data directory (--event-store files) instead of the data column, which
-- is then empty: the row says which file, where the record starts and its
-- length. Writing 0.5 MB batches through the database's log and pages
-- was the largest cost of processing one (see README, GSOC figures).

ALTER TABLE monitor_raw ADD COLUMN segment TEXT NOT NULL DEFAULT '';
ALTER TABLE monitor_raw ADD COLUMN seg_offset BIGINT NOT NULL DEFAULT 0;
ALTER TABLE monitor_raw ADD COLUMN seg_size BIGINT NOT NULL DEFAULT 0;
