//! Authentication resource (portal access, logout) and what each kind of token may reach.

use axum::http::Method;
use chrono::Duration;
use hookd_core::{clock::Clock, id::AppId, model::TokenScope};
use serde_json::json;

use crate::common::Harness;

#[tokio::test]
async fn missing_and_invalid_tokens_are_401() {
    let h = Harness::new().await;
    let r = h
        .raw(Method::GET, "/api/v1/app", None, None, &[])
        .await
        .expect(401);
    assert_eq!(r.code(), "authentication_failed");
    let r = h
        .raw(Method::GET, "/api/v1/app", Some("hk_wrong"), None, &[])
        .await
        .expect(401);
    assert_eq!(r.code(), "authentication_failed");
    let admin = h.admin.clone();
    h.raw(
        Method::GET,
        "/api/v1/app",
        None,
        None,
        &[("authorization", &format!("Basic {admin}"))],
    )
    .await
    .expect(401);
    h.raw(
        Method::GET,
        "/api/v1/app",
        None,
        None,
        &[("authorization", &format!("bearer {admin}"))],
    )
    .await
    .expect(200);
    let expired = h
        .insert_token(
            TokenScope::Admin,
            Some(h.clock.now() + Duration::seconds(10)),
        )
        .await;
    h.call(Method::GET, "/api/v1/app", &expired, None)
        .await
        .expect(200);
    h.advance_ms(10_000);
    h.call(Method::GET, "/api/v1/app", &expired, None)
        .await
        .expect(401);
}

#[tokio::test]
async fn portal_access_mints_an_app_scoped_token() {
    let h = Harness::new().await;
    h.app("mine").await;
    h.app("theirs").await;
    h.event_type("user.signup").await;
    let r = h
        .post(
            "/api/v1/auth/app-portal-access/mine",
            json!({"featureFlags": []}),
        )
        .await
        .expect(200);
    let token = r.json["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("appsk_"));
    assert_eq!(
        r.json["url"],
        format!("http://127.0.0.1:8071/portal#key={token}")
    );

    // Its own application works, by uid and id, for reads and writes.
    let own = h
        .call(Method::GET, "/api/v1/app/mine", &token, None)
        .await
        .expect(200);
    let own_id = own.json["id"].as_str().unwrap().to_owned();
    h.call(
        Method::GET,
        &format!("/api/v1/app/{own_id}/endpoint"),
        &token,
        None,
    )
    .await
    .expect(200);
    h.call(
        Method::POST,
        "/api/v1/app/mine/endpoint",
        &token,
        Some(json!({"url": "https://e.com", "eventTypes": ["user.signup"]})),
    )
    .await
    .expect(201);
    h.call(
        Method::POST,
        "/api/v1/app/mine/msg",
        &token,
        Some(json!({"eventType": "x", "payload": {}})),
    )
    .await
    .expect(202);
    // The catalogue is readable, not writable.
    h.call(Method::GET, "/api/v1/event-type", &token, None)
        .await
        .expect(200);
    h.call(Method::GET, "/api/v1/event-type/user.signup", &token, None)
        .await
        .expect(200);
    let r = h
        .call(
            Method::POST,
            "/api/v1/event-type",
            &token,
            Some(json!({"name": "n", "description": "d"})),
        )
        .await
        .expect(403);
    assert_eq!(r.code(), "insufficient_access");
    h.call(
        Method::DELETE,
        "/api/v1/event-type/user.signup",
        &token,
        None,
    )
    .await
    .expect(403);

    // Other applications, unknown ones and admin-only routes are refused.
    h.call(Method::GET, "/api/v1/app/theirs", &token, None)
        .await
        .expect(403);
    h.call(Method::GET, "/api/v1/app/theirs/msg", &token, None)
        .await
        .expect(403);
    h.call(Method::GET, "/api/v1/app/unknown", &token, None)
        .await
        .expect(403);
    h.call(Method::GET, "/api/v1/app", &token, None)
        .await
        .expect(403);
    h.call(Method::DELETE, "/api/v1/app/mine", &token, None)
        .await
        .expect(403);
    h.call(
        Method::PATCH,
        "/api/v1/app/mine",
        &token,
        Some(json!({"name": "x"})),
    )
    .await
    .expect(403);
    h.call(
        Method::POST,
        "/api/v1/app",
        &token,
        Some(json!({"name": "x"})),
    )
    .await
    .expect(403);
    h.call(
        Method::POST,
        "/api/v1/auth/app-portal-access/mine",
        &token,
        Some(json!({})),
    )
    .await
    .expect(403);

    // The token expires after the configured lifetime.
    let stored = h
        .store()
        .token_by_hash(&hookd_core::token::hash_text(&token))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.scope, TokenScope::App(AppId::from_trusted(own_id)));
    assert_eq!(stored.expires_at, Some(h.clock.now() + Duration::days(7)));
    h.clock.advance(Duration::days(7));
    h.call(Method::GET, "/api/v1/app/mine", &token, None)
        .await
        .expect(401);
}

#[tokio::test]
async fn portal_access_can_create_the_application() {
    let h = Harness::new().await;
    h.post("/api/v1/auth/app-portal-access/nope", json!({}))
        .await
        .expect(404);
    let admin = h.admin.clone();
    h.raw(
        Method::POST,
        "/api/v1/auth/app-portal-access/nope",
        Some(&admin),
        None,
        &[],
    )
    .await
    .expect(404);
    let r = h
        .post(
            "/api/v1/auth/app-portal-access/fresh",
            json!({"application": {"name": "Fresh", "uid": "fresh"}}),
        )
        .await
        .expect(200);
    let token = r.json["token"].as_str().unwrap().to_owned();
    h.call(Method::GET, "/api/v1/app/fresh", &token, None)
        .await
        .expect(200);
    let r = h
        .post(
            "/api/v1/auth/app-portal-access/x",
            json!({"application": {"name": "X", "uid": "y"}}),
        )
        .await
        .expect(422);
    assert_eq!(r.loc(), vec!["body", "application", "uid"]);
}

#[tokio::test]
async fn logout_revokes_the_app_token() {
    let h = Harness::new().await;
    h.app("mine").await;
    let r = h
        .post("/api/v1/auth/app-portal-access/mine", json!({}))
        .await
        .expect(200);
    let token = r.json["token"].as_str().unwrap().to_owned();
    h.call(Method::POST, "/api/v1/auth/logout", &token, None)
        .await
        .expect(204);
    h.call(Method::GET, "/api/v1/app/mine", &token, None)
        .await
        .expect(401);
    h.call(Method::POST, "/api/v1/auth/logout", &token, None)
        .await
        .expect(401);
    // Admin tokens are not logged out through the API.
    let admin = h.admin.clone();
    let r = h
        .call(Method::POST, "/api/v1/auth/logout", &admin, None)
        .await
        .expect(403);
    assert_eq!(r.code(), "insufficient_access");
    h.get("/api/v1/app").await.expect(200);
}
