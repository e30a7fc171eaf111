//! The delivery workers of one process: a dispatcher that claims due deliveries in batches, one
//! task per claimed delivery that makes the HTTP attempt, and a completer that writes outcomes
//! back in batches. A publish batch also claims its new deliveries as it writes them, for the
//! slots that are free (the [`Inbox`]); the dispatcher claims the rest, retries and expired
//! leases.
//!
//! ```text
//!   publish batch ──create_messages(claim n = free slots)──► store
//!        │ start, one reserved permit each           (unclaimed left: wake)
//!        │        wake ─┐
//!        │ poll / due ──┴─► dispatcher ──claim_due(n = reserved slots)──► store
//!        │                      │ spawn, one reserved permit each
//!        ▼                      ▼
//!              attempt tasks ──gate (per endpoint)──HTTP──► receivers
//!                          │ Completion (bounded channel)
//!                          ▼
//!                      completer ──complete(batch)──► store
//! ```
//!
//! **Architecture Invariant:** no store transaction is open while an HTTP request is in flight:
//! the claim commits before the attempt starts and the completion is a separate transaction.
//! A delivery is claimed under a lease longer than the HTTP timeout; if this process dies, the
//! lease expires and any process claims the delivery again (at-least-once). The completion is
//! guarded by the lease token in the store, so a late completion cannot overwrite a delivery
//! that was reclaimed.
//!
//! Per endpoint, the options decide the attempt (see `hookd_core::options`): its timeout (a
//! per-request timeout, capped at `options::MAX_TIMEOUT`; the lease is derived from that cap),
//! which status codes count as delivered, how it authenticates, how the payload is wrapped
//! (the endpoint's envelope, else its event type's, read from the store just before the
//! attempt) and which retry policy schedules the next one, which a receiver's `Retry-After` on
//! a 429 or 503 may move later (`hookd_core::retry_after`; the attempt records both).
//!
//! This module must not parse API input or format API output.

pub mod events;
pub mod gate;
pub mod http;
pub mod request;
pub mod ssrf;

use std::{sync::Arc, time::Duration};

use hookd_core::{
    delivery::{after_attempt, AttemptOutcome, MessageStatus},
    envelope::Envelope,
    id::AttemptId,
    model::{Attempt, Endpoint, SentBody, SentRequest},
    retry_after,
    store::{ClaimRequest, Claimed, Completion, Outcome, StoreResult},
    token, Timestamp,
};
use tokio::{
    sync::{mpsc, watch, OwnedSemaphorePermit, Semaphore},
    task::JoinHandle,
};

use crate::AppState;

/// The most deliveries claimed in one statement. Large enough to amortise the claim
/// transaction under load, small enough that one process does not hoard due work that another
/// process could start on.
const MAX_CLAIM_BATCH: usize = 128;
/// The most completions written in one transaction; the same trade-off as the claim batch.
const MAX_COMPLETE_BATCH: usize = 256;
/// Completions waiting for the completer. Bounded so a stalled database applies back-pressure
/// to the attempt tasks (and through the semaphore to claiming) instead of growing memory.
const COMPLETION_QUEUE: usize = 1024;
/// How long the dispatcher and completer wait before retrying after a store error.
const STORE_RETRY_BACKOFF: Duration = Duration::from_millis(500);
/// How long a delivery waits, without counting an attempt, when its event type's envelope
/// could not be read: long enough for a brief storage hiccup to pass, short next to any retry.
const ENVELOPE_LOOKUP_BACKOFF: chrono::Duration = chrono::Duration::seconds(5);

/// Why the workers could not start.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// The HTTP client could not be built (e.g. no TLS roots).
    #[error("could not build the HTTP client")]
    Client(#[from] reqwest::Error),
}

/// A running set of workers.
#[derive(Debug)]
pub struct WorkerHandle {
    shutdown: watch::Sender<bool>,
    /// Set when the shutdown grace has run out: in-flight attempts stop waiting for their
    /// receivers and release their deliveries.
    abort: watch::Sender<bool>,
    /// How long [`WorkerHandle::shutdown`] lets in-flight attempts finish.
    grace: Duration,
    dispatcher: JoinHandle<()>,
    completed: watch::Receiver<u64>,
}

