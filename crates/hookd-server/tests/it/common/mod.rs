//! The in-process harness for API tests: a fresh SQLite store in its own temporary directory, a
//! manual clock, an admin token inserted directly into the store, and the API service driven
//! with `tower::ServiceExt::oneshot` (no sockets, no sleeps).
//!
//! It must not reach around the API for anything a test asserts on; the store is exposed only
//! to arrange what the API cannot create by itself (attempts, which the workers record).

#![allow(dead_code)]

pub mod flaky;
pub mod receiver;

pub use flaky::{FlakyQueue, QueueMode};

use std::sync::Arc;

use axum::{
    body::{Body, Bytes},
    http::{header, HeaderMap, Method, Request, StatusCode},
};
use chrono::Duration;
use hookd_core::{
    clock::{Clock, ManualClock},
    delivery::{MessageStatus, Transition},
    id::{AttemptId, TokenId},
    model::{Attempt, SentRequest, Token, TokenScope},
    store::{ClaimRequest, Claimed, Completion, Outcome, Queue, Store},
    token::{generate_text, hash_text, ADMIN_TOKEN_PREFIX},
};
use hookd_server::{
    config::ServerConfig,
    worker::{Engine, EngineContext},
    AppState,
};
use hookd_store_postgres::{
    testing::{CutProxy, TestDatabase},
    PgStore,
};
use hookd_store_sqlite::SqliteStore;
use serde_json::Value;
use tempfile::TempDir;
use tower::ServiceExt;

/// One test's server.
pub struct Harness {
    /// Keeps the database directory alive for the test's duration.
    _dir: TempDir,
    /// Keeps whatever else the store needs alive (a PostgreSQL test database).
    _keep: Option<Box<dyn std::any::Any + Send + Sync>>,
    /// The server's clock; tests move it.
    pub clock: Arc<ManualClock>,
    /// The server's state (store roles, config, engine).
    pub state: AppState,
    /// The store behind the state, for arranging what the API cannot create.
    store: Arc<dyn Store>,
    /// An admin token's text.
    pub admin: String,
}

/// A response, buffered.
#[derive(Debug)]
pub struct Resp {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The raw body.
    pub body: Bytes,
    /// The body as JSON (`Null` when empty or not JSON).
    pub json: Value,
}

