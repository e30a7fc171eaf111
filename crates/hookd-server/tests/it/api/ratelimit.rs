//! The API's rate limits as a client meets them: 429 in Svix's error shape with a
//! `Retry-After`, per token, per application (however it is addressed), and per client address
//! after repeated failed authentication.

use std::{net::SocketAddr, num::NonZeroU32};

use axum::{
    body::Body,
    extract::ConnectInfo,
    http::{header, Method, Request},
};
use hookd_core::model::TokenScope;
use hookd_server::{config::ServerConfig, ratelimit::RateLimit};
use serde_json::json;

use crate::common::{Harness, Resp};

/// A limit of `n` requests that does not refill during the test (an hour per request), so the
/// counts below are exact however slow the machine.
fn limit(n: u32) -> Option<RateLimit> {
    Some(RateLimit {
        burst: NonZeroU32::new(n).unwrap(),
        refill_every: std::time::Duration::from_secs(3600),
    })
}

/// A server with only the given limits (the others off).
async fn harness(
    per_token: Option<RateLimit>,
    per_app: Option<RateLimit>,
    failures: u32,
) -> Harness {
    Harness::with_config(ServerConfig {
        api_rate_limit_per_token: per_token,
        api_rate_limit_per_app: per_app,
        auth_failures_per_minute: NonZeroU32::new(failures),
        ..ServerConfig::default()
    })
    .await
}

#[track_caller]
fn assert_rate_limited(r: &Resp) {
    assert_eq!(
        r.status.as_u16(),
        429,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    assert_eq!(r.code(), "rate_limited");
    let after: u64 = r.headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .expect("Retry-After in whole seconds");
    assert!((1..=3600).contains(&after), "Retry-After {after}");
}

#[tokio::test]
async fn a_token_over_its_limit_gets_429_with_retry_after() {
    let h = harness(limit(5), None, 0).await;
    for _ in 0..5 {
        h.get("/api/v1/app").await.expect(200);
    }
    let r = h.get("/api/v1/app").await;
    assert_rate_limited(&r);
    // Another token still has its whole budget.
    let other = h.insert_token(TokenScope::Admin, None).await;
    h.call(Method::GET, "/api/v1/app", &other, None)
        .await
        .expect(200);
}

#[tokio::test]
async fn an_application_limit_holds_for_its_id_its_uid_and_every_token() {
    let h = harness(None, limit(4), 0).await;
    let app = h.app("limited").await;
    let other_app = h.app("other").await;
    // `app` creation above went to /api/v1/app, which names no application.
    let portal = h
        .insert_token(
            TokenScope::App(hookd_core::id::AppId::from_trusted(app.clone())),
            None,
        )
        .await;
    h.get(&format!("/api/v1/app/{app}")).await.expect(200);
    h.get("/api/v1/app/limited").await.expect(200);
    h.call(
        Method::GET,
        &format!("/api/v1/app/{app}/endpoint"),
        &portal,
        None,
    )
    .await
    .expect(200);
    h.post(
        &format!("/api/v1/app/{app}/msg"),
        json!({"eventType": "a.b", "payload": {}}),
    )
    .await
    .expect(202);
    let r = h.get("/api/v1/app/limited/endpoint").await;
    assert_rate_limited(&r);
    let r = h
        .call(
            Method::GET,
            &format!("/api/v1/app/{app}/msg"),
            &portal,
            None,
        )
        .await;
    assert_rate_limited(&r);
    // Other applications and routes without an application are not affected.
    h.get(&format!("/api/v1/app/{other_app}")).await.expect(200);
    h.get("/api/v1/app").await.expect(200);
}

/// A request from `addr` with `token`.
fn from(addr: &str, token: &str) -> Request<Body> {
    let mut req = Request::builder()
        .method(Method::GET)
        .uri("/api/v1/app")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let addr: SocketAddr = addr.parse().unwrap();
    req.extensions_mut().insert(ConnectInfo(addr));
    req
}

#[tokio::test]
async fn repeated_failed_authentication_blocks_that_client_only() {
    let h = harness(None, None, 3).await;
    let guesser = "198.51.100.7:40000";
    for _ in 0..3 {
        h.send(from(guesser, "hk_guess")).await.expect(401);
    }
    // The fourth failure spends the budget: refused, and so is everything after it from that
    // address, even with a valid token, so that guessing cannot go on at full speed.
    assert_rate_limited(&h.send(from(guesser, "hk_guess")).await);
    let admin = h.admin.clone();
    assert_rate_limited(&h.send(from(guesser, &admin)).await);
    // Other addresses are unaffected, whatever port the guesser uses is the same address.
    h.send(from("198.51.100.8:40000", &admin)).await.expect(200);
    assert_rate_limited(&h.send(from("198.51.100.7:50000", &admin)).await);
}

#[tokio::test]
async fn successful_requests_do_not_spend_the_failure_budget() {
    let h = harness(None, None, 2).await;
    let admin = h.admin.clone();
    for _ in 0..20 {
        h.send(from("203.0.113.5:1", &admin)).await.expect(200);
    }
    h.send(from("203.0.113.5:1", "hk_typo")).await.expect(401);
}

#[tokio::test]
async fn a_store_outage_suggests_when_to_retry() {
    let (h, flaky) = Harness::with_flaky_queue().await;
    let app = h.app("outage").await;
    flaky.set(crate::common::QueueMode::Unavailable);
    let r = h
        .post(
            &format!("/api/v1/app/{app}/msg"),
            json!({"eventType": "a.b", "payload": {}}),
        )
        .await
        .expect(503);
    assert_eq!(r.code(), "service_unavailable");
    assert!(r.headers.contains_key(header::RETRY_AFTER));
}
