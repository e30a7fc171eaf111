//! The engine's context and its handle: what the delivery engine is started with (a store, a
//! clock, the settings) and what its starter gets back (publish, wake, completed, shutdown).
//!
//! The engine is started once per process, before anything publishes: the publisher is built
//! with the workers' inbox in hand, so nothing is plugged in later. This module must not know
//! the API: callers hold an [`Engine`] and talk to it only through its methods.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use hookd_core::{
    clock::Clock,
    id::EndpointId,
    model::Message,
    store::{Capabilities, Directory, Messages, Queue, Store, StoreResult},
};
use tokio::{
    sync::{mpsc, watch, Notify, Semaphore},
    task::JoinHandle,
};

use super::{
    attempt::{Ctx, EnvelopeCache},
    complete, dedicated, dispatch,
    gate::Gates,
    http,
    inbox::Inbox,
    publish::Publisher,
};
use crate::config::ServerConfig;

/// Completions waiting for the completer. Bounded so a stalled database applies back-pressure
/// to the attempt tasks (and through the semaphore to claiming) instead of growing memory.
const COMPLETION_QUEUE: usize = 1024;

/// What the engine works with: the roles of the store it uses (the same store the API is
/// given), the clock and the settings. It writes through the queue alone; the directory and
/// messages it only reads, except an endpoint's health
/// ([`Directory::disable_failing_endpoint`]).
#[derive(Clone, Debug)]
pub struct EngineContext {
    /// The delivery queue: publishes, claims, completions, releases, throttles.
    pub queue: Arc<dyn Queue>,
    /// Endpoints, event types and applications, as the attempts and operational events read
    /// them.
    pub directory: Arc<dyn Directory>,
    /// Messages, read back when a publish's answer was lost.
    pub messages: Arc<dyn Messages>,
    /// What the store can do: how many writers to run, whether work is notified.
    pub capabilities: Arc<dyn Capabilities>,
    /// The time source; tests inject a manual clock.
    pub clock: Arc<dyn Clock>,
    /// Server settings (the engine reads the delivery ones).
    pub config: Arc<ServerConfig>,
}

impl EngineContext {
    /// A context over every role of `store`.
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, config: Arc<ServerConfig>) -> Self {
        Self {
            queue: store.clone(),
            directory: store.clone(),
            messages: store.clone(),
            capabilities: store,
            clock,
            config,
        }
    }

    /// The same context writing through `queue` instead: how a test puts a fault-injecting
    /// wrapper around the queue, and only the queue.
    pub fn with_queue(self, queue: Arc<dyn Queue>) -> Self {
        Self { queue, ..self }
    }
}

/// Why the engine could not start.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The HTTP client could not be built (e.g. no TLS roots).
    #[error("could not build the HTTP client")]
    Client(#[from] reqwest::Error),
}

/// The handle of a running engine, cheap to clone: every clone publishes through the same
/// writers and wakes the same workers.
#[derive(Clone, Debug)]
pub struct Engine {
    publisher: Publisher,
    completed: watch::Receiver<u64>,
    workers: Arc<Mutex<Option<Workers>>>,
    /// The worker slots and how many there are, for [`Engine::in_flight`]; `None` without
    /// workers.
    slots: Option<(Arc<Semaphore>, usize)>,
}

/// What stopping the workers needs.
#[derive(Debug)]
struct Workers {
    shutdown: watch::Sender<bool>,
    /// Set when the shutdown grace has run out: in-flight attempts stop waiting for their
    /// receivers and release their deliveries.
    abort: watch::Sender<bool>,
    /// How long [`Engine::shutdown`] lets in-flight attempts finish.
    grace: Duration,
    dispatcher: JoinHandle<()>,
}

