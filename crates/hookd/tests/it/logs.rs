//! What an operator's log collector gets from a real `hookd serve`: with `log_format = json`,
//! every stderr line is one JSON object and none carries a terminal colour code; each API
//! request writes one line with its route template, status, duration and token id (never the
//! token's text, nor the ids in the path); failed deliveries write a warn line, but a dead
//! receiver's many failures write one line per endpoint and interval, not one each; the probes
//! answer.

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_hookd");

/// How long a line may take to appear: milliseconds normally, slack for a loaded machine.
const WAIT: Duration = Duration::from_secs(30);

struct Server {
    child: Child,
    url: String,
    token: String,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start(dir: &std::path::Path) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = Command::new(BIN)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .args(["--allowed-networks", "127.0.0.0/8"])
            .arg("--data-dir")
            .arg(dir)
            .env("HOOKD_LOG", "info")
            .env("HOOKD_LOG_FORMAT", "json")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, lines) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                if tx.send(line.unwrap()).is_err() {
                    break;
                }
            }
        });
        let token = crate::cluster::harness::read_start(child.stdout.take().unwrap());
        Server {
            child,
            url: format!("http://127.0.0.1:{port}"),
            token: token.expect("first start prints a token"),
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits for a log line for which `pred` holds, keeping every line read on the way.
    fn wait_line(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + WAIT;
        if let Some(v) = self.seen.iter().map(|l| parse(l)).find(|v| pred(v)) {
            return v;
        }
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self
                .lines
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no log line {what}; lines: {:#?}", self.seen));
            let value = parse(&line);
            self.seen.push(line);
            if pred(&value) {
                return value;
            }
        }
    }

    /// Everything logged so far, without waiting.
    fn drain(&mut self) {
        while let Ok(line) = self.lines.try_recv() {
            self.seen.push(line);
        }
    }
}

fn parse(line: &str) -> Value {
    assert!(
        !line.contains('\u{1b}'),
        "a colour code in a log line: {line:?}"
    );
    serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
}

fn call(
    server: &Server,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut req = reqwest::Client::new()
            .request(method, format!("{}{path}", server.url))
            .bearer_auth(token)
            .timeout(Duration::from_secs(10));
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    })
}

#[test]
fn json_logs_carry_requests_and_rate_limited_delivery_failures() {
    use reqwest::Method;
    let dir = tempfile::tempdir().unwrap();
    let mut s = Server::start(dir.path());
    let token = s.token.clone();

    // A request line: the route's template, not the path's ids; the token's id, not its text.
    let (status, _) = call(
        &s,
        Method::POST,
        "/api/v1/app",
        &token,
        Some(json!({"name": "A", "uid": "acme"})),
    );
    assert_eq!(status, 201);
    let (status, _) = call(&s, Method::GET, "/api/v1/app/acme", &token, None);
    assert_eq!(status, 200);
    let line = s.wait_line("for GET /api/v1/app/acme", |v| {
        v["message"] == "request" && v["method"] == "GET" && v["route"] == "/api/v1/app/{app_id}"
    });
    assert_eq!(line["status"], 200);
    assert!(line["duration_ms"].as_f64().is_some(), "{line}");
    let token_id = line["token_id"].as_str().unwrap().to_owned();
    assert!(token_id.starts_with("tok_"), "{line}");
    // Refusals are logged too, with no token id.
    let (status, _) = call(&s, Method::GET, "/api/v1/app", "hk_wrong", None);
    assert_eq!(status, 401);
    let refused = s.wait_line("for the 401", |v| {
        v["message"] == "request" && v["status"] == 401
    });
    assert_eq!(refused["token_id"], "-");

    // A dead receiver: three messages, three failed attempts, one warn line for the endpoint.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_url = format!("http://{}/hook?token=s3cret", dead.local_addr().unwrap());
    drop(dead);
    let (status, ep) = call(
        &s,
        Method::POST,
        "/api/v1/app/acme/endpoint",
        &token,
        Some(json!({"url": dead_url})),
    );
    assert_eq!(status, 201, "{ep}");
    for n in 0..3 {
        let (status, _) = call(
            &s,
            Method::POST,
            "/api/v1/app/acme/msg",
            &token,
            Some(json!({"eventType": "a.b", "payload": {"n": n}})),
        );
        assert_eq!(status, 202);
    }
    let failure = s.wait_line("for the failed delivery", |v| {
        v["message"] == "delivery attempt failed"
    });
    assert_eq!(failure["level"], "WARN");
    assert_eq!(failure["endpoint_id"], ep["id"]);
    assert_eq!(failure["status"], 0);
    assert_eq!(failure["failures"], 1);
    assert!(
        failure["host"].as_str().unwrap().starts_with("127.0.0.1:"),
        "{failure}"
    );
    assert!(!failure["error"].as_str().unwrap().is_empty(), "{failure}");
    // All three attempts are made before the first retry (5 s later) …
    let ep_id = ep["id"].as_str().unwrap();
    let deadline = Instant::now() + WAIT;
    loop {
        let (_, attempts) = call(
            &s,
            Method::GET,
            &format!("/api/v1/app/acme/attempt/endpoint/{ep_id}"),
            &token,
            None,
        );
        if attempts["data"].as_array().map_or(0, Vec::len) >= 3 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "three attempts were not made: {attempts}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // … and the two after the first wrote no line of their own.
    let (status, _) = call(&s, Method::GET, "/api/v1/app", &token, None);
    assert_eq!(status, 200);
    s.wait_line("for the last GET /api/v1/app", |v| {
        v["route"] == "/api/v1/app" && v["method"] == "GET"
    });
    s.drain();
    let failures = s
        .seen
        .iter()
        .filter(|l| parse(l)["message"] == "delivery attempt failed")
        .count();
    assert_eq!(failures, 1, "{:#?}", s.seen);
    for line in &s.seen {
        assert!(
            !line.contains(&token),
            "the token's text was logged: {line}"
        );
        assert!(
            !line.contains("s3cret"),
            "the URL's query was logged: {line}"
        );
    }

    // The changes are in the audit log, with the token's id and the client's address.
    let (status, log) = call(
        &s,
        Method::GET,
        "/api/v1/hookd/audit?limit=50",
        &token,
        None,
    );
    assert_eq!(status, 200, "{log}");
    let created = log["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["route"] == "/api/v1/app/{app_id}/endpoint")
        .unwrap_or_else(|| panic!("the endpoint's creation is not in the audit log: {log}"));
    assert_eq!(created["status"], 201);
    assert_eq!(created["tokenId"].as_str(), Some(token_id.as_str()));
    assert!(
        created["client"]
            .as_str()
            .unwrap_or_default()
            .starts_with("127.0.0.1:"),
        "{created}"
    );

    // The probes: the process, and the process with its store.
    let (status, _) = call(&s, Method::GET, "/healthz", "", None);
    assert_eq!(status, 200);
    let (status, _) = call(&s, Method::GET, "/readyz", "", None);
    assert_eq!(status, 200);
}
