//! Minting portal tokens with Svix's `AppPortalAccessIn` (expiry, the 422s of every field),
//! expiring them with `expire-all`, the deprecated `dashboard-access`, and event types hidden
//! behind feature flags (in the catalogue and as endpoint filters). What each scope may reach
//! is `portal_scope`'s.

use axum::http::Method;
use chrono::Duration;
use hookd_core::clock::Clock;
use serde_json::{json, Value};

use crate::common::Harness;

async fn mint(h: &Harness, app: &str, body: Value) -> String {
    let r = h
        .post(&format!("/api/v1/auth/app-portal-access/{app}"), body)
        .await
        .expect(200);
    r.json["token"].as_str().unwrap().to_owned()
}

async fn works(h: &Harness, token: &str) -> bool {
    let r = h.call(Method::GET, "/api/v1/app/a", token, None).await;
    match r.status.as_u16() {
        200 => true,
        401 => false,
        other => panic!("unexpected {other}"),
    }
}

#[tokio::test]
async fn expiry_is_bounded_and_honoured() {
    let h = Harness::new().await;
    h.app("a").await;
    let hour = mint(&h, "a", json!({"expiry": 3600})).await;
    let default = mint(&h, "a", json!({"expiry": null})).await;
    h.advance_ms(3_599_000);
    assert!(works(&h, &hour).await);
    h.advance_ms(1_000);
    assert!(!works(&h, &hour).await, "gone after its hour");
    h.clock
        .advance(Duration::days(7) - Duration::hours(1) - Duration::seconds(1));
    assert!(works(&h, &default).await);
    h.advance_ms(1_000);
    assert!(
        !works(&h, &default).await,
        "gone after Svix's default of 7 days"
    );

    for expiry in [json!(3599), json!(604_801), json!(0), json!(-1)] {
        let r = h
            .post(
                "/api/v1/auth/app-portal-access/a",
                json!({ "expiry": expiry }),
            )
            .await
            .expect(422);
        assert_eq!(r.loc(), vec!["body", "expiry"], "{expiry}");
    }
}

#[tokio::test]
async fn every_scope_field_is_checked() {
    let h = Harness::new().await;
    h.app("a").await;
    let too_many: Vec<String> = (0..26).map(|i| format!("f{i}")).collect();
    for (body, loc) in [
        (
            json!({"capabilities": ["ViewBase", "Nope"]}),
            "capabilities",
        ),
        (json!({"capabilities": ["viewbase"]}), "capabilities"),
        (
            json!({"capabilities": ["ViewEndpointSecret"]}),
            "capabilities",
        ),
        (json!({"capabilities": []}), "capabilities"),
        (json!({"sessionId": "has space"}), "sessionId"),
        (json!({"sessionId": ""}), "sessionId"),
        (json!({"sessionId": "x".repeat(65)}), "sessionId"),
        (json!({"featureFlags": too_many}), "featureFlags"),
        (json!({"featureFlags": ["no spaces"]}), "featureFlags"),
    ] {
        let r = h
            .post("/api/v1/auth/app-portal-access/a", body.clone())
            .await
            .expect(422);
        assert_eq!(r.loc(), vec!["body", loc], "{body}");
    }
    // Nothing was minted by a refused request: only valid bodies store tokens.
    let ok = mint(
        &h,
        "a",
        json!({"capabilities": ["ViewBase"], "sessionId": "user@1_a-b", "featureFlags": ["f.1"]}),
    )
    .await;
    let stored = h
        .store()
        .token_by_hash(&hookd_core::token::hash_text(&ok))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.portal.session_id.as_deref(), Some("user@1_a-b"));
    assert_eq!(
        stored.portal.capabilities,
        Some([hookd_core::portal::Capability::ViewBase].into())
    );
    // A list of flags is a set, as Svix's lists are: a repeat is one flag, not an error.
    h.post(
        "/api/v1/auth/app-portal-access/a",
        json!({"featureFlags": ["a", "a"]}),
    )
    .await
    .expect(200);
}

#[tokio::test]
async fn expire_all_ends_the_sessions_it_names_after_its_delay() {
    let h = Harness::new().await;
    h.app("a").await;
    h.app("b").await;
    let s1 = mint(&h, "a", json!({"sessionId": "s1"})).await;
    let s2 = mint(&h, "a", json!({"sessionId": "s2"})).await;
    let plain = mint(&h, "a", json!({})).await;
    let other_app = mint(&h, "b", json!({"sessionId": "s1"})).await;

    h.post(
        "/api/v1/auth/app/a/expire-all",
        json!({"expiry": 60, "sessionIds": ["s1"]}),
    )
    .await
    .expect(204);
    h.advance_ms(59_000);
    assert!(works(&h, &s1).await, "still within the delay");
    h.advance_ms(1_000);
    assert!(!works(&h, &s1).await, "s1 expired");
    assert!(works(&h, &s2).await);
    assert!(works(&h, &plain).await);

    // Without a body, every token of the application expires at once; other applications'
    // tokens are untouched.
    let admin = h.admin.clone();
    h.raw(
        Method::POST,
        "/api/v1/auth/app/a/expire-all",
        Some(&admin),
        None,
        &[],
    )
    .await
    .expect(204);
    assert!(!works(&h, &s2).await);
    assert!(!works(&h, &plain).await);
    h.call(Method::GET, "/api/v1/app/b", &other_app, None)
        .await
        .expect(200);

    // A later expire-all never revives or lengthens a token: s1's expiry stays in the past.
    h.post("/api/v1/auth/app/a/expire-all", json!({"expiry": 3600}))
        .await
        .expect(204);
    assert!(!works(&h, &s1).await);
    let fresh = mint(&h, "a", json!({})).await;
    h.post("/api/v1/auth/app/a/expire-all", json!({"expiry": 3600}))
        .await
        .expect(204);
    let stored = h
        .store()
        .token_by_hash(&hookd_core::token::hash_text(&fresh))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.expires_at, Some(h.clock.now() + Duration::hours(1)));

    for (body, loc) in [
        (json!({"expiry": -1}), "expiry"),
        (json!({"expiry": 259_201}), "expiry"),
        (json!({"sessionIds": ["bad id"]}), "sessionIds"),
    ] {
        let r = h
            .post("/api/v1/auth/app/a/expire-all", body.clone())
            .await
            .expect(422);
        assert_eq!(r.loc(), vec!["body", loc], "{body}");
    }
    h.post("/api/v1/auth/app/nothing/expire-all", json!({}))
        .await
        .expect(404);
    // Only the operator expires tokens.
    let tenant = mint(&h, "b", json!({})).await;
    let r = h
        .call(
            Method::POST,
            "/api/v1/auth/app/b/expire-all",
            &tenant,
            Some(json!({})),
        )
        .await
        .expect(403);
    assert_eq!(r.code(), "insufficient_access");
}

