-- The request each attempt sent: its headers (secret values masked) and the envelope its body
-- was rendered through (`SentRequest`). The body itself is not stored: it is the message's
-- payload (rendered through the envelope), so expunging or expiring the payload removes it
-- from the record too. NULL for attempts recorded before this column existed.
ALTER TABLE attempts ADD COLUMN request JSONB;
