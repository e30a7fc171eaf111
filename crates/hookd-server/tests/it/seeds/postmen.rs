//! Postmen (`shared/seeds/003_…`): the envelope `{event, date_time, meta, data}`, a 200 answer,
//! retries "up to 14 times … 2^number_of_fail x 30s" whose examples (2nd attempt 30 s after the
//! 1st, 6th 960 s after the 5th, nothing after the 14th) win over the formula, a secret kept in
//! the URL's query string, and results of long operations by webhook (`async=true`).
//! Configured as `docs/moving-postmen.md` does.

use chrono::Duration as ChronoDuration;
use serde_json::{json, Value};

use super::{body_json, headers_with, operational_endpoint, send_text, World};
use crate::common::receiver::Answer;

/// The customer's URL, secret included, exactly as they registered it.
const PATH: &str = "/postmen/webhook?secret=s3cr%2Ft+k%3D&v=2";

/// The seed's example webhook: what the receiver must get.
const EXAMPLE: &str = r#"{"event":"calculate_rates","date_time":"2016-09-26T07:15:30+00:00","meta":{"code":4713,"message":"All or partial failed in rate request.","details":[],"retryable":false},"data":{"created_at":"2016-09-26T07:15:26+00:00","id":"xxxxxx-3b12-4376-bc3d-33333333","updated_at":"2016-09-26T07:15:30+00:00","status":"calculated","rates":[{"shipper_account":{"id":"yyyyyy-1b7a-45da-8e1f-67898736567","slug":"fedex","description":"fedex testing account"},"service_type":null,"service_name":null,"pickup_deadline":null,"booking_cut_off":null,"delivery_date":null,"transit_time":null,"error_message":null,"info_message":null,"charge_weight":null,"total_charge":null,"detailed_charges":[]}]}}"#;

/// The endpoint options of the guide, as JSON text: the template's key order is the order on
/// the wire.
const OPTIONS: &str = r#"{
    "retryPolicy": {
        "type": "delays",
        "delaysSecs": [30, 120, 240, 480, 960, 1920, 3840, 7680, 15360, 30720, 61440, 122880, 245760]
    },
    "successStatusCodes": [200],
    "auth": [{"type": "querySecret", "param": "secret"}],
    "envelope": {"template": {
        "event": "{{ msg.eventType }}",
        "date_time": "{{ msg.timestamp | date: \"%Y-%m-%dT%H:%M:%S%:z\" }}",
        "meta": "{{ payload.meta }}",
        "data": "{{ payload.data }}"
    }}
}"#;

