//! Endpoint health and Svix's operational events: an endpoint whose every attempt has failed
//! for `endpoint_failure_disable_after` is disabled and reported as `endpoint.disabled`; a
//! success restarts the period; `message.attempt.failing` (fourth failure), `.exhausted` and
//! `.recovered` are published with Svix's shapes; endpoint changes through the API publish
//! `endpoint.created/updated/deleted`.
//!
//! Retries come due by moving the manual clock; each step waits on the workers' completion
//! count or a receiver's request count.

use std::time::Duration;

use chrono::Duration as ChronoDuration;
use hookd_core::{clock::Clock, delivery::DeliveryState, retry::RetryPolicy};
use serde_json::json;

use super::{on_both_stores, types, world, Backend};
use crate::common::{
    receiver::{Answer, Receiver},
    Harness,
};

/// A retry policy without jitter: every `secs`, at most `max_attempts` attempts in all.
fn fixed(secs: u64, max_attempts: u32) -> RetryPolicy {
    serde_json::from_value(json!({"type": "fixed", "baseSecs": secs, "maxAttempts": max_attempts}))
        .unwrap()
}

/// The failing period the tests configure: an hour, so that a handful of ten-minute retries
/// cross it (Svix's five days behave the same, with more clock to move).
const DISABLE_AFTER: Duration = Duration::from_secs(3600);

on_both_stores!(
    a_failing_endpoint_is_disabled_and_reported,
    a_success_restarts_the_failing_period,
    failing_then_recovered_are_reported_once_each,
);

