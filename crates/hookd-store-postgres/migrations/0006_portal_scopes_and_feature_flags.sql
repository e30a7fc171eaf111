-- Portal tokens carry Svix's AppPortalAccessIn scope, and event types a set of feature flags.
--
-- tokens:
--   read_only     nothing is changed through the token (Svix's readOnly).
--   capabilities  Svix capability names; NULL is Svix's default, all of them. Tokens stored
--                 before this migration keep what they could do: all.
--   feature_flags the flags whose event types the token sees.
--   session_id    Svix's sessionId, which expire-all can single out; NULL when none was given.
ALTER TABLE tokens
    ADD COLUMN read_only BOOLEAN NOT NULL DEFAULT FALSE,
    ADD COLUMN capabilities TEXT[],
    ADD COLUMN feature_flags TEXT[] NOT NULL DEFAULT '{}',
    ADD COLUMN session_id TEXT COLLATE "C";

-- event_types.feature_flags (sorted, distinct) replaces the single feature_flag, which becomes
-- its one element.
ALTER TABLE event_types ADD COLUMN feature_flags TEXT[] NOT NULL DEFAULT '{}';
UPDATE event_types SET feature_flags = ARRAY[feature_flag] WHERE feature_flag IS NOT NULL;
ALTER TABLE event_types DROP COLUMN feature_flag;
