//! The web consoles at the HTTP level, in process: the pages and their security headers
//! (`Content-Security-Policy`, framing), the embedded assets, and the console's API routes
//! (`/api/v1/hookd/session`, `/api/v1/hookd/stats/attempts`) with what each kind of token may
//! see through them; plus the portal's isolation at the API level, route by route as the
//! portal uses them. The browser tests (`browser`) drive the same things in Chromium; this
//! module must not need a browser.

use axum::http::Method;
use hookd_server::config::ServerConfig;
use serde_json::json;

use crate::common::{Harness, Resp};

fn header<'a>(r: &'a Resp, name: &str) -> &'a str {
    r.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

async fn page(h: &Harness, path: &str) -> Resp {
    h.raw(Method::GET, path, None, None, &[]).await
}

#[tokio::test]
async fn the_root_leads_to_the_dashboard() {
    let h = Harness::new().await;
    let r = page(&h, "/").await.expect(307);
    assert_eq!(header(&r, "location"), "/dashboard");
}

#[tokio::test]
async fn pages_are_served_without_a_token_under_strict_policies() {
    let h = Harness::new().await;
    let r = page(&h, "/dashboard").await.expect(200);
    assert!(header(&r, "content-type").starts_with("text/html"));
    let csp = header(&r, "content-security-policy");
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(header(&r, "x-frame-options"), "DENY");
    assert_eq!(header(&r, "referrer-policy"), "no-referrer");
    assert!(String::from_utf8_lossy(&r.body).contains("/ui/dashboard.js"));

    let r = page(&h, "/portal").await.expect(200);
    let csp = header(&r, "content-security-policy");
    assert!(csp.ends_with("frame-ancestors 'self'"), "{csp}");
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert_eq!(
        header(&r, "x-frame-options"),
        "",
        "the portal may be framed"
    );

    // A trailing slash is tolerated as everywhere else.
    page(&h, "/dashboard/").await.expect(200);
}

#[tokio::test]
async fn the_portal_may_be_framed_by_configured_origins_only() {
    let h = Harness::with_config(ServerConfig {
        portal_frame_ancestors: vec![
            "https://vendor.example".into(),
            "https://*.tenant.example:8443/".into(),
            "https://evil.example; script-src *".into(),
        ],
        ..ServerConfig::default()
    })
    .await;
    let r = page(&h, "/portal").await.expect(200);
    let csp = header(&r, "content-security-policy");
    assert!(
        csp.ends_with(
            "frame-ancestors 'self' https://vendor.example https://*.tenant.example:8443"
        ),
        "{csp}"
    );
    assert!(!csp.contains("evil"), "{csp}");
    let r = page(&h, "/dashboard").await.expect(200);
    assert!(header(&r, "content-security-policy").ends_with("frame-ancestors 'none'"));
}

#[tokio::test]
async fn assets_are_embedded_typed_and_revalidated() {
    let h = Harness::new().await;
    for (path, kind) in [
        ("/ui/common.js", "text/javascript"),
        ("/ui/dashboard.js", "text/javascript"),
        ("/ui/portal.js", "text/javascript"),
        ("/ui/charts.js", "text/javascript"),
        ("/ui/hookd.css", "text/css"),
        ("/ui/favicon.svg", "image/svg+xml"),
    ] {
        let r = page(&h, path).await.expect(200);
        assert!(header(&r, "content-type").starts_with(kind), "{path}");
        assert_eq!(header(&r, "x-content-type-options"), "nosniff");
        let etag = header(&r, "etag").to_owned();
        assert!(etag.starts_with('"'), "{path}: {etag}");
        let again = h
            .raw(Method::GET, path, None, None, &[("if-none-match", &etag)])
            .await
            .expect(304);
        assert!(again.body.is_empty());
    }
    let r = page(&h, "/ui/secret.txt").await.expect(404);
    assert_eq!(r.code(), "not_found");
    page(&h, "/ui/../Cargo.toml").await.expect(404);
}

