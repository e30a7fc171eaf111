//! The real clock. The core crate may not read the system time; this is the one place that
//! does, and everything else receives it as an `Arc<dyn Clock>`.

use hookd_core::{clock::Clock, Timestamp};

/// Reads the system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        chrono::Utc::now()
    }
}
