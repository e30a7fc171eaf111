//! hookd's metrics as an operator's Prometheus sees them: a real `hookd serve`, scraped by a
//! real `prometheus` (Debian's package; `./scripts/test` installs it) every second while
//! messages are published to one endpoint that accepts and one that refuses; PromQL over
//! Prometheus's HTTP API must then agree with what the receiver counted. Also: the alert rules
//! in `docs/monitoring/` pass `promtool check rules`, and every metric the example Grafana
//! dashboard queries is one hookd exports.

use std::{
    collections::BTreeSet,
    path::Path,
    process::{Child, Command, Stdio},
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use serde_json::{json, Value};

use crate::cluster::harness::{Backend, Node};

/// Messages to each endpoint. Enough for the counters to be more than a handful, few enough
/// that the test takes seconds.
const ACCEPTED: u64 = 120;
const REFUSED: u64 = 40;

/// How long Prometheus may take to start, scrape and agree: seconds normally, slack for a
/// loaded CI machine.
const WAIT: Duration = Duration::from_secs(90);

/// A process killed with the test.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn tool(name: &str) -> &'static str {
    let path: &'static str = match name {
        "prometheus" => "/usr/bin/prometheus",
        _ => "/usr/bin/promtool",
    };
    assert!(
        Path::new(path).exists(),
        "{path} is missing: install Debian's `prometheus` package (./scripts/test does)"
    );
    path
}

/// A receiver that answers 204 on `/ok` and 500 on `/refuse`, counting each.
async fn receiver() -> (String, Arc<AtomicU64>, Arc<AtomicU64>) {
    let ok = Arc::new(AtomicU64::new(0));
    let refused = Arc::new(AtomicU64::new(0));
    let (o, r) = (ok.clone(), refused.clone());
    let app = axum::Router::new()
        .route(
            "/ok",
            axum::routing::post(move || {
                o.fetch_add(1, Ordering::SeqCst);
                async { axum::http::StatusCode::NO_CONTENT }
            }),
        )
        .route(
            "/refuse",
            axum::routing::post(move || {
                r.fetch_add(1, Ordering::SeqCst);
                async { axum::http::StatusCode::INTERNAL_SERVER_ERROR }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, ok, refused)
}

/// Prometheus scraping `target` every second, and its address.
fn prometheus(dir: &Path, target: &str) -> (Killed, String) {
    let port = free_port();
    let config = dir.join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
             scrape_configs:\n  - job_name: hookd\n    static_configs:\n      - targets: ['{target}']\n"
        ),
    )
    .unwrap();
    let child = Command::new(tool("prometheus"))
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.join("tsdb").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    (Killed(child), format!("http://127.0.0.1:{port}"))
}

/// The value of a PromQL query that yields one number, `None` while it yields none.
async fn query(client: &reqwest::Client, prometheus: &str, promql: &str) -> Option<f64> {
    let resp = client
        .get(format!("{prometheus}/api/v1/query"))
        .query(&[("query", promql)])
        .send()
        .await
        .ok()?;
    let body: Value = resp.json().await.ok()?;
    let result = body["data"]["result"].as_array()?;
    let value = result.first()?["value"][1].as_str()?;
    value.parse().ok()
}