/// A portal token for `app`, minted as an operator would.
async fn portal_token(h: &Harness, app: &str) -> (String, String) {
    let r = h
        .post(&format!("/api/v1/auth/app-portal-access/{app}"), json!({}))
        .await
        .expect(200);
    let url = r.json["url"].as_str().unwrap().to_owned();
    (r.json["token"].as_str().unwrap().to_owned(), url)
}

#[tokio::test]
async fn the_session_says_who_a_token_is() {
    let h = Harness::new().await;
    let r = h.get("/api/v1/hookd/session").await.expect(200);
    assert_eq!(r.json["scope"], "admin");
    assert!(r.json["app"].is_null());
    assert!(r.json["userAgent"].as_str().unwrap().starts_with("hookd/"));

    let app = h.app("acme").await;
    let (token, url) = portal_token(&h, "acme").await;
    assert!(url.ends_with(&format!("/portal#key={token}")), "{url}");
    let r = h
        .call(Method::GET, "/api/v1/hookd/session", &token, None)
        .await
        .expect(200);
    assert_eq!(r.json["scope"], "app");
    assert_eq!(r.json["app"]["id"], app.as_str());
    assert_eq!(r.json["app"]["uid"], "acme");
    assert_eq!(r.json["app"]["name"], "App acme");

    h.raw(Method::GET, "/api/v1/hookd/session", None, None, &[])
        .await
        .expect(401);
    h.call(Method::GET, "/api/v1/hookd/session", "hk_nope", None)
        .await
        .expect(401);

    // Deleting the application revokes its tokens.
    h.delete(&format!("/api/v1/app/{app}")).await.expect(204);
    h.call(Method::GET, "/api/v1/hookd/session", &token, None)
        .await
        .expect(401);
}

