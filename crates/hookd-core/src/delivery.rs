//! The delivery state machine: one delivery is one (message, endpoint) pair, and it moves
//! through the states below. Stores persist the state and enforce the guards in SQL; this
//! module decides what the next state is.
//!
//! ```text
//!             claim                 2xx                     
//!  Pending ─────────────► Claimed ───────► Succeeded          
//!     ▲   RetryScheduled ──┘  │ │                             
//!     │        ▲   claim      │ │ failure, retries left       
//!     │        └──────────────┘ │                             
//!     │                         │ failure, schedule used up   
//!     │                         ▼                             
//!     │                     Exhausted                         
//!     │                         │                             
//!     └──── resend / recover ───┘ (also from Succeeded)        
//!
//!  Claimed whose lease expired ──claim──► Claimed (new lease; the old holder's completion is void)
//!  Claimed whose endpoint is disabled ──► Canceled
//!  Claimed, throttled by the endpoint's rate ──release──► Pending (no attempt counted)
//! ```
//!
//! Who moves a delivery out of each state: `Pending` and `RetryScheduled` by a worker's claim
//! once `next_attempt_at <= now`; `Claimed` by the completion of the worker that holds the lease
//! (guarded by the lease token) or, after the lease expires, by another claim; `Succeeded`,
//! `Exhausted` and `Canceled` only by an operator's resend or recover. This module must not
//! perform the transitions itself: it has no storage.

use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::{retry::RetryPolicy, Timestamp};

/// The persisted state of a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Due at `next_attempt_at` for its first attempt, or after a manual resend.
    Pending,
    /// Held by a worker until `lease_expires_at`.
    Claimed,
    /// An attempt was answered with a success code.
    Succeeded,
    /// The last attempt failed; the next is due at `next_attempt_at`.
    RetryScheduled,
    /// Every attempt the policy allows has failed.
    Exhausted,
    /// Dropped without an attempt because the endpoint was disabled.
    Canceled,
}

impl DeliveryState {
    /// All states, for exhaustive checks and statistics.
    pub const ALL: [DeliveryState; 6] = [
        Self::Pending,
        Self::Claimed,
        Self::Succeeded,
        Self::RetryScheduled,
        Self::Exhausted,
        Self::Canceled,
    ];

    /// The text stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Claimed => "claimed",
            Self::Succeeded => "succeeded",
            Self::RetryScheduled => "retry_scheduled",
            Self::Exhausted => "exhausted",
            Self::Canceled => "canceled",
        }
    }

    /// Parses the stored text.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// The status Svix reports for a message destination in this state.
    pub fn message_status(self) -> MessageStatus {
        match self {
            Self::Pending | Self::RetryScheduled => MessageStatus::Pending,
            Self::Claimed => MessageStatus::Sending,
            Self::Succeeded => MessageStatus::Success,
            Self::Exhausted | Self::Canceled => MessageStatus::Fail,
        }
    }

    /// Whether a worker may claim a delivery in this state once it is due.
    pub fn is_claimable(self) -> bool {
        matches!(self, Self::Pending | Self::RetryScheduled)
    }
}

/// Svix's `MessageStatus`: 0 success, 1 pending, 2 fail, 3 sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageStatus {
    /// Delivered.
    Success = 0,
    /// Waiting for an attempt.
    Pending = 1,
    /// Failed for good (or this attempt failed).
    Fail = 2,
    /// An attempt is under way.
    Sending = 3,
}

impl MessageStatus {
    /// The numeric code on the wire.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// Parses the numeric code.
    pub fn from_code(code: i64) -> Option<Self> {
        match code {
            0 => Some(Self::Success),
            1 => Some(Self::Pending),
            2 => Some(Self::Fail),
            3 => Some(Self::Sending),
            _ => None,
        }
    }

    /// Svix's `statusText`.
    pub fn text(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Pending => "pending",
            Self::Fail => "fail",
            Self::Sending => "sending",
        }
    }
}

/// Why an attempt was made: Svix's `MessageAttemptTriggerType` (0 scheduled, 1 manual).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TriggerType {
    /// The first attempt or a retry from the schedule.
    Scheduled,
    /// A resend or recover by an operator.
    Manual,
}

impl TriggerType {
    /// The numeric code on the wire.
    pub fn code(self) -> u8 {
        match self {
            Self::Scheduled => 0,
            Self::Manual => 1,
        }
    }

    /// The text stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scheduled => "scheduled",
            Self::Manual => "manual",
        }
    }

    /// Parses the stored text.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "scheduled" => Some(Self::Scheduled),
            "manual" => Some(Self::Manual),
            _ => None,
        }
    }
}

/// What one attempt came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// The receiver answered with a success code.
    Success,
    /// Anything else: an error code, a timeout, a refused connection, a blocked address.
    Failure {
        /// When the receiver asked to be tried again (its `Retry-After`, see
        /// [`crate::retry_after`]), if it did.
        retry_after: Option<Timestamp>,
    },
}

/// The state a delivery moves to when its worker completes an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// Done: [`DeliveryState::Succeeded`].
    Succeeded,
    /// [`DeliveryState::RetryScheduled`], due at the given time.
    RetryAt(Timestamp),
    /// [`DeliveryState::Exhausted`].
    Exhausted,
}

impl Transition {
    /// The state this transition leads to.
    pub fn state(self) -> DeliveryState {
        match self {
            Self::Succeeded => DeliveryState::Succeeded,
            Self::RetryAt(_) => DeliveryState::RetryScheduled,
            Self::Exhausted => DeliveryState::Exhausted,
        }
    }

