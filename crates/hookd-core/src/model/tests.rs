//! Tests of `model`.

use super::*;
use crate::clock::{Clock, ManualClock};
use chrono::Duration;

#[test]
fn a_body_equal_to_the_payload_is_not_stored_again() {
    let payload = r#"{"a": 1}"#;
    assert_eq!(
        SentBody::of(payload, Some(payload), 4),
        SentBody::Payload,
        "the limit does not apply to what is not stored"
    );
    // The same JSON with other bytes is another body.
    assert_eq!(
        SentBody::of(r#"{"a":1}"#, Some(payload), 100),
        SentBody::Recorded {
            text: r#"{"a":1}"#.into(),
            truncated: false
        }
    );
    assert_eq!(
        SentBody::of("{}", None, 100),
        SentBody::Recorded {
            text: "{}".into(),
            truncated: false
        },
        "an expunged payload is sent as {{}}, which is recorded"
    );
}

#[test]
fn recorded_bodies_are_cut_at_a_character_boundary() {
    // "é" is two bytes: a limit that falls inside it keeps the character out.
    assert_eq!(
        SentBody::of(r#"{"x":"é"}"#, None, 7),
        SentBody::Recorded {
            text: r#"{"x":""#.into(),
            truncated: true
        }
    );
    let exact = SentBody::of("{}", None, 2);
    assert_eq!(exact.kind(), "recorded", "{exact:?}");
}

#[test]
fn sent_bodies_round_trip_through_their_stored_form() {
    for body in [
        SentBody::Payload,
        SentBody::Removed,
        SentBody::of("{}", None, 10),
        SentBody::of("{\"long\": true}", None, 3),
    ] {
        let back = SentBody::from_stored(body.kind(), body.text().map(str::to_owned));
        assert_eq!(back, Some(body));
    }
    assert_eq!(SentBody::from_stored("recorded", None), None);
    assert_eq!(SentBody::from_stored("other", Some("x".into())), None);
}

fn endpoint() -> Endpoint {
    let now = ManualClock::at_epoch().now();
    Endpoint {
        id: EndpointId::from_trusted("ep_x"),
        app_id: AppId::from_trusted("app_x"),
        uid: None,
        url: "https://example.com".into(),
        description: String::new(),
        disabled: false,
        throttle_rate: None,
        event_types: None,
        channels: None,
        metadata: Metadata::new(),
        headers: BTreeMap::new(),
        secret: "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD".into(),
        old_secrets: vec![],
        options: EndpointOptions::default(),
        failing_since: None,
        created_at: now,
        updated_at: now,
    }
}

#[test]
fn matching_follows_filters_channels_and_disabled() {
    let mut ep = endpoint();
    assert!(ep.accepts("a.b", None));
    ep.event_types = Some(vec!["a.b".into()]);
    assert!(ep.accepts("a.b", None));
    assert!(!ep.accepts("a.c", None));
    ep.channels = Some(vec!["x".into()]);
    assert!(
        !ep.accepts("a.b", None),
        "an endpoint with channels needs a channel match"
    );
    assert!(ep.accepts("a.b", Some(&["y".into(), "x".into()])));
    assert!(!ep.accepts("a.b", Some(&["y".into()])));
    ep.disabled = true;
    assert!(!ep.accepts("a.b", Some(&["x".into()])));
}

#[test]
fn duration_bins_and_quantiles() {
    assert_eq!(AttemptBucket::bin_of(0), 0);
    assert_eq!(AttemptBucket::bin_of(10), 1);
    assert_eq!(AttemptBucket::bin_of(11), 2);
    assert_eq!(AttemptBucket::bin_of(60_000), 11);
    let mut b = AttemptBucket::default();
    assert_eq!(b.quantile_upper_ms(0.5), None);
    b.duration_bins[1] = 90;
    b.duration_bins[5] = 10;
    assert_eq!(b.quantile_upper_ms(0.5), Some(10));
    assert_eq!(b.quantile_upper_ms(0.99), Some(250));
}

#[test]
fn grouped_counts_fold_into_buckets() {
    let t0 = ManualClock::at_epoch().now();
    let t1 = t0 + Duration::minutes(1);
    let buckets = AttemptBucket::fold([
        (t0, true, 1, 3),
        (t0, false, 11, 2),
        (t1, true, 0, 1),
        (t1, true, 99, 4),
    ]);
    assert_eq!(buckets.len(), 2);
    assert_eq!(
        (buckets[0].start, buckets[0].success, buckets[0].fail),
        (t0, 3, 2)
    );
    assert_eq!(
        (buckets[0].duration_bins[1], buckets[0].duration_bins[11]),
        (3, 2)
    );
    assert_eq!(
        (buckets[1].success, buckets[1].duration_bins[0]),
        (5, 1),
        "an unknown bin counts only toward the outcome"
    );
}

#[test]
fn old_secrets_sign_only_within_grace() {
    let now = ManualClock::at_epoch().now();
    let mut ep = endpoint();
    ep.old_secrets.push(OldSecret {
        key: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into(),
        expires_at: now + Duration::hours(24),
    });
    assert_eq!(ep.signing_secrets(now).len(), 2);
    assert_eq!(ep.signing_secrets(now + Duration::hours(25)).len(), 1);
}
