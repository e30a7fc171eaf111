//! Retry schedule math: when the next attempt of a failing delivery is due, under a
//! [`RetryPolicy`] that an endpoint may choose (hookd's extension) or the server's default
//! (Svix's schedule).
//!
//! A policy is one documented, validated object: a schedule `type` (an explicit list of
//! delays, or a fixed, linear or exponential progression from `baseSecs`), optional limits
//! (`maxAttempts`, `maxAgeSecs`, `capSecs`) and optional `jitter`. Its JSON form is what the
//! API accepts and what stores persist inside the endpoint's options document.
//!
//! Pure arithmetic over an attempt count and a policy; this module must not know about HTTP,
//! storage or the current time beyond the `now` it is handed.

use chrono::Duration;
use rand::{Rng, RngCore};
use serde::{Deserialize, Serialize};

use crate::{validate::Violation, Timestamp};

/// Svix's default schedule: after the immediate first attempt, retries 5 s, 5 min, 30 min,
/// 2 h, 5 h, 10 h and 10 h later (eight attempts over about 27.5 hours).
pub const SVIX_DEFAULT_DELAYS_SECS: [u64; 7] = [5, 300, 1800, 7200, 18000, 36000, 36000];

/// Svix's jitter: each delay is moved by up to this fraction either way, so that a burst of
/// failures against one receiver does not come back as a synchronized burst of retries.
pub const DEFAULT_JITTER_FRACTION: f64 = 0.1;

/// The most jitter a policy may ask for: beyond half the delay, "every 5 minutes" would no
/// longer mean anything.
pub const MAX_JITTER_FRACTION: f64 = 0.5;

/// The most attempts (the first plus retries) any policy makes, whatever it says. A delivery
/// holds a row and is claimed once per attempt; a hundred is far beyond every schedule we know
/// (Postmen's fourteen is the longest among our seeds) and keeps a typo from retrying forever.
pub const MAX_ATTEMPTS: u32 = 100;

/// The longest single delay: 7 days. Postmen's last retry (2^13 × 30 s ≈ 68 h) fits; a longer
/// wait is indistinguishable from giving up, which `maxAttempts` says more clearly.
pub const MAX_DELAY_SECS: u64 = 7 * 24 * 3600;

/// The longest `maxAgeSecs`: 30 days, beyond which payloads may already have expired
/// (Svix keeps them 90 days at most, many operators less).
pub const MAX_AGE_SECS: u64 = 30 * 24 * 3600;

/// The largest exponential factor: a factor of 10 already reaches a day from 10 s in five steps.
pub const MAX_FACTOR: f64 = 10.0;

/// The exponential factor when none is given: doubling, as in every backoff we have seen.
pub const DEFAULT_FACTOR: f64 = 2.0;

/// The JSON field names a policy may have, for the API's unknown-field check.
pub const FIELDS: [&str; 9] = [
    "type",
    "delaysSecs",
    "baseSecs",
    "incrementSecs",
    "factor",
    "capSecs",
    "maxAttempts",
    "maxAgeSecs",
    "jitter",
];

/// How the delay before retry *n* is computed (*n* = failed attempts so far, from 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ScheduleKind {
    /// `delaysSecs[n-1]`; the list's length bounds the retries.
    Delays,
    /// `baseSecs` every time.
    Fixed,
    /// `baseSecs + incrementSecs × (n-1)`.
    Linear,
    /// `baseSecs × factor^(n-1)`.
    Exponential,
}

impl ScheduleKind {
    fn name(self) -> &'static str {
        match self {
            Self::Delays => "delays",
            Self::Fixed => "fixed",
            Self::Linear => "linear",
            Self::Exponential => "exponential",
        }
    }
}

/// How a failing delivery is retried. Which fields apply depends on `type`; [`Self::validate`]
/// says which are required and refuses the ones that do not apply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RetryPolicy {
    /// The schedule's shape.
    #[serde(rename = "type")]
    pub kind: ScheduleKind,
    /// `delays`: the delay before each retry, in order.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::integral::optional_vec"
    )]
    pub delays_secs: Option<Vec<u64>>,
    /// `fixed`, `linear`, `exponential`: the delay before the first retry.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::integral::optional"
    )]
    pub base_secs: Option<u64>,
    /// `linear`: how much each delay grows over the previous one.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::integral::optional"
    )]
    pub increment_secs: Option<u64>,
    /// `exponential`: by how much each delay is multiplied (default 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factor: Option<f64>,
    /// `linear`, `exponential`: no delay is longer than this.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::integral::optional"
    )]
    pub cap_secs: Option<u64>,
    /// The most attempts, the first one included.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::integral::optional"
    )]
    pub max_attempts: Option<u32>,
    /// A retry is made only if the delays up to it add up to at most this. It is measured on
    /// the schedule itself, not on the wall clock, so slow answers do not cost a retry.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::integral::optional"
    )]
    pub max_age_secs: Option<u64>,
    /// Fraction (0 to 0.5) by which each delay may be moved either way at random; 0 (exact)
    /// unless given.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub jitter: f64,
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

