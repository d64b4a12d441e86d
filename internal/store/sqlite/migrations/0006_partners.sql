-- The federation partner registry (foreign CSIRTs, partner hubs, MISP or
-- OpenCTI instances reached over TAXII 2.1) and the record of every
-- exchange with them. doc holds the registry fields as JSON; secret the
-- credential sealed with AES-GCM under the hub's partner key (never the
-- plain value); the state columns are the exchange bookmarks and health.

CREATE TABLE partners (
    id           TEXT PRIMARY KEY,
    slug         TEXT NOT NULL UNIQUE,
    org_id       TEXT NOT NULL,
    doc          TEXT NOT NULL,
    secret       BLOB NOT NULL,
    pull_after   INTEGER NOT NULL DEFAULT 0,
    push_seq     INTEGER NOT NULL DEFAULT 0,
    failures     INTEGER NOT NULL DEFAULT 0,
    last_attempt INTEGER NOT NULL DEFAULT 0,
    last_success INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX partners_org ON partners (org_id);

CREATE TABLE partner_exchanges (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    partner_id  TEXT NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    at          INTEGER NOT NULL,
    direction   TEXT NOT NULL,
    objects_in  INTEGER NOT NULL,
    objects_out INTEGER NOT NULL,
    failed      INTEGER NOT NULL,
    error       TEXT NOT NULL,
    duration_us INTEGER NOT NULL
);
CREATE INDEX partner_exchanges_partner ON partner_exchanges (partner_id, id);

-- TAXII added_after: date_added is kept non-decreasing in store order (each
-- write stamps at least the latest stored value, under the sequence lock),
-- so the first row added after a time is found through this index and the
-- page is read from there in sequence order, instead of scanning from the
-- start of the store.
CREATE INDEX intel_objects_added ON intel_objects (added_at, seq);
