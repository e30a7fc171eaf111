//! Endpoints: CRUD, headers, secret and rotation, recover, send-example, stats.

use axum::http::Method;
use chrono::Duration;
use hookd_core::{clock::Clock, id::AppId, signing::EndpointSecret};
use serde_json::json;

use crate::common::Harness;

const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

#[tokio::test]
async fn create_get_list_delete() {
    let h = Harness::new().await;
    h.app("a").await;
    h.event_type("user.signup").await;
    let ep = h
        .endpoint(
            "a",
            json!({"url": "https://example.com/hook", "uid": "main", "filterTypes": ["user.signup"],
                   "rateLimit": 10, "channels": ["c1", "c1"], "metadata": {"k": "v"}, "version": 1}),
        )
        .await;
    let id = ep["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("ep_"));
    assert_eq!(
        ep["eventTypes"],
        json!(["user.signup"]),
        "filterTypes is accepted"
    );
    assert_eq!(
        ep["filterTypes"],
        json!(["user.signup"]),
        "and mirrored for old SDKs"
    );
    assert_eq!(ep["throttleRate"], 10);
    assert_eq!(ep["rateLimit"], 10);
    assert_eq!(
        ep["channels"],
        json!(["c1"]),
        "repeated channels collapse as in Svix's sets"
    );
    assert_eq!(ep["version"], 1);
    assert_eq!(ep["disabled"], false);
    assert_eq!(ep["description"], "");
    assert_eq!(ep["metadata"]["k"], "v");

    let r = h
        .get(&format!("/api/v1/app/a/endpoint/{id}"))
        .await
        .expect(200);
    assert_eq!(r.json, ep);
    h.get("/api/v1/app/a/endpoint/main").await.expect(200);
    let r = h.get("/api/v1/app/a/endpoint").await.expect(200);
    assert_eq!(r.json["data"].as_array().unwrap().len(), 1);

    // A generated secret is a valid whsec_ secret.
    let r = h
        .get("/api/v1/app/a/endpoint/main/secret")
        .await
        .expect(200);
    assert!(EndpointSecret::parse(r.json["key"].as_str().unwrap()).is_ok());

    let r = h
        .post(
            "/api/v1/app/a/endpoint",
            json!({"url": "https://example.com/2", "uid": "main"}),
        )
        .await
        .expect(409);
    assert_eq!(r.code(), "conflict");

    h.delete("/api/v1/app/a/endpoint/main").await.expect(204);
    h.get("/api/v1/app/a/endpoint/main").await.expect(404);
    h.delete("/api/v1/app/a/endpoint/main").await.expect(404);
    h.get("/api/v1/app/nope/endpoint").await.expect(404);
    h.post(
        "/api/v1/app/nope/endpoint",
        json!({"url": "https://example.com"}),
    )
    .await
    .expect(404);
}

#[tokio::test]
async fn validation() {
    let h = Harness::new().await;
    h.app("a").await;
    for (body, field) in [
        (json!({"url": "ftp://example.com"}), "url"),
        (json!({"url": "not a url"}), "url"),
        (json!({"url": "https://e.com", "uid": "ep_x"}), "uid"),
        (
            json!({"url": "https://e.com", "uid": "x".repeat(257)}),
            "uid",
        ),
        (
            json!({"url": "https://e.com", "eventTypes": []}),
            "eventTypes",
        ),
        (
            json!({"url": "https://e.com", "eventTypes": ["no.such.type"]}),
            "eventTypes",
        ),
        (
            json!({"url": "https://e.com", "channels": (0..11).map(|i| i.to_string()).collect::<Vec<_>>()}),
            "channels",
        ),
        (
            json!({"url": "https://e.com", "secret": "whsec_short"}),
            "secret",
        ),
        (
            json!({"url": "https://e.com", "throttleRate": 0}),
            "throttleRate",
        ),
        (
            json!({"url": "https://e.com", "disabled": "yes"}),
            "disabled",
        ),
        (json!({}), "url"),
    ] {
        let r = h
            .post("/api/v1/app/a/endpoint", body.clone())
            .await
            .expect(422);
        assert_eq!(r.loc(), vec!["body", field], "for {body}");
    }
    // A user-supplied secret is kept (normalized to its whsec_ form).
    let ep = h
        .endpoint("a", json!({"url": "http://localhost:9000/x", "secret": SECRET.trim_start_matches("whsec_")}))
        .await;
    let id = ep["id"].as_str().unwrap();
    let r = h
        .get(&format!("/api/v1/app/a/endpoint/{id}/secret"))
        .await
        .expect(200);
    assert_eq!(r.json["key"], SECRET);
}

#[tokio::test]
async fn put_creates_then_updates_and_patch_is_partial() {
    let h = Harness::new().await;
    h.app("a").await;
    h.event_type("t.one").await;
    let r = h
        .put(
            "/api/v1/app/a/endpoint/by-put",
            json!({"url": "https://example.com/1"}),
        )
        .await
        .expect(201);
    assert_eq!(r.json["uid"], "by-put");
    let id = r.json["id"].as_str().unwrap().to_owned();
    let r = h
        .put(
            "/api/v1/app/a/endpoint/by-put",
            json!({"url": "https://example.com/2", "uid": "by-put", "description": "d", "eventTypes": ["t.one"]}),
        )
        .await
        .expect(200);
    assert_eq!(r.json["id"], id.as_str());
    assert_eq!(r.json["url"], "https://example.com/2");

    let r = h
        .patch(
            "/api/v1/app/a/endpoint/by-put",
            json!({"disabled": true, "throttleRate": 3}),
        )
        .await
        .expect(200);
    assert_eq!(r.json["disabled"], true);
    assert_eq!(r.json["throttleRate"], 3);
    assert_eq!(r.json["description"], "d");
    assert_eq!(r.json["eventTypes"], json!(["t.one"]));
    let r = h
        .patch(
            "/api/v1/app/a/endpoint/by-put",
            json!({"eventTypes": null, "channels": ["x"], "url": "http://e.org"}),
        )
        .await
        .expect(200);
    assert_eq!(r.json["eventTypes"], serde_json::Value::Null);
    assert_eq!(r.json["channels"], json!(["x"]));
    assert_eq!(r.json["url"], "http://e.org/");
    h.patch(
        "/api/v1/app/a/endpoint/by-put",
        json!({"url": "gopher://x"}),
    )
    .await
    .expect(422);
    h.patch("/api/v1/app/a/endpoint/nope", json!({}))
        .await
        .expect(404);
}

#[tokio::test]
async fn list_is_newest_first_and_paginates() {
    let h = Harness::new().await;
    h.app("a").await;
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(
            h.endpoint("a", json!({"url": format!("https://e.com/{i}")}))
                .await["id"]
                .clone(),
        );
        h.advance_ms(5);
    }
    let r = h.get("/api/v1/app/a/endpoint?limit=2").await.expect(200);
    assert_eq!(r.json["data"][0]["id"], ids[2]);
    assert_eq!(r.json["done"], false);
    let it = r.json["iterator"].as_str().unwrap().to_owned();
    let r = h
        .get(&format!("/api/v1/app/a/endpoint?limit=2&iterator={it}"))
        .await
        .expect(200);
    assert_eq!(r.json["data"][0]["id"], ids[0]);
    assert_eq!(r.json["done"], true);
    let r = h
        .get("/api/v1/app/a/endpoint?order=ascending&limit=1")
        .await
        .expect(200);
    assert_eq!(r.json["data"][0]["id"], ids[0]);
}

