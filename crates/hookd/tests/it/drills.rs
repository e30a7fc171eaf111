//! Failure drills an operator would run, against a real `hookd serve`: its PostgreSQL really
//! stopped and started under load. The database is a private cluster this test creates with
//! `initdb` and drives with `pg_ctl` on a port of its own (never the machine's shared
//! PostgreSQL). While it is down, publishes answer 503 with `Retry-After`, `/readyz` and the
//! metrics say so; once it is back, hookd serves and delivers again by itself, and every
//! message it accepted arrives. (The full-disk drill on SQLite is `disk.rs`.)

use std::{
    collections::HashSet,
    path::PathBuf,
    process::Command,
    sync::Arc,
    time::{Duration, Instant},
};

use serde_json::json;
use tokio::sync::watch;

use crate::cluster::harness::{publish, setup_app, Api, Backend, Node, Receiver};

/// How long a drill waits for something that takes seconds before it fails.
const PATIENCE: Duration = Duration::from_secs(90);

/// Messages published under load across the outage, and by how many publishers at once.
const MESSAGES: usize = 400;
const PUBLISHERS: usize = 8;

/// A PostgreSQL cluster of this test's own, in a temporary directory, run by the `postgres`
/// user when the test runs as root (PostgreSQL refuses to run as root).
struct PrivateCluster {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
    _dir: tempfile::TempDir,
}

fn postgres_bin() -> PathBuf {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|dirs| {
            dirs.filter_map(|d| d.ok())
                .map(|d| d.path().join("bin"))
                .filter(|b| b.join("initdb").exists() && b.join("pg_ctl").exists())
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
        .pop()
        .expect("initdb and pg_ctl are missing: install Debian's postgresql package")
}

fn is_root() -> bool {
    // The effective uid, without a libc dependency: /proc says it.
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|u| u == "0"))
        })
        .unwrap_or(false)
}

impl PrivateCluster {
    fn create() -> Self {
        let bin = postgres_bin();
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if is_root() {
            // The postgres user must own the directory it initialises and runs in.
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .unwrap();
            assert!(status.success(), "chown to postgres");
        }
        let cluster = PrivateCluster {
            bin,
            data,
            port,
            _dir: dir,
        };
        cluster.run(
            "initdb",
            &[
                "-D",
                &cluster.data.display().to_string(),
                "-U",
                "postgres",
                "--auth=trust",
                "--no-sync",
            ],
        );
        cluster.start();
        cluster
    }

    /// Runs one of PostgreSQL's programs, as the postgres user when we are root.
    fn run(&self, program: &str, args: &[&str]) {
        let path = self.bin.join(program);
        let mut command = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&path);
            c
        } else {
            Command::new(&path)
        };
        let out = command.args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{program} {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn pg_ctl(&self, action: &str) {
        let data = self.data.display().to_string();
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port, data
        );
        let log = self.data.join("log.txt").display().to_string();
        match action {
            "start" => self.run(
                "pg_ctl",
                &["-D", &data, "-o", &options, "-l", &log, "-w", "start"],
            ),
            _ => self.run("pg_ctl", &["-D", &data, "-m", "fast", "-w", "stop"]),
        }
    }

    fn start(&self) {
        self.pg_ctl("start");
    }

    fn stop(&self) {
        self.pg_ctl("stop");
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        let data = self.data.display().to_string();
        let path = self.bin.join("pg_ctl");
        let mut command = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&path);
            c
        } else {
            Command::new(&path)
        };
        let _ = command
            .args(["-D", &data, "-m", "immediate", "stop"])
            .output();
    }
}

/// GETs `path` without a token; the status and the body.
async fn probe(base: &str, path: &str) -> (u16, String) {
    match reqwest::Client::new()
        .get(format!("{base}{path}"))
        .timeout(Duration::from_secs(10))
        .send()
        .await
    {
        Ok(r) => (r.status().as_u16(), r.text().await.unwrap_or_default()),
        Err(e) => (0, e.to_string()),
    }
}

