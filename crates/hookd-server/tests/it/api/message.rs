//! Messages: create (raw payloads, eventId, channels, implicit application), get by id or
//! eventId, list with filters and pagination, expunge content.

use axum::http::Method;
use serde_json::json;

use crate::common::Harness;

#[tokio::test]
async fn create_keeps_the_payload_text_exactly() {
    let h = Harness::new().await;
    h.app("a").await;
    h.endpoint("a", json!({"url": "https://e.com"})).await;
    let admin = h.admin.clone();
    // Key order, spacing and number formatting must survive untouched.
    let body = r#"{"eventType":"user.signup","payload":{"b": 1.50, "a":[1,2]  },"eventId":"evt-1","channels":["c1"]}"#;
    let r = h
        .raw(
            Method::POST,
            "/api/v1/app/a/msg",
            Some(&admin),
            Some(body),
            &[],
        )
        .await
        .expect(202);
    let text = String::from_utf8_lossy(&r.body).into_owned();
    assert!(
        text.contains(r#""payload":{"b": 1.50, "a":[1,2]  }"#),
        "{text}"
    );
    assert_eq!(r.json["eventId"], "evt-1");
    assert_eq!(r.json["channels"], json!(["c1"]));
    assert_eq!(r.json["timestamp"], "2026-01-01T00:00:00.000Z");
    let id = r.json["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("msg_"));

    let stored = h
        .store()
        .get_message(
            &hookd_core::id::AppId::from_trusted(
                h.get("/api/v1/app/a").await.json["id"].as_str().unwrap(),
            ),
            &id,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.payload.as_deref(),
        Some(r#"{"b": 1.50, "a":[1,2]  }"#)
    );

    // By id and by eventId.
    let by_id = h.get(&format!("/api/v1/app/a/msg/{id}")).await.expect(200);
    let by_event = h.get("/api/v1/app/a/msg/evt-1").await.expect(200);
    assert_eq!(by_id.json, by_event.json);
    let r = h
        .get("/api/v1/app/a/msg/evt-1?with_content=false")
        .await
        .expect(200);
    assert_eq!(r.json["payload"], json!({}));

    // The delivery was created with the message.
    assert_eq!(h.attempt_due(200).await.len(), 1);

    let r = h
        .raw(
            Method::POST,
            "/api/v1/app/a/msg",
            Some(&admin),
            Some(body),
            &[],
        )
        .await
        .expect(409);
    assert_eq!(r.code(), "conflict");
}

#[tokio::test]
async fn validation() {
    let h = Harness::new().await;
    h.app("a").await;
    for (body, loc) in [
        (
            json!({"eventType": "x", "payload": [1]}),
            vec!["body", "payload"],
        ),
        (
            json!({"eventType": "x", "payload": "text"}),
            vec!["body", "payload"],
        ),
        (
            json!({"eventType": "x", "payload": 3}),
            vec!["body", "payload"],
        ),
        (
            json!({"eventType": "bad type", "payload": {}}),
            vec!["body", "eventType"],
        ),
        (
            json!({"eventType": "x", "payload": {}, "eventId": "e".repeat(257)}),
            vec!["body", "eventId"],
        ),
        (
            json!({"eventType": "x", "payload": {}, "channels": ["1","2","3","4","5","6"]}),
            vec!["body", "channels"],
        ),
        (
            json!({"eventType": "x", "payload": {}, "channels": []}),
            vec!["body", "channels"],
        ),
        (
            json!({"eventType": "x", "payload": {}, "payloadRetentionPeriod": 4}),
            vec!["body", "payloadRetentionPeriod"],
        ),
        (
            json!({"eventType": "x", "payload": {}, "payloadRetentionPeriod": 91}),
            vec!["body", "payloadRetentionPeriod"],
        ),
        (json!({"eventType": "x"}), vec!["body", "payload"]),
        (
            json!({"eventType": 1, "payload": {}}),
            vec!["body", "eventType"],
        ),
    ] {
        let r = h.post("/api/v1/app/a/msg", body.clone()).await.expect(422);
        assert_eq!(r.loc(), loc, "for {body}");
    }
    for days in [5, 90] {
        h.post(
            "/api/v1/app/a/msg",
            json!({"eventType": "x", "payload": {}, "payloadRetentionPeriod": days}),
        )
        .await
        .expect(202);
    }
    // The older name `data` for the payload.
    let r = h
        .post(
            "/api/v1/app/a/msg",
            json!({"eventType": "x", "data": {"d": 1}}),
        )
        .await
        .expect(202);
    assert_eq!(r.json["payload"], json!({"d": 1}));
    let r = h
        .post(
            "/api/v1/app/a/msg?with_content=false",
            json!({"eventType": "x", "payload": {"d": 1}}),
        )
        .await
        .expect(202);
    assert_eq!(r.json["payload"], json!({}));
    h.post(
        "/api/v1/app/nope/msg",
        json!({"eventType": "x", "payload": {}}),
    )
    .await
    .expect(404);
    h.get("/api/v1/app/a/msg/msg_unknown").await.expect(404);
    h.get("/api/v1/app/nope/msg").await.expect(404);
}

#[tokio::test]
async fn the_application_field_creates_the_app() {
    let h = Harness::new().await;
    let r = h
        .post("/api/v1/app/new-app/msg",
              json!({"eventType": "x", "payload": {}, "application": {"name": "New", "uid": "new-app"}}))
        .await
        .expect(202);
    assert!(r.json["id"].as_str().unwrap().starts_with("msg_"));
    let app = h.get("/api/v1/app/new-app").await.expect(200);
    assert_eq!(app.json["name"], "New");
    // Ignored when the application exists.
    h.post("/api/v1/app/new-app/msg",
           json!({"eventType": "x", "payload": {}, "application": {"name": "Other", "uid": "new-app"}}))
        .await
        .expect(202);
    assert_eq!(h.get("/api/v1/app/new-app").await.json["name"], "New");
    let r = h
        .post("/api/v1/app/third/msg",
              json!({"eventType": "x", "payload": {}, "application": {"name": "T", "uid": "mismatch"}}))
        .await
        .expect(422);
    assert_eq!(r.loc(), vec!["body", "application", "uid"]);
    let r = h
        .post(
            "/api/v1/app/third/msg",
            json!({"eventType": "x", "payload": {}, "application": {"name": ""}}),
        )
        .await
        .expect(422);
    assert_eq!(r.loc(), vec!["body", "application", "name"]);
}

#[tokio::test]
async fn list_filters_and_paginates_newest_first() {
    let h = Harness::new().await;
    h.app("a").await;
    let mut ids = Vec::new();
    for (i, (et, ch)) in [("a.x", "c1"), ("a.y", "c2"), ("a.z", "c1"), ("a.x", "c2")]
        .iter()
        .enumerate()
    {
        let m = h
            .message(
                "a",
                json!({"eventType": et, "payload": {"i": i}, "channels": [ch]}),
            )
            .await;
        ids.push(m["id"].as_str().unwrap().to_owned());
        h.advance_ms(1000);
    }
    let r = h.get("/api/v1/app/a/msg").await.expect(200);
    let got: Vec<_> = r.json["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect();
    let mut newest_first = ids.clone();
    newest_first.reverse();
    assert_eq!(got, newest_first);
    assert_eq!(r.json["data"][0]["payload"], json!({"i": 3}));

    let r = h
        .get("/api/v1/app/a/msg?event_types=a.x&event_types=a.z")
        .await
        .expect(200);
    assert_eq!(r.json["data"].as_array().unwrap().len(), 3);
    let r = h
        .get("/api/v1/app/a/msg?event_types=a.x,a.y")
        .await
        .expect(200);
    assert_eq!(r.json["data"].as_array().unwrap().len(), 3);
    let r = h.get("/api/v1/app/a/msg?channel=c1").await.expect(200);
    assert_eq!(r.json["data"].as_array().unwrap().len(), 2);
    let r = h
        .get("/api/v1/app/a/msg?with_content=false")
        .await
        .expect(200);
    assert_eq!(r.json["data"][0]["payload"], json!({}));
    let r = h
        .get("/api/v1/app/a/msg?after=2026-01-01T00:00:01.500Z")
        .await
        .expect(200);
    assert_eq!(r.json["data"].as_array().unwrap().len(), 2);
    let r = h
        .get("/api/v1/app/a/msg?before=2026-01-01T00:00:01.500Z")
        .await
        .expect(200);
    assert_eq!(r.json["data"].as_array().unwrap().len(), 2);
    let r = h
        .get("/api/v1/app/a/msg?after=2026-01-01T00:00:01.5%2B00:00")
        .await
        .expect(200);
    assert_eq!(r.json["data"].as_array().unwrap().len(), 2);
    h.get("/api/v1/app/a/msg?after=notatime").await.expect(422);
    let r = h
        .get("/api/v1/app/a/msg?channel=bad%20channel")
        .await
        .expect(422);
    assert_eq!(r.loc(), vec!["query", "channel"]);
    h.get("/api/v1/app/a/msg?event_types=bad%20type")
        .await
        .expect(422);

    // Pages of two: forward to the end, then back.
    let r1 = h.get("/api/v1/app/a/msg?limit=2").await.expect(200);
    assert_eq!(r1.json["done"], false);
    let it = r1.json["iterator"].as_str().unwrap();
    let r2 = h
        .get(&format!("/api/v1/app/a/msg?limit=2&iterator={it}"))
        .await
        .expect(200);
    assert_eq!(r2.json["data"][1]["id"], ids[0].as_str());
    assert_eq!(r2.json["done"], true);
    let prev = r2.json["prevIterator"].as_str().unwrap();
    let back = h
        .get(&format!("/api/v1/app/a/msg?limit=2&iterator={prev}"))
        .await
        .expect(200);
    assert_eq!(back.json["data"], r1.json["data"]);
}

#[tokio::test]
async fn expunge_removes_the_payload() {
    let h = Harness::new().await;
    h.app("a").await;
    let m = h
        .message(
            "a",
            json!({"eventType": "x", "payload": {"secret": 1}, "eventId": "e1"}),
        )
        .await;
    let id = m["id"].as_str().unwrap();
    h.delete("/api/v1/app/a/msg/e1/content").await.expect(204);
    let r = h.get(&format!("/api/v1/app/a/msg/{id}")).await.expect(200);
    assert_eq!(r.json["payload"], json!({"expired": true}));
    h.delete("/api/v1/app/a/msg/msg_nope/content")
        .await
        .expect(404);
}
