//! The in-process harness for API tests: a fresh SQLite store in its own temporary directory, a
//! manual clock, an admin token inserted directly into the store, and the API service driven
//! with `tower::ServiceExt::oneshot` (no sockets, no sleeps).
//!
//! It must not reach around the API for anything a test asserts on; the store is exposed only
//! to arrange what the API cannot create by itself (attempts, which the workers record).

#![allow(dead_code)]

pub mod receiver;

use std::sync::Arc;

use axum::{
    body::{Body, Bytes},
    http::{header, HeaderMap, Method, Request, StatusCode},
};
use chrono::Duration;
use hookd_core::{
    clock::{Clock, ManualClock},
    delivery::{MessageStatus, Transition},
    id::{AppId, AttemptId, EndpointId, MsgId, TokenId},
    model::{
        Application, Attempt, Delivery, Endpoint, EndpointStats, EventType, Message, SentRequest,
        StoredResponse, Token, TokenScope,
    },
    page::{ListQuery, Page},
    store::{
        AppFilter, AttemptFilter, ClaimRequest, Claimed, Completion, Created, DeliveryFilter,
        IdempotencyBegin, MessageFilter, Outcome, Store, StoreError, StoreResult,
    },
    token::{generate_text, hash_text, ADMIN_TOKEN_PREFIX},
    Timestamp,
};
use hookd_server::{
    config::ServerConfig,
    worker::{Engine, EngineContext},
    AppState,
};
use hookd_store_sqlite::SqliteStore;
use serde_json::Value;
use tempfile::TempDir;
use tower::ServiceExt;

/// One test's server.
pub struct Harness {
    /// Keeps the database directory alive for the test's duration.
    _dir: TempDir,
    /// The server's clock; tests move it.
    pub clock: Arc<ManualClock>,
    /// The server's state (store, config, wake).
    pub state: AppState,
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

    /// A server whose store can be switched to failing; returns the switch too.
    pub async fn with_flaky_store() -> (Self, Arc<FlakyStore>) {
        Self::with_flaky_store_and(ServerConfig::default()).await
    }

    /// [`Harness::with_flaky_store`] with `config`.
    pub async fn with_flaky_store_and(config: ServerConfig) -> (Self, Arc<FlakyStore>) {
        let mut flaky = None;
        let harness = Self::build(config, |store| {
            let wrapped = Arc::new(FlakyStore::new(store));
            flaky = Some(wrapped.clone());
            wrapped
        })
        .await;
        (harness, flaky.expect("the store was wrapped"))
    }

