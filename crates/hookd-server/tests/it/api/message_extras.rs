//! Svix's newer message fields through the API: `deliverAt` (bounds, read back, shown as the
//! destinations' next attempt), raw payloads and message headers (what is refused, what reads
//! back), `tags` and the `tag` filter of every list that takes it, `payloadRetentionHours`, and
//! the list parameters the SDKs send (`with_msg`, `expanded_statuses`, the application list's
//! filters). The workers are not running: deliveries are played by `Harness::attempt_due`.

use serde_json::{json, Value};

use crate::common::Harness;

/// The RFC 3339 text hookd answers for a time `hours` after the harness's start.
fn at(hours: i64) -> String {
    (chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").unwrap()
        + chrono::Duration::hours(hours))
    .to_utc()
    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn ids(list: &Value) -> Vec<String> {
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["msgId"].as_str().or(m["id"].as_str()).unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn deliver_at_is_bounded_held_and_shown_as_the_next_attempt() {
    let h = Harness::new().await;
    let app = h.app("a").await;
    let ep = h.endpoint(&app, json!({"url": "https://e.com"})).await;
    let ep_id = ep["id"].as_str().unwrap();
    let later = h
        .message(
            &app,
            json!({"eventType": "x", "payload": {}, "deliverAt": at(2)}),
        )
        .await;
    assert_eq!(later["deliverAt"], at(2));
    let id = later["id"].as_str().unwrap();
    assert_eq!(
        h.get(&format!("/api/v1/app/{app}/msg/{id}")).await.json["deliverAt"],
        at(2)
    );
    let dests = h.get(&format!("/api/v1/app/{app}/msg/{id}/endpoint")).await;
    assert_eq!(dests.json["data"][0]["nextAttempt"], at(2));
    let sent = h
        .get(&format!("/api/v1/app/{app}/endpoint/{ep_id}/msg"))
        .await;
    assert_eq!(sent.json["data"][0]["nextAttempt"], at(2));
    assert_eq!(sent.json["data"][0]["deliverAt"], at(2));
    assert!(h.attempt_due(200).await.is_empty(), "not before deliverAt");

    // A time already past is now, and shows no deliverAt.
    let past = h
        .message(
            &app,
            json!({"eventType": "x", "payload": {}, "deliverAt": "2025-12-31T00:00:00Z"}),
        )
        .await;
    assert_eq!(past["deliverAt"], Value::Null);
    assert_eq!(h.attempt_due(200).await.len(), 1);

    h.advance_ms(2 * 3_600_000);
    let due = h.attempt_due(200).await;
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].msg_id.as_str(), id);

    for body in [
        json!({"eventType": "x", "payload": {}, "deliverAt": at(27)}),
        json!({"eventType": "x", "payload": {}, "deliverAt": "tomorrow"}),
        // The payload would be gone before the delivery.
        json!({"eventType": "x", "payload": {}, "deliverAt": at(5), "payloadRetentionHours": 3}),
    ] {
        let r = h
            .post(&format!("/api/v1/app/{app}/msg"), body.clone())
            .await;
        assert_eq!(r.expect(422).loc(), ["body", "deliverAt"], "for {body}");
    }
}

