//! The [`Clock`] seam: every component that needs "now" asks a clock it was given.
//!
//! This module must not read the system clock itself; the real clock lives in the server crate.
//! [`ManualClock`] is a pure, settable clock for tests of retry timing and lease expiry.

use std::sync::Mutex;

use chrono::{DateTime, Duration};

use crate::Timestamp;

/// A source of the current time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current instant, in UTC.
    fn now(&self) -> Timestamp;
}

/// A clock that only moves when told to. Tests use it to jump over retry delays and lease
/// expiries instead of sleeping through them.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<Timestamp>,
}

impl ManualClock {
    /// A clock stopped at `start`.
    pub fn new(start: Timestamp) -> Self {
        Self {
            now: Mutex::new(start),
        }
    }

    /// A clock stopped at a fixed, arbitrary instant (2026-01-01T00:00:00Z), for tests that
    /// only care about relative time.
    pub fn at_epoch() -> Self {
        Self::new(DateTime::from_timestamp(1_767_225_600, 0).expect("valid constant timestamp"))
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().expect("clock mutex poisoned");
        *now += by;
    }

    /// Sets the clock to `to`.
    pub fn set(&self, to: Timestamp) {
        *self.now.lock().expect("clock mutex poisoned") = to;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.now.lock().expect("clock mutex poisoned")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let clock = ManualClock::at_epoch();
        let t0 = clock.now();
        assert_eq!(clock.now(), t0);
        clock.advance(Duration::seconds(5));
        assert_eq!(clock.now() - t0, Duration::seconds(5));
    }
}
