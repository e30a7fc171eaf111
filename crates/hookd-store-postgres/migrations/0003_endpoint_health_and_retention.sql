-- Endpoint health: since when every attempt to an endpoint has failed (ms), NULL while it is
-- healthy. Set on the first failed attempt after a success and cleared on a success, in the
-- transaction that records the attempt; endpoints failing for too long are disabled.
ALTER TABLE endpoints ADD COLUMN failing_since BIGINT;

-- Payload retention: when a message's payload expires (ms), NULL to keep it until expunged.
-- Messages published before retention existed get Svix's default period, 90 days.
ALTER TABLE messages ADD COLUMN payload_expires_at BIGINT;
UPDATE messages SET payload_expires_at = created_at + 90 * 86400000::BIGINT
    WHERE payload IS NOT NULL;

-- The retention job walks payloads still present in expiry order. The index holds only
-- messages that still have a payload, so it shrinks as payloads expire and a batch reads just
-- the rows it clears. Queries spell `payload IS NOT NULL` literally: the planner uses a
-- partial index only when it can prove that the query implies the index's WHERE.
CREATE INDEX messages_payload_expiry ON messages (payload_expires_at)
    WHERE payload IS NOT NULL;

-- Attempt retention deletes the oldest attempts first through `attempts_by_created_at`
-- (migration 0002), which already orders them by creation time.
