//! Message attempts: lists by endpoint and by message, one attempt, the request it recorded,
//! expunge, attempted destinations, attempted messages, resend.

use hookd_core::model::{SentBody, SentRequest, MASKED};
use serde_json::json;

use crate::common::Harness;

/// An app `a` with endpoints `e1` and `e2`, and one message (eventId `m1`) delivered to both
/// with a 200. Returns the harness, the message id and one attempt id.
async fn setup() -> (Harness, String, String) {
    let h = Harness::new().await;
    h.app("a").await;
    h.endpoint("a", json!({"url": "https://e.com/1", "uid": "e1"}))
        .await;
    h.advance_ms(1);
    h.endpoint("a", json!({"url": "https://e.com/2", "uid": "e2"}))
        .await;
    let m = h
        .message(
            "a",
            json!({"eventType": "x.y", "payload": {"v": 1}, "eventId": "m1", "channels": ["c"]}),
        )
        .await;
    let attempts = h.attempt_due(200).await;
    assert_eq!(attempts.len(), 2);
    (
        h,
        m["id"].as_str().unwrap().to_owned(),
        attempts[0].id.to_string(),
    )
}

#[tokio::test]
async fn lists_by_endpoint_and_by_message() {
    let (h, msg_id, _) = setup().await;
    let r = h.get("/api/v1/app/a/attempt/endpoint/e1").await.expect(200);
    let data = r.json["data"].as_array().unwrap();
    assert_eq!(data.len(), 1);
    let a = &data[0];
    assert!(a["id"].as_str().unwrap().starts_with("atmpt_"));
    assert_eq!(a["msgId"], msg_id.as_str());
    assert_eq!(a["status"], 0);
    assert_eq!(a["statusText"], "success");
    assert_eq!(a["responseStatusCode"], 200);
    assert_eq!(a["response"], "{\"answer\":200}");
    assert_eq!(a["triggerType"], 0);
    assert_eq!(a["url"], "https://e.com/1");
    assert_eq!(a["responseDurationMs"], 12);

    let r = h
        .get("/api/v1/app/a/attempt/endpoint/e1?with_content=false")
        .await
        .expect(200);
    assert_eq!(r.json["data"][0]["response"], "{}");
    let r = h
        .get("/api/v1/app/a/attempt/endpoint/e1?status=2")
        .await
        .expect(200);
    assert!(r.json["data"].as_array().unwrap().is_empty());
    let r = h
        .get("/api/v1/app/a/attempt/endpoint/e1?status_code_class=200&event_types=x.y&channel=c")
        .await
        .expect(200);
    assert_eq!(r.json["data"].as_array().unwrap().len(), 1);
    let r = h
        .get("/api/v1/app/a/attempt/endpoint/e1?status_code_class=400")
        .await
        .expect(200);
    assert!(r.json["data"].as_array().unwrap().is_empty());
    h.get("/api/v1/app/a/attempt/endpoint/e1?status=9")
        .await
        .expect(422);
    h.get("/api/v1/app/a/attempt/endpoint/e1?status_code_class=250")
        .await
        .expect(422);
    h.get("/api/v1/app/a/attempt/endpoint/zzz")
        .await
        .expect(404);

    let r = h.get("/api/v1/app/a/attempt/msg/m1").await.expect(200);
    assert_eq!(r.json["data"].as_array().unwrap().len(), 2);
    let r = h
        .get(&format!(
            "/api/v1/app/a/attempt/msg/{msg_id}?endpoint_id=e2"
        ))
        .await
        .expect(200);
    let data = r.json["data"].as_array().unwrap();
    assert_eq!(data.len(), 1);
    assert_eq!(data[0]["url"], "https://e.com/2");
    h.get("/api/v1/app/a/attempt/msg/m1?endpoint_id=zzz")
        .await
        .expect(404);
    h.get("/api/v1/app/a/attempt/msg/zzz").await.expect(404);
}

#[tokio::test]
async fn pagination_of_attempts() {
    let h = Harness::new().await;
    h.app("a").await;
    h.endpoint("a", json!({"url": "https://e.com", "uid": "e"}))
        .await;
    for i in 0..3 {
        h.message("a", json!({"eventType": "x", "payload": {"i": i}}))
            .await;
        h.attempt_due(500).await;
        h.advance_ms(100);
    }
    let r1 = h
        .get("/api/v1/app/a/attempt/endpoint/e?limit=2")
        .await
        .expect(200);
    assert_eq!(r1.json["done"], false);
    assert_eq!(r1.json["data"][0]["status"], 2);
    let it = r1.json["iterator"].as_str().unwrap();
    let r2 = h
        .get(&format!(
            "/api/v1/app/a/attempt/endpoint/e?limit=2&iterator={it}"
        ))
        .await
        .expect(200);
    assert_eq!(r2.json["data"].as_array().unwrap().len(), 1);
    assert_eq!(r2.json["done"], true);
    let prev = r2.json["prevIterator"].as_str().unwrap();
    let back = h
        .get(&format!(
            "/api/v1/app/a/attempt/endpoint/e?limit=2&iterator={prev}"
        ))
        .await
        .expect(200);
    assert_eq!(back.json["data"], r1.json["data"]);
}