impl Default for RetryPolicy {
    /// Svix's schedule with its jitter: the server's default.
    fn default() -> Self {
        Self {
            kind: ScheduleKind::Delays,
            delays_secs: Some(SVIX_DEFAULT_DELAYS_SECS.to_vec()),
            base_secs: None,
            increment_secs: None,
            factor: None,
            cap_secs: None,
            max_attempts: None,
            max_age_secs: None,
            jitter: DEFAULT_JITTER_FRACTION,
        }
    }
}

fn at(loc: &[&str], field: &str, msg: impl Into<String>) -> Violation {
    let mut full: Vec<&str> = loc.to_vec();
    full.push(field);
    Violation::value(&full, msg)
}

impl RetryPolicy {
    /// The delay before retry `n` (1-based) by the schedule's shape alone, capped, without
    /// jitter or limits; `None` past the end of a `delays` list.
    fn shape_delay_secs(&self, n: u32) -> Option<u64> {
        let n = n.max(1);
        let cap = self.cap_secs.unwrap_or(MAX_DELAY_SECS).min(MAX_DELAY_SECS);
        let base = self.base_secs.unwrap_or(0);
        let raw = match self.kind {
            ScheduleKind::Delays => {
                let index = usize::try_from(n - 1).ok()?;
                *self.delays_secs.as_ref()?.get(index)?
            }
            ScheduleKind::Fixed => base,
            ScheduleKind::Linear => base.saturating_add(
                self.increment_secs
                    .unwrap_or(0)
                    .saturating_mul(u64::from(n - 1)),
            ),
            ScheduleKind::Exponential => {
                let factor = self.factor.unwrap_or(DEFAULT_FACTOR);
                let exponent = i32::try_from(n - 1).unwrap_or(i32::MAX);
                let value = base as f64 * factor.powi(exponent);
                if value.is_finite() && value < MAX_DELAY_SECS as f64 {
                    value.round() as u64
                } else {
                    MAX_DELAY_SECS
                }
            }
        };
        Some(raw.min(cap))
    }

    /// The total number of attempts this policy allows at most (the first plus every retry),
    /// before `maxAgeSecs` is taken into account.
    pub fn max_attempts(&self) -> u32 {
        let by_list = match (&self.kind, &self.delays_secs) {
            (ScheduleKind::Delays, Some(list)) => u32::try_from(list.len())
                .unwrap_or(u32::MAX)
                .saturating_add(1),
            (ScheduleKind::Delays, None) => 1,
            _ => MAX_ATTEMPTS,
        };
        by_list
            .min(self.max_attempts.unwrap_or(MAX_ATTEMPTS))
            .min(MAX_ATTEMPTS)
    }

    /// The nominal delay after `attempts_made` failed attempts, without jitter; `None` once the
    /// schedule is used up (by attempts, by the list's end or by `maxAgeSecs`).
    pub fn nominal_delay(&self, attempts_made: u32) -> Option<Duration> {
        if attempts_made == 0 || attempts_made >= self.max_attempts() {
            return None;
        }
        let secs = self.shape_delay_secs(attempts_made)?;
        if let Some(max_age) = self.max_age_secs {
            // The schedule offset of the retry: every delay up to and including this one.
            let mut offset: u64 = 0;
            for n in 1..=attempts_made {
                offset = offset.saturating_add(self.shape_delay_secs(n)?);
            }
            if offset > max_age {
                return None;
            }
        }
        Some(Duration::seconds(
            i64::try_from(secs).unwrap_or(i64::MAX / 1000),
        ))
    }

    /// Every nominal delay this policy makes, in order: what a person checks a policy against.
    pub fn schedule_secs(&self) -> Vec<u64> {
        (1..MAX_ATTEMPTS)
            .map_while(|n| self.nominal_delay(n))
            .map(|d| u64::try_from(d.num_seconds()).unwrap_or(0))
            .collect()
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
        let jitter = if self.jitter.is_finite() {
            self.jitter.clamp(0.0, MAX_JITTER_FRACTION)
        } else {
            0.0
        };
        let millis = nominal.num_milliseconds() as f64;
        let offset = if jitter > 0.0 && millis > 0.0 {
            rng.gen_range(-jitter..=jitter) * millis
        } else {
            0.0
        };
        let delay = Duration::milliseconds((millis + offset).max(0.0) as i64);
        Some(now + delay)
    }

