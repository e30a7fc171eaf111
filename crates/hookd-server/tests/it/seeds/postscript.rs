//! Postscript (`shared/seeds/002_…`): the event object
//! `{webhook_id, resource_type, resource_id, event_time, event, event_data}`, a 200 answer,
//! retries "every 5 mins … for up to 1 hour", a `Postscript-Signature` header holding the
//! account's signing token that "Get Webhook Signing Token" returns, and "Test Shop Webhook".
//! Configured as `docs/moving-postscript.md` does.

use chrono::Duration as ChronoDuration;
use serde_json::{json, Value};

use super::{headers_with, send_text, ts, World};
use crate::common::receiver::Answer;

/// The seed's `event_data`, published as the message payload.
const EVENT_DATA: &str = r#"{"id":"im_1b2a005a386281c9","subscriber_id":"s_1234567abcd","shop_id":"shop_1234567abcd","is_opt_out":false,"shopify_customer_id":null,"from_number":"+15555555555","created_at":"2021-11-04T21:52:41.025455","body":"Hello, world"}"#;
/// The webhook subscription's id, kept as the endpoint's uid.
const WEBHOOK_ID: &str = "89066f0a-eb36-4ed8-b98c-606e6dcac715";

/// The envelope of the guide, as JSON text: its key order is the order on the wire.
const ENVELOPE: &str = r#"{"template": {
    "webhook_id": "{{ endpoint.uid }}",
    "resource_type": "shop",
    "resource_id": "{{ payload.shop_id }}",
    "event_time": "{{ msg.timestamp | date: \"%Y-%m-%dT%H:%M:%S%.6f\" }}",
    "event": "{{ msg.eventType }}",
    "event_data": "{{ payload }}"
}}"#;

fn endpoint(uid: &str, url: &str) -> Value {
    json!({
        "uid": uid,
        "url": url,
        "eventTypes": ["shop.incoming_message"],
        "options": {
            "retryPolicy": {"type": "fixed", "baseSecs": 300, "maxAgeSecs": 3600},
            "successStatusCodes": [200],
            "auth": [{"type": "signingToken", "header": "Postscript-Signature"}]
        }
    })
}

async fn setup(w: &World, url: &str) {
    let event_type = format!(
        r#"{{"name": "shop.incoming_message", "description": "A subscriber sent a message to a shop", "options": {{"envelope": {ENVELOPE}}}}}"#
    );
    send_text(&w.h, "POST", "/api/v1/event-type", &event_type)
        .await
        .expect(201);
    w.h.post(
        "/api/v1/app",
        json!({"name": "Shop 1234567abcd", "uid": "shop_1234567abcd"}),
    )
    .await
    .expect(201);
    w.h.post(
        "/api/v1/app/shop_1234567abcd/endpoint",
        endpoint(WEBHOOK_ID, url),
    )
    .await
    .expect(201);
}