#[tokio::test]
async fn headers_hide_sensitive_values() {
    let h = Harness::new().await;
    h.app("a").await;
    h.endpoint("a", json!({"url": "https://e.com", "uid": "e"}))
        .await;
    let path = "/api/v1/app/a/endpoint/e/headers";
    let r = h.get(path).await.expect(200);
    assert_eq!(r.json, json!({"headers": {}, "sensitive": []}));

    h.put(
        path,
        json!({"headers": {"X-Plain": "1", "Authorization": "Bearer s3cret"}}),
    )
    .await
    .expect(204);
    let r = h.get(path).await.expect(200);
    assert_eq!(r.json["headers"], json!({"X-Plain": "1"}));
    assert_eq!(r.json["sensitive"], json!(["Authorization"]));
    assert!(!String::from_utf8_lossy(&r.body).contains("s3cret"));

    // PATCH adds, replaces case-insensitively, and removes with null.
    h.patch(
        path,
        json!({"headers": {"x-plain": "2", "X-New": "n", "authorization": null}}),
    )
    .await
    .expect(204);
    let r = h.get(path).await.expect(200);
    assert_eq!(r.json["headers"], json!({"X-New": "n", "x-plain": "2"}));
    assert_eq!(r.json["sensitive"], json!([]));

    for bad in [
        json!({"headers": {"Content-Type": "x"}}),
        json!({"headers": {"svix-id": "x"}}),
        json!({"headers": {"bad header": "x"}}),
        json!({"headers": {"X-A": "a\nb"}}),
    ] {
        h.put(path, bad).await.expect(422);
    }
    h.put(path, json!({})).await.expect(422);
    h.get("/api/v1/app/a/endpoint/zzz/headers")
        .await
        .expect(404);
    h.patch("/api/v1/app/a/endpoint/zzz/headers", json!({"headers": {}}))
        .await
        .expect(404);
}

