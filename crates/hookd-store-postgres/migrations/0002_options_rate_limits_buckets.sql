-- hookd's endpoint and event type extensions, each one JSON document (hookd-core's options
-- module owns its meaning, so new options need no migration).
ALTER TABLE endpoints ADD COLUMN options JSONB NOT NULL DEFAULT '{}';
ALTER TABLE event_types ADD COLUMN options JSONB NOT NULL DEFAULT '{}';

-- GCRA state of named rate limits (endpoint throttleRate): the theoretical arrival time, ms.
-- NULL means "never granted": the row exists only so that concurrent takers of the same limit
-- have a row to lock (see src/limits.rs).
CREATE TABLE rate_limits (
    key TEXT COLLATE "C" NOT NULL,
    tat BIGINT,
    CONSTRAINT rate_limits_pkey PRIMARY KEY (key)
);

-- Charts count attempts by creation time across applications.
CREATE INDEX attempts_by_created_at ON attempts (created_at);