impl Resp {
    /// Asserts the status, showing the body when it differs.
    #[track_caller]
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            String::from_utf8_lossy(&self.body)
        );
        self
    }

    /// The error `code` of a `{code, detail}` body.
    pub fn code(&self) -> &str {
        self.json["code"].as_str().unwrap_or_default()
    }

    /// The first validation item's `loc`, as strings.
    pub fn loc(&self) -> Vec<String> {
        self.json["detail"][0]["loc"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|v| v.as_str().unwrap_or_default().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl Harness {
    /// A server with default settings.
    pub async fn new() -> Self {
        Self::with_config(ServerConfig::default()).await
    }

    /// A server with `config`.
    pub async fn with_config(config: ServerConfig) -> Self {
        Self::build(config, |store| store).await
    }

    /// A server whose engine's queue can be switched to failing; returns the switch too.
    pub async fn with_flaky_queue() -> (Self, Arc<FlakyQueue>) {
        Self::with_flaky_queue_and(ServerConfig::default()).await
    }

    /// [`Harness::with_flaky_queue`] with `config`.
    pub async fn with_flaky_queue_and(config: ServerConfig) -> (Self, Arc<FlakyQueue>) {
        let mut flaky = None;
        let harness = Self::build(config, |queue| {
            let wrapped = Arc::new(FlakyQueue::new(queue));
            flaky = Some(wrapped.clone());
            wrapped
        })
        .await;
        (harness, flaky.expect("the queue was wrapped"))
    }

    /// A server over a fresh PostgreSQL database reached through `proxy`, which the test cuts
    /// to take the database away.
    pub async fn on_postgres_behind(proxy: &CutProxy) -> Self {
        let db = TestDatabase::create().await;
        let store = PgStore::connect(&proxy.url_for(&db))
            .await
            .expect("connect through the proxy");
        let mut harness = Self::over(Arc::new(store), ServerConfig::default(), |q| q).await;
        harness._keep = Some(Box::new(db));
        harness
    }

    async fn build(
        config: ServerConfig,
        wrap: impl FnOnce(Arc<dyn Queue>) -> Arc<dyn Queue>,
    ) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(&dir.path().join("hookd.db"))
            .await
            .expect("open store");
        let mut harness = Self::over(Arc::new(store), config, wrap).await;
        harness._dir = dir;
        harness
    }

    async fn over(
        store: Arc<dyn Store>,
        config: ServerConfig,
        wrap: impl FnOnce(Arc<dyn Queue>) -> Arc<dyn Queue>,
    ) -> Self {
        let clock = Arc::new(ManualClock::at_epoch());
        let state = idle_state(store.clone(), clock.clone(), config, wrap);
        let harness = Self {
            _dir: tempfile::tempdir().expect("temp dir"),
            _keep: None,
            clock,
            state,
            store,
            admin: String::new(),
        };
        let admin = harness.insert_token(TokenScope::Admin, None).await;
        Self { admin, ..harness }
    }

    /// The same database served by a new process: a fresh store and state on the same file
    /// and clock, as after a restart (the admin token is in the database, so it still works).
    pub async fn restarted(self) -> Self {
        let Self {
            _dir,
            _keep,
            clock,
            state,
            store,
            admin,
        } = self;
        let config = (*state.config).clone();
        drop((state, store));
        let store: Arc<dyn Store> = Arc::new(
            SqliteStore::open(&_dir.path().join("hookd.db"))
                .await
                .expect("reopen store"),
        );
        let state = idle_state(store.clone(), clock.clone(), config, |q| q);
        Self {
            _dir,
            _keep,
            clock,
            state,
            store,
            admin,
        }
    }

    /// Starts the delivery engine over this harness's store, clock and settings: from now on
    /// the API publishes through it and its workers send. Returns its handle.
    pub fn start_engine(&mut self) -> Engine {
        let engine = Engine::start(self.state.engine.context().clone()).expect("engine starts");
        self.state.engine = engine.clone();
        engine
    }

    /// The SQLite database file of a harness over SQLite.
    pub fn sqlite_path(&self) -> std::path::PathBuf {
        self._dir.path().join("hookd.db")
    }

    /// The store behind the API.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Inserts a token directly and returns its text.
    pub async fn insert_token(
        &self,
        scope: TokenScope,
        expires_at: Option<hookd_core::Timestamp>,
    ) -> String {
        let mut rng = rand::thread_rng();
        let text = generate_text(ADMIN_TOKEN_PREFIX, &mut rng);
        let now = self.clock.now();
        let token = Token {
            id: TokenId::generate(now, &mut rng),
            hash: hash_text(&text),
            scope,
            name: "test".into(),
            created_at: now,
            expires_at,
            portal: hookd_core::portal::PortalScope::default(),
        };
        self.store()
            .insert_token(&token)
            .await
            .expect("insert token");
        text
    }

    /// Sends a prepared request through the full service (trailing-slash tolerance included).
    pub async fn send(&self, req: Request<Body>) -> Resp {
        let response = hookd_server::api::service(self.state.clone())
            .oneshot(req)
            .await
            .expect("the service is infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
        Resp {
            status,
            headers,
            body,
            json,
        }
    }

    /// A request with `token` (if any) and a raw body (if any).
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
        extra: &[(&str, &str)],
    ) -> Resp {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        if body.is_some() {
            req = req.header(header::CONTENT_TYPE, "application/json");
        }
        for (k, v) in extra {
            req = req.header(*k, *v);
        }
        let body = body.map(|b| Body::from(b.to_owned())).unwrap_or_default();
        self.send(req.body(body).expect("request")).await
    }

    /// A request with `token` and a JSON body.
    pub async fn call(&self, method: Method, path: &str, token: &str, body: Option<Value>) -> Resp {
        let body = body.map(|b| b.to_string());
        self.raw(method, path, Some(token), body.as_deref(), &[])
            .await
    }

    /// Admin GET.
    pub async fn get(&self, path: &str) -> Resp {
        self.call(Method::GET, path, &self.admin.clone(), None)
            .await
    }

    /// Admin POST.
    pub async fn post(&self, path: &str, body: Value) -> Resp {
        self.call(Method::POST, path, &self.admin.clone(), Some(body))
            .await
    }

    /// Admin PUT.
    pub async fn put(&self, path: &str, body: Value) -> Resp {
        self.call(Method::PUT, path, &self.admin.clone(), Some(body))
            .await
    }

    /// Admin PATCH.
    pub async fn patch(&self, path: &str, body: Value) -> Resp {
        self.call(Method::PATCH, path, &self.admin.clone(), Some(body))
            .await
    }

    /// Admin DELETE.
    pub async fn delete(&self, path: &str) -> Resp {
        self.call(Method::DELETE, path, &self.admin.clone(), None)
            .await
    }

    /// Creates an application with `uid` and returns its id.
    pub async fn app(&self, uid: &str) -> String {
        let r = self
            .post(
                "/api/v1/app",
                serde_json::json!({"name": format!("App {uid}"), "uid": uid}),
            )
            .await
            .expect(201);
        r.json["id"].as_str().expect("id").to_owned()
    }

    /// Creates an endpoint of `app` and returns its JSON.
    pub async fn endpoint(&self, app: &str, body: Value) -> Value {
        self.post(&format!("/api/v1/app/{app}/endpoint"), body)
            .await
            .expect(201)
            .json
    }

    /// Publishes a message to `app` and returns its JSON.
    pub async fn message(&self, app: &str, body: Value) -> Value {
        self.post(&format!("/api/v1/app/{app}/msg"), body)
            .await
            .expect(202)
            .json
    }

    /// Creates an event type.
    pub async fn event_type(&self, name: &str) {
        self.post(
            "/api/v1/event-type",
            serde_json::json!({"name": name, "description": format!("{name} happened")}),
        )
        .await
        .expect(201);
    }

    /// Plays the worker for every due delivery: claims it and records one attempt with
    /// `status_code` (a 2xx succeeds; anything else fails for good). Returns the attempts.
    pub async fn attempt_due(&self, status_code: i16) -> Vec<Attempt> {
        self.attempt_due_sending(status_code, |_| None).await
    }

    /// As [`Harness::attempt_due`], each attempt recording the request `sent` says it sent.
    pub async fn attempt_due_sending(
        &self,
        status_code: i16,
        sent: impl Fn(&Claimed) -> Option<SentRequest>,
    ) -> Vec<Attempt> {
        let now = self.clock.now();
        let claimed = self
            .store()
            .claim_due(&ClaimRequest {
                owner: "test",
                lease_token: "lease",
                now,
                lease: Duration::seconds(60),
                limit: 100,
            })
            .await
            .expect("claim");
        let mut attempts = Vec::new();
        let mut batch = Vec::new();
        for c in claimed {
            let success = (200..300).contains(&status_code);
            let attempt = Attempt {
                id: AttemptId::generate(now, &mut rand::thread_rng()),
                msg_id: c.message.id.clone(),
                endpoint_id: c.endpoint.id.clone(),
                app_id: c.endpoint.app_id.clone(),
                url: c.endpoint.url.clone(),
                status: if success {
                    MessageStatus::Success
                } else {
                    MessageStatus::Fail
                },
                response_status_code: status_code,
                response: Some(format!("{{\"answer\":{status_code}}}")),
                response_duration_ms: 12,
                trigger_type: c.delivery.trigger,
                created_at: now,
                request: sent(&c),
                next_attempt_at: None,
                retry_after: None,
            };
            attempts.push(attempt.clone());
            batch.push(Completion {
                msg_id: c.message.id,
                endpoint_id: c.endpoint.id,
                lease_token: c.lease_token,
                outcome: Outcome::Attempted {
                    attempt,
                    transition: if success {
                        Transition::Succeeded
                    } else {
                        Transition::Exhausted
                    },
                },
                now,
            });
        }
        self.store().complete(&batch).await.expect("complete");
        attempts
    }

    /// Moves the clock forward.
    pub fn advance_ms(&self, ms: i64) {
        self.clock.advance(Duration::milliseconds(ms));
    }
}

/// A server state whose engine writes publishes but runs no workers, as the API tests want
/// (their deliveries stay pending); [`Harness::start_engine`] starts a real one.
/// `wrap` may replace the engine's queue (and only it) with a fault-injecting one.
fn idle_state(
    store: Arc<dyn Store>,
    clock: Arc<ManualClock>,
    config: ServerConfig,
    wrap: impl FnOnce(Arc<dyn Queue>) -> Arc<dyn Queue>,
) -> AppState {
    let ctx = EngineContext::new(store.clone(), clock, Arc::new(config));
    let queue = wrap(ctx.queue.clone());
    AppState::new(store, Engine::without_workers(ctx.with_queue(queue)))
}