#[tokio::test]
async fn rotation_keeps_the_old_secret_until_the_grace_period_ends() {
    let h = Harness::new().await;
    let app_id = h.app("a").await;
    h.endpoint(
        "a",
        json!({"url": "https://e.com", "uid": "e", "secret": SECRET}),
    )
    .await;
    let rotate = "/api/v1/app/a/endpoint/e/secret/rotate";
    let admin = h.admin.clone();

    // A caller that is not a 2.x Svix SDK gets the documented 204.
    let r = h
        .raw(Method::POST, rotate, Some(&admin), Some("{}"), &[])
        .await
        .expect(204);
    assert!(r.body.is_empty());
    let new = h
        .get("/api/v1/app/a/endpoint/e/secret")
        .await
        .expect(200)
        .json["key"]
        .clone();
    assert_ne!(new, SECRET);

    let ep = h
        .store()
        .get_endpoint(&AppId::from_trusted(app_id.clone()), "e")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ep.old_secrets.len(), 1);
    assert_eq!(ep.old_secrets[0].key, SECRET);
    assert_eq!(
        ep.old_secrets[0].expires_at,
        h.clock.now() + Duration::seconds(86_400)
    );
    assert_eq!(
        ep.signing_secrets(h.clock.now()).len(),
        2,
        "both sign during the grace period"
    );
    assert_eq!(
        ep.signing_secrets(h.clock.now() + Duration::days(2)).len(),
        1
    );

    // A 1.x SDK also gets 204; a 2.x SDK gets the new secret.
    h.raw(
        Method::POST,
        rotate,
        Some(&admin),
        Some("{}"),
        &[("user-agent", "svix-libs/1.24.0/python")],
    )
    .await
    .expect(204);
    let before_third = h
        .get("/api/v1/app/a/endpoint/e/secret")
        .await
        .expect(200)
        .json["key"]
        .clone();
    let given = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let body = json!({"key": given, "gracePeriodSeconds": 60}).to_string();
    let r = h
        .raw(
            Method::POST,
            rotate,
            Some(&admin),
            Some(&body),
            &[(
                "user-agent",
                "svix-libs/2.9.1/python python/3.12 Linux/x86_64",
            )],
        )
        .await
        .expect(200);
    assert_eq!(r.json, json!({"key": given}));
    let r = h
        .raw(
            Method::POST,
            rotate,
            Some(&admin),
            Some(""),
            &[("prefer", "return=representation")],
        )
        .await
        .expect(200);
    assert!(r.json["key"].as_str().unwrap().starts_with("whsec_"));

    let ep = h
        .store()
        .get_endpoint(&AppId::from_trusted(app_id), "e")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ep.old_secrets.len(), 4);
    // The secret replaced by the third rotation got its 60 s grace period.
    assert!(ep
        .old_secrets
        .iter()
        .any(|s| s.key == before_third.as_str().unwrap()
            && s.expires_at == h.clock.now() + Duration::seconds(60)));
    assert!(ep.old_secrets.iter().any(|s| s.key == given));

    let r = h
        .post(rotate, json!({"gracePeriodSeconds": 604_801}))
        .await
        .expect(422);
    assert_eq!(r.loc(), vec!["body", "gracePeriodSeconds"]);
    let r = h.post(rotate, json!({"key": "nope"})).await.expect(422);
    assert_eq!(r.loc(), vec!["body", "key"]);
    h.post("/api/v1/app/a/endpoint/zzz/secret/rotate", json!({}))
        .await
        .expect(404);
    h.get("/api/v1/app/a/endpoint/zzz/secret").await.expect(404);
}

