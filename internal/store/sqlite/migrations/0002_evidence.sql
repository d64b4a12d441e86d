-- The evidence ledger's index, retention rules, legal holds and
-- law-enforcement requests. The ledger's own files hold the entries.

CREATE TABLE ledger_entries (
    idx    INTEGER PRIMARY KEY, -- the entry's index in the ledger
    kind   TEXT NOT NULL,
    org_id TEXT NOT NULL DEFAULT '',
    time   INTEGER NOT NULL,
    ref    TEXT NOT NULL,       -- the source's own id, e.g. an audit seq
    erased INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX ledger_entries_kind_time ON ledger_entries (kind, time);
CREATE INDEX ledger_entries_org_time ON ledger_entries (org_id, time);
CREATE UNIQUE INDEX ledger_entries_kind_ref ON ledger_entries (kind, ref);

CREATE TABLE retention_rules (
    id         TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    org_id     TEXT NOT NULL DEFAULT '',
    days       INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    UNIQUE (kind, org_id)
);

CREATE TABLE legal_holds (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL DEFAULT '',
    kind        TEXT NOT NULL DEFAULT '',
    reason      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    created_by  TEXT NOT NULL,
    released_at INTEGER
);

CREATE TABLE evidence_requests (
    id               TEXT PRIMARY KEY,
    reference        TEXT NOT NULL,
    legal_basis      TEXT NOT NULL,
    scope            TEXT NOT NULL, -- JSON
    status           TEXT NOT NULL,
    requested_by     TEXT NOT NULL,
    requester_org_id TEXT NOT NULL,
    decided_by       TEXT NOT NULL DEFAULT '',
    decision_note    TEXT NOT NULL DEFAULT '',
    bundle_sha256    TEXT NOT NULL DEFAULT '',
    entries          INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX evidence_requests_org ON evidence_requests (requester_org_id, created_at);
