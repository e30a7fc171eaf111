//! Reliability tests (the hardening issue): endpoints that fail for too long are disabled and
//! Svix's operational events are published (`health`), expired content is removed by the
//! maintenance job (`retention`), and deliveries go through an outbound proxy with the address
//! guard still in force (`proxy`). The hostile receivers live beside this in `hostile`.
//!
//! The [`World`] here runs real workers on either store (SQLite in a temporary directory, or a
//! fresh PostgreSQL database) with a manual clock: tests move the clock and wait on signals
//! (the workers' completion count, a receiver's request count), never on sleeps. It must not
//! assert anything itself.

#![allow(dead_code)]

mod health;
mod proxy;
mod retention;

use std::{any::Any, collections::BTreeMap, sync::Arc, time::Duration};

use chrono::Duration as ChronoDuration;
use hookd_core::{
    clock::{Clock, ManualClock},
    id::{AppId, EndpointId, MsgId},
    model::{Application, Attempt, Endpoint, Message},
    page::{ListQuery, Order},
    store::{AttemptFilter, MessageFilter, Store},
};
use hookd_server::{
    config::ServerConfig,
    worker::{operational::OPERATIONAL_APP_UID, Engine, EngineContext},
    AppState,
};
use hookd_store_postgres::{testing::TestDatabase, PgStore};
use hookd_store_sqlite::SqliteStore;

/// A `whsec_` secret for the endpoints the tests create.
pub const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

/// How long a test waits for a signal before it fails. Only turns a hang into a clear failure;
/// it is not how tests synchronise.
pub const SIGNAL_TIMEOUT: Duration = Duration::from_secs(30);

/// Which store a world runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The embedded SQLite store, in a temporary directory.
    Sqlite,
    /// The PostgreSQL store, on a fresh database of the local server.
    Postgres,
}

/// Expands `name(backend)` into one test per store, in a module named `name`.
macro_rules! on_both_stores {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[tokio::test]
                async fn sqlite() {
                    super::$name($crate::reliability::Backend::Sqlite).await;
                }
                #[tokio::test]
                async fn postgres() {
                    super::$name($crate::reliability::Backend::Postgres).await;
                }
            }
        )+
    };
}
pub(crate) use on_both_stores;

/// Real workers on a real store, with a manual clock and one tenant application.
pub struct World {
    pub state: AppState,
    /// The store behind the state, for arranging and reading what the API cannot.
    pub store: Arc<dyn Store>,
    pub clock: Arc<ManualClock>,
    pub workers: Option<Engine>,
    pub app: Application,
    _keep: Box<dyn Any + Send>,
}

fn rng() -> rand::rngs::ThreadRng {
    rand::thread_rng()
}

/// Opens an empty store of `backend`, with whatever must outlive it.
async fn open(backend: Backend) -> (Arc<dyn Store>, Box<dyn Any + Send>) {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let store = SqliteStore::open(&dir.path().join("hookd.db"))
                .await
                .unwrap();
            (Arc::new(store), Box::new(dir))
        }
        Backend::Postgres => {
            let db = TestDatabase::create().await;
            let store = PgStore::connect(&db.url()).await.unwrap();
            (Arc::new(store), Box::new(db))
        }
    }
}

/// A world on `backend` whose server settings `adjust` may change; loopback receivers are
/// allowed and the workers run.
pub async fn world(backend: Backend, adjust: impl FnOnce(&mut ServerConfig)) -> World {
    let (store, keep) = open(backend).await;
    let clock = Arc::new(ManualClock::at_epoch());
    let mut config = ServerConfig {
        allowed_networks: vec!["127.0.0.0/8".parse().unwrap()],
        request_timeout: Duration::from_secs(5),
        ..ServerConfig::default()
    };
    adjust(&mut config);
    let engine = Engine::start(EngineContext::new(
        store.clone(),
        clock.clone(),
        Arc::new(config),
    ))
    .unwrap();
    let state = AppState::new(store.clone(), engine.clone());
    let app = create_app(&state, &clock, Some("tenant")).await;
    let workers = Some(engine);
    World {
        state,
        store,
        clock,
        workers,
        app,
        _keep: keep,
    }
}

async fn create_app(state: &AppState, clock: &ManualClock, uid: Option<&str>) -> Application {
    let now = clock.now();
    let app = Application {
        id: AppId::generate(now, &mut rng()),
        uid: uid.map(str::to_owned),
        name: uid.unwrap_or("app").into(),
        throttle_rate: None,
        metadata: BTreeMap::new(),
        created_at: now,
        updated_at: now,
    };
    state.directory.create_app(&app).await.unwrap();
    app
}

