-- The audit log: one row per change made through the API. Ids sort by time, so the list walks
-- the primary key; pruning by age walks audit_log_at.
CREATE TABLE audit_log (
    id TEXT PRIMARY KEY,
    at BIGINT NOT NULL,
    token_id TEXT NOT NULL,
    method TEXT NOT NULL,
    route TEXT NOT NULL,
    path TEXT NOT NULL,
    status INTEGER NOT NULL,
    client TEXT
);
CREATE INDEX audit_log_at ON audit_log (at);