#[tokio::test]
async fn get_and_expunge_one_attempt() {
    let (h, msg_id, attempt_id) = setup().await;
    let r = h
        .get(&format!("/api/v1/app/a/msg/{msg_id}/attempt/{attempt_id}"))
        .await
        .expect(200);
    assert_eq!(r.json["id"], attempt_id.as_str());
    h.delete(&format!(
        "/api/v1/app/a/msg/m1/attempt/{attempt_id}/content"
    ))
    .await
    .expect(204);
    let r = h
        .get(&format!("/api/v1/app/a/msg/m1/attempt/{attempt_id}"))
        .await
        .expect(200);
    assert_eq!(r.json["response"], "EXPUNGED");
    h.get("/api/v1/app/a/msg/m1/attempt/atmpt_nope")
        .await
        .expect(404);
    h.delete("/api/v1/app/a/msg/m1/attempt/atmpt_nope/content")
        .await
        .expect(404);
    h.get(&format!("/api/v1/app/a/msg/msg_nope/attempt/{attempt_id}"))
        .await
        .expect(404);
}

/// `…/attempt/{id}/request` answers the recorded headers and the body: the payload when the
/// body was the payload, the recorded text otherwise (saying when it was cut), nothing once
/// the attempt or the message is expunged, and `recorded: false` without a record.
#[tokio::test]
async fn the_request_an_attempt_recorded() {
    let h = Harness::new().await;
    h.app("a").await;
    h.endpoint("a", json!({"url": "https://e.com/1", "uid": "e1"}))
        .await;
    let request = |body: SentBody| {
        move |_: &hookd_core::store::Claimed| {
            Some(SentRequest {
                headers: vec![
                    ("content-type".into(), "application/json".into()),
                    ("authorization".into(), MASKED.into()),
                ],
                body: body.clone(),
            })
        }
    };
    let mut ids = Vec::new();
    for (event_id, body) in [
        ("plain", SentBody::Payload),
        ("enveloped", SentBody::of(r#"{"data":{"v":1}}"#, None, 100)),
        ("long", SentBody::of(r#"{"data":{"v":1}}"#, None, 8)),
    ] {
        h.advance_ms(1);
        h.message(
            "a",
            json!({"eventType": "x.y", "payload": {"v": 1}, "eventId": event_id}),
        )
        .await;
        let attempt = h.attempt_due_sending(200, request(body)).await.remove(0);
        ids.push((event_id, attempt.id.to_string()));
    }
    h.advance_ms(1);
    h.message(
        "a",
        json!({"eventType": "x.y", "payload": {}, "eventId": "old"}),
    )
    .await;
    let unrecorded = h.attempt_due(200).await.remove(0).id.to_string();
    let hr = &h;
    let get = |msg: &str, attempt: &str| {
        let path = format!("/api/v1/app/a/msg/{msg}/attempt/{attempt}/request");
        async move { hr.get(&path).await.expect(200).json }
    };

    let plain = get(ids[0].0, &ids[0].1).await;
    assert_eq!(plain["recorded"], true);
    assert_eq!(plain["method"], "POST");
    assert_eq!(plain["url"], "https://e.com/1");
    assert_eq!(
        plain["headers"],
        json!([
            {"name": "content-type", "value": "application/json"},
            {"name": "authorization", "value": MASKED}
        ])
    );
    assert_eq!(plain["body"], r#"{"v":1}"#, "the payload as stored");
    assert_eq!(plain["bodyTruncated"], false);
    assert_eq!(plain["bodyNote"], json!(null));
    let enveloped = get(ids[1].0, &ids[1].1).await;
    assert_eq!(enveloped["body"], r#"{"data":{"v":1}}"#);
    assert_eq!(enveloped["bodyTruncated"], false);
    let long = get(ids[2].0, &ids[2].1).await;
    assert_eq!(long["body"], r#"{"data":"#);
    assert_eq!(long["bodyTruncated"], true);
    assert!(long["bodyNote"].as_str().unwrap().contains("first 8 bytes"));
    let old = get("old", &unrecorded).await;
    assert_eq!(old["recorded"], false);
    assert_eq!(old["headers"], json!([]));

    // Expunging the attempt removes the body it showed from the payload; expunging a message
    // removes the body recorded from its payload. The headers stay.
    h.delete(&format!(
        "/api/v1/app/a/msg/plain/attempt/{}/content",
        ids[0].1
    ))
    .await
    .expect(204);
    let plain = get(ids[0].0, &ids[0].1).await;
    assert_eq!(plain["body"], json!(null));
    assert!(plain["bodyNote"].as_str().unwrap().contains("removed"));
    assert_eq!(plain["headers"].as_array().unwrap().len(), 2);
    h.delete("/api/v1/app/a/msg/enveloped/content")
        .await
        .expect(204);
    let enveloped = get(ids[1].0, &ids[1].1).await;
    assert_eq!(enveloped["body"], json!(null));
    assert_eq!(enveloped["headers"].as_array().unwrap().len(), 2);
    let long = get(ids[2].0, &ids[2].1).await;
    assert_eq!(
        long["body"], r#"{"data":"#,
        "another message's record is untouched"
    );
    h.get(&format!(
        "/api/v1/app/a/msg/long/attempt/{}/request",
        ids[0].1
    ))
    .await
    .expect(404);
}

#[tokio::test]
async fn attempted_destinations_and_messages() {
    let (h, msg_id, _) = setup().await;
    let r = h
        .get(&format!("/api/v1/app/a/msg/{msg_id}/endpoint"))
        .await
        .expect(200);
    let data = r.json["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    assert_eq!(data[0]["uid"], "e1", "by endpoint id");
    assert_eq!(data[0]["status"], 0);
    assert_eq!(data[0]["statusText"], "success");
    assert_eq!(data[0]["version"], 1);
    assert_eq!(data[0]["nextAttempt"], serde_json::Value::Null);
    let r = h
        .get(&format!("/api/v1/app/a/msg/{msg_id}/endpoint?limit=1"))
        .await
        .expect(200);
    assert_eq!(r.json["done"], false);
    h.get("/api/v1/app/a/msg/zzz/endpoint").await.expect(404);

    // A second message that is still pending at e1.
    h.advance_ms(10);
    h.message("a", json!({"eventType": "x.z", "payload": {"v": 2}}))
        .await;
    let r = h.get("/api/v1/app/a/endpoint/e1/msg").await.expect(200);
    let data = r.json["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    assert_eq!(data[0]["eventType"], "x.z", "newest first");
    assert_eq!(data[0]["status"], 1);
    assert_eq!(data[0]["statusText"], "pending");
    assert_eq!(data[0]["nextAttempt"], "2026-01-01T00:00:00.011Z");
    assert_eq!(data[0]["payload"], json!({"v": 2}));
    assert_eq!(data[1]["status"], 0);
    assert!(data[1].get("nextAttempt").is_none());
    let r = h
        .get("/api/v1/app/a/endpoint/e1/msg?status=0&with_content=false")
        .await
        .expect(200);
    let data = r.json["data"].as_array().unwrap();
    assert_eq!(data.len(), 1);
    assert_eq!(data[0]["payload"], json!({}));
    let r = h
        .get("/api/v1/app/a/endpoint/e1/msg?event_types=x.y")
        .await
        .expect(200);
    assert_eq!(r.json["data"].as_array().unwrap().len(), 1);
    h.get("/api/v1/app/a/endpoint/zzz/msg").await.expect(404);
}

#[tokio::test]
async fn resend_makes_a_manual_attempt_due() {
    let (h, msg_id, _) = setup().await;
    h.advance_ms(1000);
    let r = h
        .post(
            &format!("/api/v1/app/a/msg/{msg_id}/endpoint/e1/resend"),
            json!({}),
        )
        .await
        .expect(202);
    assert_eq!(r.json, json!({}));
    let attempts = h.attempt_due(200).await;
    assert_eq!(attempts.len(), 1);
    assert_eq!(
        attempts[0].trigger_type,
        hookd_core::delivery::TriggerType::Manual
    );

    h.post("/api/v1/app/a/msg/zzz/endpoint/e1/resend", json!({}))
        .await
        .expect(404);
    h.post("/api/v1/app/a/msg/m1/endpoint/zzz/resend", json!({}))
        .await
        .expect(404);
    h.delete("/api/v1/app/a/msg/m1/content").await.expect(204);
    let r = h
        .post("/api/v1/app/a/msg/m1/endpoint/e1/resend", json!({}))
        .await
        .expect(400);
    assert_eq!(r.code(), "missing_payload");
}
