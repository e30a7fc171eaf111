//! postpress (`shared/seeds/000_…`): "reply with a status code 200 in less than 30 seconds. A
//! Webhook makes five retry attempts when the HTTP response code is not equal to 200 within 30
//! seconds, with an incremental time delay between each attempt"; a `Postpress-Auth` secret
//! header; `Content-Type: application/json` only when the customer asked for it. Configured as
//! `docs/moving-postpress.md` does.

use std::time::Duration;

use chrono::Duration as ChronoDuration;
use serde_json::{json, Value};

use super::{headers_with, World};
use crate::common::receiver::Answer;

const PAYLOAD: &str =
    r#"{"id":"msg_77","source":"messaging","status":"delivered","to":"+15555555555"}"#;

/// The endpoint options of the guide.
fn options() -> Value {
    json!({
        "retryPolicy": {"type": "linear", "baseSecs": 60, "incrementSecs": 60, "maxAttempts": 6},
        "timeoutMs": 30000,
        "successStatusCodes": [200],
        "contentType": "application/json",
        "auth": [{"type": "staticHeader", "header": "Postpress-Auth", "value": "yoursecretkey"}]
    })
}

async fn setup(w: &World, url: &str, options: Value) {
    w.h.post(
        "/api/v1/event-type",
        json!({"name": "messaging", "description": "Messaging events"}),
    )
    .await
    .expect(201);
    w.h.post(
        "/api/v1/app",
        json!({"name": "Customer 42", "uid": "customer-42"}),
    )
    .await
    .expect(201);
    w.h.post(
        "/api/v1/app/customer-42/endpoint",
        json!({"uid": "wh-1001", "url": url, "eventTypes": ["messaging"], "options": options}),
    )
    .await
    .expect(201);
}

