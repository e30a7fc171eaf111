//! Per-endpoint rate limiting (`throttleRate`, deliveries per second) as a GCRA, the
//! algorithm behind token buckets without a background refill.
//!
//! Hand-rolled instead of `governor` because the decision must be made against hookd's
//! injected [`crate::clock::Clock`] (so a deferred delivery's due time is testable without
//! waiting) and because its whole state is one timestamp, which a shared store can hold when
//! the limit becomes cluster-wide. This module must not read any clock itself.

use chrono::Duration;

use crate::Timestamp;

/// How many deliveries may go out back to back before the rate applies. One second's worth
/// lets a receiver that allows N/s see N requests arrive together, as it would from Svix.
pub const BURST_SECONDS: i64 = 1;

/// The state of one endpoint's limiter: the theoretical arrival time of the next request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Gcra {
    tat: Option<Timestamp>,
}

impl Gcra {
    /// A limiter resumed from stored state (`None`: never used).
    pub fn resume(tat: Option<Timestamp>) -> Self {
        Self { tat }
    }

    /// The state to store: the theoretical arrival time of the next request.
    pub fn state(&self) -> Option<Timestamp> {
        self.tat
    }

    /// Asks to send one request at `now` under `per_second`. On `Ok` the request may go and
    /// the state is updated; on `Err(at)` it must wait until `at`, and the state is unchanged.
    pub fn check(&mut self, now: Timestamp, per_second: u16) -> Result<(), Timestamp> {
        let per_second = i64::from(per_second.max(1));
        let interval = Duration::microseconds(1_000_000 / per_second);
        let tolerance = Duration::seconds(BURST_SECONDS) - interval;
        let tat = self.tat.map_or(now, |t| t.max(now));
        let allow_at = tat - tolerance;
        if now < allow_at {
            return Err(allow_at);
        }
        self.tat = Some(tat + interval);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, ManualClock};

    #[test]
    fn allows_a_second_of_burst_then_paces() {
        let clock = ManualClock::at_epoch();
        let mut g = Gcra::default();
        let now = clock.now();
        for _ in 0..2 {
            assert!(g.check(now, 2).is_ok());
        }
        let wait = g.check(now, 2).unwrap_err();
        assert_eq!(wait - now, Duration::milliseconds(500));
        clock.set(wait);
        assert!(g.check(clock.now(), 2).is_ok());
        assert!(g.check(clock.now(), 2).is_err());
    }

    #[test]
    fn idle_time_does_not_bank_more_than_the_burst() {
        let clock = ManualClock::at_epoch();
        let mut g = Gcra::default();
        assert!(g.check(clock.now(), 1).is_ok());
        clock.advance(Duration::hours(1));
        assert!(g.check(clock.now(), 1).is_ok());
        assert!(g.check(clock.now(), 1).is_err());
    }
}
