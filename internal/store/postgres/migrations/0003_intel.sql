-- The intelligence store: every version of every STIX object, exactly as
-- shared, with its distribution beside it; and the observable values each
-- latest version is about, for search and correlation.

CREATE TABLE intel_objects (
    seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, -- store order, the paging cursor
    id           TEXT NOT NULL,
    modified     BIGINT NOT NULL,  -- the version (microseconds); for SCOs, when first stored
    type         TEXT NOT NULL,
    created      BIGINT NOT NULL,  -- 0 for cyber-observables
    revoked      BOOLEAN NOT NULL DEFAULT FALSE,
    latest       BOOLEAN NOT NULL DEFAULT FALSE,
    added_at     BIGINT NOT NULL,
    source       TEXT NOT NULL,
    raw          TEXT NOT NULL,
    tlp          TEXT NOT NULL,
    author_org   TEXT NOT NULL,
    author_user  TEXT NOT NULL,
    anonymous    BOOLEAN NOT NULL DEFAULT FALSE,
    communities  TEXT NOT NULL DEFAULT '[]', -- JSON arrays of ids
    orgs         TEXT NOT NULL DEFAULT '[]',
    users        TEXT NOT NULL DEFAULT '[]',
    compartments TEXT NOT NULL DEFAULT '[]',
    valid_from   BIGINT,
    valid_until  BIGINT,
    confidence   BIGINT NOT NULL DEFAULT 0,
    UNIQUE (id, modified)
);
CREATE INDEX intel_objects_type ON intel_objects (type, seq);

CREATE TABLE intel_values (
    kind      TEXT NOT NULL,
    key       TEXT NOT NULL,
    value     TEXT NOT NULL,
    object_id TEXT NOT NULL,
    PRIMARY KEY (kind, key, object_id)
);
CREATE INDEX intel_values_object ON intel_values (object_id);