async fn setup(w: &World, base_url: &str) {
    for name in [
        "calculate_rates",
        "create_a_label",
        "cancel_a_label",
        "create_a_bulk_download",
        "manifest_a_label",
    ] {
        w.h.post(
            "/api/v1/event-type",
            json!({"name": name, "description": format!("{name} is done")}),
        )
        .await
        .expect(201);
    }
    w.h.post(
        "/api/v1/app",
        json!({"name": "Postmen account 1", "uid": "account-1"}),
    )
    .await
    .expect(201);
    let endpoint =
        format!(r#"{{"uid": "webhook-1", "url": "{base_url}{PATH}", "options": {OPTIONS}}}"#);
    send_text(&w.h, "POST", "/api/v1/app/account-1/endpoint", &endpoint)
        .await
        .expect(201);
}

/// Publishes the example's `meta` and `data` as the payload.
async fn publish(w: &World) -> String {
    let example: Value = serde_json::from_str(EXAMPLE).unwrap();
    let payload = json!({"meta": example["meta"], "data": example["data"]});
    let r =
        w.h.post(
            "/api/v1/app/account-1/msg",
            json!({"eventType": "calculate_rates", "payload": payload}),
        )
        .await
        .expect(202);
    r.json["id"].as_str().expect("id").to_owned()
}

fn base(rx: &crate::common::receiver::Receiver) -> String {
    rx.url("").trim_end_matches('/').to_owned()
}

#[tokio::test]
async fn the_envelope_and_the_url_secret_arrive_exactly() {
    let mut w = World::at("2016-09-26T07:15:30Z").await;
    let mut rx = w.receiver(&[]).await;
    setup(&w, &base(&rx)).await;
    let msg = publish(&w).await;
    let seen = rx.wait_requests(1).await;
    // The attempt is read back below: wait until it is recorded, not just sent.
    w.wait_completed(1).await;
    let req = &seen[0];
    assert_eq!(
        req.uri, PATH,
        "the query string, secret included, byte for byte"
    );
    assert_eq!(
        body_json(req),
        serde_json::from_str::<Value>(EXAMPLE).unwrap()
    );
    let body = String::from_utf8_lossy(&req.body);
    let order: Vec<usize> = ["\"event\"", "\"date_time\"", "\"meta\"", "\"data\""]
        .iter()
        .map(|k| body.find(k).unwrap())
        .collect();
    assert!(
        order.windows(2).all(|p| p[0] < p[1]),
        "keys in Postmen's order: {body}"
    );
    assert_eq!(req.header_names(), headers_with(&["content-type"]));

    // Nowhere that hookd shows the URL does the secret appear.
    let redacted = format!("{}/postmen/webhook?secret=REDACTED&v=2", base(&rx));
    let ep =
        w.h.get("/api/v1/app/account-1/endpoint/webhook-1")
            .await
            .expect(200);
    assert_eq!(ep.json["url"], redacted);
    let attempts =
        w.h.get(&format!("/api/v1/app/account-1/attempt/msg/{msg}"))
            .await
            .expect(200);
    let shown = format!(
        "{}{}{}",
        String::from_utf8_lossy(&ep.body),
        String::from_utf8_lossy(&attempts.body),
        String::from_utf8_lossy(
            &w.h.get(&format!("/api/v1/app/account-1/msg/{msg}/endpoint"))
                .await
                .body
        )
    );
    assert!(!shown.contains("s3cr"), "{shown}");
    assert_eq!(attempts.json["data"][0]["url"], redacted);

    // The attempt recorded exactly what was sent: the enveloped body byte for byte, and every
    // header the receiver got, with its value.
    let attempt_id = attempts.json["data"][0]["id"].as_str().unwrap();
    let sent =
        w.h.get(&format!(
            "/api/v1/app/account-1/msg/{msg}/attempt/{attempt_id}/request"
        ))
        .await
        .expect(200);
    assert_eq!(sent.json["recorded"], true);
    assert_eq!(sent.json["bodyTruncated"], false);
    assert_eq!(sent.json["url"], redacted);
    assert_eq!(
        sent.json["body"].as_str().unwrap().as_bytes(),
        &req.body[..],
        "the recorded body is the body sent"
    );
    let recorded: Vec<(String, String)> = sent.json["headers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["name"].as_str().unwrap().to_owned(),
                h["value"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for (name, value) in &recorded {
        assert_eq!(req.header(name), value, "{name}");
    }
    let mut names: Vec<String> = recorded.iter().map(|(n, _)| n.clone()).collect();
    names.sort();
    // The receiver also sees transport headers (host, content-length…) that hookd's HTTP
    // client adds; everything hookd itself set is recorded.
    assert!(names.iter().all(|n| req.header_names().contains(n)));
    assert!(names.contains(&"content-type".to_owned()) && names.contains(&"user-agent".to_owned()));

    // A dashboard that sends the redacted URL back (with another change) keeps the secret.
    w.h.put(
        "/api/v1/app/account-1/endpoint/webhook-1",
        json!({"url": redacted, "description": "renamed"}),
    )
    .await
    .expect(200);
    publish(&w).await;
    let seen = rx.wait_requests(2).await;
    assert_eq!(seen[1].uri, PATH);
}

#[tokio::test]
async fn retries_follow_the_examples_and_stop_after_the_fourteenth() {
    let mut w = World::at("2016-09-26T07:15:30Z").await;
    let mut rx = w.receiver(&[Answer::Status(500); 20]).await;
    setup(&w, &base(&rx)).await;
    let before = w.counts(&rx).await;
    let msg = publish(&w).await;
    let times = w.walk_schedule(&mut rx, "account-1", &msg, before).await;
    assert_eq!(times.len(), 14, "no attempt after the 14th");
    let gaps = super::gaps(&times);
    assert_eq!(gaps[0], 30, "the 2nd attempt 30 s after the 1st");
    assert_eq!(gaps[4], 960, "the 6th attempt 960 s after the 5th");
    assert_eq!(
        gaps,
        vec![30, 120, 240, 480, 960, 1920, 3840, 7680, 15360, 30720, 61440, 122880, 245760]
    );
    assert_eq!(w.destination("account-1", &msg).await["status"], 2);
    assert!(w.nothing_due_within(ChronoDuration::days(30)).await);
}

#[tokio::test]
async fn async_operations_report_by_operational_webhook() {
    let mut w = World::at("2016-09-26T07:15:30Z").await;
    let mut ops = w.receiver(&[]).await;
    operational_endpoint(&w.h, &ops.url("/hookd-ops")).await;
    // The customer's endpoint fails once for good (no retries), then answers 200.
    let mut rx = w.receiver(&[Answer::Status(500)]).await;
    setup(&w, &base(&rx)).await;
    w.h.patch(
        "/api/v1/app/account-1/endpoint/webhook-1",
        json!({"options": {"retryPolicy": {"type": "delays", "delaysSecs": []}}}),
    )
    .await
    .expect(200);
    let msg = publish(&w).await;
    rx.wait_requests(1).await;
    w.wait_completed(1).await;
    assert_eq!(w.destination("account-1", &msg).await["status"], 2);

    // Bulk resend of the failed messages, asynchronously: a task id at once, then a webhook.
    let r =
        w.h.post(
            "/api/v1/app/account-1/endpoint/webhook-1/bulk-resend?async=true",
            json!({"since": "2016-09-26T00:00:00Z", "status": 2}),
        )
        .await
        .expect(202);
    assert_eq!(r.json["status"], "running");
    let task = r.json["id"].as_str().unwrap().to_owned();
    assert!(task.starts_with("qtask_"));
    let report = ops.wait_requests(1).await;
    let event = body_json(&report[0]);
    assert_eq!(
        event,
        json!({"type": "background_task.finished", "data": {
            "taskId": task, "task": "endpoint.bulk_resend", "status": "finished",
            "data": {"resent": 1, "skipped": 0}
        }})
    );
    // Operational webhooks are signed like any other delivery.
    assert!(!report[0].header("webhook-signature").is_empty());
    let resent = rx.wait_requests(2).await;
    assert_eq!(resent[1].uri, PATH);
    assert_eq!(
        body_json(&resent[1]),
        serde_json::from_str::<Value>(EXAMPLE).unwrap()
    );

    // Recover takes the same flag, in the query string or the body.
    let r =
        w.h.post(
            "/api/v1/app/account-1/endpoint/webhook-1/recover",
            json!({"since": "2016-09-26T00:00:00Z", "async": true}),
        )
        .await
        .expect(202);
    let task = r.json["id"].as_str().unwrap().to_owned();
    let reports = ops.wait_requests(2).await;
    let event = body_json(&reports[1]);
    assert_eq!(event["data"]["taskId"], task.as_str());
    assert_eq!(event["data"]["task"], "endpoint.recover");
    assert_eq!(event["data"]["data"], json!({"recovered": 0}));
}

#[tokio::test]
async fn a_failed_attempt_never_records_the_secret() {
    let mut w = World::at("2016-09-26T07:15:30Z").await;
    // A port that was free a moment ago and has no listener now.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    setup(&w, &format!("http://127.0.0.1:{port}")).await;
    let msg = publish(&w).await;
    w.wait_completed(1).await;
    let attempts =
        w.h.get(&format!("/api/v1/app/account-1/attempt/msg/{msg}"))
            .await
            .expect(200);
    let a = &attempts.json["data"][0];
    assert!(
        a["response"]
            .as_str()
            .unwrap()
            .starts_with("connection failed"),
        "{a}"
    );
    assert!(!String::from_utf8_lossy(&attempts.body).contains("s3cr"));
    assert!(a["url"].as_str().unwrap().contains("secret=REDACTED"));
}
