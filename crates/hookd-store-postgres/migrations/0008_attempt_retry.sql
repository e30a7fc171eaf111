-- What each attempt decided about the next one:
--   next_attempt_at  when the delivery was due again after this attempt (milliseconds since
--                    the epoch), as scheduled when the attempt was recorded; NULL when it was
--                    not retried, and for attempts recorded before this column existed.
--   retry_after      the receiver's Retry-After header as it came with a 429 or 503 answer
--                    (at most 64 bytes), which may have moved that next attempt later.
ALTER TABLE attempts ADD COLUMN next_attempt_at BIGINT;
ALTER TABLE attempts ADD COLUMN retry_after TEXT;
