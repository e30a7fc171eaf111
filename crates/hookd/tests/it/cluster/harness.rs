//! A harness for running real `hookd serve` processes: start, SIGKILL, restart, publish
//! through the public API, and a receiver that checks signatures and counts every request per
//! (endpoint, message) pair.

use std::{
    collections::{HashMap, HashSet},
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    body::Bytes,
    extract::{Path, State},
    http::HeaderMap,
    routing::post,
    Router,
};
use hookd_core::signing::{self, EndpointSecret};
use serde_json::{json, Value};
use tokio::sync::watch;

pub const BIN: &str = env!("CARGO_BIN_EXE_hookd");

/// Short timeouts so that a killed process's leases expire within seconds: the HTTP timeout
/// plus the lease margin is how long its in-flight deliveries wait before another claim.
pub const REQUEST_TIMEOUT_SECS: u64 = 2;
pub const LEASE_MARGIN_SECS: u64 = 2;
/// Per-process concurrency: small, so the duplicates a kill may cause are bounded tightly.
pub const WORKER_CONCURRENCY: usize = 16;

/// Where the processes keep their data.
#[derive(Clone, Debug)]
pub enum Backend {
    /// An SQLite file in this directory.
    Sqlite(std::path::PathBuf),
    /// A PostgreSQL database URL.
    Postgres(String),
}

/// A fresh PostgreSQL database for one test, dropped at the end. The server comes from
/// `HOOKD_TEST_DATABASE_URL` (default: the machine's local PostgreSQL).
pub struct TestDatabase {
    pub url: String,
    admin_url: String,
    name: String,
}

