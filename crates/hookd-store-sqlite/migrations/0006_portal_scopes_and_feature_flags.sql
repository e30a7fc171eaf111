-- Portal tokens carry Svix's AppPortalAccessIn scope, and event types a set of feature flags.
--
-- tokens:
--   read_only     1: nothing is changed through the token (Svix's readOnly).
--   capabilities  JSON array of Svix capability names; NULL is Svix's default, all of them.
--                 Tokens stored before this migration keep what they could do: all.
--   feature_flags JSON array of the flags whose event types the token sees.
--   session_id    Svix's sessionId, which expire-all can single out; NULL when none was given.
ALTER TABLE tokens ADD COLUMN read_only INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tokens ADD COLUMN capabilities TEXT;
ALTER TABLE tokens ADD COLUMN feature_flags TEXT NOT NULL DEFAULT '[]';
ALTER TABLE tokens ADD COLUMN session_id TEXT;

-- event_types.feature_flags: JSON array (sorted, distinct) replacing the single feature_flag,
-- which becomes its one element.
ALTER TABLE event_types ADD COLUMN feature_flags TEXT NOT NULL DEFAULT '[]';
UPDATE event_types SET feature_flags = json_array(feature_flag) WHERE feature_flag IS NOT NULL;
ALTER TABLE event_types DROP COLUMN feature_flag;