#[tokio::test]
async fn raw_payloads_read_back_as_svix_shows_them_and_bad_params_are_named() {
    let h = Harness::new().await;
    let app = h.app("a").await;
    let raw = |text: &str| json!({"eventType": "x", "payload": {}, "transformationsParams": {"rawPayload": text}});
    let form = h.message(&app, raw("a=1&b=2")).await;
    assert_eq!(
        form["payload"],
        json!({}),
        "not a JSON object: shown as sent"
    );
    let object = h.message(&app, raw(r#"{"b": 1,  "a": 2}"#)).await;
    let id = object["id"].as_str().unwrap();
    let read = h
        .get(&format!("/api/v1/app/{app}/msg/{id}"))
        .await
        .expect(200);
    assert_eq!(
        read.json["payload"],
        json!({"b": 1, "a": 2}),
        "a JSON object shows"
    );
    let array = h.message(&app, raw("[1, 2]")).await;
    assert_eq!(array["payload"], json!({}), "only an object is a payload");

    for (body, loc) in [
        (
            json!({"eventType": "x", "payload": {"a": 1},
                   "transformationsParams": {"rawPayload": "a=1"}}),
            vec!["body", "payload"],
        ),
        (
            json!({"eventType": "x", "payload": {},
                   "transformationsParams": {"rawPayload": 1}}),
            vec!["body", "transformationsParams", "rawPayload"],
        ),
        (
            json!({"eventType": "x", "payload": {},
                   "transformationsParams": {"rawPayload": "a\u{0}b"}}),
            vec!["body", "transformationsParams", "rawPayload"],
        ),
        (
            json!({"eventType": "x", "payload": {},
                   "transformationsParams": {"template": "{{ payload }}"}}),
            vec!["body", "transformationsParams", "template"],
        ),
        (
            json!({"eventType": "x", "payload": {},
                   "transformationsParams": {"headers": {"webhook-signature": "v1,x"}}}),
            vec![
                "body",
                "transformationsParams",
                "headers",
                "webhook-signature",
            ],
        ),
        (
            json!({"eventType": "x", "payload": {},
                   "transformationsParams": {"headers": {"Transfer-Encoding": "chunked"}}}),
            vec![
                "body",
                "transformationsParams",
                "headers",
                "Transfer-Encoding",
            ],
        ),
        (
            json!({"eventType": "x", "payload": {},
                   "transformationsParams": {"headers": ["content-type"]}}),
            vec!["body", "transformationsParams", "headers"],
        ),
        (
            json!({"eventType": "x", "payload": {}, "transformationsParams": []}),
            vec!["body", "transformationsParams"],
        ),
    ] {
        let r = h
            .post(&format!("/api/v1/app/{app}/msg"), body.clone())
            .await;
        assert_eq!(r.expect(422).loc(), loc, "for {body}");
    }
    // Headers alone are fine, on a JSON payload too.
    h.message(
        &app,
        json!({"eventType": "x", "payload": {"a": 1},
               "transformationsParams": {"headers": {"X-Trace": "t-1"}, "rawPayload": null}}),
    )
    .await;
}

#[tokio::test]
async fn tags_are_returned_and_filter_every_list_that_takes_them() {
    let h = Harness::new().await;
    let app = h.app("a").await;
    let ep = h.endpoint(&app, json!({"url": "https://e.com"})).await;
    let ep_id = ep["id"].as_str().unwrap().to_owned();
    let red = h
        .message(
            &app,
            json!({"eventType": "x", "payload": {}, "tags": ["red", "a/b#1", "red"]}),
        )
        .await;
    assert_eq!(red["tags"], json!(["red", "a/b#1"]), "deduplicated");
    let plain = h
        .message(&app, json!({"eventType": "x", "payload": {}}))
        .await;
    assert_eq!(plain["tags"], Value::Null);
    let red_id = red["id"].as_str().unwrap().to_owned();
    let plain_id = plain["id"].as_str().unwrap().to_owned();
    assert_eq!(h.attempt_due(500).await.len(), 2);

    let list = |path: String| {
        let h = &h;
        async move { ids(&h.get(&path).await.expect(200).json) }
    };
    assert_eq!(
        list(format!("/api/v1/app/{app}/msg?tag=red")).await,
        [red_id.as_str()]
    );
    assert_eq!(
        list(format!("/api/v1/app/{app}/msg?tag=a%2Fb%231")).await,
        [red_id.as_str()]
    );
    assert!(list(format!("/api/v1/app/{app}/msg?tag=blue"))
        .await
        .is_empty());
    assert_eq!(list(format!("/api/v1/app/{app}/msg")).await.len(), 2);
    assert_eq!(
        list(format!(
            "/api/v1/app/{app}/attempt/endpoint/{ep_id}?tag=red"
        ))
        .await,
        [red_id.as_str()]
    );
    assert_eq!(
        list(format!("/api/v1/app/{app}/attempt/msg/{red_id}?tag=red")).await,
        [red_id.as_str()]
    );
    assert!(
        list(format!("/api/v1/app/{app}/attempt/msg/{plain_id}?tag=red"))
            .await
            .is_empty()
    );
    assert_eq!(
        list(format!("/api/v1/app/{app}/endpoint/{ep_id}/msg?tag=red")).await,
        [red_id.as_str()]
    );

    let r = h
        .get(&format!("/api/v1/app/{app}/msg?tag=no%20spaces"))
        .await;
    assert_eq!(r.expect(422).loc(), ["query", "tag"]);
    for tags in [
        json!(["1", "2", "3", "4", "5", "6"]),
        json!(["a:b"]),
        json!([""]),
    ] {
        let r = h
            .post(
                &format!("/api/v1/app/{app}/msg"),
                json!({"eventType": "x", "payload": {}, "tags": tags}),
            )
            .await;
        assert_eq!(r.expect(422).loc(), ["body", "tags"], "for {tags}");
    }
}

#[tokio::test]
async fn payload_retention_hours_sets_the_expiry_and_excludes_days() {
    let h = Harness::new().await;
    let app = h.app("a").await;
    let msg = h
        .message(
            &app,
            json!({"eventType": "x", "payload": {"a": 1}, "payloadRetentionHours": 1}),
        )
        .await;
    let app_id = hookd_core::id::AppId::from_trusted(app.clone());
    let stored = h
        .store()
        .get_message(&app_id, msg["id"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.payload_expires_at.map(|t| t - stored.created_at),
        Some(chrono::Duration::hours(1))
    );
    let r = h
        .post(
            &format!("/api/v1/app/{app}/msg"),
            json!({"eventType": "x", "payload": {},
                   "payloadRetentionHours": 24, "payloadRetentionPeriod": 5}),
        )
        .await
        .expect(422);
    let locs: Vec<_> = r.json["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["loc"][1].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(locs, ["payloadRetentionPeriod", "payloadRetentionHours"]);
    for hours in [0, 2161] {
        let r = h
            .post(
                &format!("/api/v1/app/{app}/msg"),
                json!({"eventType": "x", "payload": {}, "payloadRetentionHours": hours}),
            )
            .await;
        assert_eq!(r.expect(422).loc(), ["body", "payloadRetentionHours"]);
    }
}

#[tokio::test]
async fn with_msg_and_expanded_statuses_are_honoured() {
    let h = Harness::new().await;
    let app = h.app("a").await;
    let ep = h.endpoint(&app, json!({"url": "https://e.com"})).await;
    let ep_id = ep["id"].as_str().unwrap().to_owned();
    let msg = h
        .message(
            &app,
            json!({"eventType": "x", "payload": {"secret": 1}, "tags": ["t"]}),
        )
        .await;
    let msg_id = msg["id"].as_str().unwrap().to_owned();
    h.attempt_due(200).await;
    let path = format!("/api/v1/app/{app}/attempt/endpoint/{ep_id}");
    let with = h.get(&format!("{path}?with_msg=true")).await.expect(200);
    let carried = &with.json["data"][0]["msg"];
    assert_eq!(carried["id"], msg_id.as_str());
    assert_eq!(carried["tags"], json!(["t"]));
    assert_eq!(carried["payload"], json!({}), "never the payload");
    let without = h.get(&path).await.expect(200);
    assert!(without.json["data"][0].get("msg").is_none());
    assert_eq!(
        h.get(&format!("{path}?with_msg=maybe"))
            .await
            .expect(422)
            .loc(),
        ["query", "with_msg"]
    );

    // A delivery canceled by its endpoint's disabling: Fail unless statuses are expanded.
    let off = h.endpoint(&app, json!({"url": "https://off.com"})).await;
    let off_id = off["id"].as_str().unwrap().to_owned();
    let second = h
        .message(&app, json!({"eventType": "x", "payload": {}}))
        .await;
    let second_id = second["id"].as_str().unwrap().to_owned();
    h.patch(
        &format!("/api/v1/app/{app}/endpoint/{off_id}"),
        json!({"disabled": true}),
    )
    .await
    .expect(200);
    cancel_due(&h).await;
    let dests = format!("/api/v1/app/{app}/msg/{second_id}/endpoint");
    let status_of = |list: &Value| {
        list["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["id"] == off_id.as_str())
            .map(|d| (d["status"].clone(), d["statusText"].clone()))
            .unwrap()
    };
    assert_eq!(
        status_of(&h.get(&dests).await.json),
        (json!(2), json!("fail"))
    );
    assert_eq!(
        status_of(&h.get(&format!("{dests}?expanded_statuses=true")).await.json),
        (json!(4), json!("canceled"))
    );
    let sent = h
        .get(&format!(
            "/api/v1/app/{app}/endpoint/{off_id}/msg?expanded_statuses=true"
        ))
        .await;
    assert_eq!(sent.json["data"][0]["status"], 4);
    // Attempts are Success or Fail whatever the flag; a bad value is named.
    h.get(&format!("{path}?expanded_statuses=true"))
        .await
        .expect(200);
    assert_eq!(
        h.get(&format!("{dests}?expanded_statuses=x"))
            .await
            .expect(422)
            .loc(),
        ["query", "expanded_statuses"]
    );
}

/// Plays a worker that finds every due delivery's endpoint disabled.
async fn cancel_due(h: &Harness) {
    use hookd_core::{
        clock::Clock,
        store::{ClaimRequest, Completion, Outcome},
    };
    let claimed = h
        .store()
        .claim_due(&ClaimRequest {
            owner: "test",
            lease_token: "cancel",
            now: h.clock.now(),
            lease: chrono::Duration::seconds(60),
            limit: 100,
        })
        .await
        .unwrap();
    let batch: Vec<_> = claimed
        .into_iter()
        .map(|c| Completion {
            msg_id: c.message.id,
            endpoint_id: c.endpoint.id,
            lease_token: c.lease_token,
            outcome: Outcome::Canceled,
            now: h.clock.now(),
        })
        .collect();
    h.store().complete(&batch).await.unwrap();
}

#[tokio::test]
async fn the_application_list_filters_by_endpoints() {
    let h = Harness::new().await;
    let bare = h.app("bare").await;
    let off = h.app("off").await;
    let ep = h.endpoint(&off, json!({"url": "https://e.com"})).await;
    h.patch(
        &format!("/api/v1/app/{off}/endpoint/{}", ep["id"].as_str().unwrap()),
        json!({"disabled": true}),
    )
    .await
    .expect(200);
    let play = h.app("play").await;
    h.endpoint(&play, json!({"url": "https://play.svix.com/in/e_abc/"}))
        .await;
    let live = h.app("live").await;
    h.endpoint(&live, json!({"url": "https://e.com"})).await;
    let list = |q: &str| {
        let h = &h;
        let q = q.to_owned();
        async move {
            let mut ids = ids(&h.get(&format!("/api/v1/app?{q}")).await.expect(200).json);
            ids.sort();
            ids
        }
    };
    let sorted = |apps: &[&String]| {
        let mut v: Vec<String> = apps.iter().map(|s| s.to_string()).collect();
        v.sort();
        v
    };
    assert_eq!(list("").await, sorted(&[&bare, &off, &play, &live]));
    assert_eq!(
        list("exclude_apps_with_no_endpoints=true").await,
        sorted(&[&off, &play, &live])
    );
    assert_eq!(
        list("exclude_apps_with_disabled_endpoints=true").await,
        sorted(&[&bare, &play, &live])
    );
    assert_eq!(
        list("exclude_apps_with_svix_play_endpoints=true&exclude_apps_with_no_endpoints=true")
            .await,
        sorted(&[&off, &live])
    );
    let r = h
        .get("/api/v1/app?exclude_apps_with_no_endpoints=yes")
        .await;
    assert_eq!(
        r.expect(422).loc(),
        ["query", "exclude_apps_with_no_endpoints"]
    );
}