#[tokio::test]
async fn dashboard_access_mints_a_default_portal_token() {
    let h = Harness::new().await;
    h.app("a").await;
    let admin = h.admin.clone();
    let r = h
        .raw(
            Method::POST,
            "/api/v1/auth/dashboard-access/a",
            Some(&admin),
            None,
            &[],
        )
        .await
        .expect(200);
    let token = r.json["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("appsk_"));
    assert_eq!(
        r.json["url"],
        format!("http://127.0.0.1:8071/portal#key={token}")
    );
    assert!(works(&h, &token).await);
    h.call(
        Method::POST,
        "/api/v1/app/a/endpoint",
        &token,
        Some(json!({"url": "https://e.example"})),
    )
    .await
    .expect(201);
    h.post("/api/v1/auth/dashboard-access/nothing", json!({}))
        .await
        .expect(404);
    h.call(
        Method::POST,
        "/api/v1/auth/dashboard-access/a",
        &token,
        None,
    )
    .await
    .expect(403);
}

#[tokio::test]
async fn feature_flags_hide_event_types_from_tokens_without_them() {
    let h = Harness::new().await;
    h.app("a").await;
    h.event_type("open.type").await;
    let r = h
        .post(
            "/api/v1/event-type",
            json!({"name": "beta.type", "description": "d", "featureFlags": ["beta", "alpha"]}),
        )
        .await
        .expect(201);
    assert_eq!(r.json["featureFlags"], json!(["alpha", "beta"]));
    assert_eq!(r.json["featureFlag"], "alpha");
    // The deprecated single flag is one more flag.
    let r = h
        .post(
            "/api/v1/event-type",
            json!({"name": "gamma.type", "description": "d", "featureFlag": "gamma"}),
        )
        .await
        .expect(201);
    assert_eq!(r.json["featureFlags"], json!(["gamma"]));

    let names = |r: &crate::common::Resp| -> Vec<String> {
        r.json["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let plain = mint(&h, "a", json!({})).await;
    let beta = mint(&h, "a", json!({"featureFlags": ["beta"]})).await;
    let r = h
        .call(Method::GET, "/api/v1/event-type", &plain, None)
        .await
        .expect(200);
    assert_eq!(names(&r), vec!["open.type"]);
    h.call(Method::GET, "/api/v1/event-type/beta.type", &plain, None)
        .await
        .expect(404);
    let r = h
        .call(Method::GET, "/api/v1/event-type", &beta, None)
        .await
        .expect(200);
    assert_eq!(names(&r), vec!["beta.type", "open.type"]);
    h.call(Method::GET, "/api/v1/event-type/beta.type", &beta, None)
        .await
        .expect(200);
    let r = h.get("/api/v1/event-type").await.expect(200);
    assert_eq!(names(&r), vec!["beta.type", "gamma.type", "open.type"]);

    // Nor can a token subscribe an endpoint to a type hidden from it: the type does not exist
    // for it.
    let subscribe = |token: String| {
        let h = &h;
        async move {
            h.call(
                Method::POST,
                "/api/v1/app/a/endpoint",
                &token,
                Some(json!({"url": "https://e.example", "filterTypes": ["beta.type"]})),
            )
            .await
        }
    };
    let r = subscribe(plain.clone()).await.expect(422);
    assert_eq!(r.loc(), vec!["body", "eventTypes"]);
    subscribe(beta.clone()).await.expect(201);

    // A patch replaces the flags; null clears them, and the type is seen by every token.
    let r = h
        .patch(
            "/api/v1/event-type/gamma.type",
            json!({"featureFlags": ["beta"]}),
        )
        .await
        .expect(200);
    assert_eq!(r.json["featureFlags"], json!(["beta"]));
    let r = h
        .patch(
            "/api/v1/event-type/gamma.type",
            json!({"featureFlags": null}),
        )
        .await
        .expect(200);
    assert_eq!(r.json["featureFlags"], Value::Null);
    assert_eq!(r.json["featureFlag"], Value::Null);
    h.call(Method::GET, "/api/v1/event-type/gamma.type", &plain, None)
        .await
        .expect(200);
    // A PUT without flags clears them too (it replaces the type).
    h.put(
        "/api/v1/event-type/beta.type",
        json!({"description": "now open"}),
    )
    .await
    .expect(200);
    h.call(Method::GET, "/api/v1/event-type/beta.type", &plain, None)
        .await
        .expect(200);

    let r = h
        .post(
            "/api/v1/event-type",
            json!({"name": "bad.type", "description": "d", "featureFlags": ["a b"]}),
        )
        .await
        .expect(422);
    assert_eq!(r.loc(), vec!["body", "featureFlags"]);
}