/// Two applications with one endpoint each; `a` gets two successful attempts and one failed,
/// `b` one failed, all at the harness clock's time.
async fn two_apps_with_attempts(h: &Harness) -> (String, String, String, String) {
    let a = h.app("a").await;
    let b = h.app("b").await;
    let ep_a = h
        .endpoint(&a, json!({"url": "https://a.example/hook"}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let ep_b = h
        .endpoint(&b, json!({"url": "https://b.example/hook"}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for _ in 0..2 {
        h.message(&a, json!({"eventType": "x", "payload": {}}))
            .await;
    }
    assert_eq!(h.attempt_due(200).await.len(), 2);
    h.advance_ms(60_000);
    h.message(&a, json!({"eventType": "x", "payload": {}}))
        .await;
    h.message(&b, json!({"eventType": "x", "payload": {}}))
        .await;
    assert_eq!(h.attempt_due(500).await.len(), 2);
    h.advance_ms(60_000);
    (a, b, ep_a, ep_b)
}

const WINDOW: &str = "since=2026-01-01T00:00:00Z&until=2026-01-01T00:10:00Z";

#[tokio::test]
async fn stats_count_attempts_per_bucket_with_percentiles() {
    let h = Harness::new().await;
    let (a, _b, ep_a, _ep_b) = two_apps_with_attempts(&h).await;

    let r = h
        .get(&format!(
            "/api/v1/hookd/stats/attempts?{WINDOW}&bucketSecs=60"
        ))
        .await
        .expect(200);
    assert_eq!(r.json["bucketSecs"], 60);
    assert_eq!(r.json["total"]["success"], 2);
    assert_eq!(r.json["total"]["fail"], 2);
    let data = r.json["data"].as_array().unwrap();
    assert_eq!(data.len(), 2, "empty buckets are left out: {data:?}");
    assert_eq!(data[0]["start"], "2026-01-01T00:00:00.000Z");
    assert_eq!(data[0]["success"], 2);
    assert_eq!(data[1]["start"], "2026-01-01T00:01:00.000Z");
    assert_eq!(data[1]["fail"], 2);
    // The harness records 12 ms attempts: the (10, 25] ms bin.
    assert_eq!(data[0]["p50Ms"], 25);
    assert_eq!(data[0]["p99Ms"], 25);
    assert_eq!(r.json["total"]["p90Ms"], 25);
    assert_eq!(r.json["binUpperMs"].as_array().unwrap().len(), 12);
    assert!(r.json["binUpperMs"][11].is_null());

    let r = h
        .get(&format!("/api/v1/hookd/stats/attempts?{WINDOW}&appId=a"))
        .await
        .expect(200);
    assert_eq!(r.json["appId"], a.as_str());
    assert_eq!(r.json["total"]["success"], 2);
    assert_eq!(r.json["total"]["fail"], 1);

    let r = h
        .get(&format!(
            "/api/v1/hookd/stats/attempts?{WINDOW}&appId={a}&endpointId={ep_a}&bucketSecs=600"
        ))
        .await
        .expect(200);
    assert_eq!(r.json["endpointId"], ep_a.as_str());
    assert_eq!(r.json["data"].as_array().unwrap().len(), 1);
    assert_eq!(r.json["data"][0]["success"], 2);

    // A window without attempts has totals of zero and no percentiles.
    let r = h
        .get("/api/v1/hookd/stats/attempts?since=2025-01-01T00:00:00Z&until=2025-01-01T01:00:00Z")
        .await
        .expect(200);
    assert_eq!(r.json["total"]["success"], 0);
    assert!(r.json["total"].get("p50Ms").is_none());
}

#[tokio::test]
async fn stats_input_is_validated_like_the_rest_of_the_api() {
    let h = Harness::new().await;
    let (a, _b, ep_a, _ep_b) = two_apps_with_attempts(&h).await;
    for (query, loc) in [
        ("bucketSecs=0", "bucketSecs"),
        ("bucketSecs=abc", "bucketSecs"),
        (
            "since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z",
            "since",
        ),
        ("since=yesterday", "since"),
        (
            "since=2025-01-01T00:00:00Z&until=2026-01-01T00:00:00Z&bucketSecs=60",
            "bucketSecs",
        ),
        ("endpointId=ep_x", "endpointId"),
        ("appId=bad/app", "appId"),
    ] {
        let r = h
            .get(&format!("/api/v1/hookd/stats/attempts?{query}"))
            .await
            .expect(422);
        assert_eq!(r.loc(), vec!["query", loc], "{query}");
    }
    h.get("/api/v1/hookd/stats/attempts?appId=missing")
        .await
        .expect(404);
    h.get(&format!(
        "/api/v1/hookd/stats/attempts?appId={a}&endpointId=ep_missing"
    ))
    .await
    .expect(404);
    let _ = ep_a;
    h.raw(Method::GET, "/api/v1/hookd/stats/attempts", None, None, &[])
        .await
        .expect(401);
}

#[tokio::test]
async fn app_tokens_see_only_their_own_stats() {
    let h = Harness::new().await;
    let (a, b, ep_a, ep_b) = two_apps_with_attempts(&h).await;
    let (token, _) = portal_token(&h, "a").await;
    let get = |q: String| {
        let token = token.clone();
        let h = &h;
        async move {
            h.call(
                Method::GET,
                &format!("/api/v1/hookd/stats/attempts?{WINDOW}&{q}"),
                &token,
                None,
            )
            .await
        }
    };
    // Without an application, an app token gets its own, not everyone's.
    let r = get(String::new()).await.expect(200);
    assert_eq!(r.json["appId"], a.as_str());
    assert_eq!(r.json["total"]["success"], 2);
    assert_eq!(r.json["total"]["fail"], 1);
    get("appId=a".into()).await.expect(200);
    get(format!("appId={a}&endpointId={ep_a}"))
        .await
        .expect(200);
    // Another application, by id or uid, and one that does not exist, are refused alike.
    for q in [
        format!("appId={b}"),
        "appId=b".into(),
        "appId=nothing".into(),
        format!("appId={b}&endpointId={ep_b}"),
    ] {
        let r = get(q.clone()).await.expect(403);
        assert_eq!(r.code(), "insufficient_access", "{q}");
    }
    // Another application's endpoint is not found within one's own.
    get(format!("endpointId={ep_b}")).await.expect(404);
}

#[tokio::test]
async fn a_portal_token_reaches_nothing_of_another_application() {
    let h = Harness::new().await;
    let a = h.app("a").await;
    let b = h.app("b").await;
    h.event_type("invoice.paid").await;
    let ep_b = h
        .endpoint(&b, json!({"url": "https://b.example/hook"}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let msg_b = h
        .message(
            &b,
            json!({"eventType": "invoice.paid", "payload": {"secret": 1}}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (token, _) = portal_token(&h, "a").await;
    let call = |method: Method, path: String, body: Option<serde_json::Value>| {
        let token = token.clone();
        let h = &h;
        async move { h.call(method, &path, &token, body).await }
    };

    // Every route the portal uses works for its own application...
    call(Method::GET, format!("/api/v1/app/{a}"), None)
        .await
        .expect(200);
    let ep_a = call(
        Method::POST,
        format!("/api/v1/app/{a}/endpoint"),
        Some(json!({"url": "https://a.example/hook", "eventTypes": ["invoice.paid"]})),
    )
    .await
    .expect(201)
    .json["id"]
        .as_str()
        .unwrap()
        .to_owned();
    call(
        Method::GET,
        "/api/v1/event-type?with_content=true".into(),
        None,
    )
    .await
    .expect(200);

    // ...and none of them for another application, whichever name it goes by.
    for app in [b.as_str(), "b"] {
        for (method, path, body) in [
            (Method::GET, format!("/api/v1/app/{app}"), None),
            (Method::GET, format!("/api/v1/app/{app}/endpoint"), None),
            (
                Method::POST,
                format!("/api/v1/app/{app}/endpoint"),
                Some(json!({"url": "https://evil.example"})),
            ),
            (
                Method::GET,
                format!("/api/v1/app/{app}/endpoint/{ep_b}"),
                None,
            ),
            (
                Method::PATCH,
                format!("/api/v1/app/{app}/endpoint/{ep_b}"),
                Some(json!({"disabled": true})),
            ),
            (
                Method::DELETE,
                format!("/api/v1/app/{app}/endpoint/{ep_b}"),
                None,
            ),
            (
                Method::GET,
                format!("/api/v1/app/{app}/endpoint/{ep_b}/secret"),
                None,
            ),
            (
                Method::POST,
                format!("/api/v1/app/{app}/endpoint/{ep_b}/secret/rotate"),
                Some(json!({})),
            ),
            (
                Method::GET,
                format!("/api/v1/app/{app}/endpoint/{ep_b}/headers"),
                None,
            ),
            (
                Method::POST,
                format!("/api/v1/app/{app}/endpoint/{ep_b}/send-example"),
                Some(json!({"eventType": "svix.ping"})),
            ),
            (
                Method::GET,
                format!("/api/v1/app/{app}/endpoint/{ep_b}/msg"),
                None,
            ),
            (Method::GET, format!("/api/v1/app/{app}/msg"), None),
            (
                Method::GET,
                format!("/api/v1/app/{app}/attempt/msg/{msg_b}"),
                None,
            ),
            (
                Method::POST,
                format!("/api/v1/app/{app}/msg/{msg_b}/endpoint/{ep_b}/resend"),
                Some(json!({})),
            ),
        ] {
            let r = call(method.clone(), path.clone(), body).await.expect(403);
            assert_eq!(r.code(), "insufficient_access", "{method} {path}");
        }
    }
    // Another application's endpoint and message named under one's own application are simply
    // not there.
    call(
        Method::GET,
        format!("/api/v1/app/{a}/endpoint/{ep_b}"),
        None,
    )
    .await
    .expect(404);
    call(
        Method::GET,
        format!("/api/v1/app/{a}/attempt/msg/{msg_b}"),
        None,
    )
    .await
    .expect(404);
    call(
        Method::POST,
        format!("/api/v1/app/{a}/msg/{msg_b}/endpoint/{ep_a}/resend"),
        Some(json!({})),
    )
    .await
    .expect(404);
    // Nor can it list applications or mint tokens.
    call(Method::GET, "/api/v1/app".into(), None)
        .await
        .expect(403);
    call(
        Method::POST,
        format!("/api/v1/auth/app-portal-access/{b}"),
        Some(json!({})),
    )
    .await
    .expect(403);
    // B's endpoint is untouched.
    let r = h
        .get(&format!("/api/v1/app/{b}/endpoint/{ep_b}"))
        .await
        .expect(200);
    assert_eq!(r.json["disabled"], false);
}
