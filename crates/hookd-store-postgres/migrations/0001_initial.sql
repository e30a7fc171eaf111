-- hookd's initial PostgreSQL schema, the same shape as the SQLite store's.
--
-- Conventions: every timestamp is BIGINT milliseconds since the Unix epoch (UTC), exactly the
-- precision hookd persists, so that values compare and round-trip without conversion; every
-- structured document (metadata, headers, old secrets, schemas) is JSONB; lists of names
-- (channels, endpoint event type filters) are TEXT[]; a message payload is TEXT holding the
-- published JSON byte for byte (JSONB would re-serialize it).
--
-- Ids are fixed-width base62 with the creation time leading, and base62's alphabet is in ASCII
-- order, so ids sort by creation time only under byte-wise comparison. Every id and key column
-- is therefore declared COLLATE "C": lists page by id (and event types by name), and a
-- database created with a linguistic default collation (en_US, ICU) would otherwise sort
-- `app_…a…` before `app_…B…` and break pagination. "C" also makes these b-trees compare with
-- memcmp, the cheapest comparison PostgreSQL has.
--
-- Cascades: an application owns its tokens, endpoints and messages; deliveries and attempts
-- hang off both their message and their endpoint, so deleting an application (through its
-- messages and endpoints) or an endpoint removes them too. Deliveries and attempts carry
-- `app_id` for filtering only, without a foreign key, so that cascades need no extra index.
--
-- Constraints are named explicitly: the store maps a unique violation to the API key it
-- concerns by constraint name (see src/error.rs), so these names are part of the contract.

CREATE TABLE applications (
    id            TEXT COLLATE "C" NOT NULL,
    uid           TEXT COLLATE "C",
    name          TEXT NOT NULL,
    throttle_rate INTEGER,
    metadata      JSONB NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    CONSTRAINT applications_pkey PRIMARY KEY (id),
    CONSTRAINT applications_uid_key UNIQUE (uid)
);

