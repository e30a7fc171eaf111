//! Retry schedule math: when the next attempt of a failing delivery is due.
//!
//! Pure arithmetic over an attempt count and a policy; this module must not know about HTTP,
//! storage or the current time beyond the `now` it is handed.

use chrono::Duration;
use rand::{Rng, RngCore};
use serde::{Deserialize, Serialize};

use crate::Timestamp;

/// Svix's default schedule: after the immediate first attempt, retries 5 s, 5 min, 30 min,
/// 2 h, 5 h, 10 h and 10 h later (eight attempts over about 27.5 hours).
pub const SVIX_DEFAULT_DELAYS_SECS: [u64; 7] = [5, 300, 1800, 7200, 18000, 36000, 36000];

/// Default jitter: each delay is moved by up to this fraction either way, so that a burst of
/// failures against one receiver does not come back as a synchronized burst of retries.
pub const DEFAULT_JITTER_FRACTION: f64 = 0.1;

/// How a failing delivery is retried.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RetryPolicy {
    /// Delay before retry *n* (the first entry is the wait after the first attempt failed).
    /// Its length is the number of retries; once used up the delivery is exhausted.
    pub delays_secs: Vec<u64>,
    /// Fraction (0 to 0.5) by which each delay may be moved either way at random.
    pub jitter: f64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            delays_secs: SVIX_DEFAULT_DELAYS_SECS.to_vec(),
            jitter: DEFAULT_JITTER_FRACTION,
        }
    }
}

impl RetryPolicy {
    /// The total number of attempts this policy allows (the first plus every retry).
    pub fn max_attempts(&self) -> u32 {
        u32::try_from(self.delays_secs.len())
            .unwrap_or(u32::MAX)
            .saturating_add(1)
    }

    /// The nominal delay after `attempts_made` failed attempts, without jitter; `None` once the
    /// schedule is used up.
    pub fn nominal_delay(&self, attempts_made: u32) -> Option<Duration> {
        let index = usize::try_from(attempts_made.checked_sub(1)?).ok()?;
        let secs = *self.delays_secs.get(index)?;
        Some(Duration::seconds(
            i64::try_from(secs).unwrap_or(i64::MAX / 1000),
        ))
    }

    /// When the next attempt is due after `attempts_made` failed attempts, or `None` when the
    /// delivery is exhausted. Jitter never moves a retry before `now`.
    pub fn next_attempt_at(
        &self,
        attempts_made: u32,
        now: Timestamp,
        rng: &mut dyn RngCore,
    ) -> Option<Timestamp> {
        let nominal = self.nominal_delay(attempts_made)?;
        let jitter = self.jitter.clamp(0.0, 0.5);
        let millis = nominal.num_milliseconds() as f64;
        let offset = if jitter > 0.0 && millis > 0.0 {
            rng.gen_range(-jitter..=jitter) * millis
        } else {
            0.0
        };
        let delay = Duration::milliseconds((millis + offset).max(0.0) as i64);
        Some(now + delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, ManualClock};
    use rand::{rngs::StdRng, SeedableRng};

    #[test]
    fn default_is_svix_schedule() {
        let p = RetryPolicy::default();
        assert_eq!(p.max_attempts(), 8);
        let expected = [5, 300, 1800, 7200, 18000, 36000, 36000];
        for (i, secs) in expected.iter().enumerate() {
            assert_eq!(
                p.nominal_delay(i as u32 + 1),
                Some(Duration::seconds(*secs))
            );
        }
        assert_eq!(
            p.nominal_delay(8),
            None,
            "the eighth failure exhausts the delivery"
        );
        assert_eq!(p.nominal_delay(0), None);
    }

    #[test]
    fn jitter_stays_within_bounds() {
        let p = RetryPolicy::default();
        let now = ManualClock::at_epoch().now();
        let mut rng = StdRng::seed_from_u64(3);
        for attempts in 1..8 {
            let nominal = p.nominal_delay(attempts).unwrap().num_milliseconds() as f64;
            for _ in 0..100 {
                let at = p.next_attempt_at(attempts, now, &mut rng).unwrap();
                let got = (at - now).num_milliseconds() as f64;
                assert!(
                    got >= nominal * 0.9 - 1.0 && got <= nominal * 1.1 + 1.0,
                    "{got} vs {nominal}"
                );
            }
        }
        assert!(p.next_attempt_at(8, now, &mut rng).is_none());
    }

    #[test]
    fn zero_jitter_is_exact() {
        let p = RetryPolicy {
            delays_secs: vec![300; 12],
            jitter: 0.0,
        };
        let now = ManualClock::at_epoch().now();
        let mut rng = StdRng::seed_from_u64(4);
        for attempts in 1..=12 {
            assert_eq!(
                p.next_attempt_at(attempts, now, &mut rng),
                Some(now + Duration::seconds(300))
            );
        }
        assert_eq!(p.next_attempt_at(13, now, &mut rng), None);
        assert_eq!(p.max_attempts(), 13);
    }
}
