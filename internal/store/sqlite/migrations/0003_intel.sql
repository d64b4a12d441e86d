-- The intelligence store: every version of every STIX object, exactly as
-- shared, with its distribution beside it; and the observable values each
-- latest version is about, for search and correlation.

CREATE TABLE intel_objects (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT, -- store order, the paging cursor
    id           TEXT NOT NULL,
    modified     INTEGER NOT NULL,  -- the version (microseconds); for SCOs, when first stored
    type         TEXT NOT NULL,
    created      INTEGER NOT NULL,  -- 0 for cyber-observables
    revoked      INTEGER NOT NULL DEFAULT 0,
    latest       INTEGER NOT NULL DEFAULT 0,
    added_at     INTEGER NOT NULL,
    source       TEXT NOT NULL,
    raw          TEXT NOT NULL,
    tlp          TEXT NOT NULL,
    author_org   TEXT NOT NULL,
    author_user  TEXT NOT NULL,
    anonymous    INTEGER NOT NULL DEFAULT 0,
    communities  TEXT NOT NULL DEFAULT '[]', -- JSON arrays of ids
    orgs         TEXT NOT NULL DEFAULT '[]',
    users        TEXT NOT NULL DEFAULT '[]',
    compartments TEXT NOT NULL DEFAULT '[]',
    valid_from   INTEGER,
    valid_until  INTEGER,
    confidence   INTEGER NOT NULL DEFAULT 0,
    UNIQUE (id, modified)
);
CREATE INDEX intel_objects_type ON intel_objects (type, seq);

CREATE TABLE intel_values (
    kind      TEXT NOT NULL,
    key       TEXT NOT NULL,
    value     TEXT NOT NULL,
    object_id TEXT NOT NULL,
    PRIMARY KEY (kind, key, object_id)
) WITHOUT ROWID;
CREATE INDEX intel_values_object ON intel_values (object_id);
