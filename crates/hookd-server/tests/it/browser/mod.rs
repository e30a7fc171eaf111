//! Browser tests of the web consoles: a real headless Chromium, driven through chromedriver
//! with `fantoccini`, against an in-process hookd (`api::serve` on `127.0.0.1:0`, a temporary
//! SQLite store, the system clock and real delivery workers) that delivers to a local receiver.
//! `dashboard` plays the operator, `portal` the tenant.
//!
//! Chromium and chromedriver come from Debian's `chromium` and `chromium-driver` packages
//! (`scripts/test` installs them when missing); `HOOKD_CHROMIUM` and `HOOKD_CHROMEDRIVER`
//! override where they are. Screenshots of the main pages, at 1280 and 390 px wide, go to
//! `<workspace>/test-artifacts/screenshots/` for a person to look at.
//!
//! Every wait is for a condition in the page (an element, a text, an attribute), polled by
//! fantoccini's `wait()`; there are no fixed sleeps. This module must not reach around the
//! browser for what a test asserts, except to arrange data through the API as a SaaS backend
//! would, and for the isolation checks that also hold at the API level.

mod dashboard;
mod portal;

use std::{
    net::SocketAddr,
    path::PathBuf,
    process::Stdio,
    sync::{
        atomic::{AtomicU16, Ordering},
        Arc,
    },
    time::Duration,
};

use axum::{
    extract::{Query, State},
    http::StatusCode,
    response::Html,
    routing::{get, post},
    Router,
};
use fantoccini::{elements::Element, Client, ClientBuilder, Locator};
use hookd_core::{
    id::TokenId,
    model::{Token, TokenScope},
    token::{generate_text, hash_text, ADMIN_TOKEN_PREFIX},
};
use hookd_server::{
    clock::SystemClock,
    config::ServerConfig,
    worker::{Engine, EngineContext},
    AppState,
};
use hookd_store_sqlite::SqliteStore;
use serde_json::{json, Value};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
    sync::{oneshot, watch},
};

/// How long any one condition may take before the test fails. Generous: two cores run the
/// browser, the server and other tests at once.
const WAIT: Duration = Duration::from_secs(30);

/// A webhook receiver on `127.0.0.1:0` whose answer a test sets, and which also serves a page
/// that frames the portal (as a vendor's product would).
pub struct Receiver {
    pub addr: SocketAddr,
    status: Arc<AtomicU16>,
    count: watch::Receiver<usize>,
}

#[derive(Clone)]
struct ReceiverState {
    status: Arc<AtomicU16>,
    count: Arc<watch::Sender<usize>>,
}

#[derive(serde::Deserialize)]
struct EmbedQuery {
    src: String,
}

impl Receiver {
    async fn start(listener: tokio::net::TcpListener) -> Self {
        let status = Arc::new(AtomicU16::new(200));
        let (tx, count) = watch::channel(0usize);
        let state = ReceiverState {
            status: status.clone(),
            count: Arc::new(tx),
        };
        let app = Router::new()
            .route(
                "/hook/{*rest}",
                post(|State(s): State<ReceiverState>| async move {
                    s.count.send_modify(|c| *c += 1);
                    let code = s.status.load(Ordering::SeqCst);
                    // An overloaded receiver says when to come back, as real ones do.
                    let mut retry_after = axum::http::HeaderMap::new();
                    if matches!(code, 429 | 503) {
                        retry_after.insert(
                            axum::http::header::RETRY_AFTER,
                            axum::http::HeaderValue::from_static("120"),
                        );
                    }
                    (
                        StatusCode::from_u16(code).unwrap_or(StatusCode::OK),
                        retry_after,
                        format!("{{\"received\":true,\"answer\":{code}}}"),
                    )
                }),
            )
            .route(
                "/embed",
                get(|Query(q): Query<EmbedQuery>| async move {
                    let src = q.src.replace('"', "&quot;");
                    Html(format!(
                        "<!doctype html><title>Vendor</title><h1>Vendor app</h1>\
                         <iframe id=\"portal\" title=\"Webhooks\" width=\"900\" height=\"600\" \
                         src=\"{src}\"></iframe><script>document.getElementById('portal')\
                         .addEventListener('load', () => {{ document.body.dataset.framed = 'yes'; }});\
                         </script>"
                    ))
                }),
            )
            .with_state(state);
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self {
            addr,
            status,
            count,
        }
    }

    /// The URL of a hook path on this receiver.
    pub fn url(&self, name: &str) -> String {
        format!("http://{}/hook/{name}", self.addr)
    }

    /// This receiver's origin.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Makes every following request get `code`.
    pub fn answer(&self, code: u16) {
        self.status.store(code, Ordering::SeqCst);
    }