    /// When the delivery is next due, if it is.
    pub fn next_attempt_at(self) -> Option<Timestamp> {
        match self {
            Self::RetryAt(at) => Some(at),
            _ => None,
        }
    }
}

/// Decides the transition after an attempt answered at `now`. `attempts_made` includes the
/// attempt just made.
///
/// A manual attempt (resend, recover) that fails does not restart the schedule: Svix treats a
/// manual resend as a single extra attempt, and so do we, so a failed manual attempt exhausts
/// the delivery again unless it was still within its schedule. A receiver's `Retry-After` only
/// moves a retry the schedule makes, and only later ([`crate::retry_after::next_attempt`]).
pub fn after_attempt(
    policy: &RetryPolicy,
    attempts_made: u32,
    trigger: TriggerType,
    outcome: AttemptOutcome,
    now: Timestamp,
    rng: &mut dyn RngCore,
) -> Transition {
    let retry_after = match outcome {
        AttemptOutcome::Success => return Transition::Succeeded,
        AttemptOutcome::Failure { retry_after } => retry_after,
    };
    if trigger == TriggerType::Manual {
        return Transition::Exhausted;
    }
    match policy.next_attempt_at(attempts_made, now, rng) {
        Some(at) => Transition::RetryAt(crate::retry_after::next_attempt(at, retry_after, now)),
        None => Transition::Exhausted,
    }
}

/// Whether an HTTP status counts as a success. Svix counts every 2xx.
pub fn is_success_status(status: u16) -> bool {
    (200..300).contains(&status)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, ManualClock};
    use chrono::Duration;
    use rand::{rngs::StdRng, SeedableRng};

    #[test]
    fn states_round_trip_through_text() {
        for st in DeliveryState::ALL {
            assert_eq!(DeliveryState::parse(st.as_str()), Some(st));
        }
        assert_eq!(DeliveryState::parse("bogus"), None);
    }

    #[test]
    fn a_failing_delivery_walks_the_whole_schedule_then_exhausts() {
        let policy = RetryPolicy {
            jitter: 0.0,
            ..RetryPolicy::default()
        };
        let clock = ManualClock::at_epoch();
        let mut rng = StdRng::seed_from_u64(1);
        let mut waits = vec![];
        let mut attempts = 0;
        loop {
            attempts += 1;
            let now = clock.now();
            match after_attempt(
                &policy,
                attempts,
                TriggerType::Scheduled,
                AttemptOutcome::Failure { retry_after: None },
                now,
                &mut rng,
            ) {
                Transition::RetryAt(at) => {
                    waits.push((at - now).num_seconds());
                    clock.set(at);
                }
                Transition::Exhausted => break,
                Transition::Succeeded => unreachable!(),
            }
        }
        assert_eq!(attempts, 8);
        assert_eq!(waits, vec![5, 300, 1800, 7200, 18000, 36000, 36000]);
    }

    #[test]
    fn success_ends_and_manual_failure_does_not_restart_schedule() {
        let policy = RetryPolicy::default();
        let now = ManualClock::at_epoch().now();
        let mut rng = StdRng::seed_from_u64(1);
        assert_eq!(
            after_attempt(
                &policy,
                1,
                TriggerType::Scheduled,
                AttemptOutcome::Success,
                now,
                &mut rng
            ),
            Transition::Succeeded
        );
        assert_eq!(
            after_attempt(
                &policy,
                9,
                TriggerType::Manual,
                AttemptOutcome::Failure { retry_after: None },
                now,
                &mut rng
            ),
            Transition::Exhausted
        );
        let t = after_attempt(
            &policy,
            1,
            TriggerType::Scheduled,
            AttemptOutcome::Failure { retry_after: None },
            now,
            &mut rng,
        );
        assert_eq!(t.state(), DeliveryState::RetryScheduled);
        assert!(t.next_attempt_at().unwrap() > now + Duration::seconds(4));
    }

    #[test]
    fn retry_after_moves_a_scheduled_retry_and_nothing_else() {
        let policy = RetryPolicy {
            jitter: 0.0,
            ..RetryPolicy::default()
        };
        let now = ManualClock::at_epoch().now();
        let mut rng = StdRng::seed_from_u64(1);
        let failed = |secs: i64| AttemptOutcome::Failure {
            retry_after: Some(now + Duration::seconds(secs)),
        };
        let mut decide = |attempts, trigger, outcome| {
            after_attempt(&policy, attempts, trigger, outcome, now, &mut rng)
        };
        // Svix's own check: 9 s instead of the schedule's 5 s.
        assert_eq!(
            decide(1, TriggerType::Scheduled, failed(9)),
            Transition::RetryAt(now + Duration::seconds(9))
        );
        // Sooner than the schedule asks for nothing.
        assert_eq!(
            decide(2, TriggerType::Scheduled, failed(1)),
            Transition::RetryAt(now + Duration::seconds(300))
        );
        // The schedule's end and manual attempts stay as they were.
        assert_eq!(
            decide(8, TriggerType::Scheduled, failed(60)),
            Transition::Exhausted
        );
        assert_eq!(
            decide(1, TriggerType::Manual, failed(60)),
            Transition::Exhausted
        );
    }

    #[test]
    fn status_mapping_follows_svix() {
        assert_eq!(DeliveryState::Claimed.message_status().code(), 3);
        assert_eq!(
            DeliveryState::RetryScheduled.message_status().text(),
            "pending"
        );
        assert_eq!(DeliveryState::Exhausted.message_status().code(), 2);
        assert!(is_success_status(204));
        assert!(!is_success_status(301));
    }
}
