//! Receivers' `Retry-After`: a receiver that answers `429 Too Many Requests` or
//! `503 Service Unavailable` with `Retry-After` (delta-seconds or an HTTP-date, RFC 9110
//! §10.2.3) moves the delivery's next attempt to the time it asks for, within bounds:
//!
//! - **never sooner than the retry schedule's own next attempt.** `Retry-After` is a request
//!   to wait; honoured downwards, a receiver answering `503` with `Retry-After: 0` would burn
//!   through the whole schedule (eight attempts over a day) in seconds and exhaust the
//!   delivery before the outage is over;
//! - **never later than [`MAX_RETRY_AFTER_SECS`] after the answer**, unless the schedule itself
//!   waits longer (then the schedule's time stands): a mistaken header (milliseconds sent as
//!   seconds, a date a year ahead) must not park a delivery out of sight;
//! - it never adds an attempt: a delivery whose schedule is used up is exhausted whatever the
//!   receiver asks, and each answer's header applies to the one wait after it.
//!
//! Other statuses' `Retry-After` is not followed: RFC 9110 gives it meaning for 503 (and for
//! redirects, which hookd does not follow), RFC 6585 for 429. Svix follows it on any failure and
//! clamps it to between one and two times the schedule's step; hookd lets the receiver ask for
//! more (up to the ceiling), which is what a receiver in a maintenance window needs.
//!
//! Pure: parsing, and arithmetic on the times it is handed; this module must not read a clock
//! or know about HTTP beyond the header's text and the status code.

use chrono::Duration;

use crate::Timestamp;

/// The statuses whose `Retry-After` moves the next attempt.
pub const HONOURED_STATUSES: [u16; 2] = [429, 503];

/// The furthest a receiver may push one attempt back: 24 hours. A day rides out a planned
/// maintenance window or a daily quota reset, and a receiver that needs longer answers again on
/// the next attempt; beyond it a header is more likely a mistake than a plan.
pub const MAX_RETRY_AFTER_SECS: i64 = 24 * 3600;

/// How much of a `Retry-After` header an attempt records (and reads): the longest valid value
/// (an RFC 850 date with a long weekday name) is 33 characters, so this keeps every valid one
/// whole and bounds a hostile one.
pub const MAX_RECORDED_BYTES: usize = 64;

/// What a `Retry-After` header asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryAfter {
    /// Wait this many seconds after the answer.
    Seconds(u64),
    /// Try again at this time.
    At(Timestamp),
}

/// Whether a `Retry-After` on an answer with `status` is followed.
pub fn honoured_for(status: u16) -> bool {
    HONOURED_STATUSES.contains(&status)
}

/// Parses a header value: delta-seconds (`120`), or any of the three HTTP-date forms RFC 9110
/// requires recipients to read (IMF-fixdate, RFC 850, asctime; the `httpdate` crate). A decimal
/// number of seconds (`1.5`) is read rounded up, as Svix reads it, though the RFC allows only
/// digits. Anything else is `None`: the schedule alone decides.
pub fn parse(value: &str) -> Option<RetryAfter> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Too many digits to count is simply "very long"; the ceiling applies.
        return Some(RetryAfter::Seconds(value.parse().unwrap_or(u64::MAX)));
    }
    if let Some((whole, fraction)) = value.split_once('.') {
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if digits(whole) && digits(fraction) {
            let whole: u64 = whole.parse().unwrap_or(u64::MAX);
            let round_up = fraction.bytes().any(|b| b != b'0');
            return Some(RetryAfter::Seconds(
                whole.saturating_add(u64::from(round_up)),
            ));
        }
    }
    httpdate::parse_http_date(value)
        .ok()
        .map(|t| RetryAfter::At(Timestamp::from(t)))
}

impl RetryAfter {
    /// The time asked for, for an answer received at `answered`. Seconds past the ceiling are
    /// cut to it here already, so that no arithmetic overflows.
    pub fn asked_at(self, answered: Timestamp) -> Timestamp {
        match self {
            Self::Seconds(secs) => {
                let secs = i64::try_from(secs)
                    .unwrap_or(i64::MAX)
                    .min(MAX_RETRY_AFTER_SECS);
                answered + Duration::seconds(secs)
            }
            Self::At(at) => at,
        }
    }
}