impl WorkerHandle {
    /// How many completions (attempts, deferrals, cancellations) have been written so far.
    pub fn completed(&self) -> u64 {
        *self.completed.borrow()
    }

    /// Resolves once at least `n` completions have been written. Tests use this signal
    /// instead of sleeping.
    pub async fn wait_completed(&mut self, n: u64) {
        // The sender lives as long as the completer; if it is gone, no more will come.
        let _ = self.completed.wait_for(|c| *c >= n).await;
    }

    /// Stops claiming and lets in-flight attempts finish for up to `config.shutdown_grace`.
    /// Attempts still waiting on their receivers then are abandoned and their deliveries
    /// released (put back as due now, with no attempt counted), so that another process, or
    /// this one after a restart, sends them at once instead of waiting for their leases to
    /// expire. Returns once every completion and release is written, so shutdown takes at
    /// most the grace plus one store write.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let mut dispatcher = self.dispatcher;
        if tokio::time::timeout(self.grace, &mut dispatcher)
            .await
            .is_err()
        {
            tracing::warn!(
                grace_secs = self.grace.as_secs(),
                "deliveries still in flight after the shutdown grace; releasing them"
            );
            let _ = self.abort.send(true);
            let _ = dispatcher.await;
        }
    }
}

/// A completion on its way to the store, with the worker slot it occupies and what its claim
/// said that the operational events need. The slot is freed only once the completion is
/// written, so at most `worker_concurrency` deliveries are ever sent-but-unrecorded: that
/// bounds what a crash can cause to be delivered twice.
struct Pending {
    completion: Completion,
    slot: OwnedSemaphorePermit,
    facts: events::Facts,
}

/// How long a worker reuses an event type's envelope before reading it again. Reading it per
/// delivery would put a store query on the hot path of every attempt; a change to an event
/// type's envelope reaches the workers within this time.
const ENVELOPE_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(5);
/// Event types whose envelopes are cached at most. Catalogues are small; the bound only keeps
/// a pathological one from growing memory (the cache is simply cleared when full).
const ENVELOPE_CACHE_MAX: usize = 10_000;

/// Event-type envelopes recently read, by event type name.
#[derive(Default)]
struct EnvelopeCache {
    entries:
        std::sync::Mutex<std::collections::HashMap<String, (std::time::Instant, Option<Envelope>)>>,
}

impl EnvelopeCache {
    async fn get(
        &self,
        state: &AppState,
        endpoint: &Endpoint,
        event_type: &str,
    ) -> StoreResult<Option<Envelope>> {
        if let Some(envelope) = &endpoint.options.envelope {
            return Ok(Some(envelope.clone()));
        }
        if let Some((at, envelope)) = self.entries.lock().expect("cache lock").get(event_type) {
            if at.elapsed() < ENVELOPE_CACHE_TTL {
                return Ok(envelope.clone());
            }
        }
        let envelope = envelope_for(state, endpoint, event_type).await?;
        let mut entries = self.entries.lock().expect("cache lock");
        if entries.len() >= ENVELOPE_CACHE_MAX {
            entries.clear();
        }
        entries.insert(
            event_type.to_owned(),
            (std::time::Instant::now(), envelope.clone()),
        );
        Ok(envelope)
    }
}

struct Ctx {
    state: AppState,
    sender: http::Sender,
    completions: mpsc::Sender<Pending>,
    envelopes: EnvelopeCache,
    /// Per-endpoint admission: how many requests to one endpoint may be in flight.
    gates: Arc<gate::Gates>,
    /// Becomes `true` when shutdown gives up on in-flight attempts.
    abort: watch::Receiver<bool>,
}