impl TestDatabase {
    pub fn create(label: &str) -> Self {
        let admin_url = std::env::var("HOOKD_TEST_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let name = format!("hookd_{label}_{}_{}", std::process::id(), free_port());
        psql(&admin_url, &format!("CREATE DATABASE {name}"));
        let base = admin_url
            .rsplit_once('/')
            .map_or(admin_url.as_str(), |(b, _)| b);
        let url = format!("{base}/{name}");
        Self {
            url,
            admin_url,
            name,
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        psql(
            &self.admin_url,
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        );
    }
}

fn psql(url: &str, sql: &str) {
    let out = Command::new("psql")
        .args([url, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql])
        .output()
        .expect("run psql");
    assert!(
        out.status.success(),
        "psql {sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// One `hookd serve` process.
pub struct Node {
    pub name: String,
    backend: Backend,
    port: u16,
    child: Option<Child>,
    /// The admin token this start printed, if it was the first start.
    pub printed_token: Option<String>,
    /// Settings beyond the harness's own, as `HOOKD_*` variables, for every (re)start.
    pub env: Vec<(String, String)>,
    /// A command that runs the process (its program and arguments, the hookd command line
    /// appended), e.g. to put it in a namespace of its own; empty: run hookd directly.
    pub wrapper: Vec<std::ffi::OsString>,
}

/// Reads a starting `hookd serve`'s stdout until it says it listens, and answers the admin
/// token a first start prints; the rest of stdout is drained on a thread of its own so that
/// the server never blocks on a full pipe.
pub fn read_start(stdout: std::process::ChildStdout) -> Option<String> {
    let mut lines = BufReader::new(stdout).lines();
    let (mut token, mut expect_token) = (None, false);
    for line in lines.by_ref() {
        let line = line.unwrap();
        if expect_token {
            token = Some(line.trim().to_owned());
            expect_token = false;
        } else if line.contains("shown only this once") {
            expect_token = true;
        } else if line.contains("listening on") {
            break;
        }
    }
    std::thread::spawn(move || for _ in lines {});
    token
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Node {
    /// Starts a node and waits until it listens.
    pub fn start(name: &str, backend: &Backend) -> Self {
        Self::start_with(name, backend, &[])
    }

    /// Starts a node with extra `HOOKD_*` settings and waits until it listens.
    pub fn start_with(name: &str, backend: &Backend, env: &[(&str, &str)]) -> Self {
        let mut node = Self::unstarted(name, backend, env);
        node.spawn();
        node
    }

    /// Starts a node through `wrapper` (see [`Node::wrapper`]) and waits until it listens.
    pub fn start_wrapped(name: &str, backend: &Backend, wrapper: Vec<std::ffi::OsString>) -> Self {
        let mut node = Self::unstarted(name, backend, &[]);
        node.wrapper = wrapper;
        node.spawn();
        node
    }

    fn unstarted(name: &str, backend: &Backend, env: &[(&str, &str)]) -> Self {
        Node {
            name: name.into(),
            backend: backend.clone(),
            port: free_port(),
            child: None,
            printed_token: None,
            env: env
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            wrapper: vec![],
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The running process's id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("the node is running").id()
    }

    fn spawn(&mut self) {
        let mut cmd = match self.wrapper.split_first() {
            None => Command::new(BIN),
            Some((program, args)) => {
                let mut cmd = Command::new(program);
                cmd.args(args).arg(BIN);
                cmd
            }
        };
        cmd.args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{}", self.port),
            "--allowed-networks",
            "127.0.0.0/8",
        ]);
        match &self.backend {
            Backend::Sqlite(dir) => {
                cmd.arg("--data-dir").arg(dir);
            }
            Backend::Postgres(url) => {
                cmd.args(["--database-url", url]);
            }
        }
        cmd.env(
            "HOOKD_REQUEST_TIMEOUT_SECS",
            REQUEST_TIMEOUT_SECS.to_string(),
        )
        .env("HOOKD_LEASE_MARGIN_SECS", LEASE_MARGIN_SECS.to_string())
        .env("HOOKD_WORKER_CONCURRENCY", WORKER_CONCURRENCY.to_string())
        .env("HOOKD_NODE_NAME", &self.name)
        .env("HOOKD_LOG", "warn")
        .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
        let mut child = cmd.spawn().expect("start hookd");
        self.printed_token = read_start(child.stdout.take().unwrap());
        self.child = Some(child);
    }

    /// SIGKILL: no shutdown hook runs, in-flight deliveries are abandoned mid-request.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    /// SIGTERM, as an orchestrator stops a process, then waits up to `patience` for it to
    /// exit. Answers the exit status and how long the exit took; panics if it did not exit.
    pub fn terminate(&mut self, patience: Duration) -> (std::process::ExitStatus, Duration) {
        let mut child = self.child.take().expect("the node is running");
        let pid = child.id().to_string();
        let started = std::time::Instant::now();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(child.wait());
        });
        let status = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM failed");
        match rx.recv_timeout(patience) {
            Ok(status) => (status.expect("wait for hookd"), started.elapsed()),
            Err(_) => {
                let _ = Command::new("kill").args(["-KILL", &pid]).status();
                panic!("hookd did not exit within {patience:?} of SIGTERM");
            }
        }
    }

    /// Starts the process again (after a kill or a terminate) on the same port and data.
    pub fn start_again(&mut self) {
        assert!(self.child.is_none(), "the node is still running");
        self.spawn();
    }

    /// Starts the process again on the same port and data.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A minimal API client.
#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    token: String,
}

impl Api {
    pub fn new(token: &str) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        Self {
            http,
            token: token.into(),
        }
    }

    /// The token it authenticates with.
    pub fn token(&self) -> &str {
        &self.token
    }

    pub async fn call(
        &self,
        method: reqwest::Method,
        url: &str,
        body: Option<Value>,
    ) -> Result<(u16, Value), reqwest::Error> {
        let mut req = self.http.request(method, url).bearer_auth(&self.token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await?;
        let status = resp.status().as_u16();
        let text = resp.text().await?;
        Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
    }

    pub async fn post(&self, url: &str, body: Value) -> Value {
        let (status, v) = self
            .call(reqwest::Method::POST, url, Some(body))
            .await
            .unwrap();
        assert!((200..300).contains(&status), "POST {url}: {status} {v}");
        v
    }

    pub async fn get(&self, url: &str) -> Value {
        let (status, v) = self.call(reqwest::Method::GET, url, None).await.unwrap();
        assert_eq!(status, 200, "GET {url}: {v}");
        v
    }
}

/// Creates an application with `endpoints` endpoints at the receiver; returns the app id and
/// each endpoint's secret by endpoint index.
pub async fn setup_app(api: &Api, base: &str, receiver: &Receiver, endpoints: usize) -> String {
    let app = api
        .post(
            &format!("{base}/api/v1/app"),
            json!({"name": "cluster test"}),
        )
        .await;
    let app_id = app["id"].as_str().unwrap().to_owned();
    for i in 0..endpoints {
        let ep = api
            .post(
                &format!("{base}/api/v1/app/{app_id}/endpoint"),
                json!({"url": receiver.url(i)}),
            )
            .await;
        let ep_id = ep["id"].as_str().unwrap();
        let secret = api
            .get(&format!(
                "{base}/api/v1/app/{app_id}/endpoint/{ep_id}/secret"
            ))
            .await;
        receiver.set_secret(i, secret["key"].as_str().unwrap());
    }
    app_id
}

/// What the receiver's handler shares: the counts and the change signal.
type ReceiverState = (Arc<Mutex<Counts>>, Arc<watch::Sender<u64>>);

#[derive(Default)]
struct Counts {
    secrets: HashMap<usize, EndpointSecret>,
    /// Requests per (endpoint index, message id).
    requests: HashMap<(usize, String), u32>,
    bad_signatures: u32,
}

/// A receiver that answers 200 to everything, verifies each request's signature, and counts.
#[derive(Clone)]
pub struct Receiver {
    addr: std::net::SocketAddr,
    counts: Arc<Mutex<Counts>>,
    changed: watch::Receiver<u64>,
}

impl Receiver {
    pub async fn start() -> Self {
        let counts = Arc::new(Mutex::new(Counts::default()));
        let (tx, changed) = watch::channel(0u64);
        let tx = Arc::new(tx);
        let app = Router::new()
            .route(
                "/ep/{index}",
                post(
                    |State((counts, tx)): State<ReceiverState>,
                     Path(index): Path<usize>,
                     headers: HeaderMap,
                     body: Bytes| async move {
                        let header = |n: &str| {
                            headers
                                .get(n)
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or_default()
                                .to_owned()
                        };
                        let id = header("webhook-id");
                        let ts: i64 = header("webhook-timestamp").parse().unwrap_or(0);
                        let mut c = counts.lock().unwrap();
                        let ok = c.secrets.get(&index).is_some_and(|s| {
                            signing::verify(s, &header("webhook-signature"), &id, ts, &body)
                        });
                        if !ok {
                            c.bad_signatures += 1;
                        }
                        *c.requests.entry((index, id)).or_default() += 1;
                        tx.send_modify(|n| *n += 1);
                        "ok"
                    },
                ),
            )
            .with_state((counts.clone(), tx));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self {
            addr,
            counts,
            changed,
        }
    }

    pub fn url(&self, index: usize) -> String {
        format!("http://{}/ep/{index}", self.addr)
    }

    pub fn set_secret(&self, index: usize, secret: &str) {
        self.counts
            .lock()
            .unwrap()
            .secrets
            .insert(index, EndpointSecret::parse(secret).unwrap());
    }

    /// Waits (on the receiver's own change signal) until every (endpoint, message) pair of
    /// `msgs` × `0..endpoints` has arrived, or `deadline` passes. Returns the pairs missing.
    pub async fn wait_all(
        &self,
        msgs: &HashSet<String>,
        endpoints: usize,
        deadline: Duration,
    ) -> Vec<(usize, String)> {
        let mut changed = self.changed.clone();
        let until = tokio::time::Instant::now() + deadline;
        loop {
            let missing = self.missing(msgs, endpoints);
            if missing.is_empty() {
                return missing;
            }
            if tokio::time::timeout_at(until, changed.changed())
                .await
                .is_err()
            {
                return missing;
            }
        }
    }

    fn missing(&self, msgs: &HashSet<String>, endpoints: usize) -> Vec<(usize, String)> {
        let c = self.counts.lock().unwrap();
        let mut missing = vec![];
        for m in msgs {
            for e in 0..endpoints {
                if !c.requests.contains_key(&(e, m.clone())) {
                    missing.push((e, m.clone()));
                }
            }
        }
        missing
    }

    /// Requests beyond the first, over all pairs.
    pub fn duplicates(&self) -> u64 {
        let c = self.counts.lock().unwrap();
        c.requests
            .values()
            .map(|n| u64::from(n.saturating_sub(1)))
            .sum()
    }

    pub fn bad_signatures(&self) -> u32 {
        self.counts.lock().unwrap().bad_signatures
    }

    /// Requests per (endpoint index, message id).
    pub fn requests(&self) -> HashMap<(usize, String), u32> {
        self.counts.lock().unwrap().requests.clone()
    }
}

/// How long a publisher waits before retrying a publish whose target did not answer (it was
/// killed and is restarting). This is the client's retry policy, not synchronisation.
const PUBLISH_RETRY: Duration = Duration::from_millis(50);

/// Publishes `count` messages from `concurrency` tasks, spreading them over `targets` (base
/// URLs) round-robin, each with `eventId` `evt-{i}`. A publish that gets no answer (its target
/// was killed) is retried, on the next target, as a careful client would: a 409 then means the
/// first try was committed after all, and the message is looked up by its `eventId`. Returns
/// the ids of all acknowledged messages; `progress` counts them as they come.
pub async fn publish(
    api: &Api,
    targets: &[String],
    app_id: &str,
    count: usize,
    concurrency: usize,
    progress: Arc<watch::Sender<usize>>,
) -> HashSet<String> {
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let accepted = Arc::new(Mutex::new(HashSet::new()));
    let mut tasks = vec![];
    for _ in 0..concurrency {
        let (api, targets, app_id, next, accepted, progress) = (
            api.clone(),
            targets.to_vec(),
            app_id.to_owned(),
            next.clone(),
            accepted.clone(),
            progress.clone(),
        );
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                if i >= count {
                    break;
                }
                let body = json!({"eventType": "cluster.test", "eventId": format!("evt-{i}"), "payload": {"seq": i}});
                let mut attempt = 0;
                let id = loop {
                    let base = &targets[(i + attempt) % targets.len()];
                    attempt += 1;
                    match api.call(reqwest::Method::POST, &format!("{base}/api/v1/app/{app_id}/msg"), Some(body.clone())).await {
                        Ok((status, v)) if (200..300).contains(&status) => break v["id"].as_str().unwrap().to_owned(),
                        Ok((409, _)) => {
                            let v = api.get(&format!("{base}/api/v1/app/{app_id}/msg/evt-{i}")).await;
                            break v["id"].as_str().unwrap().to_owned();
                        }
                        Ok((status, v)) if status < 500 => panic!("publish refused: {status} {v}"),
                        _ => tokio::time::sleep(PUBLISH_RETRY).await,
                    }
                };
                accepted.lock().unwrap().insert(id);
                progress.send_modify(|n| *n += 1);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let set = accepted.lock().unwrap().clone();
    set
}

/// Attempts recorded per pair of a message and an endpoint.
#[derive(Debug, Default, Clone, Copy)]
pub struct Recorded {
    /// Attempts that got an HTTP answer: each stands for a request the receiver handled.
    pub answered: u32,
    /// All attempts, including those that got no answer (a connection that timed out may
    /// never have reached the receiver's handler, so these cannot be matched to requests).
    pub all: u32,
}

/// Attempts recorded per (endpoint index, message id), read through the API (list by
/// endpoint, all pages).
pub async fn recorded_attempts(
    api: &Api,
    base: &str,
    app_id: &str,
    endpoints: usize,
) -> HashMap<(usize, String), Recorded> {
    let eps = api
        .get(&format!(
            "{base}/api/v1/app/{app_id}/endpoint?limit=250&order=ascending"
        ))
        .await;
    let mut by_url = HashMap::new();
    for ep in eps["data"].as_array().unwrap() {
        by_url.insert(
            ep["url"].as_str().unwrap().to_owned(),
            ep["id"].as_str().unwrap().to_owned(),
        );
    }
    let mut out = HashMap::new();
    for index in 0..endpoints {
        let url = by_url
            .iter()
            .find(|(u, _)| u.ends_with(&format!("/ep/{index}")))
            .map(|(_, id)| id.clone())
            .unwrap();
        let mut iterator: Option<String> = None;
        loop {
            let mut page_url =
                format!("{base}/api/v1/app/{app_id}/attempt/endpoint/{url}?limit=250");
            if let Some(it) = &iterator {
                page_url.push_str(&format!("&iterator={it}"));
            }
            let page = api.get(&page_url).await;
            for a in page["data"].as_array().unwrap() {
                let r: &mut Recorded = out
                    .entry((index, a["msgId"].as_str().unwrap().to_owned()))
                    .or_default();
                r.all += 1;
                if a["responseStatusCode"].as_i64().unwrap_or(0) > 0 {
                    r.answered += 1;
                }
            }
            if page["done"].as_bool().unwrap_or(true) {
                break;
            }
            iterator = page["iterator"].as_str().map(str::to_owned);
        }
    }
    out
}
