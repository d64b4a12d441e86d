-- Organisations, communities, people, credentials and the audit trail.
-- Times are microseconds since the Unix epoch (UTC) in both dialects.

CREATE TABLE organizations (
    id          TEXT PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    name_key    TEXT NOT NULL UNIQUE, -- case-folded name, for duplicate detection
    name_ja     TEXT NOT NULL DEFAULT '',
    kind        TEXT NOT NULL,
    sector      TEXT NOT NULL DEFAULT '',
    tier        INTEGER NOT NULL,
    country     TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    contacts    TEXT NOT NULL DEFAULT '[]', -- JSON array of points of contact
    disabled    INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX organizations_kind ON organizations (kind, sector);

CREATE TABLE communities (
    id          TEXT PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    name_key    TEXT NOT NULL UNIQUE,
    name_ja     TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    sector      TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE community_members (
    community_id TEXT NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    org_id       TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    PRIMARY KEY (community_id, org_id)
);
CREATE INDEX community_members_org ON community_members (org_id);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL DEFAULT '',
    email         TEXT NOT NULL DEFAULT '',
    org_id        TEXT NOT NULL REFERENCES organizations (id),
    role          TEXT NOT NULL,
    locale        TEXT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    password_hash TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    last_login_at INTEGER
);
CREATE INDEX users_org ON users (org_id);

CREATE TABLE tokens (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    hint         TEXT NOT NULL,
    hash         TEXT NOT NULL UNIQUE,
    scope        TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER,
    last_used_at INTEGER,
    revoked_at   INTEGER
);
CREATE INDEX tokens_user ON tokens (user_id);

CREATE TABLE sessions (
    id           TEXT PRIMARY KEY, -- SHA-256 of the cookie secret
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    remote       TEXT NOT NULL DEFAULT '',
    user_agent   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE csrf_tokens (
    hash       TEXT PRIMARY KEY, -- SHA-256 of the form token
    binding    TEXT NOT NULL,    -- session id or pre-session nonce hash
    expires_at INTEGER NOT NULL
);

CREATE TABLE audit (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    time          INTEGER NOT NULL,
    actor_id      TEXT NOT NULL,
    actor_name    TEXT NOT NULL,
    actor_org_id  TEXT NOT NULL,
    action        TEXT NOT NULL,
    object_type   TEXT NOT NULL,
    object_id     TEXT NOT NULL,
    object_org_id TEXT NOT NULL,
    outcome       TEXT NOT NULL,
    remote        TEXT NOT NULL,
    via           TEXT NOT NULL,
    request_id    TEXT NOT NULL,
    detail        TEXT
);
CREATE INDEX audit_time ON audit (time);
CREATE INDEX audit_actor_org ON audit (actor_org_id, seq);
CREATE INDEX audit_object_org ON audit (object_org_id, seq);
CREATE INDEX audit_action ON audit (action, seq);
CREATE INDEX audit_actor ON audit (actor_id, seq);