#[tokio::test]
async fn rotation_with_no_grace_drops_the_old_secret_and_caps_old_secrets() {
    let h = Harness::new().await;
    let app_id = h.app("a").await;
    h.endpoint("a", json!({"url": "https://e.com", "uid": "e"}))
        .await;
    let rotate = "/api/v1/app/a/endpoint/e/secret/rotate";
    h.post(rotate, json!({"gracePeriodSeconds": 0}))
        .await
        .expect(204);
    let ep = h
        .store()
        .get_endpoint(&AppId::from_trusted(app_id), "e")
        .await
        .unwrap()
        .unwrap();
    assert!(ep.old_secrets.is_empty());
    for _ in 0..10 {
        h.post(rotate, json!({})).await.expect(204);
    }
    let r = h.post(rotate, json!({})).await.expect(400);
    assert_eq!(r.code(), "limit_reached");
}

#[tokio::test]
async fn recover_makes_failed_deliveries_due_again() {
    let h = Harness::new().await;
    h.app("a").await;
    let ep = h
        .endpoint("a", json!({"url": "https://e.com", "uid": "e"}))
        .await;
    let since = hookd_server::api::wire::ts(h.clock.now() - Duration::hours(1));
    h.message("a", json!({"eventType": "x.y", "payload": {"n": 1}}))
        .await;
    let failed = h.attempt_due(500).await;
    assert_eq!(failed.len(), 1);
    assert!(
        h.attempt_due(200).await.is_empty(),
        "an exhausted delivery is not due"
    );

    h.advance_ms(1000);
    let r = h
        .post("/api/v1/app/a/endpoint/e/recover", json!({"since": since}))
        .await
        .expect(202);
    assert!(r.json["id"].as_str().unwrap().starts_with("qtask_"));
    assert_eq!(r.json["status"], "finished");
    assert_eq!(r.json["task"], "endpoint.recover");
    assert_eq!(r.json["data"], json!({"recovered": 1}));
    let again = h.attempt_due(200).await;
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].endpoint_id.as_str(), ep["id"].as_str().unwrap());

    let old = hookd_server::api::wire::ts(h.clock.now() - Duration::days(15));
    let r = h
        .post("/api/v1/app/a/endpoint/e/recover", json!({"since": old}))
        .await
        .expect(422);
    assert_eq!(r.loc(), vec!["body", "since"]);
    let r = h
        .post(
            "/api/v1/app/a/endpoint/e/recover",
            json!({"since": "yesterday"}),
        )
        .await
        .expect(422);
    assert_eq!(r.loc(), vec!["body", "since"]);
    h.post("/api/v1/app/a/endpoint/e/recover", json!({}))
        .await
        .expect(422);
    h.post(
        "/api/v1/app/a/endpoint/zzz/recover",
        json!({"since": since}),
    )
    .await
    .expect(404);
}