impl World {
    pub fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    /// Creates an endpoint of the tenant application at `url`, after `adjust`.
    pub async fn endpoint(&self, url: String, adjust: impl FnOnce(&mut Endpoint)) -> Endpoint {
        self.endpoint_of(&self.app, url, adjust).await
    }

    /// Creates an endpoint of `app` at `url`, after `adjust`.
    pub async fn endpoint_of(
        &self,
        app: &Application,
        url: String,
        adjust: impl FnOnce(&mut Endpoint),
    ) -> Endpoint {
        let now = self.clock.now();
        let id = EndpointId::generate(now, &mut rng());
        let mut ep = Endpoint {
            uid: Some(format!("uid-{id}")),
            id,
            app_id: app.id.clone(),
            url,
            description: String::new(),
            disabled: false,
            throttle_rate: None,
            event_types: None,
            channels: None,
            metadata: BTreeMap::new(),
            headers: BTreeMap::new(),
            secret: SECRET.into(),
            old_secrets: vec![],
            options: Default::default(),
            failing_since: None,
            created_at: now,
            updated_at: now,
        };
        adjust(&mut ep);
        self.store().create_endpoint(&ep).await.unwrap();
        ep
    }

    /// The reserved application that receives operational events (without endpoints, its
    /// events are stored and listed but not delivered).
    pub async fn operational_app(&self) -> Application {
        create_app(&self.state, &self.clock, Some(OPERATIONAL_APP_UID)).await
    }

    /// Publishes `payload` to the tenant application, with the payload retention the server
    /// gives a message that sets none, and wakes the workers.
    pub async fn publish(&self, payload: &str) -> Message {
        self.publish_with(payload, |_| {}).await
    }

    /// Publishes like [`Self::publish`] after `adjust` changed the message.
    pub async fn publish_with(&self, payload: &str, adjust: impl FnOnce(&mut Message)) -> Message {
        let now = self.clock.now();
        let id = MsgId::generate(now, &mut rng());
        let mut msg = Message {
            event_id: Some(format!("evt-{id}")),
            id,
            app_id: self.app.id.clone(),
            event_type: "invoice.paid".into(),
            payload: Some(payload.into()),
            channels: None,
            payload_expires_at: Some(self.state.config.payload_expiry(now, None)),
            created_at: now,
            extras: Default::default(),
        };
        adjust(&mut msg);
        self.store().create_message(&msg, None).await.unwrap();
        self.state.engine.wake();
        msg
    }

    /// Moves the clock and tells the workers to look again, as a poll tick would.
    pub fn advance(&self, by: ChronoDuration) {
        self.clock.advance(by);
        self.state.engine.wake();
    }

    /// Waits until the workers have written `n` completions.
    pub async fn wait_completed(&mut self, n: u64) {
        let workers = self.workers.as_mut().expect("workers are running");
        tokio::time::timeout(SIGNAL_TIMEOUT, workers.wait_completed(n))
            .await
            .unwrap_or_else(|_| panic!("workers did not complete {n} deliveries in time"));
    }

    /// Stops the workers, letting in-flight attempts finish.
    pub async fn stop_workers(&mut self) {
        if let Some(w) = self.workers.take() {
            w.shutdown().await;
        }
    }

    /// The attempts of `msg`, oldest first.
    pub async fn attempts(&self, msg: &MsgId) -> Vec<Attempt> {
        self.store()
            .list_attempts_by_msg(
                &self.app.id,
                msg,
                &AttemptFilter::default(),
                &ListQuery::first(250, Order::Ascending),
            )
            .await
            .unwrap()
            .data
    }

    /// The endpoint as stored now.
    pub async fn stored_endpoint(&self, ep: &Endpoint) -> Endpoint {
        self.store()
            .get_endpoint(&ep.app_id, ep.id.as_str())
            .await
            .unwrap()
            .expect("the endpoint exists")
    }

    /// The operational events published so far, oldest first, as their JSON payloads.
    pub async fn operational_events(&self, operational: &Application) -> Vec<serde_json::Value> {
        self.store()
            .list_messages(
                &operational.id,
                &MessageFilter::default(),
                &ListQuery::first(250, Order::Ascending),
            )
            .await
            .unwrap()
            .data
            .into_iter()
            .map(|m| serde_json::from_str(m.payload.as_deref().unwrap_or("null")).unwrap())
            .collect()
    }
}

/// The `type`s of operational events, in order.
pub fn types(events: &[serde_json::Value]) -> Vec<&str> {
    events
        .iter()
        .map(|e| e["type"].as_str().unwrap_or_default())
        .collect()
}
