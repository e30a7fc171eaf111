-- Svix's newer message fields (hookd_core::model::MessageExtras):
--   tags         a JSON array of strings, NULL when the message gave none; message and attempt
--                lists filter by one tag (json_each, within the application's messages).
--   deliver_at   `deliverAt` (ms), NULL for at once. The queue does not read it: a message's
--                deliveries are written due at it (deliveries.next_attempt_at), which is what
--                claims honour; this column is what reading the message shows.
--   raw_payload  1 when `payload` holds a raw body (`transformationsParams.rawPayload`), sent
--                and signed byte for byte, 0 for a published JSON object.
--   headers      a JSON object of the message's own request headers, '{}' for none.
-- Existing messages had none of these: the defaults describe them exactly.
ALTER TABLE messages ADD COLUMN tags TEXT;
ALTER TABLE messages ADD COLUMN deliver_at INTEGER;
ALTER TABLE messages ADD COLUMN raw_payload INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN headers TEXT NOT NULL DEFAULT '{}';
