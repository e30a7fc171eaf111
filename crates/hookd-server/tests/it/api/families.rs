//! The newer route families of Svix's SDKs: message precheck and bulk expunges, `deleteHeaders`,
//! the deprecated attempt lists, and the 501 that names each family hookd does not serve.

use axum::http::Method;
use serde_json::json;

use crate::common::Harness;

#[tokio::test]
async fn precheck_says_whether_any_endpoint_would_get_it() {
    let h = Harness::new().await;
    h.app("a").await;
    let precheck = |body: serde_json::Value| {
        let h = &h;
        async move {
            h.post("/api/v1/app/a/msg/precheck/active", body)
                .await
                .expect(200)
                .json["active"]
                .clone()
        }
    };
    assert_eq!(precheck(json!({"eventType": "x.y"})).await, false);
    h.event_type("x.y").await;
    let ep = h
        .endpoint(
            "a",
            json!({"url": "https://e.com", "uid": "e", "filterTypes": ["x.y"], "channels": ["c1"]}),
        )
        .await;
    assert_eq!(
        precheck(json!({"eventType": "x.y"})).await,
        false,
        "no channel"
    );
    assert_eq!(
        precheck(json!({"eventType": "x.y", "channels": ["c2", "c1"]})).await,
        true
    );
    assert_eq!(
        precheck(json!({"eventType": "x.z", "channels": ["c1"]})).await,
        false
    );
    h.patch(
        &format!("/api/v1/app/a/endpoint/{}", ep["id"].as_str().unwrap()),
        json!({"disabled": true}),
    )
    .await
    .expect(200);
    assert_eq!(
        precheck(json!({"eventType": "x.y", "channels": ["c1"]})).await,
        false,
        "a disabled endpoint gets nothing"
    );
    // Nothing was published.
    assert_eq!(
        h.get("/api/v1/app/a/msg").await.expect(200).json["data"],
        json!([])
    );
    let r = h
        .post("/api/v1/app/a/msg/precheck/active", json!({}))
        .await
        .expect(422);
    assert_eq!(r.loc(), vec!["body", "eventType"]);
    h.post(
        "/api/v1/app/zzz/msg/precheck/active",
        json!({"eventType": "x.y"}),
    )
    .await
    .expect(404);
}

#[tokio::test]
async fn bulk_expunge_answers_per_id() {
    let h = Harness::new().await;
    h.app("a").await;
    let m1 = h
        .message("a", json!({"eventType": "x.y", "payload": {"secret": 1}}))
        .await;
    h.message(
        "a",
        json!({"eventType": "x.y", "eventId": "evt-2", "payload": {"secret": 2}}),
    )
    .await;
    let keep = h
        .message("a", json!({"eventType": "x.y", "payload": {"kept": 3}}))
        .await;
    let m1 = m1["id"].as_str().unwrap();
    let r = h
        .post(
            "/api/v1/app/a/msg/bulk-expunge",
            json!({"ids": [m1, "evt-2", "msg_2AAAAAAAAAAAAAAAAAAAAA"]}),
        )
        .await
        .expect(200);
    assert_eq!(
        r.json,
        json!({"results": {
            m1: "expunged", "evt-2": "expunged", "msg_2AAAAAAAAAAAAAAAAAAAAA": "not-found"
        }})
    );
    for id in [m1, "evt-2"] {
        let got = h.get(&format!("/api/v1/app/a/msg/{id}")).await.expect(200);
        assert_eq!(
            got.json["payload"],
            json!({"expired": true}),
            "{id} lost its payload"
        );
    }
    let kept = h
        .get(&format!(
            "/api/v1/app/a/msg/{}",
            keep["id"].as_str().unwrap()
        ))
        .await
        .expect(200);
    assert_eq!(kept.json["payload"], json!({"kept": 3}));

    let too_many: Vec<String> = (0..1001).map(|i| format!("m{i}")).collect();
    let r = h
        .post("/api/v1/app/a/msg/bulk-expunge", json!({"ids": too_many}))
        .await
        .expect(422);
    assert_eq!(r.loc(), vec!["body", "ids"]);
}

