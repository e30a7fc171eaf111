//! When to ask the source again after a refused request: which answers are worth retrying,
//! how long to wait (the server's `Retry-After` when it gives one, else an exponential
//! backoff), and when to give up.
//!
//! This module is pure arithmetic over what the server answered and the current time: it must
//! not sleep or send anything (the client does both).

use std::time::Duration;

use hookd_core::Timestamp;

/// Attempts per request, the first included. Svix's rate limits reset within seconds, and a
/// source that is still failing after this many polite waits is down, not busy: better to stop
/// and say so than to hang the migration.
pub const MAX_ATTEMPTS: u32 = 6;

/// The first backoff when the server gives no `Retry-After`, doubled per attempt.
pub const BASE_BACKOFF: Duration = Duration::from_millis(500);

/// The longest single wait, whatever the server asks: an import is run by a person watching
/// it, and a `Retry-After` of an hour is better reported as a failure than obeyed in silence.
pub const MAX_WAIT: Duration = Duration::from_secs(60);

/// Whether an HTTP status is worth retrying: rate limited (429) or a server-side failure
/// (5xx, which includes the gateways' 502/503/504 in front of Svix's cloud).
pub fn retryable_status(status: u16) -> bool {
    status == 429 || (500..600).contains(&status)
}

/// Parses a `Retry-After` value (RFC 9110: delay-seconds or an HTTP date) into a wait from
/// `now`. A date in the past means "now"; anything unparseable is ignored (`None`), so the
/// caller falls back to its own backoff.
pub fn parse_retry_after(value: &str, now: Timestamp) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    // chrono's RFC 2822 parser reads the IMF-fixdate form HTTP uses (`GMT` included).
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = at.with_timezone(&chrono::Utc) - now;
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

/// How long to wait before attempt `next` (2 for the first retry), given the server's
/// `Retry-After` if it sent one, or `None` to give up. `base` is the backoff's first step (the
/// client's [`BASE_BACKOFF`], smaller in tests).
pub fn wait_before(next: u32, retry_after: Option<Duration>, base: Duration) -> Option<Duration> {
    if next > MAX_ATTEMPTS {
        return None;
    }
    let wait = retry_after.unwrap_or_else(|| {
        let doublings = next.saturating_sub(2).min(16);
        base.saturating_mul(1 << doublings)
    });
    Some(wait.min(MAX_WAIT))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn statuses() {
        assert!(retryable_status(429));
        assert!(retryable_status(500));
        assert!(retryable_status(503));
        assert!(!retryable_status(404));
        assert!(!retryable_status(401));
        assert!(!retryable_status(422));
        assert!(!retryable_status(200));
    }

    #[test]
    fn retry_after_in_seconds_and_dates() {
        let now = at("2015-10-21T07:28:00Z");
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO),
            "a date already past means now"
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
    }

    #[test]
    fn backoff_doubles_is_capped_and_gives_up() {
        let base = Duration::from_millis(500);
        assert_eq!(wait_before(2, None, base), Some(Duration::from_millis(500)));
        assert_eq!(wait_before(3, None, base), Some(Duration::from_secs(1)));
        assert_eq!(wait_before(4, None, base), Some(Duration::from_secs(2)));
        assert_eq!(
            wait_before(2, Some(Duration::from_secs(3)), base),
            Some(Duration::from_secs(3)),
            "the server's Retry-After wins over the backoff"
        );
        assert_eq!(
            wait_before(2, Some(Duration::from_secs(3600)), base),
            Some(MAX_WAIT)
        );
        assert_eq!(wait_before(MAX_ATTEMPTS + 1, None, base), None);
    }
}