/// Starts the workers of this process.
pub fn spawn(state: AppState) -> Result<WorkerHandle, WorkerError> {
    let sender = http::Sender::new(&state.config)?;
    let slots = Arc::new(Semaphore::new(state.config.worker_concurrency.max(1)));
    let owner: Arc<str> = format!("{}:{}", state.config.node_name, std::process::id()).into();
    let lease =
        chrono::Duration::from_std(state.config.lease()).unwrap_or(chrono::Duration::minutes(1));
    let lost = Arc::new(std::sync::Mutex::new(Vec::new()));
    let (completions, completion_rx) = mpsc::channel(COMPLETION_QUEUE);
    let (completed_tx, completed) = watch::channel(0u64);
    let (shutdown, shutdown_rx) = watch::channel(false);
    let (abort, abort_rx) = watch::channel(false);
    let ctx = Arc::new(Ctx {
        state: state.clone(),
        sender,
        completions,
        envelopes: EnvelopeCache::default(),
        gates: gate::Gates::new(state.config.endpoint_concurrency),
        abort: abort_rx,
    });
    let completer = crate::dedicated::spawn(
        "hookd-completer",
        state.store.write_parallelism() == 1,
        complete_loop(state.clone(), completion_rx, completed_tx),
    );
    state.publisher.attach(Inbox {
        handle: tokio::runtime::Handle::current(),
        ctx: Arc::downgrade(&ctx),
        slots: slots.clone(),
        owner: owner.clone(),
        lease,
        lost: lost.clone(),
        shutdown: shutdown_rx.clone(),
    });
    let queue = Queue {
        slots,
        owner,
        lease,
        lost,
    };
    let dispatcher = tokio::spawn(async move {
        dispatch_loop(ctx, queue, shutdown_rx).await;
        // Every attempt task has finished and dropped its sender clone, and the context (with
        // the last sender) is gone, so the completer drains the queue and stops.
        let _ = completer.await;
    });
    Ok(WorkerHandle {
        shutdown,
        abort,
        grace: state.config.shutdown_grace,
        dispatcher,
        completed,
    })
}

/// What the dispatcher shares with the [`Inbox`]: the worker slots, and the claims' owner and
/// lease.
struct Queue {
    slots: Arc<Semaphore>,
    owner: Arc<str>,
    lease: chrono::Duration,
    /// Lease tokens of publishes that claimed as they wrote and then failed (see
    /// [`Inbox::lost`]), for the dispatcher to release.
    lost: Arc<std::sync::Mutex<Vec<String>>>,
}

async fn dispatch_loop(ctx: Arc<Ctx>, queue: Queue, mut shutdown: watch::Receiver<bool>) {
    let config = ctx.state.config.clone();
    let Queue {
        slots,
        owner,
        lease,
        lost,
    } = queue;
    // Work published by other processes on the same database wakes us as our own does.
    let wake = ctx.state.wake.clone();
    if let Err(err) = ctx
        .state
        .store
        .subscribe_work(Arc::new(move || wake.notify_one()))
        .await
    {
        tracing::warn!(error = %err, "cannot hear about other processes' work; relying on polling");
    }
    // Tokens of claims that failed: each may have committed with its answer lost, holding
    // deliveries nobody works on until their leases expire. They are released as soon as the
    // store answers again. Bounded: a store that fails for long adds one token per backoff.
    let mut in_doubt: Vec<String> = Vec::new();
    loop {
        if *shutdown.borrow() {
            break;
        }
        {
            let mut lost = lost.lock().unwrap_or_else(|p| p.into_inner());
            let room = MAX_IN_DOUBT_CLAIMS.saturating_sub(in_doubt.len());
            let n = lost.len().min(room);
            in_doubt.extend(lost.drain(..n));
            lost.clear();
        }
        if !in_doubt.is_empty() {
            release_in_doubt(&ctx.state, &mut in_doubt).await;
        }
        let mut reserved = tokio::select! {
            permit = slots.clone().acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => break,
            },
            _ = shutdown.changed() => break,
        };
        // Reserve every slot the claim may fill before claiming: publishes take slots too (the
        // inbox), so slots merely counted as free could be gone by the time the claimed
        // deliveries need them, leaving those claimed with nobody to attempt them.
        let extra = slots
            .available_permits()
            .min(MAX_CLAIM_BATCH.saturating_sub(1));
        if let Ok(more) = slots
            .clone()
            .try_acquire_many_owned(u32::try_from(extra).unwrap_or(0))
        {
            reserved.merge(more);
        }
        let limit = reserved.num_permits();
        let lease_token = token::generate_text("lease_", &mut rand::thread_rng());
        let request = ClaimRequest {
            owner: &owner,
            lease_token: &lease_token,
            now: ctx.state.clock.now(),
            lease,
            limit: u32::try_from(limit).unwrap_or(1),
        };
        let claimed = match ctx.state.store.claim_due(&request).await {
            Ok(claimed) => claimed,
            Err(err) => {
                tracing::warn!(error = %err, source = ?std::error::Error::source(&err), "claiming deliveries failed");
                if in_doubt.len() < MAX_IN_DOUBT_CLAIMS {
                    in_doubt.push(lease_token);
                }
                drop(reserved);
                tokio::select! {
                    _ = tokio::time::sleep(STORE_RETRY_BACKOFF) => {},
                    _ = shutdown.changed() => {},
                }
                continue;
            }
        };
        let full_batch = claimed.len() == limit;
        for delivery in claimed {
            // The store claims at most `limit`, one reserved slot each.
            let Some(permit) = reserved.split(1) else {
                break;
            };
            let ctx = ctx.clone();
            tokio::spawn(async move {
                attempt(&ctx, delivery, permit).await;
            });
        }
        // The slots the claim did not fill are free again.
        drop(reserved);
        if full_batch {
            // More may be due right now.
            continue;
        }
        let wait = idle_wait(&ctx).await;
        tokio::select! {
            _ = ctx.state.wake.notified() => {},
            _ = tokio::time::sleep(wait) => {},
            _ = shutdown.changed() => {},
        }
    }
    // Wait for every in-flight attempt: they hold all the permits between them. Then no slot
    // is ever free again, so the inbox takes no more deliveries.
    let total = u32::try_from(config.worker_concurrency.max(1)).unwrap_or(u32::MAX);
    let _ = slots.acquire_many(total).await;
    slots.close();
}