impl Engine {
    /// Starts the engine of this process: the publish writers, the dispatcher, the attempt
    /// tasks' context and the completer.
    pub fn start(ctx: EngineContext) -> Result<Self, EngineError> {
        let config = ctx.config.clone();
        let sender = http::Sender::new(&config)?;
        let slots = Arc::new(Semaphore::new(config.worker_concurrency.max(1)));
        let gauge = (slots.clone(), config.worker_concurrency.max(1));
        let owner: Arc<str> = format!("{}:{}", config.node_name, std::process::id()).into();
        let lease =
            chrono::Duration::from_std(config.lease()).unwrap_or(chrono::Duration::minutes(1));
        let lost = Arc::new(std::sync::Mutex::new(Vec::new()));
        let wake = Arc::new(Notify::new());
        let (completions, completion_rx) = mpsc::channel(COMPLETION_QUEUE);
        let (completed_tx, completed) = watch::channel(0u64);
        let (shutdown, shutdown_rx) = watch::channel(false);
        let (abort, abort_rx) = watch::channel(false);
        let attempts = Arc::new(Ctx {
            engine: ctx.clone(),
            wake: wake.clone(),
            sender,
            completions,
            envelopes: EnvelopeCache::default(),
            gates: Gates::new(config.endpoint_concurrency),
            abort: abort_rx,
        });
        let queue = dispatch::Queue {
            slots,
            owner,
            lease,
            lost,
        };
        let inbox = Inbox::new(&attempts, &queue, shutdown_rx.clone());
        let publisher = Publisher::spawn(ctx.clone(), wake, Some(inbox));
        let completer = dedicated::spawn(
            "hookd-completer",
            ctx.capabilities.write_parallelism() == 1,
            complete::run(publisher.clone(), completion_rx, completed_tx),
        );
        let dispatcher = tokio::spawn(async move {
            dispatch::run(attempts, queue, shutdown_rx).await;
            // Every attempt task has finished and dropped its sender clone, and the context
            // (with the last sender) is gone, so the completer drains the queue and stops.
            let _ = completer.await;
        });
        let workers = Workers {
            shutdown,
            abort,
            grace: config.shutdown_grace,
            dispatcher,
        };
        Ok(Self {
            publisher,
            completed,
            workers: Arc::new(Mutex::new(Some(workers))),
            slots: Some(gauge),
        })
    }

    /// An engine that writes publishes but sends nothing: its deliveries wait in the store
    /// for whichever process's workers claim them. For tests of the API alone, and tools
    /// that write messages without delivering them.
    pub fn without_workers(ctx: EngineContext) -> Self {
        let (_, completed) = watch::channel(0u64);
        Self {
            publisher: Publisher::spawn(ctx, Arc::new(Notify::new()), None),
            completed,
            workers: Arc::default(),
            slots: None,
        }
    }

    /// Writes `msg` and its deliveries through the group-commit writers (committed when this
    /// returns `Ok`) and returns how many deliveries it got (0 also when its batch's answer
    /// was lost and the message was then found already written, deliveries and all).
    pub async fn publish(&self, msg: Message) -> StoreResult<u32> {
        self.publisher.publish(msg).await
    }

    /// Writes `msg` with a delivery to `endpoint` alone (if it exists in the application and
    /// is enabled, whatever its filters: Svix's `send-example`).
    pub async fn publish_to(&self, msg: &Message, endpoint: &EndpointId) -> StoreResult<u32> {
        self.publisher.publish_to(msg, endpoint).await
    }

    /// What the engine was started with.
    pub fn context(&self) -> &EngineContext {
        self.publisher.context()
    }

    /// The publishing half of the engine, for the operational events
    /// ([`super::operational`]).
    pub fn publisher(&self) -> &Publisher {
        &self.publisher
    }

    /// Tells this process's workers that work became due now (a resend, a recover, a moved
    /// clock), so they do not wait for their next poll.
    pub fn wake(&self) {
        self.publisher.wake();
    }

    /// How many worker slots are taken now: deliveries being attempted or waiting for their
    /// completion to be written (and slots reserved for a claim under way).
    pub fn in_flight(&self) -> usize {
        self.slots
            .as_ref()
            .map_or(0, |(s, n)| n.saturating_sub(s.available_permits()))
    }

    /// How many completions (attempts, deferrals, cancellations) have been written so far.
    pub fn completed(&self) -> u64 {
        *self.completed.borrow()
    }

    /// Resolves once at least `n` completions have been written. Tests use this signal
    /// instead of sleeping.
    pub async fn wait_completed(&self, n: u64) {
        // The sender lives as long as the completer; if it is gone, no more will come.
        let _ = self.completed.clone().wait_for(|c| *c >= n).await;
    }

    /// Stops claiming and lets in-flight attempts finish for up to `config.shutdown_grace`.
    /// Attempts still waiting on their receivers then are abandoned and their deliveries
    /// released (put back as due now, with no attempt counted), so that another process, or
    /// this one after a restart, sends them at once instead of waiting for their leases to
    /// expire. Returns once every completion and release is written, so shutdown takes at
    /// most the grace plus one store write. Publishes still work afterwards; their
    /// deliveries wait for a claim. A second call returns at once.
    pub async fn shutdown(&self) {
        let workers = self
            .workers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        let Some(workers) = workers else { return };
        let _ = workers.shutdown.send(true);
        let mut dispatcher = workers.dispatcher;
        if tokio::time::timeout(workers.grace, &mut dispatcher)
            .await
            .is_err()
        {
            tracing::warn!(
                grace_secs = workers.grace.as_secs(),
                "deliveries still in flight after the shutdown grace; releasing them"
            );
            let _ = workers.abort.send(true);
            let _ = dispatcher.await;
        }
    }
}
