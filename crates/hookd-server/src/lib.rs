//! `hookd-server` runs hookd's network-facing parts: the Svix-compatible HTTP API (in [`api`]),
//! authentication, idempotency, and the delivery engine (in [`worker`]) that writes messages
//! and moves them from the store's queue to receivers. The API uses the engine through its
//! handle ([`worker::Engine`]); the engine knows nothing of the API. Both report what they
//! do through [`telemetry`], the one home of hookd's metrics.
//!
//! It is handed a [`hookd_core::store::Store`] and a [`hookd_core::clock::Clock`] and must not
//! know which database is behind the store, nor read configuration files or the environment
//! (the binary does that and passes a [`config::ServerConfig`]).

pub mod access;
pub mod api;
pub mod auth;
pub mod cache;
pub mod clock;
pub mod config;
pub mod error;
pub mod idempotency;
pub mod maintenance;
pub mod ratelimit;
pub mod telemetry;
pub mod ui;
pub mod worker;

use std::sync::Arc;

use hookd_core::{
    clock::Clock,
    store::{Audit, Capabilities, Directory, History, Idempotency, Messages, Queue, Store, Tasks},
};

/// Everything a request handler or worker needs, cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState {
    /// Tokens, applications, event types and endpoints.
    pub directory: Arc<dyn Directory>,
    /// Messages as read, and their content's removal.
    pub messages: Arc<dyn Messages>,
    /// The delivery queue, for what the API does to it directly (resend, recover); publishes
    /// go through [`AppState::engine`].
    pub queue: Arc<dyn Queue>,
    /// Deliveries and attempts as read.
    pub history: Arc<dyn History>,
    /// `Idempotency-Key` reservations.
    pub idempotency: Arc<dyn Idempotency>,
    /// Background tasks.
    pub tasks: Arc<dyn Tasks>,
    /// The audit log of changes made through the API.
    pub audit: Arc<dyn Audit>,
    /// What the store can do, and whether it answers (the health check).
    pub capabilities: Arc<dyn Capabilities>,
    /// The time source; tests inject a manual clock.
    pub clock: Arc<dyn Clock>,
    /// Server settings.
    pub config: Arc<config::ServerConfig>,
    /// Cached token and application lookups.
    pub lookups: Arc<cache::LookupCache>,
    /// The API's rate limits (per token, per application, failed authentication).
    pub limits: Arc<ratelimit::ApiLimits>,
    /// The delivery engine: every publish goes through it, and it is woken when new work
    /// becomes due now (a resend, a recover), so its workers do not wait for their next poll.
    pub engine: worker::Engine,
    /// The Prometheus recorder `GET /metrics` renders, when the binary installed one.
    pub exporter: Option<telemetry::Exporter>,
}

impl AppState {
    /// A state over `store` (the one `engine` was started over) and the clock and settings
    /// `engine` was started with, publishing through it. Starts nothing.
    pub fn new(store: Arc<dyn Store>, engine: worker::Engine) -> Self {
        let worker::EngineContext { clock, config, .. } = engine.context().clone();
        Self {
            engine,
            lookups: Arc::default(),
            limits: Arc::new(ratelimit::ApiLimits::new(
                config.api_rate_limit_per_token,
                config.api_rate_limit_per_app,
                config.auth_failures_per_minute,
            )),
            directory: store.clone(),
            messages: store.clone(),
            queue: store.clone(),
            history: store.clone(),
            idempotency: store.clone(),
            tasks: store.clone(),
            audit: store.clone(),
            capabilities: store,
            clock,
            config,
            exporter: None,
        }
    }

    /// This state, serving `exporter`'s metrics at `GET /metrics`.
    pub fn with_exporter(mut self, exporter: telemetry::Exporter) -> Self {
        self.exporter = Some(exporter);
        self
    }
}