async fn publish(w: &World) -> String {
    let body = format!(r#"{{"eventType":"messaging","payload":{PAYLOAD}}}"#);
    let r =
        w.h.raw(
            axum::http::Method::POST,
            "/api/v1/app/customer-42/msg",
            Some(&w.h.admin.clone()),
            Some(&body),
            &[],
        )
        .await
        .expect(202);
    r.json["id"].as_str().expect("id").to_owned()
}

#[tokio::test]
async fn a_201_is_retried_with_growing_delays_until_exactly_200() {
    let mut w = World::at("2026-03-02T09:00:00Z").await;
    let mut rx = w
        .receiver(&[
            Answer::Status(201),
            Answer::Status(500),
            Answer::Status(200),
        ])
        .await;
    setup(&w, &rx.url("/postpress"), options()).await;
    let before = w.counts(&rx).await;
    let msg = publish(&w).await;
    let times = w.walk_schedule(&mut rx, "customer-42", &msg, before).await;

    assert_eq!(times.len(), 3, "201 and 500 fail, 200 succeeds");
    assert_eq!(super::gaps(&times), vec![60, 120]);
    let seen = rx.seen().await;
    for req in &seen {
        assert_eq!(
            req.header_names(),
            headers_with(&["content-type", "postpress-auth"]),
            "exactly the headers postpress sends"
        );
        assert_eq!(req.header("postpress-auth"), "yoursecretkey");
        assert_eq!(req.header("content-type"), "application/json");
        assert_eq!(
            &req.body[..],
            PAYLOAD.as_bytes(),
            "the payload as published"
        );
    }
    let attempts =
        w.h.get(&format!("/api/v1/app/customer-42/attempt/msg/{msg}"))
            .await
            .expect(200)
            .json;
    let codes: Vec<(i64, i64)> = attempts["data"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .map(|a| {
            (
                a["responseStatusCode"].as_i64().unwrap(),
                a["status"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(codes, vec![(201, 2), (500, 2), (200, 0)]);

    // The secret is write-only: the endpoint shows the scheme, not the value.
    let ep =
        w.h.get("/api/v1/app/customer-42/endpoint/wh-1001")
            .await
            .expect(200);
    assert_eq!(
        ep.json["options"]["auth"],
        json!([{"type": "staticHeader", "header": "Postpress-Auth"}])
    );
    assert!(!ep.body.windows(13).any(|win| win == b"yoursecretkey"));
}

#[tokio::test]
async fn five_retries_then_the_webhook_gives_up() {
    let mut w = World::at("2026-03-02T09:00:00Z").await;
    let mut rx = w.receiver(&[Answer::Status(201); 10]).await;
    setup(&w, &rx.url("/postpress"), options()).await;
    let before = w.counts(&rx).await;
    let msg = publish(&w).await;
    let times = w.walk_schedule(&mut rx, "customer-42", &msg, before).await;
    assert_eq!(times.len(), 6, "the first attempt and five retries");
    assert_eq!(super::gaps(&times), vec![60, 120, 180, 240, 300]);
    let dest = w.destination("customer-42", &msg).await;
    assert_eq!(dest["status"], 2, "failed for good");
    assert!(w.nothing_due_within(ChronoDuration::days(30)).await);
}

#[tokio::test]
async fn without_content_type_none_is_sent_and_customer_headers_go_along() {
    let w = World::at("2026-03-02T09:00:00Z").await;
    let mut rx = w.receiver(&[]).await;
    let mut o = options();
    o["contentType"] = json!("");
    setup(&w, &rx.url("/postpress"), o).await;
    w.h.put(
        "/api/v1/app/customer-42/endpoint/wh-1001/headers",
        json!({"headers": {"X-Bubble-Workflow": "incoming"}}),
    )
    .await
    .expect(204);
    publish(&w).await;
    let seen = rx.wait_requests(1).await;
    assert_eq!(
        seen[0].header_names(),
        headers_with(&["postpress-auth", "x-bubble-workflow"])
    );
}

#[tokio::test]
async fn the_endpoint_timeout_replaces_the_servers() {
    // The server would give up after 200 ms; the endpoint allows 1.5 s, and the receiver takes
    // 600 ms: delivered. A second endpoint allows 300 ms: the same answer is a timeout.
    let mut w = World::with("2026-03-02T09:00:00Z", |c| {
        c.request_timeout = Duration::from_millis(200)
    })
    .await;
    let mut rx = w
        .receiver(&[
            Answer::Slow(Duration::from_millis(600)),
            Answer::Slow(Duration::from_secs(3)),
        ])
        .await;
    let mut o = options();
    o["timeoutMs"] = json!(1500);
    setup(&w, &rx.url("/patient"), o).await;
    publish(&w).await;
    rx.wait_requests(1).await;
    w.wait_completed(1).await;
    let first =
        w.h.get("/api/v1/app/customer-42/attempt/endpoint/wh-1001")
            .await
            .expect(200);
    assert_eq!(first.json["data"][0]["status"], 0, "{}", first.json);

    w.h.patch(
        "/api/v1/app/customer-42/endpoint/wh-1001",
        json!({"options": {"timeoutMs": 300}}),
    )
    .await
    .expect(200);
    // A second later, so that the newest attempt lists first.
    w.set_clock(super::ts("2026-03-02T09:00:01Z"));
    publish(&w).await;
    rx.wait_requests(2).await;
    w.wait_completed(2).await;
    let second =
        w.h.get("/api/v1/app/customer-42/attempt/endpoint/wh-1001")
            .await
            .expect(200);
    let a = &second.json["data"][0];
    assert_eq!(
        (a["status"].as_i64(), a["responseStatusCode"].as_i64()),
        (Some(2), Some(0))
    );
    assert_eq!(a["response"], "no answer within the 300 ms timeout");
    // The patch changed the timeout only; the secret header is still sent.
    assert_eq!(rx.seen().await[1].header("postpress-auth"), "yoursecretkey");
}

#[tokio::test]
async fn a_test_send_answers_with_the_receivers_verdict() {
    let w = World::at("2026-03-02T09:00:00Z").await;
    let rx = w.receiver(&[Answer::Status(201)]).await;
    setup(&w, &rx.url("/postpress"), options()).await;
    let test = json!({"eventType": "messaging", "payload": {"test": true}});
    let r =
        w.h.post(
            "/api/v1/app/customer-42/endpoint/wh-1001/test",
            test.clone(),
        )
        .await
        .expect(200);
    assert_eq!(r.json["success"], false, "201 is not postpress's 200");
    assert_eq!(r.json["responseStatusCode"], 201);
    let r =
        w.h.post("/api/v1/app/customer-42/endpoint/wh-1001/test", test)
            .await
            .expect(200);
    assert_eq!(r.json["success"], true);
    assert_eq!(r.json["body"], r#"{"test":true}"#);
    let seen = rx.seen().await;
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[1].header("postpress-auth"), "yoursecretkey");
    // Nothing was queued or recorded.
    let msgs = w.h.get("/api/v1/app/customer-42/msg").await.expect(200);
    assert_eq!(msgs.json["data"], json!([]));
}