/// Attempts every ten minutes all fail. The seventh, an hour after the first, finds the
/// endpoint failing for the configured period: it is disabled, `endpoint.disabled` reaches the
/// operational endpoint with Svix's fields, and the next retry is canceled without a request.
/// The fourth failure published `message.attempt.failing` on the way.
async fn a_failing_endpoint_is_disabled_and_reported(backend: Backend) {
    let mut w = world(backend, |c| {
        c.endpoint_failure_disable_after = Some(DISABLE_AFTER);
        c.default_retry_policy = fixed(600, 20);
    })
    .await;
    let ops = w.operational_app().await;
    let mut ops_rx = Receiver::start(&[]).await;
    w.endpoint_of(&ops, ops_rx.url("/ops"), |ep| {
        ep.event_types = Some(vec!["endpoint.disabled".into()]);
    })
    .await;
    let rx = Receiver::start(&[Answer::Status(500); 20]).await;
    let ep = w.endpoint(rx.url("/hook"), |_| {}).await;
    let first_at = w.clock.now();
    let msg = w.publish(r#"{"n":1}"#).await;
    for n in 1..=7 {
        w.wait_completed(n).await;
        if n < 7 {
            assert!(
                !w.stored_endpoint(&ep).await.disabled,
                "still enabled after {n} failures"
            );
            w.advance(ChronoDuration::minutes(10));
        }
    }

    let seen = ops_rx.wait_requests(1).await;
    let body: serde_json::Value = serde_json::from_slice(&seen[0].body).unwrap();
    assert_eq!(
        body,
        json!({
            "type": "endpoint.disabled",
            "data": {
                "appId": w.app.id.as_str(),
                "appUid": "tenant",
                "endpointId": ep.id.as_str(),
                "endpointUid": ep.uid,
                "failSince": first_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            }
        })
    );
    let stored = w.stored_endpoint(&ep).await;
    assert!(stored.disabled);
    assert_eq!(stored.failing_since, None, "the period is over");

    let attempts = w.attempts(&msg.id).await;
    assert_eq!(attempts.len(), 7);
    let events = w.operational_events(&ops).await;
    assert_eq!(
        types(&events),
        ["message.attempt.failing", "endpoint.disabled"]
    );
    assert_eq!(
        events[0]["data"],
        json!({
            "appId": w.app.id.as_str(),
            "appUid": "tenant",
            "endpointId": ep.id.as_str(),
            "msgId": msg.id.as_str(),
            "msgEventId": msg.event_id,
            "lastAttempt": {
                "id": attempts[3].id.as_str(),
                "responseStatusCode": 500,
                "timestamp": attempts[3].created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            }
        })
    );

    // The next retry finds the endpoint disabled: canceled, no request. Nine completions:
    // seven attempts, the operational delivery, the cancellation.
    w.advance(ChronoDuration::minutes(10));
    w.wait_completed(9).await;
    assert_eq!(rx.seen().await.len(), 7);
    let d = w
        .store()
        .list_message_deliveries(
            &w.app.id,
            &msg.id,
            &hookd_core::page::ListQuery::first(10, hookd_core::page::Order::Ascending),
        )
        .await
        .unwrap()
        .data
        .remove(0)
        .1;
    assert_eq!(d.state, DeliveryState::Canceled);
}

/// One attempt per message. A success between failures restarts the failing period, so a
/// failure two hours after the first is not enough; the failure an hour after the period
/// restarted is, and `failSince` names the restart.
async fn a_success_restarts_the_failing_period(backend: Backend) {
    let mut w = world(backend, |c| {
        c.endpoint_failure_disable_after = Some(DISABLE_AFTER);
        c.default_retry_policy = fixed(60, 1);
    })
    .await;
    let ops = w.operational_app().await;
    let rx = Receiver::start(&[
        Answer::Status(500),
        Answer::Status(200),
        Answer::Status(500),
        Answer::Status(503),
    ])
    .await;
    let ep = w.endpoint(rx.url("/hook"), |_| {}).await;

    w.publish("{}").await;
    w.wait_completed(1).await;
    w.advance(ChronoDuration::minutes(30));
    w.publish("{}").await;
    w.wait_completed(2).await;
    assert_eq!(w.stored_endpoint(&ep).await.failing_since, None);
    w.advance(ChronoDuration::minutes(90));
    let restart = w.clock.now();
    w.publish("{}").await;
    w.wait_completed(3).await;
    let stored = w.stored_endpoint(&ep).await;
    assert!(
        !stored.disabled,
        "failing for a moment only, since the success"
    );
    assert_eq!(stored.failing_since, Some(restart));
    w.advance(ChronoDuration::minutes(60));
    w.publish("{}").await;
    w.wait_completed(4).await;
    assert!(w.stored_endpoint(&ep).await.disabled);

    // The last attempt's two events are published in the same millisecond, so their order in
    // the list (by id) is not theirs to keep: compare them as a set.
    let events = w.operational_events(&ops).await;
    let mut kinds = types(&events);
    kinds.sort_unstable();
    assert_eq!(
        kinds,
        [
            "endpoint.disabled",
            "message.attempt.exhausted",
            "message.attempt.exhausted",
            "message.attempt.exhausted",
        ]
    );
    let disabled = events
        .iter()
        .find(|e| e["type"] == "endpoint.disabled")
        .unwrap();
    assert_eq!(
        disabled["data"]["failSince"],
        restart.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    );
    let codes: Vec<&serde_json::Value> = events
        .iter()
        .filter(|e| e["type"] == "message.attempt.exhausted")
        .map(|e| &e["data"]["lastAttempt"]["responseStatusCode"])
        .collect();
    assert_eq!(codes.len(), 3);
    assert!(codes.contains(&&json!(503)), "{codes:?}");
}

/// Four failures publish `message.attempt.failing` once; the fifth attempt succeeds and
/// publishes `message.attempt.recovered`, whose `lastAttempt` is the success. Nothing is
/// published about the operational application's own deliveries.
async fn failing_then_recovered_are_reported_once_each(backend: Backend) {
    let mut w = world(backend, |c| c.default_retry_policy = fixed(60, 10)).await;
    let ops = w.operational_app().await;
    let rx = Receiver::start(&[Answer::Status(500); 4]).await;
    let ep = w.endpoint(rx.url("/hook"), |_| {}).await;
    let msg = w.publish("{}").await;
    for n in 1..=5 {
        w.wait_completed(n).await;
        if n < 5 {
            w.advance(ChronoDuration::seconds(60));
        }
    }
    let attempts = w.attempts(&msg.id).await;
    assert_eq!(attempts.len(), 5);
    let events = w.operational_events(&ops).await;
    assert_eq!(
        types(&events),
        ["message.attempt.failing", "message.attempt.recovered"]
    );
    assert_eq!(
        events[0]["data"]["lastAttempt"]["id"],
        attempts[3].id.as_str()
    );
    assert_eq!(
        events[1]["data"]["lastAttempt"],
        json!({
            "id": attempts[4].id.as_str(),
            "responseStatusCode": 200,
            "timestamp": attempts[4].created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        })
    );
    assert_eq!(events[1]["data"]["endpointId"], ep.id.as_str());
    assert_eq!(w.stored_endpoint(&ep).await.failing_since, None);

    // The operational application's own deliveries failing as often publish nothing about
    // themselves, or its endpoints' troubles would feed events back into it.
    let ops_rx = Receiver::start(&[Answer::Status(500); 10]).await;
    w.endpoint_of(&ops, ops_rx.url("/ops"), |_| {}).await;
    let before = w.operational_events(&ops).await.len();
    w.publish_with("{}", |m| m.app_id = ops.id.clone()).await;
    for n in 6..=9 {
        w.wait_completed(n).await;
        w.advance(ChronoDuration::seconds(60));
    }
    assert_eq!(ops_rx.seen().await.len(), 4);
    let events = w.operational_events(&ops).await;
    assert_eq!(
        events.len(),
        before + 1,
        "only the message published into it: {events:?}"
    );
    assert_eq!(
        w.stored_endpoint(&ep).await.failing_since,
        None,
        "the tenant's endpoint is unaffected"
    );
}

/// Creating, replacing, patching and deleting an endpoint through the API publish Svix's
/// `endpoint.*` events to the operational application; its own endpoints publish none, and
/// they may filter on every operational event type.
#[tokio::test]
async fn endpoint_changes_through_the_api_are_published() {
    let h = Harness::new().await;
    h.app("hookd-operational").await;
    h.endpoint(
        "hookd-operational",
        json!({"url": "https://ops.example/hook", "eventTypes": [
            "endpoint.created", "endpoint.updated", "endpoint.deleted", "endpoint.disabled",
            "message.attempt.exhausted", "message.attempt.failing",
            "message.attempt.recovered", "background_task.finished"]}),
    )
    .await;
    let app_id = h.app("acme").await;
    let ep = h
        .endpoint(
            "acme",
            json!({"url": "https://a.example/hook", "uid": "billing"}),
        )
        .await;
    let ep_id = ep["id"].as_str().unwrap();
    // The clock moves a millisecond before each change, so that the events' ids (which sort
    // by their millisecond) list in the order they happened.
    h.advance_ms(1);
    h.patch(
        &format!("/api/v1/app/acme/endpoint/{ep_id}"),
        json!({"description": "billing"}),
    )
    .await
    .expect(200);
    h.advance_ms(1);
    h.put(
        "/api/v1/app/acme/endpoint/billing",
        json!({"url": "https://b.example/hook", "uid": "billing"}),
    )
    .await
    .expect(200);
    h.advance_ms(1);
    h.put(
        "/api/v1/app/acme/endpoint/shipping",
        json!({"url": "https://c.example/hook"}),
    )
    .await
    .expect(201);
    h.advance_ms(1);
    h.delete(&format!("/api/v1/app/acme/endpoint/{ep_id}"))
        .await
        .expect(204);

    let list = h.get("/api/v1/app/hookd-operational/msg").await.expect(200);
    let mut events: Vec<serde_json::Value> = list.json["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["payload"].clone())
        .collect();
    // Messages list newest first.
    events.reverse();
    assert_eq!(
        types(&events),
        [
            "endpoint.created",
            "endpoint.updated",
            "endpoint.updated",
            "endpoint.created",
            "endpoint.deleted"
        ]
    );
    assert_eq!(
        events[0]["data"],
        json!({"appId": app_id, "appUid": "acme", "endpointId": ep_id, "endpointUid": "billing"})
    );
    assert_eq!(events[3]["data"]["endpointUid"], "shipping");
    assert_eq!(events[4]["data"]["endpointId"], ep_id);
}
