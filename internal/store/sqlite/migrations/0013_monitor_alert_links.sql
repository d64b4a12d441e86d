-- The links from kept batches to the alerts they fed, keyed by batch: a
-- batch's links are written side by side (a page or two), where keyed by
-- alert each landed on a page of its own, a hundred pages a batch for a
-- hundred alerts. An alert's batches are found through the raw batches of
-- its organisation received in the span the alert records.
CREATE TABLE monitor_raw_alerts (
    batch_id TEXT NOT NULL,
    alert_id TEXT NOT NULL,
    PRIMARY KEY (batch_id, alert_id)
) WITHOUT ROWID;
INSERT INTO monitor_raw_alerts (batch_id, alert_id) SELECT batch_id, alert_id FROM monitor_alert_batches;
DROP TABLE monitor_alert_batches;
CREATE INDEX monitor_raw_org ON monitor_raw (org_id, received_at);
-- When the batches an alert joined were received: 0 for alerts from
-- before, whose batches are looked for in every span.
ALTER TABLE monitor_alerts ADD COLUMN raw_from INTEGER NOT NULL DEFAULT 0;
ALTER TABLE monitor_alerts ADD COLUMN raw_to INTEGER NOT NULL DEFAULT 0;
