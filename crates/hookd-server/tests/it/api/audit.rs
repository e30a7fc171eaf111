//! The audit log (`/api/v1/hookd/audit`): every change made with a token is recorded (which
//! token, which operation on which object, the answer), newest first; reads are not, nor, by
//! default, publishes; an operator may read it.

use axum::http::Method;
use hookd_server::config::ServerConfig;
use serde_json::json;

use crate::common::Harness;

#[tokio::test]
async fn changes_are_recorded_newest_first_and_reads_are_not() {
    let h = Harness::new().await;
    let app = h.app("acme").await;
    let ep = h
        .endpoint(&app, json!({"url": "https://acme.example/hook"}))
        .await;
    let ep_id = ep["id"].as_str().unwrap();
    h.call(
        Method::PATCH,
        &format!("/api/v1/app/{app}/endpoint/{ep_id}"),
        &h.admin,
        Some(json!({"description": "billing"})),
    )
    .await
    .expect(200);
    // A refused change is recorded too, with its answer.
    h.call(
        Method::POST,
        "/api/v1/app",
        &h.admin,
        Some(json!({"uid": "acme", "name": "again"})),
    )
    .await
    .expect(409);
    h.message(&app, json!({"eventType": "a.b", "payload": {}}))
        .await;
    h.get(&format!("/api/v1/app/{app}/endpoint"))
        .await
        .expect(200);

    let log = h.get("/api/v1/hookd/audit").await.expect(200).json;
    let rows: Vec<(String, String, String, u64)> = log["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["method"].as_str().unwrap().to_owned(),
                e["route"].as_str().unwrap().to_owned(),
                e["path"].as_str().unwrap().to_owned(),
                e["status"].as_u64().unwrap(),
            )
        })
        .collect();
    let route_app = "/api/v1/app".to_owned();
    assert_eq!(
        rows,
        vec![
            ("POST".into(), route_app.clone(), route_app.clone(), 409),
            (
                "PATCH".into(),
                "/api/v1/app/{app_id}/endpoint/{endpoint_id}".into(),
                format!("/api/v1/app/{app}/endpoint/{ep_id}"),
                200
            ),
            (
                "POST".into(),
                "/api/v1/app/{app_id}/endpoint".into(),
                format!("/api/v1/app/{app}/endpoint"),
                201
            ),
            ("POST".into(), route_app.clone(), route_app, 201),
        ],
        "newest first; no publish, no read: {log}"
    );
    let first = &log["data"][0];
    assert!(
        first["tokenId"].as_str().unwrap().starts_with("tok_"),
        "{first}"
    );
    assert!(first["at"].is_string());
    assert!(
        first["client"].is_null(),
        "in process there is no client address"
    );
}

#[tokio::test]
async fn publishes_are_recorded_when_audit_messages_is_on() {
    let h = Harness::with_config(ServerConfig {
        audit_messages: true,
        ..ServerConfig::default()
    })
    .await;
    let app = h.app("acme").await;
    h.message(&app, json!({"eventType": "a.b", "payload": {}}))
        .await;
    let log = h.get("/api/v1/hookd/audit?limit=1").await.expect(200).json;
    assert_eq!(log["data"][0]["route"], "/api/v1/app/{app_id}/msg", "{log}");
    assert_eq!(log["data"][0]["status"], 202);
}

#[tokio::test]
async fn an_operator_reads_the_log() {
    let h = Harness::new().await;
    let made = h
        .call(
            Method::POST,
            "/api/v1/hookd/token",
            &h.admin,
            Some(json!({"name": "ops", "role": "operator"})),
        )
        .await
        .expect(201)
        .json;
    let operator = made["text"].as_str().unwrap();
    let log = h
        .call(Method::GET, "/api/v1/hookd/audit", operator, None)
        .await
        .expect(200)
        .json;
    assert_eq!(log["data"][0]["route"], "/api/v1/hookd/token", "{log}");
    // Its own refused write is on the record as well.
    h.call(
        Method::POST,
        "/api/v1/app",
        operator,
        Some(json!({"name": "x"})),
    )
    .await
    .expect(403);
    let log = h.get("/api/v1/hookd/audit?limit=1").await.json;
    assert_eq!(log["data"][0]["status"], 403, "{log}");
    assert_eq!(log["data"][0]["tokenId"], made["id"]);
}

/// The audit log does not depend on the request log: with request lines off, changes are still
/// recorded.
#[tokio::test]
async fn changes_are_recorded_with_request_lines_off() {
    let h = Harness::with_config(ServerConfig {
        request_log_level: None,
        ..ServerConfig::default()
    })
    .await;
    h.app("acme").await;
    let log = h.get("/api/v1/hookd/audit").await.expect(200).json;
    assert_eq!(log["data"][0]["route"], "/api/v1/app", "{log}");
}