#[tokio::test]
async fn expunge_all_contents_is_a_task_that_purges_the_app() {
    let h = Harness::new().await;
    h.app("a").await;
    h.app("b").await;
    for _ in 0..3 {
        h.message("a", json!({"eventType": "x.y", "payload": {"n": 1}}))
            .await;
    }
    let other = h
        .message("b", json!({"eventType": "x.y", "payload": {"n": 2}}))
        .await;
    let r = h
        .call(
            Method::POST,
            "/api/v1/app/a/msg/expunge-all-contents",
            &h.admin,
            None,
        )
        .await
        .expect(202);
    assert_eq!(
        (&r.json["status"], &r.json["task"], &r.json["data"]),
        (
            &json!("finished"),
            &json!("application.purge_content"),
            &json!({"messagesPurged": 3})
        )
    );
    let id = r.json["id"].as_str().unwrap();
    let task = h
        .get(&format!("/api/v1/background-task/{id}"))
        .await
        .expect(200);
    assert_eq!(task.json["data"], json!({"messagesPurged": 3}));
    let listed = h.get("/api/v1/app/a/msg").await.expect(200);
    for msg in listed.json["data"].as_array().unwrap() {
        assert_eq!(msg["payload"], json!({"expired": true}));
    }
    let other = h
        .get(&format!(
            "/api/v1/app/b/msg/{}",
            other["id"].as_str().unwrap()
        ))
        .await
        .expect(200);
    assert_eq!(
        other.json["payload"],
        json!({"n": 2}),
        "another app keeps its own"
    );
}

#[tokio::test]
async fn patch_headers_delete_headers_removes_by_name() {
    let h = Harness::new().await;
    h.app("a").await;
    h.endpoint("a", json!({"url": "https://e.com", "uid": "e"}))
        .await;
    let path = "/api/v1/app/a/endpoint/e/headers";
    h.put(
        path,
        json!({"headers": {"X-One": "1", "X-Two": "2", "X-Three": "3"}}),
    )
    .await
    .expect(204);
    // Without `headers` at all (the Rust SDK's way to remove one), and in another case.
    h.patch(path, json!({"deleteHeaders": ["x-one"]}))
        .await
        .expect(204);
    assert_eq!(
        h.get(path).await.expect(200).json["headers"],
        json!({"X-Three": "3", "X-Two": "2"})
    );
    h.patch(
        path,
        json!({"headers": {"X-Four": "4"}, "deleteHeaders": ["X-Two", "X-Absent"]}),
    )
    .await
    .expect(204);
    assert_eq!(
        h.get(path).await.expect(200).json["headers"],
        json!({"X-Four": "4", "X-Three": "3"})
    );
    // Setting and deleting one header in one request says two things: refused, nothing changes.
    let r = h
        .patch(
            path,
            json!({"headers": {"X-Three": "new"}, "deleteHeaders": ["x-three"]}),
        )
        .await
        .expect(422);
    assert_eq!(r.loc(), vec!["body", "deleteHeaders", "x-three"]);
    assert_eq!(
        h.get(path).await.expect(200).json["headers"]["X-Three"],
        "3"
    );
}

#[tokio::test]
async fn deprecated_attempt_lists_answer_as_the_current_one() {
    let h = Harness::new().await;
    h.app("a").await;
    let e1 = h
        .endpoint("a", json!({"url": "https://one.example.com", "uid": "e1"}))
        .await;
    h.endpoint("a", json!({"url": "https://two.example.com", "uid": "e2"}))
        .await;
    let msg = h
        .message("a", json!({"eventType": "x.y", "payload": {}}))
        .await;
    assert_eq!(h.attempt_due(200).await.len(), 2);
    let msg = msg["id"].as_str().unwrap();

    let current = h
        .get(&format!("/api/v1/app/a/attempt/msg/{msg}"))
        .await
        .expect(200);
    let old = h
        .get(&format!("/api/v1/app/a/msg/{msg}/attempt"))
        .await
        .expect(200);
    assert_eq!(old.json, current.json);
    assert_eq!(old.json["data"].as_array().unwrap().len(), 2);

    let e1_id = e1["id"].as_str().unwrap();
    let current = h
        .get(&format!(
            "/api/v1/app/a/attempt/msg/{msg}?endpoint_id={e1_id}"
        ))
        .await
        .expect(200);
    // The path names the endpoint: a query's `endpoint_id` there is refused, not overridden.
    let refused = h
        .get(&format!(
            "/api/v1/app/a/msg/{msg}/endpoint/e1/attempt?endpoint_id=e2"
        ))
        .await
        .expect(422);
    assert_eq!(refused.loc(), vec!["query", "endpoint_id"]);
    let old = h
        .get(&format!("/api/v1/app/a/msg/{msg}/endpoint/e1/attempt"))
        .await
        .expect(200);
    assert_eq!(old.json, current.json);
    assert_eq!(old.json["data"].as_array().unwrap().len(), 1);
    assert_eq!(old.json["data"][0]["endpointId"], e1_id);
    h.get(&format!("/api/v1/app/a/msg/{msg}/endpoint/zzz/attempt"))
        .await
        .expect(404);
}

