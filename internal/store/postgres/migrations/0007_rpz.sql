-- RPZ: the feeds the hub publishes as Response Policy Zones, the ISPs that
-- subscribe to them over zone transfer, the journal of zone changes (one
-- row per serial), the allowlist every zone and the resolver honour, and
-- the false-positive reports sent from the warning page. Feeds and
-- subscribers are kept as their JSON definition (package rpz).

CREATE TABLE rpz_feeds (
    id         TEXT PRIMARY KEY,
    zone       TEXT NOT NULL UNIQUE,
    body       TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE rpz_subscribers (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    org_id     TEXT NOT NULL REFERENCES organizations (id),
    body       TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE rpz_journal (
    zone_key    TEXT NOT NULL,
    serial      BIGINT NOT NULL,
    from_serial BIGINT NOT NULL,
    deleted     INTEGER NOT NULL,
    added       INTEGER NOT NULL,
    body        TEXT NOT NULL, -- the delta as JSON; '' when it was too large to keep
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (zone_key, serial)
);

CREATE TABLE rpz_allow (
    name       TEXT PRIMARY KEY,
    reason     TEXT NOT NULL,
    report_id  TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE rpz_reports (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    reason     TEXT NOT NULL,
    contact    TEXT NOT NULL,
    lang       TEXT NOT NULL,
    remote     TEXT NOT NULL,
    status     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    decided_at BIGINT,
    decided_by TEXT NOT NULL,
    note       TEXT NOT NULL
);
CREATE INDEX rpz_reports_status ON rpz_reports (status, created_at);
