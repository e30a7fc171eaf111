//! Tests of `retry`.

use super::*;
use crate::clock::{Clock, ManualClock};
use rand::{rngs::StdRng, SeedableRng};

/// Found by the retry_policy fuzz target: without correctly rounded float parsing, this
/// jitter read back from its own JSON was one ulp away from the value written.
#[test]
fn floats_survive_a_round_trip_through_json() {
    let text = r#"{"type": "delays", "delaysSecs": [11000], "jitter": 0.0000000000000000015383743387281304229}"#;
    let policy: RetryPolicy = serde_json::from_str(text).unwrap();
    let again: RetryPolicy =
        serde_json::from_str(&serde_json::to_string(&policy).unwrap()).unwrap();
    assert_eq!(again, policy);
}

fn policy(json: &str) -> RetryPolicy {
    let p: RetryPolicy = serde_json::from_str(json).unwrap();
    assert_eq!(p.validate(&["p"]), vec![], "{json} should be valid");
    p
}

#[test]
fn default_is_svix_schedule() {
    let p = RetryPolicy::default();
    assert_eq!(p.max_attempts(), 8);
    assert_eq!(p.schedule_secs(), SVIX_DEFAULT_DELAYS_SECS.to_vec());
    assert_eq!(
        p.nominal_delay(8),
        None,
        "the eighth failure exhausts the delivery"
    );
    assert_eq!(p.nominal_delay(0), None);
    assert_eq!(p.validate(&["p"]), vec![]);
    // The default written out as JSON is the policy a user would write for Svix's schedule.
    let svix = policy(
        r#"{"type":"delays","delaysSecs":[5,300,1800,7200,18000,36000,36000],"jitter":0.1}"#,
    );
    assert_eq!(svix, p);
}

#[test]
fn postpress_five_incremental_retries() {
    let p = policy(r#"{"type":"linear","baseSecs":60,"incrementSecs":60,"maxAttempts":6}"#);
    assert_eq!(p.schedule_secs(), vec![60, 120, 180, 240, 300]);
    assert_eq!(p.max_attempts(), 6);
}

#[test]
fn postscript_every_five_minutes_for_an_hour() {
    let p = policy(r#"{"type":"fixed","baseSecs":300,"maxAgeSecs":3600}"#);
    // Twelve retries: the last one lands exactly at the hour, the next would be past it.
    assert_eq!(p.schedule_secs(), vec![300; 12]);
}

#[test]
fn postmen_examples_and_formula() {
    // The examples: 2nd attempt 30 s after the 1st, 6th 960 s after the 5th, 14 attempts.
    let examples = policy(
        r#"{"type":"delays","delaysSecs":[30,120,240,480,960,1920,3840,7680,15360,30720,61440,122880,245760]}"#,
    );
    let s = examples.schedule_secs();
    assert_eq!(s.len(), 13);
    assert_eq!((s[0], s[4]), (30, 960));
    assert_eq!(examples.max_attempts(), 14);
    // The formula 2^n × 30 s after the n-th failure, as an exponential schedule.
    let formula = policy(r#"{"type":"exponential","baseSecs":60,"factor":2,"maxAttempts":15}"#);
    let f = formula.schedule_secs();
    assert_eq!(f.len(), 14);
    assert_eq!((f[0], f[4], f[13]), (60, 960, 491_520));
}

#[test]
fn caps_and_age_limit_the_exponential() {
    let p = policy(
        r#"{"type":"exponential","baseSecs":10,"factor":3,"capSecs":600,"maxAgeSecs":2000}"#,
    );
    // 10, 30, 90, 270, 600 (capped), 600 … while the sum stays within 2000 s.
    assert_eq!(p.schedule_secs(), vec![10, 30, 90, 270, 600, 600]);
    let huge = policy(r#"{"type":"exponential","baseSecs":604800,"factor":10,"maxAttempts":100}"#);
    assert!(huge.schedule_secs().iter().all(|s| *s == MAX_DELAY_SECS));
}

#[test]
fn bad_policies_name_their_field() {
    let cases = [
        (r#"{"type":"fixed"}"#, "baseSecs"),
        (r#"{"type":"fixed","baseSecs":5}"#, "maxAttempts"),
        (r#"{"type":"delays"}"#, "delaysSecs"),
        (r#"{"type":"delays","delaysSecs":[5,0]}"#, "delaysSecs"),
        (
            r#"{"type":"exponential","baseSecs":5,"factor":1,"maxAttempts":3}"#,
            "factor",
        ),
        (
            r#"{"type":"linear","baseSecs":5,"maxAttempts":3}"#,
            "incrementSecs",
        ),
        (
            r#"{"type":"fixed","baseSecs":5,"maxAttempts":0}"#,
            "maxAttempts",
        ),
        (
            r#"{"type":"fixed","baseSecs":5,"maxAttempts":101}"#,
            "maxAttempts",
        ),
        (
            r#"{"type":"fixed","baseSecs":5,"maxAgeSecs":0}"#,
            "maxAgeSecs",
        ),
        (
            r#"{"type":"fixed","baseSecs":5,"maxAttempts":3,"jitter":0.9}"#,
            "jitter",
        ),
        (
            r#"{"type":"delays","delaysSecs":[5],"baseSecs":3}"#,
            "baseSecs",
        ),
        (
            r#"{"type":"fixed","baseSecs":99999999,"maxAttempts":3}"#,
            "baseSecs",
        ),
    ];
    for (json, field) in cases {
        let p: RetryPolicy = serde_json::from_str(json).unwrap();
        let v = p.validate(&["body", "retryPolicy"]);
        assert!(
            v.iter()
                .any(|v| v.loc.get(2).map(String::as_str) == Some(field)),
            "{json}: expected a violation at {field}, got {v:?}"
        );
    }
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
    let p = policy(r#"{"type":"fixed","baseSecs":300,"maxAttempts":13}"#);
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

#[test]
fn the_hard_ceiling_holds_without_max_attempts() {
    let p = policy(r#"{"type":"fixed","baseSecs":1,"maxAgeSecs":2592000}"#);
    assert_eq!(p.schedule_secs().len(), (MAX_ATTEMPTS - 1) as usize);
}