/// Waits until `promql` yields `want` (within a hair, for floats).
async fn until(client: &reqwest::Client, prometheus: &str, promql: &str, want: f64) {
    let deadline = Instant::now() + WAIT;
    let mut last = None;
    while Instant::now() < deadline {
        last = query(client, prometheus, promql).await;
        if last.is_some_and(|v| (v - want).abs() < 1e-9) {
            return;
        }
        // Prometheus evaluates what it scraped once a second: waiting for its next scrape.
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("`{promql}` is {last:?}, not {want}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_prometheus_scrapes_what_the_receiver_counted() {
    let dir = tempfile::tempdir().unwrap();
    let (rx_url, ok, refused) = receiver().await;
    let node = tokio::task::block_in_place(|| {
        Node::start("prometheus", &Backend::Sqlite(dir.path().to_owned()))
    });
    let token = node
        .printed_token
        .clone()
        .expect("a first start prints a token");
    let address = node.url().trim_start_matches("http://").to_owned();
    let api = format!("http://{address}/api/v1");
    let client = reqwest::Client::new();
    for name in ["ok.event", "refused.event"] {
        post(
            &client,
            &api,
            &token,
            "/event-type",
            json!({"name": name, "description": name}),
        )
        .await;
    }
    post(
        &client,
        &api,
        &token,
        "/app",
        json!({"name": "Acme", "uid": "acme"}),
    )
    .await;
    // One attempt each: the refused deliveries are exhausted at once, so the counts settle.
    let once = json!({"retryPolicy": {"type": "fixed", "baseSecs": 60, "maxAttempts": 1}});
    for (path, event) in [("/ok", "ok.event"), ("/refuse", "refused.event")] {
        let body =
            json!({"url": format!("{rx_url}{path}"), "eventTypes": [event], "options": once});
        post(&client, &api, &token, "/app/acme/endpoint", body).await;
    }

    // Load from several publishers at once, as whbench makes it, while Prometheus starts.
    let (_prometheus, prom) = prometheus(dir.path(), &address);
    let mut publishers = Vec::new();
    for p in 0..4u64 {
        let (client, api, token) = (client.clone(), api.clone(), token.clone());
        publishers.push(tokio::spawn(async move {
            for n in (p..ACCEPTED + REFUSED).step_by(4) {
                let event = if n < ACCEPTED {
                    "ok.event"
                } else {
                    "refused.event"
                };
                let body = json!({"eventType": event, "payload": {"n": n}});
                post(&client, &api, &token, "/app/acme/msg", body).await;
            }
        }));
    }
    for p in publishers {
        p.await.unwrap();
    }

    // The receiver's counts are what Prometheus must agree with.
    let deadline = Instant::now() + WAIT;
    while ok.load(Ordering::SeqCst) < ACCEPTED || refused.load(Ordering::SeqCst) < REFUSED {
        assert!(
            Instant::now() < deadline,
            "the receiver did not get every delivery"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (accepted, refusals) = (ok.load(Ordering::SeqCst), refused.load(Ordering::SeqCst));
    assert_eq!(
        (accepted, refusals),
        (ACCEPTED, REFUSED),
        "each delivered once"
    );

    until(&client, &prom, r#"up{job="hookd"}"#, 1.0).await;
    let total = (ACCEPTED + REFUSED) as f64;
    until(&client, &prom, "sum(hookd_messages_published_total)", total).await;
    until(
        &client,
        &prom,
        r#"sum(hookd_delivery_attempts_total{outcome="success",status_class="2xx"})"#,
        accepted as f64,
    )
    .await;
    until(
        &client,
        &prom,
        r#"sum(hookd_delivery_attempts_total{outcome="failure",status_class="5xx"})"#,
        refusals as f64,
    )
    .await;
    until(
        &client,
        &prom,
        r#"sum(hookd_deliveries_finished_total{state="succeeded"})"#,
        accepted as f64,
    )
    .await;
    until(
        &client,
        &prom,
        r#"sum(hookd_deliveries_finished_total{state="exhausted"})"#,
        refusals as f64,
    )
    .await;
    until(
        &client,
        &prom,
        r#"sum(hookd_delivery_attempt_duration_seconds_count)"#,
        total,
    )
    .await;
    until(&client, &prom, r#"sum(hookd_api_requests_total{method="POST",route="/api/v1/app/{app_id}/msg",status="202"})"#, total).await;
    until(&client, &prom, r#"sum(hookd_queue_depth)"#, 0.0).await;
    until(&client, &prom, "max(hookd_delivery_lag_seconds)", 0.0).await;
    until(&client, &prom, "hookd_store_up", 1.0).await;
    until(&client, &prom, "hookd_deliveries_in_flight", 0.0).await;
    let p99 = query(
        &client,
        &prom,
        "histogram_quantile(0.99, sum by (le) (hookd_publish_duration_seconds_bucket))",
    )
    .await
    .expect("publish latency has buckets");
    assert!(p99 > 0.0 && p99 <= 60.0, "publish p99 {p99} s");
    let rss = query(&client, &prom, "process_resident_memory_bytes")
        .await
        .expect("process metrics");
    assert!(rss > 1e6, "RSS {rss}");

    // Every label value is from a fixed set: no id or URL ever labels a series.
    let exposition = client
        .get(format!("http://{address}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let endpoints: Value = client
        .get(format!("{api}/app/acme/endpoint"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut needles = vec!["acme".to_owned(), rx_url.clone()];
    for ep in endpoints["data"].as_array().unwrap() {
        needles.push(ep["id"].as_str().unwrap().to_owned());
        needles.push(ep["url"].as_str().unwrap().to_owned());
    }
    for needle in &needles {
        assert!(
            !exposition.contains(needle.as_str()),
            "{needle} labels a series:\n{exposition}"
        );
    }

    // The example dashboard queries only what hookd exports.
    let exported: BTreeSet<&str> = exposition
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split(['{', ' ']).next())
        .collect();
    let dashboard: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("docs/monitoring/grafana-dashboard.json")).unwrap(),
    )
    .unwrap();
    let mut queried = 0;
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().unwrap() {
            let expr = target["expr"].as_str().unwrap();
            for name in metric_names(expr) {
                queried += 1;
                assert!(
                    exported.contains(name.as_str()),
                    "the dashboard queries {name}, which hookd does not export"
                );
            }
        }
    }
    assert!(queried > 10, "the dashboard queries {queried} metrics");
}

/// A POST with the admin token that must succeed.
async fn post(client: &reqwest::Client, api: &str, token: &str, path: &str, body: Value) {
    let resp = client
        .post(format!("{api}{path}"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    assert!(
        status < 300,
        "{path}: {status}: {}",
        resp.text().await.unwrap()
    );
}

/// The metric names (`hookd_…`, `process_…`) an expression reads.
fn metric_names(expr: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = expr;
    while let Some(i) = rest.find(|c: char| c.is_ascii_lowercase()) {
        rest = &rest[i..];
        let word: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        rest = &rest[word.len().max(1)..];
        if word.starts_with("hookd_") || word.starts_with("process_") {
            names.push(word);
        }
    }
    names
}

#[test]
fn the_alert_rules_pass_promtool() {
    let out = Command::new(tool("promtool"))
        .args(["check", "rules"])
        .arg(root().join("docs/monitoring/alerts.yml"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