#[tokio::test]
async fn send_example_goes_to_that_endpoint_only() {
    let h = Harness::new().await;
    h.app("a").await;
    h.post(
        "/api/v1/event-type",
        json!({"name": "invoice.paid", "description": "Paid",
               "schemas": {"1": {"type": "object", "examples": [{"invoiceId": "inv_1"}]}}}),
    )
    .await
    .expect(201);
    h.event_type("no.example").await;
    let target = h
        .endpoint(
            "a",
            json!({"url": "https://e.com/1", "uid": "target", "eventTypes": ["no.example"]}),
        )
        .await;
    h.endpoint("a", json!({"url": "https://e.com/2", "uid": "other"}))
        .await;

    let r = h
        .post(
            "/api/v1/app/a/endpoint/target/send-example",
            json!({"eventType": "invoice.paid"}),
        )
        .await
        .expect(200);
    assert_eq!(r.json["eventType"], "invoice.paid");
    assert_eq!(r.json["payload"], json!({"invoiceId": "inv_1"}));
    let attempts = h.attempt_due(200).await;
    assert_eq!(
        attempts.len(),
        1,
        "only the target endpoint, whatever its filter"
    );
    assert_eq!(
        attempts[0].endpoint_id.as_str(),
        target["id"].as_str().unwrap()
    );

    let r = h
        .post(
            "/api/v1/app/a/endpoint/target/send-example",
            json!({"eventType": "svix.ping"}),
        )
        .await
        .expect(200);
    assert_eq!(r.json["payload"], json!({"success": true}));
    // Svix's SDKs were generated from a document that says 202, and 1.x accepts nothing else.
    let admin = h.admin.clone();
    h.raw(
        Method::POST,
        "/api/v1/app/a/endpoint/target/send-example",
        Some(&admin),
        Some(r#"{"eventType":"svix.ping"}"#),
        &[("user-agent", "svix-libs/1.24.0/python")],
    )
    .await
    .expect(202);

    let r = h
        .post(
            "/api/v1/app/a/endpoint/target/send-example",
            json!({"eventType": "no.example"}),
        )
        .await
        .expect(400);
    assert_eq!(r.code(), "invalid_scheme");
    h.post(
        "/api/v1/app/a/endpoint/target/send-example",
        json!({"eventType": "unknown"}),
    )
    .await
    .expect(404);
    h.post(
        "/api/v1/app/a/endpoint/zzz/send-example",
        json!({"eventType": "svix.ping"}),
    )
    .await
    .expect(404);
    h.post("/api/v1/app/a/endpoint/target/send-example", json!({}))
        .await
        .expect(422);
}

#[tokio::test]
async fn stats_count_deliveries_by_status() {
    let h = Harness::new().await;
    h.app("a").await;
    h.endpoint("a", json!({"url": "https://e.com", "uid": "e"}))
        .await;
    h.message("a", json!({"eventType": "x", "payload": {}}))
        .await;
    h.attempt_due(200).await;
    h.message("a", json!({"eventType": "x", "payload": {}}))
        .await;
    h.attempt_due(503).await;
    h.message("a", json!({"eventType": "x", "payload": {}}))
        .await;
    let r = h.get("/api/v1/app/a/endpoint/e/stats").await.expect(200);
    assert_eq!(
        r.json,
        json!({"success": 1, "fail": 1, "pending": 1, "sending": 0, "canceled": 0})
    );

    let future = hookd_server::api::wire::ts(h.clock.now() + Duration::hours(1));
    let r = h
        .get(&format!("/api/v1/app/a/endpoint/e/stats?until={future}"))
        .await
        .expect(400);
    assert_eq!(r.code(), "invalid_range");
    let long_ago = hookd_server::api::wire::ts(h.clock.now() - Duration::days(40));
    h.get(&format!("/api/v1/app/a/endpoint/e/stats?since={long_ago}"))
        .await
        .expect(400);
    h.get("/api/v1/app/a/endpoint/e/stats?since=garbage")
        .await
        .expect(422);
    h.get("/api/v1/app/a/endpoint/zzz/stats").await.expect(404);
}

/// Newer Svix SDKs send `headers` when creating an endpoint; they become its custom headers,
/// checked as the headers routes check them. `PUT` leaves them alone.
#[tokio::test]
async fn headers_given_at_creation_are_kept_and_checked() {
    let h = Harness::new().await;
    h.app("a").await;
    let ep = h
        .endpoint(
            "a",
            json!({"url": "https://e.com", "uid": "e", "headers": {"X-Tenant": "acme"}}),
        )
        .await;
    let id = ep["id"].as_str().unwrap();
    let path = format!("/api/v1/app/a/endpoint/{id}/headers");
    let r = h.get(&path).await.expect(200);
    assert_eq!(r.json["headers"], json!({"X-Tenant": "acme"}));

    h.put(
        &format!("/api/v1/app/a/endpoint/{id}"),
        json!({"url": "https://e.com/v2"}),
    )
    .await
    .expect(200);
    let r = h.get(&path).await.expect(200);
    assert_eq!(
        r.json["headers"],
        json!({"X-Tenant": "acme"}),
        "PUT keeps them"
    );

    let r = h
        .post(
            "/api/v1/app/a/endpoint",
            json!({"url": "https://e.com", "headers": {"svix-id": "forged"}}),
        )
        .await
        .expect(422);
    assert_eq!(
        r.json["detail"][0]["loc"],
        json!(["body", "headers", "svix-id"])
    );
}
