-- Svix's newer message fields (hookd_core::model::MessageExtras):
--   tags         the message's tags, NULL when it gave none; message and attempt lists filter
--                by one tag (`= ANY`, within the application's messages).
--   deliver_at   `deliverAt` (ms), NULL for at once. The queue does not read it: a message's
--                deliveries are written due at it (deliveries.next_attempt_at), which is what
--                claims honour; this column is what reading the message shows.
--   raw_payload  true when `payload` holds a raw body (`transformationsParams.rawPayload`),
--                sent and signed byte for byte, false for a published JSON object.
--   headers      a JSON object of the message's own request headers, '{}' for none.
-- Existing messages had none of these: the defaults describe them exactly, and adding
-- columns with constant defaults rewrites no rows.
ALTER TABLE messages ADD COLUMN tags TEXT[];
ALTER TABLE messages ADD COLUMN deliver_at BIGINT;
ALTER TABLE messages ADD COLUMN raw_payload BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE messages ADD COLUMN headers JSONB NOT NULL DEFAULT '{}';
