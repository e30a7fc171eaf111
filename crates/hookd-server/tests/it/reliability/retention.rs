//! Retention by the maintenance job: payloads expire after the server's `payload_retention`
//! or a message's own `payloadRetentionPeriod`, attempts go after `attempt_retention`, in
//! bounded batches, on both stores; the API then shows an expired payload as Svix does.
//!
//! Time moves on the manual clock; the job runs when the test calls it, not on a timer.

use std::time::Duration;

use chrono::Duration as ChronoDuration;
use hookd_core::{delivery::DeliveryState, model::Message};
use hookd_server::maintenance::{run_retention, Batching, RetentionReport};
use serde_json::json;

use super::{on_both_stores, world, Backend, World};
use crate::common::{receiver::Receiver, Harness};

/// Small batches without pauses, so that a handful of rows spans several batches and the
/// test does not wait.
const SMALL: Batching = Batching {
    size: 2,
    pause: Duration::ZERO,
};

const DAY: i64 = 24 * 3600;

on_both_stores!(expired_content_is_removed_in_bounded_batches);

async fn payload(w: &World, msg: &Message) -> Option<String> {
    w.store()
        .get_message(&w.app.id, msg.id.as_str())
        .await
        .unwrap()
        .unwrap()
        .payload
}

/// Five messages delivered on day 0 (three kept for the server's 30 days, one for its own 5,
/// one for its own 90) and one on day 6; attempts are kept 7 days. Day 6 expires the 5-day
/// payload, day 8 the day-0 attempts, day 31 the 30-day payloads and the day-6 attempt; the
/// 90-day payload stays. Deliveries keep their outcome throughout.
async fn expired_content_is_removed_in_bounded_batches(backend: Backend) {
    let mut w = world(backend, |c| {
        c.payload_retention = Duration::from_secs(30 * DAY as u64);
        c.attempt_retention = Duration::from_secs(7 * DAY as u64);
    })
    .await;
    let rx = Receiver::start(&[]).await;
    w.endpoint(rx.url("/hook"), |_| {}).await;
    let own = |days: u16| {
        let config = w.state.config.clone();
        move |m: &mut Message| {
            m.payload_expires_at = Some(config.payload_expiry(m.created_at, Some(days)))
        }
    };
    let mut defaults = Vec::new();
    for _ in 0..3 {
        defaults.push(w.publish(r#"{"kept":"30 days"}"#).await);
    }
    let five = w.publish_with(r#"{"kept":"5 days"}"#, own(5)).await;
    let ninety = w.publish_with(r#"{"kept":"90 days"}"#, own(90)).await;
    w.wait_completed(5).await;
    w.advance(ChronoDuration::seconds(6 * DAY));
    let late = w.publish(r#"{"day":6}"#).await;
    w.wait_completed(6).await;

    let report = run_retention(&w.state, SMALL).await.unwrap();
    assert_eq!(
        report,
        RetentionReport {
            payloads_expired: 1,
            attempts_pruned: 0,
            audit_pruned: 0,
            // One payload batch, one attempt batch, one (empty) audit log batch.
            batches: 3
        }
    );
    assert_eq!(payload(&w, &five).await, None);
    assert!(payload(&w, &defaults[0]).await.is_some());

    w.advance(ChronoDuration::seconds(2 * DAY));
    let report = run_retention(&w.state, SMALL).await.unwrap();
    assert_eq!(report.attempts_pruned, 5, "the day-0 attempts");
    assert_eq!(
        report.batches,
        1 + 3 + 1,
        "one empty payload batch; attempts in batches of 2, 2, 1; one empty audit batch"
    );
    assert!(w.attempts(&defaults[0].id).await.is_empty());
    assert_eq!(
        w.attempts(&late.id).await.len(),
        1,
        "a 2-day-old attempt stays"
    );

    w.advance(ChronoDuration::seconds(23 * DAY));
    let report = run_retention(&w.state, SMALL).await.unwrap();
    assert_eq!(report.payloads_expired, 3);
    assert_eq!(report.attempts_pruned, 1);
    for msg in &defaults {
        assert_eq!(payload(&w, msg).await, None);
    }
    assert_eq!(payload(&w, &ninety).await, ninety.payload);
    assert_eq!(payload(&w, &late).await, late.payload, "published on day 6");
    assert!(w.attempts(&late.id).await.is_empty());

    let d = w
        .store()
        .list_message_deliveries(
            &w.app.id,
            &defaults[0].id,
            &hookd_core::page::ListQuery::first(10, hookd_core::page::Order::Ascending),
        )
        .await
        .unwrap()
        .data
        .remove(0)
        .1;
    assert_eq!(d.state, DeliveryState::Succeeded);
    assert_eq!(d.attempts, 1);
}

/// Through the API: a message's `payloadRetentionPeriod` sets its own expiry and one without
/// it gets the server's `payload_retention`; once the job ran, the expired message reads as
/// Svix shows one, `{"expired": true}`, and the other keeps its payload.
#[tokio::test]
async fn payload_retention_period_sets_a_message_own_expiry() {
    let h = Harness::with_config(hookd_server::config::ServerConfig {
        payload_retention: Duration::from_secs(10 * DAY as u64),
        ..Default::default()
    })
    .await;
    h.app("acme").await;
    let short = h
        .message(
            "acme",
            json!({"eventType": "a.b", "payload": {"n": 1}, "payloadRetentionPeriod": 5}),
        )
        .await;
    let default = h
        .message("acme", json!({"eventType": "a.b", "payload": {"n": 2}}))
        .await;
    let long = h
        .message(
            "acme",
            json!({"eventType": "a.b", "payload": {"n": 3}, "payloadRetentionPeriod": 90}),
        )
        .await;
    h.post(
        "/api/v1/app/acme/msg",
        json!({"eventType": "a.b", "payload": {}, "payloadRetentionPeriod": 4}),
    )
    .await
    .expect(422);

    let get = |m: &serde_json::Value| format!("/api/v1/app/acme/msg/{}", m["id"].as_str().unwrap());
    h.advance_ms(5 * DAY * 1000);
    run_retention(&h.state, SMALL).await.unwrap();
    assert_eq!(
        h.get(&get(&short)).await.json["payload"],
        json!({"expired": true})
    );
    assert_eq!(h.get(&get(&default)).await.json["payload"], json!({"n": 2}));

    h.advance_ms(5 * DAY * 1000);
    run_retention(&h.state, SMALL).await.unwrap();
    assert_eq!(
        h.get(&get(&default)).await.json["payload"],
        json!({"expired": true})
    );
    assert_eq!(h.get(&get(&long)).await.json["payload"], json!({"n": 3}));
}
