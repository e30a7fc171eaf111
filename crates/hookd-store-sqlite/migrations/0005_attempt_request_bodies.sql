-- The request each attempt sent, in columns of its own (migration 0004 kept headers and the
-- envelope in one JSON document and rendered the body again when read, which depends on the
-- endpoint as it is now):
--   request_headers      every header sent, in order, as a JSON array of [name, value] pairs,
--                        secret values masked; NULL when the attempt recorded no request.
--   request_body_kind    'payload': the body was byte for byte the message's payload, which is
--                        not stored twice (readers take the payload; the common case);
--                        'recorded' / 'truncated': the body is in request_body, whole or cut to
--                        the response body limit; 'removed': expunged or expired since.
--   request_body         the body for 'recorded' and 'truncated', else NULL.
ALTER TABLE attempts ADD COLUMN request_headers TEXT;
ALTER TABLE attempts ADD COLUMN request_body_kind TEXT
    CHECK (request_body_kind IN ('payload', 'recorded', 'truncated', 'removed'));
ALTER TABLE attempts ADD COLUMN request_body TEXT;

-- Records of 0004 without an envelope sent the payload as it was: they keep their headers.
-- Those with an envelope cannot say which bytes were sent, so they count as unrecorded (the
-- consoles label what they show for such attempts as reconstructed).
UPDATE attempts
SET request_headers = json_extract(request, '$.headers'), request_body_kind = 'payload'
WHERE request IS NOT NULL AND json_extract(request, '$.envelope') IS NULL;

ALTER TABLE attempts DROP COLUMN request;