/// Deliveries per published message that a publish may claim for this process's workers as
/// it writes them: the whole fan-out of a typical message, while a message with a large
/// fan-out leaves the rest to ordinary claims (which share the slots fairly among the due
/// work).
pub const INBOX_PER_MESSAGE: usize = 8;

/// How the publisher hands this process's workers the deliveries it claimed as it wrote them
/// (see `Store::create_messages`): free worker slots are reserved before the publish
/// transaction, the deliveries that fit are written already claimed, and their attempts start
/// as soon as the transaction commits. This saves a claim transaction and a trip through the
/// dispatcher per delivery, which on a single-writer store is most of the time between a
/// publish and its first request.
#[derive(Clone)]
pub struct Inbox {
    handle: tokio::runtime::Handle,
    ctx: std::sync::Weak<Ctx>,
    slots: Arc<Semaphore>,
    owner: Arc<str>,
    lease: chrono::Duration,
    lost: Arc<std::sync::Mutex<Vec<String>>>,
    shutdown: watch::Receiver<bool>,
}

impl std::fmt::Debug for Inbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inbox")
            .field("free_slots", &self.slots.available_permits())
            .finish_non_exhaustive()
    }
}

/// Worker slots reserved for the deliveries of one publish batch, and the claim that goes
/// with them.
#[derive(Debug)]
pub struct Reservation {
    slots: OwnedSemaphorePermit,
    /// The lease token the batch's deliveries are claimed under.
    pub lease_token: String,
    /// Who claims, as the dispatcher names itself.
    pub owner: Arc<str>,
    /// How long the lease lasts.
    pub lease: chrono::Duration,
    /// The claim's time.
    pub now: Timestamp,
}

impl Reservation {
    /// The claim to pass to `Store::create_messages`.
    pub fn claim(&self) -> ClaimRequest<'_> {
        ClaimRequest {
            owner: &self.owner,
            lease_token: &self.lease_token,
            now: self.now,
            lease: self.lease,
            limit: u32::try_from(self.slots.num_permits()).unwrap_or(u32::MAX),
        }
    }
}

impl Inbox {
    /// Reserves up to `want` free worker slots, or none if no slot is free or the workers are
    /// stopping.
    pub fn reserve(&self, want: usize) -> Option<Reservation> {
        if *self.shutdown.borrow() {
            return None;
        }
        let ctx = self.ctx.upgrade()?;
        let n = want.min(self.slots.available_permits());
        let slots = self
            .slots
            .clone()
            .try_acquire_many_owned(u32::try_from(n).ok().filter(|n| *n > 0)?)
            .ok()?;
        Some(Reservation {
            slots,
            lease_token: token::generate_text("lease_", &mut rand::thread_rng()),
            owner: self.owner.clone(),
            lease: self.lease,
            now: ctx.state.clock.now(),
        })
    }