/// Every route prefix of Svix's current SDKs that hookd does not serve answers 501 in Svix's
/// shape, naming its family; routes next to them still route, and a typo is still a 404.
#[tokio::test]
async fn unserved_families_answer_501_naming_the_family() {
    let h = Harness::new().await;
    let cases = [
        (Method::GET, "/ingest/api/v1/source", "Ingest"),
        (
            Method::POST,
            "/ingest/api/v1/source/src_1/endpoint/ep_1/secret/rotate",
            "Ingest",
        ),
        (Method::GET, "/api/v1/stream", "Streaming"),
        (
            Method::POST,
            "/api/v1/stream/strm_1/sink/sink_1/events",
            "Streaming",
        ),
        (
            Method::POST,
            "/api/v1/auth/stream-portal-access/strm_1",
            "Streaming",
        ),
        (Method::POST, "/api/v1/auth/stream-logout", "Streaming"),
        (
            Method::POST,
            "/api/v1/auth/stream/strm_1/expire-all",
            "Streaming",
        ),
        (Method::GET, "/api/v1/connector", "Connectors"),
        (Method::DELETE, "/api/v1/connector/conn_1", "Connectors"),
        (Method::GET, "/api/v1/app/a/integration", "Integrations"),
        (
            Method::POST,
            "/api/v1/app/a/integration/i/key/rotate",
            "Integrations",
        ),
        (
            Method::PATCH,
            "/api/v1/app/a/endpoint/e/transformation",
            "Transformations",
        ),
        (
            Method::GET,
            "/api/v1/app/a/poller/p/consumer/c",
            "Message polling",
        ),
        (Method::GET, "/api/v1/app/a/autoconfig", "Autoconfig"),
        (Method::GET, "/api/v1/app/a/destination/d", "Destinations"),
    ];
    for (method, path, family) in cases {
        let r = h.call(method.clone(), path, &h.admin, None).await;
        assert_eq!(r.status.as_u16(), 501, "{method} {path}: {:?}", r.json);
        assert_eq!(r.code(), "not_implemented", "{method} {path}");
        let detail = r.json["detail"].as_str().unwrap();
        assert!(
            detail.starts_with(family),
            "{method} {path}: {detail:?} names {family}"
        );
    }
    assert_eq!(h.get("/api/v1/app/a/endpointz").await.status.as_u16(), 404);
    assert_eq!(h.get("/api/v1/streams").await.status.as_u16(), 404);
}

/// Attempt statistics count the endpoint's attempts of the window by outcome.
#[tokio::test]
async fn attempt_stats_count_the_windows_attempts() {
    let h = Harness::new().await;
    h.app("a").await;
    h.endpoint("a", json!({"url": "https://e.com", "uid": "e"}))
        .await;
    h.endpoint("a", json!({"url": "https://other.example.com", "uid": "o"}))
        .await;
    for _ in 0..2 {
        h.message("a", json!({"eventType": "x.y", "payload": {}}))
            .await;
    }
    // Two messages to two endpoints: four attempts, two of them to `e`.
    assert_eq!(h.attempt_due(200).await.len(), 4);
    h.message("a", json!({"eventType": "x.y", "payload": {}}))
        .await;
    assert_eq!(h.attempt_due(500).await.len(), 2);
    let path = "/api/v1/app/a/endpoint/e/attempt-stats";
    let r = h.get(path).await.expect(200);
    assert_eq!(r.json, json!({"success": 2, "fail": 1, "canceled": 0}));
    let r = h
        .get(&format!("{path}?until=2999-01-01T00:00:00Z"))
        .await
        .expect(400);
    assert_eq!(r.code(), "invalid_range");
    h.get("/api/v1/app/a/endpoint/zzz/attempt-stats")
        .await
        .expect(404);
}