async fn publish(w: &World) -> String {
    let body = format!(r#"{{"eventType":"shop.incoming_message","payload":{EVENT_DATA}}}"#);
    let r =
        w.h.raw(
            axum::http::Method::POST,
            "/api/v1/app/shop_1234567abcd/msg",
            Some(&w.h.admin.clone()),
            Some(&body),
            &[],
        )
        .await
        .expect(202);
    r.json["id"].as_str().expect("id").to_owned()
}

async fn signing_token(w: &World, endpoint: &str) -> String {
    let r =
        w.h.get(&format!(
            "/api/v1/app/shop_1234567abcd/endpoint/{endpoint}/signing-token"
        ))
        .await
        .expect(200);
    assert_eq!(r.json["header"], "Postscript-Signature");
    r.json["token"].as_str().expect("token").to_owned()
}

#[tokio::test]
async fn the_event_object_and_signature_arrive_exactly() {
    let w = World::at("2021-11-04T21:52:41.025Z").await;
    let mut rx = w.receiver(&[]).await;
    setup(&w, &rx.url("/postscript_webhooks")).await;
    let token = signing_token(&w, WEBHOOK_ID).await;
    publish(&w).await;
    let seen = rx.wait_requests(1).await;
    let req = &seen[0];

    // The seed's example event, to the byte (hookd keeps milliseconds, so the time's last
    // three digits are zeros), with event_data exactly as published.
    let expected = format!(
        r#"{{"webhook_id":"{WEBHOOK_ID}","resource_type":"shop","resource_id":"shop_1234567abcd","event_time":"2021-11-04T21:52:41.025000","event":"shop.incoming_message","event_data":{EVENT_DATA}}}"#
    );
    assert_eq!(String::from_utf8_lossy(&req.body), expected);
    assert_eq!(
        req.header_names(),
        headers_with(&["content-type", "postscript-signature"])
    );
    assert_eq!(req.header("postscript-signature"), token, "compared as is");
    assert_eq!(req.header("content-type"), "application/json");
    assert_eq!(req.uri, "/postscript_webhooks");

    // Endpoint reads never show the token; the signing-token call is where it is read.
    let ep =
        w.h.get(&format!(
            "/api/v1/app/shop_1234567abcd/endpoint/{WEBHOOK_ID}"
        ))
        .await
        .expect(200);
    assert!(!String::from_utf8_lossy(&ep.body).contains(&token));
}

#[tokio::test]
async fn one_token_per_account() {
    let w = World::at("2021-11-04T21:52:41.025Z").await;
    let rx = w.receiver(&[]).await;
    setup(&w, &rx.url("/a")).await;
    w.h.post(
        "/api/v1/app/shop_1234567abcd/endpoint",
        endpoint("second-subscription", &rx.url("/b")),
    )
    .await
    .expect(201);
    let first = signing_token(&w, WEBHOOK_ID).await;
    assert_eq!(signing_token(&w, "second-subscription").await, first);
    assert!(first.len() >= 32);
    // A vendor moving existing accounts sets the token its customers already hold.
    let mut imported = endpoint("imported", &rx.url("/c"));
    imported["options"]["auth"][0]["token"] = json!("pst_existing_token_1234");
    w.h.post("/api/v1/app/shop_1234567abcd/endpoint", imported)
        .await
        .expect(201);
    assert_eq!(
        signing_token(&w, "imported").await,
        "pst_existing_token_1234"
    );
}

#[tokio::test]
async fn retries_every_five_minutes_for_an_hour() {
    let mut w = World::at("2021-11-04T21:52:41.025Z").await;
    let mut rx = w.receiver(&[Answer::Status(201); 20]).await;
    setup(&w, &rx.url("/postscript_webhooks")).await;
    let before = w.counts(&rx).await;
    let msg = publish(&w).await;
    let times = w
        .walk_schedule(&mut rx, "shop_1234567abcd", &msg, before)
        .await;
    let start = ts("2021-11-04T21:52:41.025Z");
    let offsets: Vec<i64> = times.iter().map(|t| (*t - start).num_seconds()).collect();
    assert_eq!(offsets, (0..=12).map(|i| i * 300).collect::<Vec<_>>());
    assert_eq!(
        *offsets.last().unwrap(),
        3600,
        "the last attempt is at the hour"
    );
    assert_eq!(w.destination("shop_1234567abcd", &msg).await["status"], 2);
    assert!(w.nothing_due_within(ChronoDuration::days(30)).await);
    // Every retry is the same event: same body, same webhook_id.
    let seen = rx.seen().await;
    assert!(seen.windows(2).all(|p| p[0].body == p[1].body));
}

#[tokio::test]
async fn test_shop_webhook_sends_the_real_event_and_reports() {
    let w = World::at("2021-11-04T21:52:41.025Z").await;
    let rx = w.receiver(&[]).await;
    setup(&w, &rx.url("/postscript_webhooks")).await;
    let token = signing_token(&w, WEBHOOK_ID).await;
    let body = format!(r#"{{"eventType":"shop.incoming_message","payload":{EVENT_DATA}}}"#);
    let r =
        w.h.raw(
            axum::http::Method::POST,
            &format!("/api/v1/app/shop_1234567abcd/endpoint/{WEBHOOK_ID}/test"),
            Some(&w.h.admin.clone()),
            Some(&body),
            &[],
        )
        .await
        .expect(200);
    assert_eq!(r.json["success"], true);
    assert_eq!(r.json["responseStatusCode"], 200);
    let seen = rx.seen().await;
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].header("postscript-signature"), token);
    let event: Value = serde_json::from_slice(&seen[0].body).unwrap();
    assert_eq!(event["event"], "shop.incoming_message");
    assert_eq!(event["webhook_id"], WEBHOOK_ID);
    assert_eq!(
        r.json["body"].as_str().unwrap().as_bytes(),
        &seen[0].body[..]
    );
}
