//! Bad retry policies, templates and options get Svix's 422 shape naming the field, on every
//! route that takes them; Svix's own requests (no `options`) are unaffected.

use serde_json::{json, Value};

use crate::common::Harness;

fn locs(json: &Value) -> Vec<String> {
    json["detail"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|i| {
                    i["loc"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|s| s.as_str().unwrap_or_default().to_owned())
                        .collect::<Vec<_>>()
                        .join(".")
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn harness() -> Harness {
    let h = Harness::new().await;
    h.app("acme").await;
    h
}

#[tokio::test]
async fn bad_endpoint_options_are_422_at_the_field() {
    let h = harness().await;
    let cases = [
        (
            json!({"retryPolicy": {"type": "fixed", "baseSecs": 300}}),
            "body.options.retryPolicy.maxAttempts",
        ),
        (
            json!({"retryPolicy": {"type": "exponential", "baseSecs": 0, "maxAttempts": 3}}),
            "body.options.retryPolicy.baseSecs",
        ),
        (
            json!({"retryPolicy": {"type": "fixed", "baseSecs": 300, "maxAttempt": 3}}),
            "body.options.retryPolicy.maxAttempt",
        ),
        (
            json!({"retryPolicy": {"type": "sometimes"}}),
            "body.options.retryPolicy.type",
        ),
        (
            json!({"retryPolicy": {"type": "delays", "delaysSecs": [5, "x"]}}),
            "body.options.retryPolicy.delaysSecs.1",
        ),
        (json!({"timeoutMs": 120000}), "body.options.timeoutMs"),
        (
            json!({"successStatusCodes": [200, 700]}),
            "body.options.successStatusCodes.1",
        ),
        (
            json!({"auth": [{"type": "staticHeader", "header": "Postpress-Auth"}]}),
            "body.options.auth.0.value",
        ),
        (
            json!({"auth": [{"type": "querySecret", "param": "secret"}]}),
            "body.options.auth.0.param",
        ),
        (
            json!({"envelope": {"template": {"event_time": "{{ msg.timestamp | date: \"%Q\" }}"}}}),
            "body.options.envelope.template.event_time",
        ),
        (
            json!({"envelope": {"template": {"a": {"b": "{{ msg.nothing }}"}}}}),
            "body.options.envelope.template.a.b",
        ),
        (
            json!({"envelope": {"tempalte": {}}}),
            "body.options.envelope.tempalte",
        ),
        (json!({"retries": 5}), "body.options.retries"),
    ];
    for (options, loc) in cases {
        let r = h
            .post(
                "/api/v1/app/acme/endpoint",
                json!({"url": "https://example.com/hook", "options": options}),
            )
            .await;
        assert_eq!(r.status.as_u16(), 422, "{options}: {}", r.json);
        assert!(
            locs(&r.json).contains(&loc.to_owned()),
            "{options}: expected {loc}, got {}",
            r.json
        );
    }
    // Nothing was created by the refused requests.
    let list = h.get("/api/v1/app/acme/endpoint").await.expect(200);
    assert_eq!(list.json["data"], json!([]));
}

#[tokio::test]
async fn patch_and_put_check_options_against_the_url() {
    let h = harness().await;
    h.endpoint(
        "acme",
        json!({"uid": "e", "url": "https://example.com/hook?secret=abc",
               "options": {"auth": [{"type": "querySecret", "param": "secret"}]}}),
    )
    .await;
    // Moving the URL away from its secret parameter breaks the scheme.
    let r = h
        .patch(
            "/api/v1/app/acme/endpoint/e",
            json!({"url": "https://example.com/other"}),
        )
        .await
        .expect(422);
    assert_eq!(r.loc(), vec!["body", "options", "auth", "0", "param"]);
    let r = h
        .patch(
            "/api/v1/app/acme/endpoint/e",
            json!({"options": {"timeoutMs": 5}}),
        )
        .await
        .expect(422);
    assert_eq!(r.loc(), vec!["body", "options", "timeoutMs"]);
    // options: null resets every option (and so the query secret is shown again).
    let r = h
        .patch("/api/v1/app/acme/endpoint/e", json!({"options": null}))
        .await
        .expect(200);
    assert!(r.json.get("options").is_none(), "{}", r.json);
    assert_eq!(r.json["url"], "https://example.com/hook?secret=abc");
}

#[tokio::test]
async fn bad_event_type_templates_are_422() {
    let h = harness().await;
    let r = h
        .post(
            "/api/v1/event-type",
            json!({"name": "a.b", "description": "x",
                   "options": {"envelope": {"template": {"x": "{{ payload"}}}}),
        )
        .await
        .expect(422);
    assert_eq!(
        r.loc(),
        vec!["body", "options", "envelope", "template", "x"]
    );
    h.event_type("a.b").await;
    let r = h
        .patch(
            "/api/v1/event-type/a.b",
            json!({"options": {"envelope": {"template": ["{{ payload }}"]}}}),
        )
        .await
        .expect(422);
    assert_eq!(r.loc(), vec!["body", "options", "envelope", "template"]);
}

#[tokio::test]
async fn svix_shapes_are_unchanged_without_options() {
    let h = harness().await;
    let ep = h
        .endpoint("acme", json!({"url": "https://example.com/hook"}))
        .await;
    assert!(ep.get("options").is_none(), "{ep}");
    h.event_type("a.b").await;
    let et = h.get("/api/v1/event-type/a.b").await.expect(200);
    assert!(et.json.get("options").is_none());
    // A PUT from a Svix SDK (no options) keeps hookd's options.
    h.endpoint(
        "acme",
        json!({"uid": "o", "url": "https://example.com/o", "options": {"timeoutMs": 30000}}),
    )
    .await;
    let r = h
        .put(
            "/api/v1/app/acme/endpoint/o",
            json!({"url": "https://example.com/o2"}),
        )
        .await
        .expect(200);
    assert_eq!(r.json["options"], json!({"timeoutMs": 30000}));
}