-- `app_id` is NULL for admin tokens; an application's tokens die with it.
CREATE TABLE tokens (
    id         TEXT COLLATE "C" NOT NULL,
    hash       TEXT COLLATE "C" NOT NULL,
    app_id     TEXT COLLATE "C" REFERENCES applications (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    CONSTRAINT tokens_pkey PRIMARY KEY (id),
    CONSTRAINT tokens_hash_key UNIQUE (hash)
);
-- Serves the cascade from applications and the "is there an admin token" check (b-trees
-- index NULLs in PostgreSQL, so `app_id IS NULL` uses it).
CREATE INDEX tokens_app ON tokens (app_id);

CREATE TABLE event_types (
    name         TEXT COLLATE "C" NOT NULL,
    description  TEXT NOT NULL,
    archived     BOOLEAN NOT NULL,
    deprecated   BOOLEAN NOT NULL,
    schemas      JSONB,
    feature_flag TEXT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    CONSTRAINT event_types_pkey PRIMARY KEY (name)
);

CREATE TABLE endpoints (
    id            TEXT COLLATE "C" NOT NULL,
    app_id        TEXT COLLATE "C" NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    uid           TEXT COLLATE "C",
    url           TEXT NOT NULL,
    description   TEXT NOT NULL,
    disabled      BOOLEAN NOT NULL,
    throttle_rate INTEGER,
    event_types   TEXT[],
    channels      TEXT[],
    metadata      JSONB NOT NULL,
    headers       JSONB NOT NULL,
    secret        TEXT NOT NULL,
    old_secrets   JSONB NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    CONSTRAINT endpoints_pkey PRIMARY KEY (id),
    CONSTRAINT endpoints_app_uid_key UNIQUE (app_id, uid)
);
-- Lists an application's endpoints by id, and serves the cascade from applications.
CREATE INDEX endpoints_app ON endpoints (app_id, id);

CREATE TABLE messages (
    id         TEXT COLLATE "C" NOT NULL,
    app_id     TEXT COLLATE "C" NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    event_id   TEXT COLLATE "C",
    event_type TEXT COLLATE "C" NOT NULL,
    payload    TEXT,
    channels   TEXT[],
    created_at BIGINT NOT NULL,
    CONSTRAINT messages_pkey PRIMARY KEY (id),
    CONSTRAINT messages_app_event_id_key UNIQUE (app_id, event_id)
);
-- Lists an application's messages by id, and serves the cascade from applications.
CREATE INDEX messages_app ON messages (app_id, id);

CREATE TABLE deliveries (
    msg_id           TEXT COLLATE "C" NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    endpoint_id      TEXT COLLATE "C" NOT NULL REFERENCES endpoints (id) ON DELETE CASCADE,
    app_id           TEXT COLLATE "C" NOT NULL,
    state            TEXT COLLATE "C" NOT NULL CHECK (state IN
                         ('pending', 'claimed', 'succeeded', 'retry_scheduled', 'exhausted', 'canceled')),
    attempts         INTEGER NOT NULL,
    next_attempt_at  BIGINT,
    trigger_type     TEXT COLLATE "C" NOT NULL CHECK (trigger_type IN ('scheduled', 'manual')),
    lease_token      TEXT COLLATE "C",
    lease_owner      TEXT,
    lease_expires_at BIGINT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    CONSTRAINT deliveries_pkey PRIMARY KEY (msg_id, endpoint_id)
);
-- The claim walks due deliveries oldest first; partial indexes hold only the rows still in
-- the queue, so a claim reads the first few entries of a small index however many finished
-- deliveries the table has accumulated. The planner only uses a partial index when it can
-- prove the query implies the index's WHERE, so queries spell these states as literals.
CREATE INDEX deliveries_due ON deliveries (next_attempt_at)
    WHERE state IN ('pending', 'retry_scheduled');
CREATE INDEX deliveries_leases ON deliveries (lease_expires_at)
    WHERE state = 'claimed';
-- An endpoint's deliveries by message id (its message list, the cascade from endpoints),
-- and by creation time (stats and recover).
CREATE INDEX deliveries_endpoint ON deliveries (endpoint_id, msg_id);
CREATE INDEX deliveries_endpoint_created ON deliveries (endpoint_id, created_at);
-- Every claim and completion updates indexed columns, so each leaves a dead row version (and
-- dead entries in the queue's partial indexes) behind. The default autovacuum trigger is 20%
-- of the table, which on a table holding months of finished deliveries means the queue's
-- indexes fill with dead entries for a long time; 1% keeps them small.
ALTER TABLE deliveries SET (autovacuum_vacuum_scale_factor = 0.01);

CREATE TABLE attempts (
    id                   TEXT COLLATE "C" NOT NULL,
    msg_id               TEXT COLLATE "C" NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    endpoint_id          TEXT COLLATE "C" NOT NULL REFERENCES endpoints (id) ON DELETE CASCADE,
    app_id               TEXT COLLATE "C" NOT NULL,
    url                  TEXT NOT NULL,
    status               SMALLINT NOT NULL,
    response_status_code SMALLINT NOT NULL,
    response             TEXT,
    response_duration_ms BIGINT NOT NULL,
    trigger_type         TEXT COLLATE "C" NOT NULL CHECK (trigger_type IN ('scheduled', 'manual')),
    created_at           BIGINT NOT NULL,
    CONSTRAINT attempts_pkey PRIMARY KEY (id)
);
CREATE INDEX attempts_endpoint ON attempts (endpoint_id, id);
CREATE INDEX attempts_msg ON attempts (msg_id, id);

-- A row without a response is a reservation of a request in progress.
CREATE TABLE idempotency_keys (
    key             TEXT COLLATE "C" NOT NULL,
    request_hash    TEXT NOT NULL,
    response_status INTEGER,
    response_body   TEXT,
    created_at      BIGINT NOT NULL,
    CONSTRAINT idempotency_keys_pkey PRIMARY KEY (key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