    /// Waits until at least `n` requests arrived (the timeout only turns a hang into a failure).
    pub async fn wait_requests(&mut self, n: usize) {
        tokio::time::timeout(WAIT, self.count.wait_for(|c| *c >= n))
            .await
            .unwrap_or_else(|_| panic!("the receiver did not see {n} requests in time"))
            .unwrap();
    }
}

/// A running hookd with workers, its admin token, and a receiver.
pub struct Site {
    pub base: String,
    pub admin: String,
    pub receiver: Receiver,
    /// Another origin that serves the embedding page but is not allowed to frame the portal.
    pub stranger: Receiver,
    pub http: reqwest::Client,
    _workers: Engine,
    _shutdown: oneshot::Sender<()>,
    _dir: tempfile::TempDir,
}

impl Site {
    pub async fn start() -> Self {
        let receiver_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let receiver = Receiver::start(receiver_listener).await;
        let stranger_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let stranger = Receiver::start(stranger_listener).await;

        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("hookd.db"))
            .await
            .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let config = ServerConfig {
            public_url: base.clone(),
            allowed_networks: vec!["127.0.0.0/8".parse().unwrap()],
            request_timeout: Duration::from_secs(5),
            poll_interval: Duration::from_millis(200),
            portal_frame_ancestors: vec![receiver.origin()],
            ..ServerConfig::default()
        };
        let store: Arc<dyn hookd_core::store::Store> = Arc::new(store);
        let engine = Engine::start(EngineContext::new(
            store.clone(),
            Arc::new(SystemClock),
            Arc::new(config),
        ))
        .unwrap();
        let state = AppState::new(store, engine.clone());
        let admin = insert_admin(&state).await;
        let workers = engine;
        let (shutdown, rx) = oneshot::channel::<()>();
        let serve_state = state.clone();
        tokio::spawn(async move {
            hookd_server::api::serve(listener, serve_state, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        Self {
            base,
            admin,
            receiver,
            stranger,
            http: reqwest::Client::new(),
            _workers: workers,
            _shutdown: shutdown,
            _dir: dir,
        }
    }

    /// Calls the API with `token`, asserting the status; returns the JSON body (or `Null`).
    pub async fn api_as(
        &self,
        token: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        status: u16,
    ) -> Value {
        let mut req = self
            .http
            .request(method.clone(), format!("{}{path}", self.base))
            .bearer_auth(token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.unwrap();
        let got = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        assert_eq!(got, status, "{method} {path}: {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// Calls the API as the operator.
    pub async fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        status: u16,
    ) -> Value {
        let admin = self.admin.clone();
        self.api_as(&admin, method, path, body, status).await
    }

    /// Creates the event type `invoice.paid` with a schema and an example, and `invoice.voided`
    /// without.
    pub async fn event_types(&self) {
        self.api(
            reqwest::Method::POST,
            "/api/v1/event-type",
            Some(json!({
                "name": "invoice.paid",
                "description": "An invoice was paid.",
                "schemas": {"1": {
                    "type": "object",
                    "properties": {"invoice": {"type": "string"}, "amount": {"type": "integer"}},
                    "examples": [{"invoice": "in_example", "amount": 4200}]
                }}
            })),
            201,
        )
        .await;
        self.api(
            reqwest::Method::POST,
            "/api/v1/event-type",
            Some(json!({"name": "invoice.voided", "description": "An invoice was voided."})),
            201,
        )
        .await;
    }
}

async fn insert_admin(state: &AppState) -> String {
    let mut rng = rand::thread_rng();
    let text = generate_text(ADMIN_TOKEN_PREFIX, &mut rng);
    let now = state.clock.now();
    state
        .directory
        .insert_token(&Token {
            id: TokenId::generate(now, &mut rng),
            hash: hash_text(&text),
            scope: TokenScope::Admin,
            name: "browser test".into(),
            created_at: now,
            expires_at: None,
            portal: hookd_core::portal::PortalScope::default(),
        })
        .await
        .unwrap();
    text
}

/// A headless Chromium session through its own chromedriver, closed when dropped.
pub struct Browser {
    pub client: Client,
    _driver: Child,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    /// Ends chromedriver's whole process group: the Chromium processes too, which would
    /// otherwise outlive the test (hundreds of them over a day's runs).
    fn drop(&mut self) {
        if let Some(pid) = self._driver.id() {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", "--", &format!("-{pid}")])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status();
        }
    }
}

fn tool(env: &str, candidates: &[&str]) -> String {
    if let Ok(path) = std::env::var(env) {
        return path;
    }
    candidates
        .iter()
        .find(|p| std::path::Path::new(p).exists())
        .map(|p| (*p).to_owned())
        .unwrap_or_else(|| {
            panic!(
                "{} not found (tried {candidates:?}); install Debian's chromium and \
                 chromium-driver (scripts/test does) or set {env}",
                candidates[0]
            )
        })
}

impl Browser {
    pub async fn start() -> Self {
        let driver_path = tool(
            "HOOKD_CHROMEDRIVER",
            &["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"],
        );
        let chromium = tool(
            "HOOKD_CHROMIUM",
            &["/usr/lib/chromium/chromium", "/usr/bin/chromium"],
        );
        // A port nobody holds right now; chromedriver cannot report one it chose itself.
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        // In a process group of its own, which the Chromium it starts joins: killing
        // chromedriver alone would leave Chromium running after the test (see `Drop`).
        let mut driver = Command::new(&driver_path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {driver_path}: {e}"));
        // chromedriver says when it listens; that line is the signal to connect.
        let mut lines = BufReader::new(driver.stdout.take().unwrap()).lines();
        tokio::time::timeout(WAIT, async {
            while let Some(line) = lines.next_line().await.unwrap() {
                if line.contains("started successfully") {
                    return;
                }
            }
            panic!("chromedriver exited before it was ready");
        })
        .await
        .expect("chromedriver did not start in time");
        // Keep draining its output so that it never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });

        let profile = tempfile::tempdir().unwrap();
        let args = vec![
            "--headless".to_owned(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-dev-shm-usage".into(),
            "--window-size=1280,900".into(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert(
            "goog:chromeOptions".into(),
            json!({"binary": chromium, "args": args}),
        );
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a Chromium session");
        // Scripts that wait for the page (see `el_text`) may take as long as any wait.
        client
            .update_timeouts(fantoccini::wd::TimeoutConfiguration::new(
                Some(WAIT + Duration::from_secs(10)),
                Some(Duration::from_secs(60)),
                Some(Duration::ZERO),
            ))
            .await
            .unwrap();
        Self {
            client,
            _driver: driver,
            _profile: profile,
        }
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap();
    }

    /// Waits for an element matching `css`.
    pub async fn el(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element '{css}' appeared: {e}"))
    }

    /// Waits for an element matching `css` whose rendered text contains `text`. The page
    /// itself watches for it with a `MutationObserver`, so the wait ends on the DOM change that
    /// makes it true, and hands back that very element: looking it up again by position would
    /// race with the page re-rendering its lists (a refresh between the two finds a different
    /// count).
    pub async fn el_text(&self, css: &str, text: &str) -> Element {
        let found = self
            .client
            .execute_async(
                r#"const [css, text, ms] = arguments;
                   const done = arguments[arguments.length - 1];
                   const find = () => Array.from(document.querySelectorAll(css))
                     .find((el) => el.innerText.includes(text)) || null;
                   let el = find();
                   if (el) { done(el); return; }
                   const timer = setTimeout(() => { obs.disconnect(); done(null); }, ms);
                   const obs = new MutationObserver(() => {
                     el = find();
                     if (el) { obs.disconnect(); clearTimeout(timer); done(el); }
                   });
                   obs.observe(document, { subtree: true, childList: true, characterData: true, attributes: true });"#,
                vec![json!(css), json!(text), json!(WAIT.as_millis() as u64)],
            )
            .await
            .unwrap();
        // WebDriver returns an element as `{"element-6066-…": id}`.
        let id = found
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .map(str::to_owned);
        match id {
            Some(id) => Element::from_element_id(self.client.clone(), id.into()),
            None => {
                let body = self.text("body").await;
                panic!("no '{css}' with text '{text}' appeared; the page says:\n{body}");
            }
        }
    }

    /// The text of the first element matching `css`, or "" if there is none.
    /// Waits until `el` has left the page: the view it belonged to was rendered again (a
    /// search changes the location, and the route renders a new form and list). Waiting for
    /// content alone would race when the new view shows what the old one did.
    pub async fn gone(&self, el: &Element) {
        let left = self
            .client
            .execute_async(
                r#"const [el, ms] = arguments;
                   const done = arguments[arguments.length - 1];
                   if (!el.isConnected) { done(true); return; }
                   const timer = setTimeout(() => { obs.disconnect(); done(false); }, ms);
                   const obs = new MutationObserver(() => {
                     if (!el.isConnected) { obs.disconnect(); clearTimeout(timer); done(true); }
                   });
                   obs.observe(document, { subtree: true, childList: true });"#,
                vec![
                    serde_json::to_value(el).expect("an element is JSON"),
                    json!(WAIT.as_millis() as u64),
                ],
            )
            .await;
        match left {
            // Already removed before the script could be handed it.
            Err(fantoccini::error::CmdError::Standard(e))
                if e.error == fantoccini::error::ErrorStatus::StaleElementReference => {}
            other => assert_eq!(
                other.unwrap(),
                json!(true),
                "the element stayed on the page"
            ),
        }
    }

    pub async fn text(&self, css: &str) -> String {
        match self.client.find(Locator::Css(css)).await {
            Ok(el) => el.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    pub async fn click(&self, css: &str) {
        // A view that re-renders between finding and clicking leaves a stale element: find the
        // new one and try again.
        for _ in 0..3 {
            match self.el(css).await.click().await {
                Err(fantoccini::error::CmdError::Standard(e))
                    if e.error == fantoccini::error::ErrorStatus::StaleElementReference => {}
                other => return other.unwrap(),
            }
        }
        panic!("'{css}' kept going stale");
    }

    /// Clicks the first element matching `css` whose text contains `text`.
    pub async fn click_text(&self, css: &str, text: &str) {
        self.el_text(css, text).await.click().await.unwrap();
    }

    /// Replaces the value of the input matching `css`.
    pub async fn fill(&self, css: &str, value: &str) {
        for _ in 0..3 {
            let el = self.el(css).await;
            match async {
                el.clear().await?;
                el.send_keys(value).await
            }
            .await
            {
                Err(fantoccini::error::CmdError::Standard(e))
                    if e.error == fantoccini::error::ErrorStatus::StaleElementReference => {}
                other => return other.unwrap(),
            }
        }
        panic!("'{css}' kept going stale");
    }

    /// Waits for a flash message of `kind` ("ok" or "error") that contains `text`, then
    /// dismisses it so the next wait cannot see a stale one.
    pub async fn flash(&self, kind: &str, text: &str) {
        let css = format!("#flash .flash[data-kind=\"{kind}\"]");
        self.el_text(&css, text).await;
        self.client
            .execute(
                "const f = document.querySelector('#flash'); while (f.firstChild) f.firstChild.remove();",
                vec![],
            )
            .await
            .unwrap();
    }

    /// Runs `script` as an async function body in the page (`return …` its result).
    pub async fn run(&self, script: &str) -> Value {
        let wrapped = format!(
            "const done = arguments[arguments.length - 1]; (async () => {{ {script} }})().then(done, (e) => done('error: ' + e));"
        );
        self.client.execute_async(&wrapped, vec![]).await.unwrap()
    }

    /// Saves a screenshot of the page at 1280 and at 390 px wide as `<name>-1280.png` and
    /// `<name>-390.png`, and checks that the page fits a phone without sideways scrolling.
    pub async fn screenshots(&self, name: &str) {
        self.screenshots_of(name, None).await;
    }

    /// Like [`Self::screenshots`], with the element matching `css` scrolled to the top (or the
    /// page's top when `None`).
    pub async fn screenshots_of(&self, name: &str, css: Option<&str>) {
        let dir = screenshot_dir();
        for width in [1280u32, 390] {
            self.set_width(width).await;
            self.client
                .execute(
                    "const el = arguments[0] && document.querySelector(arguments[0]); \
                     if (el) el.scrollIntoView({ block: 'start' }); else window.scrollTo(0, 0);",
                    vec![json!(css)],
                )
                .await
                .unwrap();
            let png = self.client.screenshot().await.unwrap();
            std::fs::write(dir.join(format!("{name}-{width}.png")), png).unwrap();
            if width == 390 {
                let overflow = self
                    .client
                    .execute(
                        "return document.documentElement.scrollWidth - window.innerWidth;",
                        vec![],
                    )
                    .await
                    .unwrap();
                assert!(
                    overflow.as_i64().unwrap_or(0) <= 0,
                    "{name} scrolls sideways at 390 px by {overflow} px"
                );
            }
        }
        self.set_width(1280).await;
    }

    /// Makes the viewport `width` CSS pixels wide, and waits until the page sees it.
    pub async fn set_width(&self, width: u32) {
        // A desktop window, or a phone's screen.
        let height = if width >= 1000 { 1400 } else { 844 };
        self.client.set_window_size(width, height).await.unwrap();
        // What counts is the width the page lays out at, whatever frame the window has.
        let seen = self
            .client
            .execute("return window.innerWidth;", vec![])
            .await
            .unwrap();
        assert_eq!(
            seen.as_u64(),
            Some(u64::from(width)),
            "the viewport did not become {width} px wide"
        );
        // Charts redraw at the new width on their next frame; wait for one.
        self.run("await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))); return true;")
            .await;
    }
}

/// `<workspace>/test-artifacts/screenshots/`, created if missing.
pub fn screenshot_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../test-artifacts/screenshots")
        .components()
        .collect::<PathBuf>();
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
