//! hookd's admin tokens (`/api/v1/hookd/token`): minted with a name, a role and an expiry,
//! listed without their text, revoked (never by themselves); an operator's token reads
//! everything and changes nothing; application tokens reach none of it.

use axum::http::Method;
use chrono::Duration;
use hookd_core::{clock::Clock, id::AppId, model::TokenScope};
use serde_json::json;

use crate::common::Harness;

async fn mint(h: &Harness, body: serde_json::Value) -> serde_json::Value {
    h.call(Method::POST, "/api/v1/hookd/token", &h.admin, Some(body))
        .await
        .expect(201)
        .json
}

#[tokio::test]
async fn tokens_are_minted_listed_and_revoked_by_an_admin() {
    let h = Harness::new().await;
    let made = mint(
        &h,
        json!({"name": "on-call", "role": "operator", "expiresInSecs": 3600}),
    )
    .await;
    let text = made["text"].as_str().unwrap().to_owned();
    assert!(text.starts_with("hk_"), "{made}");
    assert_eq!(made["role"], "operator");
    assert_eq!(made["name"], "on-call");
    let expires =
        chrono::DateTime::parse_from_rfc3339(made["expiresAt"].as_str().unwrap()).unwrap();
    assert_eq!(
        expires.with_timezone(&chrono::Utc),
        h.clock.now() + Duration::hours(1)
    );
    let admin2 = mint(&h, json!({"name": "ci"})).await;
    assert_eq!(admin2["role"], "admin", "admin when no role is given");
    assert!(admin2["expiresAt"].is_null());

    let list = h.get("/api/v1/hookd/token").await.expect(200).json;
    let rows = list["data"].as_array().unwrap();
    assert_eq!(
        rows.len(),
        3,
        "the harness's admin token and the two: {list}"
    );
    assert!(
        rows.iter().all(|r| r.get("text").is_none()),
        "no text in a list: {list}"
    );
    assert!(!list.to_string().contains(&text));
    let on_call = rows.iter().find(|r| r["name"] == "on-call").unwrap();
    assert_eq!(on_call["role"], "operator");

    // Revoked: it stops working. A token cannot revoke itself; an unknown id is 404.
    let id = made["id"].as_str().unwrap();
    h.call(
        Method::DELETE,
        &format!("/api/v1/hookd/token/{id}"),
        &h.admin,
        None,
    )
    .await
    .expect(204);
    h.raw(Method::GET, "/api/v1/app", Some(&text), None, &[])
        .await
        .expect(401);
    h.call(
        Method::DELETE,
        &format!("/api/v1/hookd/token/{id}"),
        &h.admin,
        None,
    )
    .await
    .expect(404);
    let admin2_text = admin2["text"].as_str().unwrap();
    let admin2_id = admin2["id"].as_str().unwrap();
    let r = h
        .call(
            Method::DELETE,
            &format!("/api/v1/hookd/token/{admin2_id}"),
            admin2_text,
            None,
        )
        .await
        .expect(409);
    assert!(
        r.json["detail"]
            .as_str()
            .unwrap()
            .contains("cannot revoke itself"),
        "{}",
        r.json
    );
}

#[tokio::test]
async fn an_operator_reads_everything_and_changes_nothing() {
    let h = Harness::new().await;
    let app = h.app("acme").await;
    let operator = mint(&h, json!({"name": "ops", "role": "operator"})).await["text"]
        .as_str()
        .unwrap()
        .to_owned();
    for path in [
        "/api/v1/app".to_owned(),
        format!("/api/v1/app/{app}"),
        format!("/api/v1/app/{app}/endpoint"),
        "/api/v1/event-type".to_owned(),
        "/api/v1/hookd/token".to_owned(),
    ] {
        h.call(Method::GET, &path, &operator, None)
            .await
            .expect(200);
    }
    let session = h
        .call(Method::GET, "/api/v1/hookd/session", &operator, None)
        .await
        .expect(200);
    assert_eq!(session.json["readOnly"], true, "{}", session.json);
    for (method, path, body) in [
        (
            Method::POST,
            "/api/v1/app".to_owned(),
            Some(json!({"name": "x"})),
        ),
        (Method::DELETE, format!("/api/v1/app/{app}"), None),
        (
            Method::POST,
            format!("/api/v1/app/{app}/msg"),
            Some(json!({"eventType": "a", "payload": {}})),
        ),
        (
            Method::POST,
            "/api/v1/hookd/token".to_owned(),
            Some(json!({"name": "escalate"})),
        ),
    ] {
        let r = h
            .call(method.clone(), &path, &operator, body)
            .await
            .expect(403);
        assert!(
            r.json["detail"].as_str().unwrap().contains("operator"),
            "{method} {path}: {}",
            r.json
        );
    }
    // Nothing changed.
    h.get(&format!("/api/v1/app/{app}")).await.expect(200);
}

#[tokio::test]
async fn an_expired_token_stops_working() {
    let h = Harness::new().await;
    let text = mint(&h, json!({"name": "short", "expiresInSecs": 60})).await["text"]
        .as_str()
        .unwrap()
        .to_owned();
    h.call(Method::GET, "/api/v1/app", &text, None)
        .await
        .expect(200);
    h.clock.advance(Duration::seconds(61));
    h.raw(Method::GET, "/api/v1/app", Some(&text), None, &[])
        .await
        .expect(401);
}

#[tokio::test]
async fn bad_input_is_refused_by_name() {
    let h = Harness::new().await;
    for (body, loc) in [
        (json!({"name": ""}), "name"),
        (json!({"name": "x", "expiresInSecs": 5}), "expiresInSecs"),
        (json!({"name": "x", "role": "root"}), "role"),
        (json!({"name": "x", "scope": "all"}), "scope"),
    ] {
        let r = h
            .call(
                Method::POST,
                "/api/v1/hookd/token",
                &h.admin,
                Some(body.clone()),
            )
            .await
            .expect(422);
        let locs: Vec<String> = r.json["detail"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                d["loc"]
                    .as_array()
                    .unwrap()
                    .last()
                    .unwrap()
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            })
            .collect();
        assert!(locs.iter().any(|l| l == loc), "{body}: {}", r.json);
    }
}

#[tokio::test]
async fn application_tokens_reach_none_of_it() {
    let h = Harness::new().await;
    let app = h.app("acme").await;
    let app_id = h.state.directory.get_app(&app).await.unwrap().unwrap().id;
    let app_token = h
        .insert_token(TokenScope::App(AppId::from_trusted(app_id.as_str())), None)
        .await;
    h.call(Method::GET, "/api/v1/hookd/token", &app_token, None)
        .await
        .expect(403);
    h.call(
        Method::POST,
        "/api/v1/hookd/token",
        &app_token,
        Some(json!({"name": "x"})),
    )
    .await
    .expect(403);
}