    /// Starts the attempts of deliveries claimed under `reservation`; slots it holds beyond
    /// them are freed.
    pub fn start(&self, claimed: Vec<Claimed>, reservation: Reservation) {
        let Some(ctx) = self.ctx.upgrade() else {
            // The workers are gone; the claims' leases expire and any process takes them.
            return;
        };
        let mut slots = reservation.slots;
        for delivery in claimed {
            let slot = match slots.split(1) {
                Some(slot) => slot,
                // More deliveries than slots cannot happen (the store claims at most the
                // limit); if it did, the extra ones wait for their leases.
                None => break,
            };
            let ctx = ctx.clone();
            self.handle.spawn(async move {
                attempt(&ctx, delivery, slot).await;
            });
        }
    }

    /// Reports that the publish carrying `reservation` failed: it may have committed with its
    /// answer lost, leaving deliveries claimed that nobody works on, so the dispatcher
    /// releases its token (as for its own failed claims) instead of letting them wait out
    /// their leases.
    pub fn lost(&self, reservation: Reservation) {
        {
            let mut lost = self.lost.lock().unwrap_or_else(|p| p.into_inner());
            if lost.len() < MAX_IN_DOUBT_CLAIMS {
                lost.push(reservation.lease_token);
            }
        }
        // The dispatcher releases it on its next round; this makes that round now.
        if let Some(ctx) = self.ctx.upgrade() {
            ctx.state.wake.notify_one();
        }
    }
}

/// Whether a completion leaves its delivery to be attempted again.
fn comes_due_again(c: &Completion) -> bool {
    match &c.outcome {
        Outcome::Attempted { transition, .. } => transition.next_attempt_at().is_some(),
        Outcome::Deferred { .. } => true,
        Outcome::Canceled => false,
    }
}

/// Failed claims remembered for release at most. Past this (a store down for many minutes),
/// further lost claims simply wait for their leases, as they would without this mechanism.
const MAX_IN_DOUBT_CLAIMS: usize = 1024;

/// Releases the deliveries that failed claims may hold (see `Store::release_claims`), oldest
/// first. The first failure ends the round and keeps that token and the rest for the next
/// one, so a store that is still away costs one failed call per round, not one per token.
async fn release_in_doubt(state: &AppState, in_doubt: &mut Vec<String>) {
    while let Some(token) = in_doubt.first() {
        match state.store.release_claims(token, state.clock.now()).await {
            Ok(n) => {
                if n > 0 {
                    tracing::info!(
                        released = n,
                        "released deliveries of a claim whose answer was lost"
                    );
                }
                in_doubt.remove(0);
            }
            Err(_) => return,
        }
    }
}

/// How long the dispatcher may sleep when it found nothing more to do: until the next
/// delivery is due, but no longer than the poll interval (work may arrive from another process
/// or a clock may have been moved).
async fn idle_wait(ctx: &Ctx) -> Duration {
    let poll = ctx.state.config.poll_interval;
    match ctx.state.store.next_due_at().await {
        Ok(Some(at)) => (at - ctx.state.clock.now())
            .to_std()
            .unwrap_or(Duration::ZERO)
            .min(poll),
        _ => poll,
    }
}

/// The envelope that applies to a message of `event_type` sent to `endpoint`: the endpoint's
/// own, else the event type's, else none (the payload as is).
pub async fn envelope_for(
    state: &AppState,
    endpoint: &Endpoint,
    event_type: &str,
) -> StoreResult<Option<Envelope>> {
    if let Some(envelope) = &endpoint.options.envelope {
        return Ok(Some(envelope.clone()));
    }
    Ok(state
        .store
        .get_event_type(event_type)
        .await?
        .and_then(|et| et.options.envelope))
}