/// The value of an unlabelled gauge in hookd's `/metrics`.
async fn gauge(base: &str, name: &str) -> Option<f64> {
    let (_, text) = probe(base, "/metrics").await;
    text.lines()
        .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

/// Waits until `check` holds, polling a real process's answers.
async fn until<F, Fut>(what: &str, check: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + PATIENCE;
    while !check().await {
        assert!(Instant::now() < deadline, "{what} did not happen");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stopped_and_started_under_load_loses_nothing() {
    let cluster = PrivateCluster::create();
    let backend = Backend::Postgres(cluster.url());
    let node = tokio::task::block_in_place(|| Node::start("pgdrill", &backend));
    let api = Api::new(node.printed_token.as_deref().unwrap());
    let receiver = Receiver::start().await;
    let base = node.url();
    let app_id = setup_app(&api, &base, &receiver, 2).await;
    assert_eq!(probe(&base, "/readyz").await.0, 200);

    // Publishers run through the whole drill; they retry what is refused, as a client
    // honouring 503 would, and keep every id that was accepted.
    let (progress, mut seen) = watch::channel(0usize);
    let load = {
        let (api, base, app_id) = (api.clone(), base.clone(), app_id.clone());
        tokio::spawn(async move {
            publish(
                &api,
                &[base],
                &app_id,
                MESSAGES,
                PUBLISHERS,
                Arc::new(progress),
            )
            .await
        })
    };
    seen.wait_for(|n| *n >= MESSAGES / 4).await.unwrap();
    tokio::task::block_in_place(|| cluster.stop());

    // While it is down: a publish is refused with a retryable 503 naming when to retry, and
    // readiness and the store gauge say the store is away.
    let (status, body) = api
        .call(
            reqwest::Method::POST,
            &format!("{base}/api/v1/app/{app_id}/msg"),
            Some(json!({"eventType": "cluster.test", "payload": {}})),
        )
        .await
        .expect("hookd answers while its database is down");
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["code"], "service_unavailable");
    let retry_after = raw_retry_after(&base, &api, &app_id).await;
    assert!(
        retry_after.is_some_and(|s| s >= 1),
        "Retry-After: {retry_after:?}"
    );
    let (ready, text) = probe(&base, "/readyz").await;
    assert_eq!(ready, 503, "{text}");
    assert_eq!(
        probe(&base, "/healthz").await.0,
        200,
        "the process itself is fine"
    );
    assert_eq!(gauge(&base, "hookd_store_up").await, Some(0.0));

    // Started again: hookd finds it by itself.
    tokio::task::block_in_place(|| cluster.start());
    until("/readyz answering 200 again", || async {
        probe(&base, "/readyz").await.0 == 200
    })
    .await;
    assert_eq!(gauge(&base, "hookd_store_up").await, Some(1.0));
    let accepted: HashSet<String> = load.await.unwrap();
    assert_eq!(
        accepted.len(),
        MESSAGES,
        "every publish was eventually accepted"
    );
    let missing = receiver.wait_all(&accepted, 2, PATIENCE).await;
    assert!(missing.is_empty(), "lost across the outage: {missing:?}");
    assert_eq!(receiver.bad_signatures(), 0);
    println!(
        "postgres drill: {MESSAGES} messages × 2 endpoints, 0 lost, {} duplicates",
        receiver.duplicates()
    );
    drop(node);
}

/// The `Retry-After` of a publish refused while the database is down.
async fn raw_retry_after(base: &str, api: &Api, app_id: &str) -> Option<u64> {
    let resp = reqwest::Client::new()
        .post(format!("{base}/api/v1/app/{app_id}/msg"))
        .bearer_auth(api.token())
        .json(&json!({"eventType": "cluster.test", "payload": {}}))
        .send()
        .await
        .ok()?;
    assert_eq!(resp.status().as_u16(), 503);
    resp.headers()
        .get("retry-after")?
        .to_str()
        .ok()?
        .parse()
        .ok()
}
