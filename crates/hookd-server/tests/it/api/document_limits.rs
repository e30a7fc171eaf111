//! The server accepts what its OpenAPI document allows and refuses what it forbids, at the
//! edges Schemathesis's data-acceptance checks found: integers written as `3.0`, empty query
//! values, booleans, enum filters, a query read even when the body says the same, header maps,
//! and the Idempotency-Key on a PUT. (The whole document is fuzzed by
//! `tests/schemathesis/run.py`; these pin each finding in process.)

use axum::http::Method;
use serde_json::json;

use crate::common::Harness;

#[tokio::test]
async fn an_integer_may_be_written_as_an_integral_float() {
    let h = Harness::new().await;
    let r = h
        .post(
            "/api/v1/app",
            json!({"name": "a", "uid": "a", "throttleRate": 1029.0}),
        )
        .await
        .expect(201);
    assert_eq!(r.json["throttleRate"], 1029);
    let r = h
        .post(
            "/api/v1/app/a/endpoint",
            json!({"url": "https://e.com", "uid": "e", "throttleRate": 7.0,
                   "options": {"timeoutMs": 2500.0, "successStatusCodes": [200.0, 202]}}),
        )
        .await
        .expect(201);
    assert_eq!(r.json["throttleRate"], 7);
    assert_eq!(r.json["options"]["timeoutMs"], 2500);
    assert_eq!(r.json["options"]["successStatusCodes"], json!([200, 202]));
    let r = h
        .patch("/api/v1/app/a", json!({"throttleRate": 12.0}))
        .await
        .expect(200);
    assert_eq!(r.json["throttleRate"], 12);

    for bad in [json!(1.5), json!(65536.0), json!("3")] {
        let r = h
            .patch("/api/v1/app/a", json!({"throttleRate": bad}))
            .await
            .expect(422);
        assert_eq!(r.loc(), vec!["body", "throttleRate"], "{bad}");
    }
}

#[tokio::test]
async fn an_empty_query_value_is_refused_by_name_except_the_iterator() {
    let h = Harness::new().await;
    h.app("a").await;
    for (query, name) in [
        ("tag=", "tag"),
        ("channel=", "channel"),
        ("with_content=", "with_content"),
        ("event_types=", "event_types"),
        ("before=", "before"),
        ("limit=", "limit"),
    ] {
        let r = h
            .get(&format!("/api/v1/app/a/msg?{query}"))
            .await
            .expect(422);
        assert_eq!(r.loc(), vec!["query", name], "{query}");
    }
    let r = h
        .get("/api/v1/app?exclude_apps_with_disabled_endpoints=")
        .await
        .expect(422);
    assert_eq!(
        r.loc(),
        vec!["query", "exclude_apps_with_disabled_endpoints"]
    );
    h.get("/api/v1/app/a/msg?iterator=").await.expect(200);
}

#[tokio::test]
async fn a_boolean_is_true_or_false_and_the_query_is_read_even_when_the_body_agrees() {
    let h = Harness::new().await;
    h.app("a").await;
    h.endpoint("a", json!({"url": "https://e.com", "uid": "e"}))
        .await;
    let r = h.get("/api/v1/app/a/msg?with_content=1").await.expect(422);
    assert_eq!(r.loc(), vec!["query", "with_content"]);
    let r = h
        .post(
            "/api/v1/app/a/endpoint/e/replay-missing?async=-708582792",
            json!({"since": "2026-01-01T00:00:00Z", "async": true}),
        )
        .await
        .expect(422);
    assert_eq!(r.loc(), vec!["query", "async"]);
}

#[tokio::test]
async fn the_task_filter_takes_only_the_kinds_hookd_runs() {
    let h = Harness::new().await;
    let r = h.get("/api/v1/background-task?task=AAA").await.expect(422);
    assert_eq!(r.loc(), vec!["query", "task"]);
    h.get("/api/v1/background-task?task=endpoint.recover")
        .await
        .expect(200);
}

#[tokio::test]
async fn header_values_hold_no_control_characters_and_up_to_4096_characters() {
    let h = Harness::new().await;
    h.app("a").await;
    h.endpoint("a", json!({"url": "https://e.com", "uid": "e"}))
        .await;
    let path = "/api/v1/app/a/endpoint/e/headers";
    let r = h
        .put(path, json!({"headers": {"X-A": "a\u{1}b"}}))
        .await
        .expect(422);
    assert_eq!(r.loc(), vec!["body", "headers", "X-A"]);
    h.put(path, json!({"headers": {"X-A": "tab\tok"}}))
        .await
        .expect(204);
    // 4096 characters of three bytes each: the limit counts characters, as the document's
    // maxLength does.
    let wide = "€".repeat(4096);
    h.put(path, json!({"headers": {"X-A": wide}}))
        .await
        .expect(204);
    let r = h
        .put(path, json!({"headers": {"X-A": "a".repeat(4097)}}))
        .await
        .expect(422);
    assert_eq!(r.loc(), vec!["body", "headers", "X-A"]);
    let r = h.put(path, json!({"headers": {"": "x"}})).await.expect(422);
    assert_eq!(r.loc(), vec!["body", "headers", ""]);
}

#[tokio::test]
async fn an_idempotency_key_on_a_put_is_honoured() {
    let h = Harness::new().await;
    let token = h.admin.clone();
    let key = [("idempotency-key", "put-1")];
    let path = "/api/v1/stats/usage/event-types";
    let first = h
        .raw(Method::PUT, path, Some(&token), None, &key)
        .await
        .expect(202);
    let again = h
        .raw(Method::PUT, path, Some(&token), None, &key)
        .await
        .expect(202);
    assert_eq!(
        again.json["id"], first.json["id"],
        "the same task, replayed"
    );
    assert_eq!(again.headers["idempotent-replayed"], "true");
    let r = h
        .raw(
            Method::PUT,
            path,
            Some(&token),
            None,
            &[("idempotency-key", "")],
        )
        .await
        .expect(400);
    assert_eq!(r.code(), "invalid_idempotency_key");
}