    /// Every problem with this policy, each naming its field under `loc` (e.g.
    /// `["body", "options", "retryPolicy"]`).
    pub fn validate(&self, loc: &[&str]) -> Vec<Violation> {
        let mut out = Vec::new();
        let kind = self.kind.name();
        let refuse = |out: &mut Vec<Violation>, present: bool, field: &str| {
            if present {
                out.push(at(
                    loc,
                    field,
                    format!("does not apply to a schedule of type '{kind}'"),
                ));
            }
        };
        let delay_in_range = |out: &mut Vec<Violation>, field: &str, secs: u64, min: u64| {
            if secs < min || secs > MAX_DELAY_SECS {
                out.push(at(
                    loc,
                    field,
                    format!("must be between {min} and {MAX_DELAY_SECS} seconds"),
                ));
            }
        };
        match self.kind {
            ScheduleKind::Delays => {
                match &self.delays_secs {
                    None => out.push(at(loc, "delaysSecs", "is required for type 'delays'")),
                    Some(list) => {
                        if list.len() >= MAX_ATTEMPTS as usize {
                            out.push(at(
                                loc,
                                "delaysSecs",
                                format!("may hold at most {} delays", MAX_ATTEMPTS - 1),
                            ));
                        }
                        for (i, secs) in list.iter().enumerate() {
                            let mut item: Vec<&str> = loc.to_vec();
                            item.push("delaysSecs");
                            let index = i.to_string();
                            item.push(&index);
                            if *secs < 1 || *secs > MAX_DELAY_SECS {
                                out.push(Violation::value(
                                    &item,
                                    format!("must be between 1 and {MAX_DELAY_SECS} seconds"),
                                ));
                            }
                        }
                    }
                }
                refuse(&mut out, self.base_secs.is_some(), "baseSecs");
                refuse(&mut out, self.increment_secs.is_some(), "incrementSecs");
                refuse(&mut out, self.factor.is_some(), "factor");
                refuse(&mut out, self.cap_secs.is_some(), "capSecs");
            }
            ScheduleKind::Fixed | ScheduleKind::Linear | ScheduleKind::Exponential => {
                refuse(&mut out, self.delays_secs.is_some(), "delaysSecs");
                match self.base_secs {
                    None => out.push(at(
                        loc,
                        "baseSecs",
                        format!("is required for type '{kind}'"),
                    )),
                    Some(secs) => delay_in_range(&mut out, "baseSecs", secs, 1),
                }
                if self.max_attempts.is_none() && self.max_age_secs.is_none() {
                    out.push(at(
                        loc,
                        "maxAttempts",
                        format!("a schedule of type '{kind}' needs maxAttempts or maxAgeSecs"),
                    ));
                }
            }
        }
        match self.kind {
            ScheduleKind::Delays => {}
            ScheduleKind::Fixed => {
                refuse(&mut out, self.increment_secs.is_some(), "incrementSecs");
                refuse(&mut out, self.factor.is_some(), "factor");
                refuse(&mut out, self.cap_secs.is_some(), "capSecs");
            }
            ScheduleKind::Linear => {
                refuse(&mut out, self.factor.is_some(), "factor");
                match self.increment_secs {
                    None => out.push(at(loc, "incrementSecs", "is required for type 'linear'")),
                    Some(secs) => delay_in_range(&mut out, "incrementSecs", secs, 0),
                }
            }
            ScheduleKind::Exponential => {
                refuse(&mut out, self.increment_secs.is_some(), "incrementSecs");
                if let Some(f) = self.factor {
                    if !f.is_finite() || f <= 1.0 || f > MAX_FACTOR {
                        out.push(at(
                            loc,
                            "factor",
                            format!("must be greater than 1 and at most {MAX_FACTOR}"),
                        ));
                    }
                }
            }
        }
        if matches!(self.kind, ScheduleKind::Linear | ScheduleKind::Exponential) {
            if let Some(cap) = self.cap_secs {
                delay_in_range(&mut out, "capSecs", cap, 1);
            }
        }
        if let Some(n) = self.max_attempts {
            if !(1..=MAX_ATTEMPTS).contains(&n) {
                out.push(at(
                    loc,
                    "maxAttempts",
                    format!("must be between 1 and {MAX_ATTEMPTS}"),
                ));
            }
        }
        if let Some(age) = self.max_age_secs {
            if !(1..=MAX_AGE_SECS).contains(&age) {
                out.push(at(
                    loc,
                    "maxAgeSecs",
                    format!("must be between 1 and {MAX_AGE_SECS} seconds"),
                ));
            }
        }
        if !self.jitter.is_finite() || !(0.0..=MAX_JITTER_FRACTION).contains(&self.jitter) {
            out.push(at(
                loc,
                "jitter",
                format!("must be between 0 and {MAX_JITTER_FRACTION}"),
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests;