async fn attempt(ctx: &Ctx, claimed: Claimed, slot: OwnedSemaphorePermit) {
    let now = ctx.state.clock.now();
    let outcome = if claimed.endpoint.disabled {
        Outcome::Canceled
    } else {
        // The endpoint's turn comes before its rate limit, so that a delivery handed back for
        // want of a turn does not spend one of the endpoint's `throttleRate` tokens.
        match ctx.gates.enter(&claimed.endpoint.id, now).await {
            gate::Admission::Later(until) => Outcome::Deferred { until },
            gate::Admission::Go(pass) => {
                let now = ctx.state.clock.now();
                let outcome = admitted(ctx, &claimed, now).await;
                if let Outcome::Attempted { attempt, .. } = &outcome {
                    let took = Duration::from_millis(
                        u64::try_from(attempt.response_duration_ms).unwrap_or(0),
                    );
                    ctx.gates.answered(&claimed.endpoint.id, took);
                }
                drop(pass);
                outcome
            }
        }
    };
    let facts = events::Facts {
        endpoint_uid: claimed.endpoint.uid,
        failing_since: claimed.endpoint.failing_since,
        msg_event_id: claimed.message.event_id,
        attempts_before: claimed.delivery.attempts,
    };
    let completion = Completion {
        msg_id: claimed.message.id,
        endpoint_id: claimed.endpoint.id,
        lease_token: claimed.lease_token,
        outcome,
        now: ctx.state.clock.now(),
    };
    let pending = Pending {
        completion,
        slot,
        facts,
    };
    // The completer only stops after every attempt task has ended, so this cannot fail.
    let _ = ctx.completions.send(pending).await;
}

/// Sends a delivery whose endpoint has a free turn: under the endpoint's rate limit, with its
/// envelope, unless shutdown abandons it first.
async fn admitted(ctx: &Ctx, claimed: &Claimed, now: Timestamp) -> Outcome {
    if let Err(until) = throttle(ctx, claimed, now).await {
        return Outcome::Deferred { until };
    }
    match ctx
        .envelopes
        .get(&ctx.state, &claimed.endpoint, &claimed.message.event_type)
        .await
    {
        Ok(envelope) => {
            let mut abort = ctx.abort.clone();
            tokio::select! {
                outcome = attempted(ctx, claimed, envelope.as_ref(), now) => outcome,
                // Shutdown gave up waiting: the request is dropped (the receiver may have got
                // it, which at-least-once allows) and the delivery is due again now.
                _ = abort.wait_for(|a| *a) => Outcome::Deferred {
                    until: ctx.state.clock.now(),
                },
            }
        }
        Err(err) => {
            tracing::warn!(error = %err, "reading the event type's envelope failed; the delivery waits");
            Outcome::Deferred {
                until: now + ENVELOPE_LOOKUP_BACKOFF,
            }
        }
    }
}

/// Makes the HTTP attempt and decides where the delivery goes next.
async fn attempted(
    ctx: &Ctx,
    claimed: &Claimed,
    envelope: Option<&Envelope>,
    now: Timestamp,
) -> Outcome {
    let endpoint = &claimed.endpoint;
    let options = &endpoint.options;
    let (report, sent) = match request::build(
        endpoint,
        &claimed.message,
        envelope,
        now,
        ctx.state.config.request_timeout,
    ) {
        Ok(out) => {
            // The body is kept only when it is not the stored payload byte for byte (an
            // envelope's rendering), and then no longer than a response body is kept: a record
            // for reading, not a second copy of large payloads.
            let sent = SentRequest {
                headers: out.recorded_headers(),
                body: SentBody::of(
                    &out.body,
                    claimed.message.payload.as_deref(),
                    ctx.state.config.response_body_limit,
                ),
            };
            let report = ctx
                .sender
                .send(&out, |status| options.is_success(status))
                .await;
            (report, Some(sent))
        }
        Err(err) => (
            http::AttemptReport {
                status_code: 0,
                response: err.to_string(),
                duration_ms: 0,
                success: false,
                retry_after: None,
            },
            None,
        ),
    };
    // The receiver's `Retry-After` counts from when its answer arrived.
    let answered = ctx.state.clock.now();
    let (status, result) = if report.success {
        (MessageStatus::Success, AttemptOutcome::Success)
    } else {
        let asked = report.retry_after.as_deref().and_then(retry_after::parse);
        (
            MessageStatus::Fail,
            AttemptOutcome::Failure {
                retry_after: asked.map(|a| a.asked_at(answered)),
            },
        )
    };
    let policy = options
        .retry_policy
        .as_ref()
        .unwrap_or(&ctx.state.config.default_retry_policy);
    let transition = after_attempt(
        policy,
        claimed.delivery.attempts + 1,
        claimed.delivery.trigger,
        result,
        answered,
        &mut rand::thread_rng(),
    );
    let attempt = Attempt {
        id: AttemptId::generate(now, &mut rand::thread_rng()),
        msg_id: claimed.message.id.clone(),
        endpoint_id: endpoint.id.clone(),
        app_id: endpoint.app_id.clone(),
        // The record shows the URL as hookd shows it everywhere: query secrets redacted.
        url: options.display_url(&endpoint.url),
        status,
        response_status_code: report.status_code,
        response: Some(report.response),
        response_duration_ms: report.duration_ms,
        trigger_type: claimed.delivery.trigger,
        created_at: now,
        request: sent,
        next_attempt_at: transition.next_attempt_at(),
        retry_after: report.retry_after,
    };
    Outcome::Attempted {
        attempt,
        transition,
    }
}

