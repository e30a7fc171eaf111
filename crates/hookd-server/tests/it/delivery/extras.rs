//! Delivery of Svix's newer message fields through the API with real workers: a raw
//! form-encoded body arrives byte for byte, signed over exactly those bytes, with the
//! message's own headers; a `deliverAt` ahead holds the delivery until the clock reaches it.
//! Each step waits on a signal (requests seen, completions), never on time.

use std::time::Duration;

use chrono::Duration as ChronoDuration;
use hookd_core::clock::Clock;
use serde_json::json;

use super::{api_world, verify, SECRET};
use crate::common::receiver::Receiver;

/// Form-encoded data with bytes a JSON or text normalisation would change.
const FORM: &str = "name=Ad%C3%A1+Lovelace&plan=pro&note=a%0D%0Ab&empty=&x=1 ";

#[tokio::test]
async fn a_raw_form_body_arrives_byte_for_byte_signed_with_the_message_headers() {
    let (h, _store, workers) = api_world(|_| {}).await;
    let mut rx = Receiver::start(&[]).await;
    let app = h.app("raw").await;
    let ep = h
        .endpoint(&app, json!({"url": rx.url("/form"), "secret": SECRET}))
        .await;
    let ep_id = ep["id"].as_str().unwrap().to_owned();
    h.put(
        &format!("/api/v1/app/{app}/endpoint/{ep_id}/headers"),
        json!({"headers": {"X-Tenant": "acme", "X-Shared": "endpoint"}}),
    )
    .await
    .expect(204);
    // What Svix's SDKs send for `message_in_raw(…, content_type=…)`, plus a header of our own.
    let msg = h
        .message(
            &app,
            json!({
                "eventType": "form.posted",
                "payload": {},
                "transformationsParams": {
                    "rawPayload": FORM,
                    "headers": {
                        "content-type": "application/x-www-form-urlencoded",
                        "X-Shared": "message"
                    }
                }
            }),
        )
        .await;
    let seen = rx.wait_requests(1).await;
    tokio::time::timeout(Duration::from_secs(20), workers.wait_completed(1))
        .await
        .expect("one completion");
    let req = &seen[0];
    assert_eq!(
        &req.body[..],
        FORM.as_bytes(),
        "the raw body, byte for byte"
    );
    assert!(verify(req, SECRET), "signed over the raw bytes");
    assert_eq!(
        req.header("content-type"),
        "application/x-www-form-urlencoded"
    );
    assert_eq!(
        req.header("x-shared"),
        "message",
        "the message's header wins"
    );
    assert_eq!(req.header("x-tenant"), "acme");
    assert_eq!(req.header("webhook-id"), msg["id"].as_str().unwrap());

    // Read back, the message shows the `payload` it was published with, as a form body is
    // no JSON object.
    let msg_id = msg["id"].as_str().unwrap();
    let read = h
        .get(&format!("/api/v1/app/{app}/msg/{msg_id}"))
        .await
        .expect(200);
    assert_eq!(read.json["payload"], json!({}));
    // The attempt's recorded request is the raw body, with its headers.
    let attempts = h
        .get(&format!("/api/v1/app/{app}/attempt/msg/{msg_id}"))
        .await
        .expect(200);
    let attempt_id = attempts.json["data"][0]["id"].as_str().unwrap();
    let sent = h
        .get(&format!(
            "/api/v1/app/{app}/msg/{msg_id}/attempt/{attempt_id}/request"
        ))
        .await
        .expect(200);
    assert_eq!(sent.json["body"], FORM);
    workers.shutdown().await;
}

#[tokio::test]
async fn a_scheduled_message_waits_for_its_deliver_at() {
    let (h, store, workers) = api_world(|_| {}).await;
    let mut rx = Receiver::with_clock(&[], h.clock.clone()).await;
    let app = h.app("later").await;
    h.endpoint(&app, json!({"url": rx.url("/hook")})).await;
    let at = h.clock.now() + ChronoDuration::hours(1);
    let at_text = at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let later = h
        .message(
            &app,
            json!({"eventType": "a", "payload": {"n": "later"}, "deliverAt": at_text}),
        )
        .await;
    assert_eq!(later["deliverAt"], at_text);
    let now = h
        .message(&app, json!({"eventType": "a", "payload": {"n": "now"}}))
        .await;
    // The immediate message is sent; the scheduled one, published first, is not.
    let seen = rx.wait_requests(1).await;
    tokio::time::timeout(Duration::from_secs(20), workers.wait_completed(1))
        .await
        .expect("one completion");
    assert_eq!(seen[0].header("webhook-id"), now["id"].as_str().unwrap());
    let later_id = later["id"].as_str().unwrap();
    let dests = h
        .get(&format!("/api/v1/app/{app}/msg/{later_id}/endpoint"))
        .await
        .expect(200);
    assert_eq!(dests.json["data"][0]["status"], 1, "pending");
    assert_eq!(dests.json["data"][0]["nextAttempt"], at_text);

    h.advance_ms(ChronoDuration::hours(1).num_milliseconds());
    h.state.engine.wake();
    let seen = rx.wait_requests(2).await;
    tokio::time::timeout(Duration::from_secs(20), workers.wait_completed(2))
        .await
        .expect("two completions");
    assert_eq!(seen[1].header("webhook-id"), later_id);
    assert!(
        seen[1].at.is_some_and(|t| t >= at),
        "not before deliverAt: {:?}",
        seen[1].at
    );
    assert!(
        store.claimed_by_claim_due() >= 1,
        "claimed when it came due"
    );
    workers.shutdown().await;
}