/// When the next attempt is due: the schedule's time `scheduled`, moved later to `asked` when
/// the receiver asked for later, but not past [`MAX_RETRY_AFTER_SECS`] after `answered` (see
/// the module docs for why these bounds).
pub fn next_attempt(
    scheduled: Timestamp,
    asked: Option<Timestamp>,
    answered: Timestamp,
) -> Timestamp {
    let Some(asked) = asked else {
        return scheduled;
    };
    let ceiling = answered + Duration::seconds(MAX_RETRY_AFTER_SECS);
    scheduled.max(asked.min(ceiling))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> Timestamp {
        // 2015-10-21T07:28:00Z, the date of RFC 9110's own example.
        Timestamp::from_timestamp(1_445_412_480, 0).unwrap()
    }

    #[test]
    fn seconds_and_each_http_date_form_parse() {
        assert_eq!(parse("9"), Some(RetryAfter::Seconds(9)));
        assert_eq!(parse(" 120 "), Some(RetryAfter::Seconds(120)));
        assert_eq!(parse("0"), Some(RetryAfter::Seconds(0)));
        assert_eq!(parse("1.5"), Some(RetryAfter::Seconds(2)));
        assert_eq!(parse("120.0"), Some(RetryAfter::Seconds(120)));
        assert_eq!(
            parse("99999999999999999999999"),
            Some(RetryAfter::Seconds(u64::MAX))
        );
        for form in [
            "Wed, 21 Oct 2015 07:28:00 GMT",
            "Wednesday, 21-Oct-15 07:28:00 GMT",
            "Wed Oct 21 07:28:00 2015",
        ] {
            assert_eq!(parse(form), Some(RetryAfter::At(t0())), "{form}");
        }
        for bad in [
            "",
            "soon",
            "-5",
            "1e3",
            "5 s",
            ".5",
            "5.",
            "Wed, 32 Oct 2015 07:28:00 GMT",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn only_429_and_503_are_followed() {
        assert!(honoured_for(429) && honoured_for(503));
        for status in [200, 301, 408, 500, 502, 504] {
            assert!(!honoured_for(status), "{status}");
        }
    }

    #[test]
    fn the_receiver_may_push_the_schedule_back_but_not_forward() {
        let now = t0();
        let schedule = now + Duration::seconds(5);
        let asked = |secs: u64| Some(RetryAfter::Seconds(secs).asked_at(now));
        // Later than the schedule: the receiver's time.
        assert_eq!(
            next_attempt(schedule, asked(9), now),
            now + Duration::seconds(9)
        );
        // Sooner than the schedule: the schedule's.
        assert_eq!(next_attempt(schedule, asked(0), now), schedule);
        assert_eq!(next_attempt(schedule, asked(3), now), schedule);
        // A date in the past asks for nothing.
        let past = Some(RetryAfter::At(now - Duration::hours(1)).asked_at(now));
        assert_eq!(next_attempt(schedule, past, now), schedule);
        // No header: the schedule.
        assert_eq!(next_attempt(schedule, None, now), schedule);
    }

    #[test]
    fn the_ceiling_holds_for_seconds_and_dates_but_not_against_the_schedule() {
        let now = t0();
        let ceiling = now + Duration::seconds(MAX_RETRY_AFTER_SECS);
        let schedule = now + Duration::seconds(5);
        let huge = RetryAfter::Seconds(u64::MAX).asked_at(now);
        assert_eq!(huge, ceiling, "no overflow, cut at the ceiling");
        assert_eq!(next_attempt(schedule, Some(huge), now), ceiling);
        let next_year = RetryAfter::At(now + Duration::days(365)).asked_at(now);
        assert_eq!(next_attempt(schedule, Some(next_year), now), ceiling);
        // A schedule that already waits longer than the ceiling keeps its own time.
        let long_schedule = now + Duration::days(3);
        assert_eq!(
            next_attempt(long_schedule, Some(next_year), now),
            long_schedule
        );
    }
}