/// Asks the store for a slot under the endpoint's `throttleRate`. The limiter lives in the
/// store so that it holds across every process sharing the database. If the store cannot
/// answer, the attempt goes ahead: a brief overshoot of a rate limit is better than holding
/// deliveries back on a limiter we cannot read.
async fn throttle(ctx: &Ctx, claimed: &Claimed, now: Timestamp) -> Result<(), Timestamp> {
    let Some(rate) = claimed.endpoint.throttle_rate.filter(|r| *r > 0) else {
        return Ok(());
    };
    let key = format!("endpoint:{}", claimed.endpoint.id);
    match ctx.state.store.throttle_take(&key, rate, now).await {
        Ok(decision) => decision,
        Err(err) => {
            tracing::warn!(error = %err, "reading the endpoint's rate limit failed; sending anyway");
            Ok(())
        }
    }
}

async fn complete_loop(
    state: AppState,
    mut rx: mpsc::Receiver<Pending>,
    completed: watch::Sender<u64>,
) {
    let disable_after = state
        .config
        .endpoint_failure_disable_after
        .and_then(|d| chrono::Duration::from_std(d).ok());
    while let Some(first) = rx.recv().await {
        let mut pending = vec![first];
        while pending.len() < MAX_COMPLETE_BATCH {
            match rx.try_recv() {
                Ok(p) => pending.push(p),
                Err(_) => break,
            }
        }
        let mut batch = Vec::with_capacity(pending.len());
        let mut facts = Vec::with_capacity(pending.len());
        let mut slots = Vec::with_capacity(pending.len());
        for p in pending {
            batch.push(p.completion);
            facts.push(p.facts);
            slots.push(p.slot);
        }
        let held = loop {
            match state.store.complete(&batch).await {
                Ok(held) => {
                    let lost = held.iter().filter(|a| !**a).count();
                    if lost > 0 {
                        tracing::warn!(lost, "completions found their delivery no longer held under their lease (taken over after it expired, or deleted with its application, endpoint or message); their attempts are recorded where the delivery remains");
                    }
                    break held;
                }
                Err(err) => {
                    // Keep the batch and try again: these outcomes are facts we must not drop.
                    // If the process dies meanwhile, the leases expire and the deliveries are
                    // attempted again, which at-least-once allows.
                    tracing::warn!(error = %err, source = ?std::error::Error::source(&err), "writing completions failed; retrying");
                    tokio::time::sleep(STORE_RETRY_BACKOFF).await;
                }
            }
        };
        // Recorded: the worker slots are free for new claims.
        drop(slots);
        // Reports go out before the batch counts as completed, so that whoever waits for the
        // count (tests, shutdown) finds them published. Most batches plan none.
        let planned = events::plan(&batch, &facts, &held, state.clock.now(), disable_after);
        if !planned.is_empty() {
            events::apply(&state, planned).await;
        }
        completed.send_modify(|n| *n += batch.len() as u64);
        // A retry or a deferral may be due sooner than the dispatcher's current sleep (e.g.
        // 5 s after a first failure); waking it lets it recompute its wait. A batch that only
        // ended deliveries (the common case) does not wake it: that would cost a claim
        // transaction on the store for nothing.
        if batch.iter().any(comes_due_again) {
            state.wake.notify_one();
        }
    }
}
