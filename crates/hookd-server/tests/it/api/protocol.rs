//! What every route shares: trailing slashes, body limits, unknown routes, unknown fields, and
//! `Idempotency-Key`.

use axum::http::Method;
use hookd_server::config::ServerConfig;
use serde_json::json;

use crate::common::Harness;

#[tokio::test]
async fn trailing_slashes_are_tolerated() {
    let h = Harness::new().await;
    h.post("/api/v1/app/", json!({"name": "S", "uid": "s"}))
        .await
        .expect(201);
    h.get("/api/v1/app/").await.expect(200);
    h.get("/api/v1/app/s/").await.expect(200);
    h.get("/api/v1/app/s/endpoint/?limit=5").await.expect(200);
}

#[tokio::test]
async fn oversized_bodies_are_413() {
    let h = Harness::with_config(ServerConfig {
        max_body_bytes: 1024,
        ..ServerConfig::default()
    })
    .await;
    h.app("a").await;
    let big = json!({"eventType": "x", "payload": {"blob": "x".repeat(2048)}});
    let r = h.post("/api/v1/app/a/msg", big.clone()).await.expect(413);
    assert_eq!(r.code(), "payload_too_large");
    // Without a Content-Length, the limit still holds while reading.
    let admin = h.admin.clone();
    let req = axum::http::Request::builder()
        .method(Method::POST)
        .uri("/api/v1/app/a/msg")
        .header("authorization", format!("Bearer {admin}"))
        .body(axum::body::Body::from_stream(futures::stream::iter(vec![
            Ok::<_, std::io::Error>(big.to_string().into_bytes()),
        ])))
        .unwrap();
    h.send(req).await.expect(413);
    h.post(
        "/api/v1/app/a/msg",
        json!({"eventType": "x", "payload": {}}),
    )
    .await
    .expect(202);
}

#[tokio::test]
async fn unknown_routes_and_fields() {
    let h = Harness::new().await;
    let r = h.get("/api/v1/nothing-here").await.expect(404);
    assert_eq!(r.code(), "not_found");
    // A field or query parameter hookd does not know is refused with a 422 naming it (Svix
    // ignores them; hookd does not accept what it would not honour), nested ones included.
    let r = h
        .post("/api/v1/app", json!({"name": "N", "futureField": {"x": 1}}))
        .await
        .expect(422);
    assert_eq!(r.json["detail"][0]["loc"], json!(["body", "futureField"]));
    assert_eq!(r.json["detail"][0]["type"], "value_error.unknown");
    let r = h
        .post(
            "/api/v1/app/a/msg",
            json!({"eventType": "x", "payload": {}, "application": {"name": "A", "nmae": "B"}}),
        )
        .await
        .expect(422);
    assert_eq!(
        r.json["detail"][0]["loc"],
        json!(["body", "application", "nmae"])
    );
    let r = h
        .get("/api/v1/app?limit=5&futureFilter=1&lmit=2")
        .await
        .expect(422);
    let locs: Vec<&serde_json::Value> = r.json["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| &d["loc"])
        .collect();
    assert_eq!(
        locs,
        [&json!(["query", "futureFilter"]), &json!(["query", "lmit"])]
    );
    // Known names in their list forms pass.
    h.get("/api/v1/app?limit=5&order=ascending")
        .await
        .expect(200);
}

#[tokio::test]
async fn idempotency_replays_the_first_answer() {
    let h = Harness::new().await;
    h.app("a").await;
    h.endpoint("a", json!({"url": "https://e.com"})).await;
    let admin = h.admin.clone();
    let body = json!({"eventType": "x", "payload": {"n": 1}}).to_string();
    let key = [("idempotency-key", "key-1")];
    let first = h
        .raw(
            Method::POST,
            "/api/v1/app/a/msg",
            Some(&admin),
            Some(&body),
            &key,
        )
        .await
        .expect(202);
    let again = h
        .raw(
            Method::POST,
            "/api/v1/app/a/msg",
            Some(&admin),
            Some(&body),
            &key,
        )
        .await
        .expect(202);
    assert_eq!(first.json, again.json);
    assert_eq!(again.headers.get("idempotent-replayed").unwrap(), "true");
    let list = h.get("/api/v1/app/a/msg").await.expect(200);
    assert_eq!(
        list.json["data"].as_array().unwrap().len(),
        1,
        "no second message"
    );
    assert_eq!(h.attempt_due(200).await.len(), 1, "and no second delivery");

    // The same key with another body is a conflict.
    let other = json!({"eventType": "x", "payload": {"n": 2}}).to_string();
    let r = h
        .raw(
            Method::POST,
            "/api/v1/app/a/msg",
            Some(&admin),
            Some(&other),
            &key,
        )
        .await
        .expect(409);
    assert_eq!(r.code(), "conflict");

    // Keys are scoped by route and by token.
    h.raw(
        Method::POST,
        "/api/v1/app",
        Some(&admin),
        Some(r#"{"name":"k"}"#),
        &key,
    )
    .await
    .expect(201);
    let second_admin = h
        .insert_token(hookd_core::model::TokenScope::Admin, None)
        .await;
    h.raw(
        Method::POST,
        "/api/v1/app/a/msg",
        Some(&second_admin),
        Some(&other),
        &key,
    )
    .await
    .expect(202);

    // Client errors are replayed too; they are answers, not failures worth retrying.
    let bad = r#"{"eventType":"x","payload":[]}"#;
    let k2 = [("idempotency-key", "key-2")];
    h.raw(
        Method::POST,
        "/api/v1/app/a/msg",
        Some(&admin),
        Some(bad),
        &k2,
    )
    .await
    .expect(422);
    let r = h
        .raw(
            Method::POST,
            "/api/v1/app/a/msg",
            Some(&admin),
            Some(bad),
            &k2,
        )
        .await
        .expect(422);
    assert_eq!(r.loc(), vec!["body", "payload"]);

    // Expired records count as absent.
    h.clock.advance(chrono::Duration::hours(25));
    h.raw(
        Method::POST,
        "/api/v1/app/a/msg",
        Some(&admin),
        Some(&other),
        &key,
    )
    .await
    .expect(202);
    let r = h
        .raw(
            Method::POST,
            "/api/v1/app/a/msg",
            Some(&admin),
            Some(&other),
            &[("idempotency-key", &"k".repeat(300))],
        )
        .await;
    r.expect(400);
}
