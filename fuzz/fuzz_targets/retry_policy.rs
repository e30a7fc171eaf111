//! Fuzzes the parsing and schedule math of retry policies (`hookd_core::retry`): any JSON text
//! either fails to parse or yields a policy whose validation, schedule and next-attempt times
//! never panic, never move a retry before `now`, stop within the attempt cap, and survive a
//! round trip through JSON unchanged. It must not assert anything the policy's documentation
//! does not promise.

#![no_main]

use chrono::{DateTime, Duration};
use hookd_core::retry::{RetryPolicy, MAX_ATTEMPTS};
use libfuzzer_sys::fuzz_target;
use rand::{rngs::StdRng, SeedableRng};

fuzz_target!(|data: &[u8]| {
    let Ok(policy) = serde_json::from_slice::<RetryPolicy>(data) else {
        return;
    };
    // What the API stores is the parsed policy; what it shows back must parse to the same.
    let text = serde_json::to_string(&policy).expect("a parsed policy serializes");
    let again: RetryPolicy = serde_json::from_str(&text).expect("a serialized policy parses");
    assert_eq!(again, policy, "round trip changed the policy: {text}");

    let violations = policy.validate(&["retryPolicy"]);
    if !violations.is_empty() {
        return;
    }
    let max = policy.max_attempts();
    assert!(
        (1..=MAX_ATTEMPTS).contains(&max),
        "max attempts {max} out of range"
    );
    let schedule = policy.schedule_secs();
    assert!(
        schedule.len() < max as usize,
        "{} retries for {max} attempts",
        schedule.len()
    );

    let now = DateTime::from_timestamp(1_700_000_000, 0).expect("a valid time");
    let mut rng = StdRng::seed_from_u64(data.len() as u64);
    assert!(policy.next_attempt_at(0, now, &mut rng).is_none());
    for n in 1..=max.saturating_add(1) {
        match policy.next_attempt_at(n, now, &mut rng) {
            Some(at) => {
                assert!(n < max, "a retry after attempt {n} of at most {max}");
                assert!(at >= now, "retry {n} before now");
                // Jitter is at most half a delay and delays at most 7 days.
                assert!(at - now <= Duration::days(11), "retry {n} too late: {at}");
            }
            None => assert!(
                n >= max || policy.nominal_delay(n).is_none(),
                "attempt {n} exhausted although the schedule has a delay"
            ),
        }
    }
});
