//! The real clock. The core crate may not read the system time; this is the one place that
//! does, and everything else receives it as an `Arc<dyn Clock>`.

use hookd_core::{clock::Clock, Timestamp};

/// Reads the system clock, truncated to whole milliseconds: stores keep milliseconds, and a
/// value the API answers with must compare equal to the one read back later.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let now = chrono::Utc::now();
        chrono::DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_time_has_millisecond_precision() {
        let now = SystemClock.now();
        assert_eq!(now.timestamp_subsec_nanos() % 1_000_000, 0);
    }
}
