//! `hookd-server` runs hookd's network-facing parts: the Svix-compatible HTTP API (in [`api`]),
//! authentication, idempotency, and the delivery workers (in [`worker`]) that move messages
//! from the store's queue to receivers.
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
mod dedicated;
pub mod error;
pub mod idempotency;
pub mod maintenance;
pub mod publish;
pub mod ratelimit;
pub mod ui;
pub mod worker;

use std::sync::Arc;

use hookd_core::{clock::Clock, store::Store};
use tokio::sync::Notify;

/// Everything a request handler or worker needs, cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState {
    /// Persistence and the delivery queue.
    pub store: Arc<dyn Store>,
    /// The time source; tests inject a manual clock.
    pub clock: Arc<dyn Clock>,
    /// Server settings.
    pub config: Arc<config::ServerConfig>,
    /// Cached token and application lookups.
    pub lookups: Arc<cache::LookupCache>,
    /// The API's rate limits (per token, per application, failed authentication).
    pub limits: Arc<ratelimit::ApiLimits>,
    /// Group-commit writer of publishes.
    pub publisher: publish::Publisher,
    /// Wakes the delivery workers in this process when new work becomes due now (a message
    /// published, a resend, a recover), so they do not wait for their next poll.
    pub wake: Arc<Notify>,
}

impl AppState {
    /// A state over `store` with `clock` and `config`.
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, config: config::ServerConfig) -> Self {
        let wake = Arc::new(Notify::new());
        Self {
            publisher: publish::Publisher::spawn(store.clone(), wake.clone()),
            lookups: Arc::default(),
            limits: Arc::new(ratelimit::ApiLimits::new(
                config.api_rate_limit_per_token,
                config.api_rate_limit_per_app,
                config.auth_failures_per_minute,
            )),
            store,
            clock,
            config: Arc::new(config),
            wake,
        }
    }
}
