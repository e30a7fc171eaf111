//! Receivers' `Retry-After` through the whole delivery path: real workers, a scripted receiver
//! answering 429 or 503 with the header, and the manual clock, so the next attempt's due time
//! is asserted exactly and reached by moving the clock, never by waiting.

use super::*;
use serde_json::json;

/// The attempts of a message through the API, oldest first.
async fn api_attempts(h: &crate::common::Harness, app: &str, msg: &str) -> Vec<serde_json::Value> {
    let r = h
        .get(&format!("/api/v1/app/{app}/attempt/msg/{msg}"))
        .await
        .expect(200);
    let mut list = r.json["data"].as_array().unwrap().clone();
    list.reverse();
    list
}

fn parse_ts(v: &serde_json::Value) -> hookd_core::Timestamp {
    chrono::DateTime::parse_from_rfc3339(v.as_str().expect("a timestamp"))
        .unwrap()
        .to_utc()
}

/// Svix's own behaviour, checked through its API: a 429 with `Retry-After: 9` moves the next
/// attempt to 9 s later instead of the schedule's 5 s; the attempt shows both the header and
/// the time, and the retry comes exactly then.
#[tokio::test]
async fn a_429_with_retry_after_moves_the_next_attempt_and_the_attempt_shows_it() {
    let (h, _store, workers) = api_world(|_| {}).await;
    let mut rx = Receiver::start(&[Answer::RetryAfter(429, "9")]).await;
    let app = h.app("slow-down").await;
    h.endpoint(&app, json!({"url": rx.url("/a")})).await;
    let msg = h
        .message(
            &app,
            json!({"eventType": "invoice.paid", "payload": {"n": 1}}),
        )
        .await;
    let msg_id = msg["id"].as_str().unwrap();
    rx.wait_requests(1).await;
    tokio::time::timeout(Duration::from_secs(20), workers.wait_completed(1))
        .await
        .expect("one completion");
    let t0 = h.clock.now();
    let due = t0 + ChronoDuration::seconds(9);

    let attempts = api_attempts(&h, &app, msg_id).await;
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0]["responseStatusCode"], 429);
    assert_eq!(attempts[0]["retryAfter"], "9");
    assert_eq!(parse_ts(&attempts[0]["nextAttempt"]), due);
    let deliveries = h
        .store()
        .list_message_deliveries(
            &AppId::from_trusted(&app),
            &MsgId::from_trusted(msg_id),
            &ListQuery::first(10, Order::Ascending),
        )
        .await
        .unwrap();
    let delivery = &deliveries.data[0].1;
    assert_eq!(delivery.state, DeliveryState::RetryScheduled);
    assert_eq!(delivery.next_attempt_at, Some(due));
    // The destination view agrees.
    let destinations = h
        .get(&format!("/api/v1/app/{app}/msg/{msg_id}/endpoint"))
        .await
        .expect(200);
    assert_eq!(parse_ts(&destinations.json["data"][0]["nextAttempt"]), due);

    // At the schedule's time (5 s, at most 5.5 s with jitter) nothing is due; at 9 s it is.
    let probe = ClaimRequest {
        owner: "probe",
        lease_token: "lease_probe",
        now: t0 + ChronoDuration::milliseconds(8_999),
        lease: ChronoDuration::seconds(1),
        limit: 10,
    };
    assert!(h.store().claim_due(&probe).await.unwrap().is_empty());
    h.clock.advance(ChronoDuration::seconds(9));
    h.state.engine.wake();
    rx.wait_requests(2).await;
    tokio::time::timeout(Duration::from_secs(20), workers.wait_completed(2))
        .await
        .expect("two completions");
    let attempts = api_attempts(&h, &app, msg_id).await;
    assert_eq!(attempts.len(), 2);
    assert_eq!(parse_ts(&attempts[1]["timestamp"]), due);
    assert_eq!(attempts[1]["responseStatusCode"], 200);
    for field in ["retryAfter", "nextAttempt"] {
        assert!(
            attempts[1].get(field).is_none(),
            "a success shows no {field}: {}",
            attempts[1]
        );
    }
    workers.shutdown().await;
}

/// The bounds, per endpoint of one message: an HTTP-date a day or more ahead is cut to
/// 24 hours; a `Retry-After` sooner than the schedule leaves the schedule's time; one on a 500
/// is not followed (nor recorded); an HTTP-date within bounds is followed to the second.
#[tokio::test]
async fn retry_after_is_bounded_and_followed_only_on_429_and_503() {
    let mut w = world(|_| {}).await;
    let t0 = w.clock.now();
    let cases = [
        (
            Answer::RetryAfterDate(503, t0 + ChronoDuration::days(2)),
            "far",
        ),
        (Answer::RetryAfter(503, "1"), "soon"),
        (Answer::RetryAfter(500, "60"), "other"),
        (
            Answer::RetryAfterDate(429, t0 + ChronoDuration::seconds(120)),
            "date",
        ),
    ];
    let mut receivers = Vec::new();
    let mut endpoints = Vec::new();
    for (answer, name) in cases {
        let rx = Receiver::start(&[answer]).await;
        let ep = w
            .endpoint(rx.url(name), |ep| ep.uid = Some(name.into()))
            .await;
        receivers.push(rx);
        endpoints.push(ep);
    }
    let msg = w.publish(r#"{"n":1}"#).await;
    w.wait_completed(4).await;
    let attempts = w.attempts(&msg.id).await;
    let of = |name: &str| {
        let ep = endpoints
            .iter()
            .find(|e| e.uid.as_deref() == Some(name))
            .unwrap();
        attempts
            .iter()
            .find(|a| a.endpoint_id == ep.id)
            .unwrap_or_else(|| panic!("an attempt to {name}"))
    };
    let schedule = |a: &Attempt| {
        let wait = a.next_attempt_at.expect("retried") - t0;
        assert!(
            wait >= ChronoDuration::milliseconds(4_500)
                && wait <= ChronoDuration::milliseconds(5_500),
            "the schedule's 5 s ± 10 %: {wait}"
        );
    };

    let far = of("far");
    assert_eq!(far.next_attempt_at, Some(t0 + ChronoDuration::hours(24)));
    assert!(far.retry_after.as_deref().unwrap().ends_with(" GMT"));
    let soon = of("soon");
    schedule(soon);
    assert_eq!(soon.retry_after.as_deref(), Some("1"));
    let other = of("other");
    schedule(other);
    assert_eq!(other.retry_after, None, "not read on a 500");
    let date = of("date");
    assert_eq!(
        date.next_attempt_at,
        Some(t0 + ChronoDuration::seconds(120))
    );

    // Each delivery is due exactly when its attempt says.
    let deliveries = w
        .store()
        .list_message_deliveries(&w.app.id, &msg.id, &ListQuery::first(10, Order::Ascending))
        .await
        .unwrap();
    for (ep, d) in &deliveries.data {
        let a = attempts.iter().find(|a| a.endpoint_id == ep.id).unwrap();
        assert_eq!(d.next_attempt_at, a.next_attempt_at, "{:?}", ep.uid);
    }
    w.stop_workers().await;
}
