-- hookd's endpoint and event type extensions, each one JSON document (hookd-core's options
-- module owns its meaning, so new options need no migration).
ALTER TABLE endpoints ADD COLUMN options TEXT NOT NULL DEFAULT '{}';
ALTER TABLE event_types ADD COLUMN options TEXT NOT NULL DEFAULT '{}';

-- GCRA state of named rate limits (endpoint throttleRate): the theoretical arrival time, ms.
CREATE TABLE rate_limits (
    key TEXT PRIMARY KEY NOT NULL,
    tat INTEGER NOT NULL
) WITHOUT ROWID;

-- Charts count attempts by creation time across applications.
CREATE INDEX attempts_by_created_at ON attempts (created_at);
