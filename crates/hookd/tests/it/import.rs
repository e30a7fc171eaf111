//! `hookd import svix` as a user runs it, against a second hookd standing in for Svix (same
//! REST API v1): a source `hookd serve` is populated through its API, the import runs into a
//! fresh store (an SQLite data directory, and a PostgreSQL database), and a target `hookd
//! serve` on that store must then answer every object exactly as the source does (ids, uids,
//! secrets, headers, filters, metadata, times), sign a message it publishes with the source's
//! secret, change nothing on a second run, and follow the source's changes on a third.
//!
//! This file must not read either store directly: it sees both servers through their APIs, as
//! a user would. It must not sleep: deliveries are awaited on the receiver's change signal.

use std::{collections::HashSet, process::Command, time::Duration};

use serde_json::{json, Value};

use crate::cluster::harness::{Api, Backend, Node, Receiver, TestDatabase, BIN};

/// How long the test waits for one delivery before it fails.
const PATIENCE: Duration = Duration::from_secs(30);

/// More applications than one page of the importer's lists (250), so the import must follow
/// the source's iterator to the end.
const BARE_APPS: usize = 252;

/// Runs `hookd import svix` into the target's store; answers stdout, panicking with stderr on
/// failure.
fn import(source: &str, token: &str, target: &Backend) -> String {
    let mut cmd = Command::new(BIN);
    cmd.args(["import", "svix", "--url", source, "--token", token]);
    match target {
        Backend::Sqlite(dir) => cmd.arg("--data-dir").arg(dir),
        Backend::Postgres(url) => cmd.args(["--database-url", url]),
    };
    let out = cmd.env("HOOKD_LOG", "warn").output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "import failed: {stderr}");
    assert!(
        stderr.contains("applications 253/253"),
        "plain progress lines when not on a terminal: {stderr}"
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Every item of a list, page by page.
async fn list_all(api: &Api, url: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut iterator = String::new();
    loop {
        let sep = if url.contains('?') { '&' } else { '?' };
        let page = api
            .get(&format!("{url}{sep}limit=100&iterator={iterator}"))
            .await;
        items.extend(page["data"].as_array().unwrap().iter().cloned());
        if page["done"] == json!(true) {
            return items;
        }
        iterator = page["iterator"].as_str().unwrap().to_owned();
    }
}

/// Everything a user configured, as one server answers it: event types, applications, and per
/// endpoint its object, secret and headers.
async fn snapshot(api: &Api, base: &str) -> Value {
    let types = list_all(
        api,
        &format!("{base}/api/v1/event-type?include_archived=true&with_content=true"),
    )
    .await;
    let apps = list_all(api, &format!("{base}/api/v1/app")).await;
    let mut endpoints = Vec::new();
    for app in &apps {
        let app_id = app["id"].as_str().unwrap();
        for ep in list_all(api, &format!("{base}/api/v1/app/{app_id}/endpoint")).await {
            let path = format!(
                "{base}/api/v1/app/{app_id}/endpoint/{}",
                ep["id"].as_str().unwrap()
            );
            let secret = api.get(&format!("{path}/secret")).await;
            let headers = api.get(&format!("{path}/headers")).await;
            endpoints.push(json!({"endpoint": ep, "secret": secret, "headers": headers}));
        }
    }
    json!({"eventTypes": types, "apps": apps, "endpoints": endpoints})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_from_a_second_hookd_copies_everything_and_reruns_follow_only_changes() {
    let target_dir = tempfile::tempdir().unwrap();
    copy_and_compare(Backend::Sqlite(target_dir.path().to_owned())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_into_postgresql_copies_everything_and_reruns_follow_only_changes() {
    let db = TestDatabase::create("import");
    copy_and_compare(Backend::Postgres(db.url.clone())).await;
}

/// Populates a source hookd, imports it into `target` twice, and compares through the APIs.
async fn copy_and_compare(target_store: Backend) {
    let source_dir = tempfile::tempdir().unwrap();
    let source = Node::start("source", &Backend::Sqlite(source_dir.path().to_owned()));
    let token = source.printed_token.clone().unwrap();
    let api = Api::new(&token);
    let s = source.url();
    let receiver = Receiver::start().await;

    api.post(
        &format!("{s}/api/v1/event-type"),
        json!({"name": "invoice.paid", "description": "Paid",
               "schemas": {"1": {"type": "object", "properties": {"id": {"type": "string"}}}},
               "featureFlag": "beta"}),
    )
    .await;
    api.post(
        &format!("{s}/api/v1/event-type"),
        json!({"name": "invoice.void", "description": "Voided"}),
    )
    .await;
    let (status, _) = api
        .call(
            reqwest::Method::DELETE,
            &format!("{s}/api/v1/event-type/invoice.void"),
            None,
        )
        .await
        .unwrap();
    assert_eq!(status, 204, "archived");

    let app = api
        .post(
            &format!("{s}/api/v1/app"),
            json!({"name": "Acme", "uid": "acme", "throttleRate": 40,
                   "metadata": {"plan": "pro"}}),
        )
        .await;
    let app_id = app["id"].as_str().unwrap().to_owned();
    let main = api
        .post(
            &format!("{s}/api/v1/app/{app_id}/endpoint"),
            json!({"url": receiver.url(0), "uid": "main", "description": "billing",
                   "filterTypes": ["invoice.paid"], "channels": ["eu", "us"], "rateLimit": 7,
                   "metadata": {"team": "billing"},
                   "headers": {"X-Tenant": "acme", "Authorization": "Bearer hidden"}}),
        )
        .await;
    let main_id = main["id"].as_str().unwrap().to_owned();
    api.post(
        &format!("{s}/api/v1/app/{app_id}/endpoint"),
        json!({"url": receiver.url(1), "disabled": true}),
    )
    .await;
    for i in 0..BARE_APPS {
        api.post(
            &format!("{s}/api/v1/app"),
            json!({"name": format!("bare {i}")}),
        )
        .await;
    }
    let before = snapshot(&api, &s).await;

    let report = import(&s, &token, &target_store);
    assert!(
        report.contains("applications  253 read: 253 created"),
        "{report}"
    );
    assert!(
        report.contains("endpoints     2 read: 2 created"),
        "{report}"
    );
    assert!(
        report.contains("event types   2 read: 2 created"),
        "{report}"
    );
    assert!(
        report.contains(&format!(
            "endpoint {main_id} of {app_id}: header \"Authorization\""
        )) && report.contains("sensitive"),
        "the redacted header is reported: {report}"
    );
    assert!(report.contains("Never copied: message history"), "{report}");

    let target = Node::start("target", &target_store);
    let target_api = Api::new(&target.printed_token.clone().expect("no token was imported"));
    let t = target.url();
    let mut expected = before.clone();
    // The one thing not copied: the value Svix's API never shows.
    for ep in expected["endpoints"].as_array_mut().unwrap() {
        ep["headers"]["sensitive"] = json!([]);
    }
    assert_eq!(snapshot(&target_api, &t).await, expected);

    // The target signs with the source's secret, so the receiver keeps verifying.
    let source_secret = before["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["endpoint"]["id"] == json!(main_id))
        .unwrap()["secret"]["key"]
        .as_str()
        .unwrap()
        .to_owned();
    receiver.set_secret(0, &source_secret);
    let msg = target_api
        .post(
            &format!("{t}/api/v1/app/acme/msg"),
            json!({"eventType": "invoice.paid", "payload": {"id": "in_1"}, "channels": ["eu"]}),
        )
        .await;
    let msgs = HashSet::from([msg["id"].as_str().unwrap().to_owned()]);
    assert!(receiver.wait_all(&msgs, 1, PATIENCE).await.is_empty());
    assert_eq!(receiver.bad_signatures(), 0);

    // A second run, while the target serves, creates and updates nothing.
    let again = import(&s, &token, &target_store);
    assert!(
        again.contains("applications  253 read: 0 created, 0 updated, 253 unchanged"),
        "{again}"
    );
    assert!(
        again.contains("endpoints     2 read: 0 created, 0 updated, 2 unchanged"),
        "{again}"
    );
    assert!(
        again.contains("event types   2 read: 0 created, 0 updated, 2 unchanged"),
        "{again}"
    );
    assert_eq!(snapshot(&target_api, &t).await, expected);

    // Changes on the source (a new description, a rotated secret) come along on a third run.
    let main_path = format!("{s}/api/v1/app/{app_id}/endpoint/{main_id}");
    let (status, _) = api
        .call(
            reqwest::Method::PATCH,
            &main_path,
            Some(json!({"description": "moved"})),
        )
        .await
        .unwrap();
    assert_eq!(status, 200);
    api.post(&format!("{main_path}/secret/rotate"), json!({}))
        .await;
    let third = import(&s, &token, &target_store);
    assert!(
        third.contains("endpoints     2 read: 0 created, 1 updated, 1 unchanged"),
        "{third}"
    );
    let mut expected = snapshot(&api, &s).await;
    for ep in expected["endpoints"].as_array_mut().unwrap() {
        ep["headers"]["sensitive"] = json!([]);
    }
    assert_ne!(expected, before, "the source did change");
    assert_eq!(snapshot(&target_api, &t).await, expected);
}
