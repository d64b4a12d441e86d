-- Incident cases worked across organisations: the case, its participants,
-- tasks, timeline, links, evidence files, saved searches and UI notices.
-- The list's filter columns are indexed with the creation order so that a
-- filtered page is an index range scan.

CREATE TABLE incidents (
    id              TEXT PRIMARY KEY,
    ref             TEXT NOT NULL UNIQUE,
    title           TEXT NOT NULL,
    summary         TEXT NOT NULL,
    owner_org       TEXT NOT NULL,
    affected_org    TEXT NOT NULL,
    sector          TEXT NOT NULL,
    systems         TEXT NOT NULL DEFAULT '[]', -- JSON array
    occurred_at     INTEGER,
    detected_at     INTEGER,
    tlp             TEXT NOT NULL,
    status          TEXT NOT NULL,
    impact_f        INTEGER NOT NULL, -- functional impact 0..3
    impact_i        INTEGER NOT NULL, -- information impact 0..3
    impact_r        INTEGER NOT NULL, -- recoverability 0..3
    score_tier      INTEGER NOT NULL, -- the affected organisation's tier when scored (the score is recomputed from these)
    severity        INTEGER NOT NULL,
    override        INTEGER,
    override_reason TEXT NOT NULL DEFAULT '',
    escalated       INTEGER NOT NULL DEFAULT 0,
    escalated_at    INTEGER,
    ack_due         INTEGER NOT NULL,
    response_due    INTEGER NOT NULL,
    ack_at          INTEGER,
    response_at     INTEGER,
    overdue_sent    INTEGER NOT NULL DEFAULT 0,
    reported_by     TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX incidents_created ON incidents (created_at, id);
CREATE INDEX incidents_status ON incidents (status, created_at, id);
CREATE INDEX incidents_sector ON incidents (sector, created_at, id);
CREATE INDEX incidents_owner ON incidents (owner_org, created_at, id);
CREATE INDEX incidents_affected ON incidents (affected_org, created_at, id);
CREATE INDEX incidents_due ON incidents (ack_due) WHERE overdue_sent = FALSE AND status <> 'closed';

CREATE TABLE incident_participants (
    incident_id  TEXT NOT NULL REFERENCES incidents (id),
    org_id       TEXT NOT NULL,
    role         TEXT NOT NULL,
    invited_by   TEXT NOT NULL,
    reason       TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    -- copies of the case's list columns, kept in step by the store, so
    -- that an organisation's filtered list is one index range
    case_created INTEGER NOT NULL,
    status       TEXT NOT NULL,
    severity     INTEGER NOT NULL,
    sector       TEXT NOT NULL,
    escalated    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (incident_id, org_id)
) WITHOUT ROWID;
CREATE INDEX incident_participants_org ON incident_participants (org_id, case_created, incident_id, status, severity, sector, escalated);
CREATE INDEX incident_participants_status ON incident_participants (org_id, status, case_created, incident_id);
CREATE INDEX incident_participants_sector ON incident_participants (org_id, sector, case_created, incident_id);

CREATE TABLE incident_entries (
    id          TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    kind        TEXT NOT NULL,
    body        TEXT NOT NULL,
    tlp         TEXT NOT NULL,
    users       TEXT NOT NULL DEFAULT '[]',
    author_org  TEXT NOT NULL,
    author_user TEXT NOT NULL,
    at          INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX incident_entries_case ON incident_entries (incident_id, at, id);

CREATE TABLE incident_tasks (
    id            TEXT PRIMARY KEY,
    incident_id   TEXT NOT NULL REFERENCES incidents (id),
    title         TEXT NOT NULL,
    detail        TEXT NOT NULL DEFAULT '',
    assignee_user TEXT NOT NULL DEFAULT '',
    assignee_org  TEXT NOT NULL DEFAULT '',
    due           INTEGER,
    status        TEXT NOT NULL,
    dispatch      TEXT, -- JSON of the CYMAT dispatch form, or NULL
    tlp           TEXT NOT NULL,
    author_org    TEXT NOT NULL,
    author_user   TEXT NOT NULL,
    overdue_sent  INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX incident_tasks_case ON incident_tasks (incident_id, created_at);
CREATE INDEX incident_tasks_due ON incident_tasks (due) WHERE overdue_sent = FALSE AND status IN ('open', 'accepted');

CREATE TABLE incident_links (
    id          TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    kind        TEXT NOT NULL,
    type        TEXT NOT NULL DEFAULT '',
    ref         TEXT NOT NULL,
    tlp         TEXT NOT NULL,
    author_org  TEXT NOT NULL,
    author_user TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX incident_links_case ON incident_links (incident_id, created_at);
CREATE INDEX incident_links_ref ON incident_links (ref);

CREATE TABLE incident_evidence (
    id          TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    name        TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    size        INTEGER NOT NULL,
    malware     INTEGER NOT NULL DEFAULT 0,
    tlp         TEXT NOT NULL,
    author_org  TEXT NOT NULL,
    author_user TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX incident_evidence_case ON incident_evidence (incident_id, created_at);

CREATE TABLE incident_searches (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    name       TEXT NOT NULL,
    query      TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (user_id, name)
);

CREATE TABLE incident_notices (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL DEFAULT '',
    org_id      TEXT NOT NULL DEFAULT '',
    incident_id TEXT NOT NULL,
    kind        TEXT NOT NULL,
    text        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX incident_notices_user ON incident_notices (user_id, created_at);
CREATE INDEX incident_notices_org ON incident_notices (org_id, created_at);
