-- GSOC monitoring: sensors of monitored organisations (tokens stored
-- hashed), the batch ids processed (so a batch delivered twice is counted
-- once), alerts aggregated by organisation, indicator and value, the
-- batches each alert was built from, and raw event batches (gzip) kept
-- until their organisation's retention ends.

CREATE TABLE monitor_sensors (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES organizations (id),
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL,
    location      TEXT NOT NULL DEFAULT '',
    format        TEXT NOT NULL,
    mapping       TEXT NOT NULL DEFAULT '',
    sources       TEXT NOT NULL DEFAULT '', -- syslog senders: addresses and CIDR blocks, comma-separated
    token_hash    TEXT NOT NULL UNIQUE,
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    INTEGER NOT NULL,
    events        INTEGER NOT NULL DEFAULT 0,
    rejected      INTEGER NOT NULL DEFAULT 0,
    reasons       TEXT NOT NULL DEFAULT '{}',
    last_event_at INTEGER,
    last_error    TEXT NOT NULL DEFAULT '',
    last_error_at INTEGER,
    UNIQUE (org_id, name)
);

CREATE TABLE monitor_batches (
    id           TEXT PRIMARY KEY,
    sensor_id    TEXT NOT NULL,
    org_id       TEXT NOT NULL,
    received_at  INTEGER NOT NULL,
    processed_at INTEGER NOT NULL,
    events       INTEGER NOT NULL,
    rejected     INTEGER NOT NULL
);
CREATE INDEX monitor_batches_sensor ON monitor_batches (sensor_id, processed_at);

CREATE TABLE monitor_alerts (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL,
    sector       TEXT NOT NULL DEFAULT '',
    indicator_id TEXT NOT NULL,
    name         TEXT NOT NULL DEFAULT '',
    kind         TEXT NOT NULL,
    value        TEXT NOT NULL,
    observed     TEXT NOT NULL,
    sensor_id    TEXT NOT NULL,
    count        INTEGER NOT NULL,
    first_seen   INTEGER NOT NULL,
    last_seen    INTEGER NOT NULL,
    severity     INTEGER NOT NULL,
    score        REAL NOT NULL,
    incident     TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL
);
CREATE INDEX monitor_alerts_key ON monitor_alerts (org_id, indicator_id, value, last_seen);
CREATE INDEX monitor_alerts_last ON monitor_alerts (last_seen);

CREATE TABLE monitor_alert_batches (
    alert_id TEXT NOT NULL,
    batch_id TEXT NOT NULL,
    PRIMARY KEY (alert_id, batch_id)
);

CREATE TABLE monitor_raw (
    batch_id    TEXT PRIMARY KEY,
    sensor_id   TEXT NOT NULL,
    org_id      TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    data        BLOB NOT NULL
);
CREATE INDEX monitor_raw_expires ON monitor_raw (expires_at);