    async fn build(
        config: ServerConfig,
        wrap: impl FnOnce(Arc<dyn Store>) -> Arc<dyn Store>,
    ) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(&dir.path().join("hookd.db"))
            .await
            .expect("open store");
        let clock = Arc::new(ManualClock::at_epoch());
        let state = idle_state(wrap(Arc::new(store)), clock.clone(), config);
        let harness = Self {
            _dir: dir,
            clock,
            state,
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
            clock,
            state,
            admin,
        } = self;
        let config = (*state.config).clone();
        drop(state);
        let store = SqliteStore::open(&_dir.path().join("hookd.db"))
            .await
            .expect("reopen store");
        let state = idle_state(Arc::new(store), clock.clone(), config);
        Self {
            _dir,
            clock,
            state,
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

    /// The store behind the API.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.state.store
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

/// A store that forwards to a real one until it is told to fail, to test how the API answers a
/// storage outage (503) or a storage bug (500) without leaking either's details.
#[derive(Debug)]
pub struct FlakyStore {
    inner: Arc<dyn Store>,
    mode: std::sync::atomic::AtomicU8,
    /// Deliveries handed out by `claim_due` so far.
    claimed: std::sync::atomic::AtomicUsize,
}

/// How a [`FlakyStore`] behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum StoreMode {
    /// Forwards every call.
    Up = 0,
    /// Fails every call with `Unavailable`.
    Unavailable = 1,
    /// Fails every call with `Other`.
    Broken = 2,
    /// Commits the next publish batch (`create_messages`) but answers it with `Unavailable`,
    /// as when the connection drops between commit and answer; then forwards every call.
    LoseNextBatchAnswer = 3,
}

impl FlakyStore {
    /// Wraps `inner`, up.
    pub fn new(inner: Arc<dyn Store>) -> Self {
        Self {
            inner,
            mode: std::sync::atomic::AtomicU8::new(StoreMode::Up as u8),
            claimed: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// How many deliveries `claim_due` has handed out (claims made by publishes not counted).
    pub fn claimed_by_claim_due(&self) -> usize {
        self.claimed.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Switches the behaviour.
    pub fn set(&self, mode: StoreMode) {
        self.mode
            .store(mode as u8, std::sync::atomic::Ordering::SeqCst);
    }

    fn check(&self) -> StoreResult<()> {
        match self.mode.load(std::sync::atomic::Ordering::SeqCst) {
            1 => Err(StoreError::Unavailable(
                "database file is locked at /secret/path".into(),
            )),
            2 => Err(StoreError::Other("no such table: internal_table".into())),
            _ => Ok(()),
        }
    }
}

#[async_trait::async_trait]
impl Store for FlakyStore {
    async fn ping(&self) -> StoreResult<()> {
        self.check()?;
        self.inner.ping().await
    }

    async fn insert_token(&self, token: &Token) -> StoreResult<()> {
        self.check()?;
        self.inner.insert_token(token).await
    }

    async fn insert_admin_token_if_none(&self, token: &Token) -> StoreResult<bool> {
        self.check()?;
        self.inner.insert_admin_token_if_none(token).await
    }

    async fn token_by_hash(&self, hash: &str) -> StoreResult<Option<Token>> {
        self.check()?;
        self.inner.token_by_hash(hash).await
    }

    async fn delete_token(&self, id: &TokenId) -> StoreResult<bool> {
        self.check()?;
        self.inner.delete_token(id).await
    }

    async fn expire_app_tokens(
        &self,
        app: &AppId,
        session_ids: Option<&[String]>,
        at: Timestamp,
    ) -> StoreResult<u64> {
        self.check()?;
        self.inner.expire_app_tokens(app, session_ids, at).await
    }

    async fn create_app(&self, app: &Application) -> StoreResult<()> {
        self.check()?;
        self.inner.create_app(app).await
    }

    async fn get_app(&self, id_or_uid: &str) -> StoreResult<Option<Application>> {
        self.check()?;
        self.inner.get_app(id_or_uid).await
    }

    async fn list_apps(
        &self,
        filter: &AppFilter,
        query: &ListQuery,
    ) -> StoreResult<Page<Application>> {
        self.check()?;
        self.inner.list_apps(filter, query).await
    }

    async fn update_app(&self, app: &Application) -> StoreResult<()> {
        self.check()?;
        self.inner.update_app(app).await
    }

    async fn delete_app(&self, id: &AppId) -> StoreResult<bool> {
        self.check()?;
        self.inner.delete_app(id).await
    }

    async fn create_event_type(&self, et: &EventType) -> StoreResult<()> {
        self.check()?;
        self.inner.create_event_type(et).await
    }

    async fn get_event_type(&self, name: &str) -> StoreResult<Option<EventType>> {
        self.check()?;
        self.inner.get_event_type(name).await
    }

    async fn list_event_types(
        &self,
        include_archived: bool,
        query: &ListQuery,
    ) -> StoreResult<Page<EventType>> {
        self.check()?;
        self.inner.list_event_types(include_archived, query).await
    }

    async fn update_event_type(&self, et: &EventType) -> StoreResult<()> {
        self.check()?;
        self.inner.update_event_type(et).await
    }

    async fn delete_event_type(&self, name: &str) -> StoreResult<bool> {
        self.check()?;
        self.inner.delete_event_type(name).await
    }

    async fn create_endpoint(&self, ep: &Endpoint) -> StoreResult<()> {
        self.check()?;
        self.inner.create_endpoint(ep).await
    }

    async fn get_endpoint(&self, app: &AppId, id_or_uid: &str) -> StoreResult<Option<Endpoint>> {
        self.check()?;
        self.inner.get_endpoint(app, id_or_uid).await
    }

    async fn list_endpoints(&self, app: &AppId, query: &ListQuery) -> StoreResult<Page<Endpoint>> {
        self.check()?;
        self.inner.list_endpoints(app, query).await
    }

    async fn update_endpoint(&self, ep: &Endpoint) -> StoreResult<()> {
        self.check()?;
        self.inner.update_endpoint(ep).await
    }
    async fn reseal_endpoint_secrets(
        &self,
        after: Option<&EndpointId>,
        limit: u32,
    ) -> StoreResult<hookd_core::store::ResealBatch> {
        self.check()?;
        self.inner.reseal_endpoint_secrets(after, limit).await
    }

    async fn delete_endpoint(&self, app: &AppId, id: &EndpointId) -> StoreResult<bool> {
        self.check()?;
        self.inner.delete_endpoint(app, id).await
    }

    async fn disable_failing_endpoint(
        &self,
        app: &AppId,
        id: &EndpointId,
        failing_before: Timestamp,
        now: Timestamp,
    ) -> StoreResult<Option<Timestamp>> {
        self.check()?;
        self.inner
            .disable_failing_endpoint(app, id, failing_before, now)
            .await
    }

    async fn create_message(
        &self,
        msg: &Message,
        only_endpoint: Option<&EndpointId>,
    ) -> StoreResult<u32> {
        self.check()?;
        self.inner.create_message(msg, only_endpoint).await
    }

    async fn create_messages(
        &self,
        msgs: &[Message],
        claim: Option<&ClaimRequest<'_>>,
    ) -> StoreResult<Created> {
        self.check()?;
        let created = self.inner.create_messages(msgs, claim).await?;
        if self
            .mode
            .compare_exchange(
                StoreMode::LoseNextBatchAnswer as u8,
                StoreMode::Up as u8,
                std::sync::atomic::Ordering::SeqCst,
                std::sync::atomic::Ordering::SeqCst,
            )
            .is_ok()
        {
            return Err(StoreError::Unavailable("connection reset".into()));
        }
        Ok(created)
    }

    async fn get_message(&self, app: &AppId, id_or_event_id: &str) -> StoreResult<Option<Message>> {
        self.check()?;
        self.inner.get_message(app, id_or_event_id).await
    }

    async fn list_messages(
        &self,
        app: &AppId,
        filter: &MessageFilter,
        query: &ListQuery,
    ) -> StoreResult<Page<Message>> {
        self.check()?;
        self.inner.list_messages(app, filter, query).await
    }

    async fn expunge_message_content(&self, app: &AppId, msg: &MsgId) -> StoreResult<bool> {
        self.check()?;
        self.inner.expunge_message_content(app, msg).await
    }

    async fn expire_payloads(&self, now: Timestamp, limit: u32) -> StoreResult<u64> {
        self.check()?;
        self.inner.expire_payloads(now, limit).await
    }

    async fn prune_attempts(&self, before: Timestamp, limit: u32) -> StoreResult<u64> {
        self.check()?;
        self.inner.prune_attempts(before, limit).await
    }

    async fn list_endpoint_deliveries(
        &self,
        app: &AppId,
        endpoint: &EndpointId,
        filter: &DeliveryFilter,
        query: &ListQuery,
    ) -> StoreResult<Page<(Message, Delivery)>> {
        self.check()?;
        self.inner
            .list_endpoint_deliveries(app, endpoint, filter, query)
            .await
    }

    async fn list_message_deliveries(
        &self,
        app: &AppId,
        msg: &MsgId,
        query: &ListQuery,
    ) -> StoreResult<Page<(Endpoint, Delivery)>> {
        self.check()?;
        self.inner.list_message_deliveries(app, msg, query).await
    }

    async fn list_attempts_by_endpoint(
        &self,
        app: &AppId,
        endpoint: &EndpointId,
        filter: &AttemptFilter,
        query: &ListQuery,
    ) -> StoreResult<Page<Attempt>> {
        self.check()?;
        self.inner
            .list_attempts_by_endpoint(app, endpoint, filter, query)
            .await
    }

    async fn list_attempts_by_msg(
        &self,
        app: &AppId,
        msg: &MsgId,
        filter: &AttemptFilter,
        query: &ListQuery,
    ) -> StoreResult<Page<Attempt>> {
        self.check()?;
        self.inner
            .list_attempts_by_msg(app, msg, filter, query)
            .await
    }

    async fn get_attempt(
        &self,
        app: &AppId,
        msg: &MsgId,
        attempt: &AttemptId,
    ) -> StoreResult<Option<Attempt>> {
        self.check()?;
        self.inner.get_attempt(app, msg, attempt).await
    }

    async fn expunge_attempt_content(
        &self,
        app: &AppId,
        msg: &MsgId,
        attempt: &AttemptId,
    ) -> StoreResult<bool> {
        self.check()?;
        self.inner.expunge_attempt_content(app, msg, attempt).await
    }

    async fn endpoint_stats(
        &self,
        app: &AppId,
        endpoint: &EndpointId,
        since: Option<Timestamp>,
        until: Option<Timestamp>,
    ) -> StoreResult<EndpointStats> {
        self.check()?;
        self.inner.endpoint_stats(app, endpoint, since, until).await
    }

    async fn claim_due(&self, req: &ClaimRequest<'_>) -> StoreResult<Vec<Claimed>> {
        self.check()?;
        let claimed = self.inner.claim_due(req).await?;
        self.claimed
            .fetch_add(claimed.len(), std::sync::atomic::Ordering::SeqCst);
        Ok(claimed)
    }

    async fn complete(&self, batch: &[Completion]) -> StoreResult<Vec<bool>> {
        self.check()?;
        self.inner.complete(batch).await
    }

    async fn resend(
        &self,
        app: &AppId,
        msg: &MsgId,
        endpoint: &EndpointId,
        now: Timestamp,
    ) -> StoreResult<()> {
        self.check()?;
        self.inner.resend(app, msg, endpoint, now).await
    }

    async fn recover(
        &self,
        app: &AppId,
        endpoint: &EndpointId,
        since: Timestamp,
        until: Option<Timestamp>,
        now: Timestamp,
    ) -> StoreResult<u64> {
        self.check()?;
        self.inner.recover(app, endpoint, since, until, now).await
    }

    async fn release_claims(&self, lease_token: &str, now: Timestamp) -> StoreResult<u64> {
        self.check()?;
        self.inner.release_claims(lease_token, now).await
    }
    async fn next_due_at(&self) -> StoreResult<Option<Timestamp>> {
        self.check()?;
        self.inner.next_due_at().await
    }

    async fn idempotency_begin(
        &self,
        key: &str,
        request_hash: &str,
        now: Timestamp,
        expired_before: Timestamp,
    ) -> StoreResult<IdempotencyBegin> {
        self.check()?;
        self.inner
            .idempotency_begin(key, request_hash, now, expired_before)
            .await
    }

    async fn idempotency_finish(&self, key: &str, response: &StoredResponse) -> StoreResult<()> {
        self.check()?;
        self.inner.idempotency_finish(key, response).await
    }

    async fn idempotency_abandon(&self, key: &str) -> StoreResult<()> {
        self.check()?;
        self.inner.idempotency_abandon(key).await
    }

    async fn idempotency_prune(&self, before: Timestamp) -> StoreResult<u64> {
        self.check()?;
        self.inner.idempotency_prune(before).await
    }

    async fn create_task(&self, task: &hookd_core::task::Task) -> StoreResult<()> {
        self.check()?;
        self.inner.create_task(task).await
    }

    async fn end_task(
        &self,
        id: &hookd_core::id::TaskId,
        status: hookd_core::task::TaskStatus,
        data: &Value,
        now: Timestamp,
    ) -> StoreResult<bool> {
        self.check()?;
        self.inner.end_task(id, status, data, now).await
    }

    async fn touch_task(&self, id: &hookd_core::id::TaskId, now: Timestamp) -> StoreResult<bool> {
        self.check()?;
        self.inner.touch_task(id, now).await
    }

    async fn get_task(
        &self,
        id: &hookd_core::id::TaskId,
    ) -> StoreResult<Option<hookd_core::task::Task>> {
        self.check()?;
        self.inner.get_task(id).await
    }

    async fn list_tasks(
        &self,
        filter: &hookd_core::task::TaskFilter,
        query: &ListQuery,
    ) -> StoreResult<Page<hookd_core::task::Task>> {
        self.check()?;
        self.inner.list_tasks(filter, query).await
    }

    async fn fail_stale_tasks(
        &self,
        stale_before: Timestamp,
        data: &Value,
        now: Timestamp,
    ) -> StoreResult<u64> {
        self.check()?;
        self.inner.fail_stale_tasks(stale_before, data, now).await
    }

    async fn throttle_take(
        &self,
        key: &str,
        per_second: u16,
        now: Timestamp,
    ) -> StoreResult<Result<(), Timestamp>> {
        self.check()?;
        self.inner.throttle_take(key, per_second, now).await
    }

    async fn subscribe_work(&self, on_work: hookd_core::store::WorkCallback) -> StoreResult<()> {
        self.check()?;
        self.inner.subscribe_work(on_work).await
    }

    async fn attempt_buckets(
        &self,
        query: &hookd_core::store::BucketQuery,
    ) -> StoreResult<Vec<hookd_core::model::AttemptBucket>> {
        self.check()?;
        self.inner.attempt_buckets(query).await
    }
}

/// A server state whose engine writes publishes but runs no workers, as the API tests want
/// (their deliveries stay pending); [`Harness::start_engine`] starts a real one.
fn idle_state(store: Arc<dyn Store>, clock: Arc<ManualClock>, config: ServerConfig) -> AppState {
    AppState::new(Engine::without_workers(EngineContext {
        store,
        clock,
        config: Arc::new(config),
    }))
}
