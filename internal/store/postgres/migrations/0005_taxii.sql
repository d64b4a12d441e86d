-- The status resources of TAXII 2.1 POSTs (GET .../status/{id}/): kept so
-- that a client may ask again later, and read only by the organisation
-- that posted. body is the status resource as served, JSON.

CREATE TABLE taxii_status (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    body       TEXT NOT NULL
);
CREATE INDEX taxii_status_created ON taxii_status (created_at);
