-- hookd's initial SQLite schema.
--
-- Conventions: every timestamp is INTEGER milliseconds since the Unix epoch (UTC); every
-- structured field (metadata, headers, channel and event type lists, old secrets, schemas) is
-- TEXT holding JSON; a message payload is the published JSON text, byte for byte.
--
-- Ids are fixed-width base62 with the creation time leading, and base62's alphabet is in ASCII
-- order, so SQLite's default BINARY collation sorts ids by creation time. Lists page by id.
--
-- Cascades: an application owns its tokens, endpoints and messages; deliveries and attempts
-- hang off both their message and their endpoint, so deleting an application (through its
-- messages and endpoints) or an endpoint removes them too. Deliveries and attempts carry
-- `app_id` for filtering only, without a foreign key, so that cascades need no extra index.

CREATE TABLE applications (
    id            TEXT PRIMARY KEY NOT NULL,
    uid           TEXT UNIQUE,
    name          TEXT NOT NULL,
    throttle_rate INTEGER,
    metadata      TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

-- `app_id` is NULL for admin tokens; an application's tokens die with it.
CREATE TABLE tokens (
    id         TEXT PRIMARY KEY NOT NULL,
    hash       TEXT NOT NULL UNIQUE,
    app_id     TEXT REFERENCES applications (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER
);
CREATE INDEX tokens_app ON tokens (app_id);

CREATE TABLE event_types (
    name         TEXT PRIMARY KEY NOT NULL,
    description  TEXT NOT NULL,
    archived     INTEGER NOT NULL,
    deprecated   INTEGER NOT NULL,
    schemas      TEXT,
    feature_flag TEXT,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);

CREATE TABLE endpoints (
    id            TEXT PRIMARY KEY NOT NULL,
    app_id        TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    uid           TEXT,
    url           TEXT NOT NULL,
    description   TEXT NOT NULL,
    disabled      INTEGER NOT NULL,
    throttle_rate INTEGER,
    event_types   TEXT,
    channels      TEXT,
    metadata      TEXT NOT NULL,
    headers       TEXT NOT NULL,
    secret        TEXT NOT NULL,
    old_secrets   TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    UNIQUE (app_id, uid)
);
-- Lists an application's endpoints by id, and serves the cascade from applications.
CREATE INDEX endpoints_app ON endpoints (app_id, id);

CREATE TABLE messages (
    id         TEXT PRIMARY KEY NOT NULL,
    app_id     TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    event_id   TEXT,
    event_type TEXT NOT NULL,
    payload    TEXT,
    channels   TEXT,
    created_at INTEGER NOT NULL,
    UNIQUE (app_id, event_id)
);
-- Lists an application's messages by id, and serves the cascade from applications.
CREATE INDEX messages_app ON messages (app_id, id);

CREATE TABLE deliveries (
    msg_id           TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    endpoint_id      TEXT NOT NULL REFERENCES endpoints (id) ON DELETE CASCADE,
    app_id           TEXT NOT NULL,
    state            TEXT NOT NULL CHECK (state IN
                         ('pending', 'claimed', 'succeeded', 'retry_scheduled', 'exhausted', 'canceled')),
    attempts         INTEGER NOT NULL,
    next_attempt_at  INTEGER,
    trigger_type     TEXT NOT NULL CHECK (trigger_type IN ('scheduled', 'manual')),
    lease_token      TEXT,
    lease_owner      TEXT,
    lease_expires_at INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    PRIMARY KEY (msg_id, endpoint_id)
);
-- The claim query walks due deliveries oldest first; partial indexes keep the finished
-- majority of rows out of the queue's way.
CREATE INDEX deliveries_due ON deliveries (next_attempt_at)
    WHERE state IN ('pending', 'retry_scheduled');
CREATE INDEX deliveries_leases ON deliveries (lease_expires_at)
    WHERE state = 'claimed';
-- An endpoint's deliveries by message id (its message list, the cascade from endpoints),
-- and by creation time (stats and recover).
CREATE INDEX deliveries_endpoint ON deliveries (endpoint_id, msg_id);
CREATE INDEX deliveries_endpoint_created ON deliveries (endpoint_id, created_at);

CREATE TABLE attempts (
    id                   TEXT PRIMARY KEY NOT NULL,
    msg_id               TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    endpoint_id          TEXT NOT NULL REFERENCES endpoints (id) ON DELETE CASCADE,
    app_id               TEXT NOT NULL,
    url                  TEXT NOT NULL,
    status               INTEGER NOT NULL,
    response_status_code INTEGER NOT NULL,
    response             TEXT,
    response_duration_ms INTEGER NOT NULL,
    trigger_type         TEXT NOT NULL CHECK (trigger_type IN ('scheduled', 'manual')),
    created_at           INTEGER NOT NULL
);
CREATE INDEX attempts_endpoint ON attempts (endpoint_id, id);
CREATE INDEX attempts_msg ON attempts (msg_id, id);

-- A row without a response is a reservation of a request in progress.
CREATE TABLE idempotency_keys (
    key             TEXT PRIMARY KEY NOT NULL,
    request_hash    TEXT NOT NULL,
    response_status INTEGER,
    response_body   TEXT,
    created_at      INTEGER NOT NULL
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
