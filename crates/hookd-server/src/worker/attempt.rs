//! One attempt task per claimed delivery: the endpoint's turn (`gate`), its rate limit, its
//! envelope, the signed HTTP request (`request`, `http`), and the outcome (where the delivery
//! goes next) handed to the completer with the worker slot it holds.
//!
//! Per endpoint, the options decide the attempt (see `hookd_core::options`): its timeout (a
//! per-request timeout, capped at `options::MAX_TIMEOUT`; the lease is derived from that cap),
//! which status codes count as delivered, how it authenticates, how the payload is wrapped
//! (the endpoint's envelope, else its event type's, read from the store just before the
//! attempt) and which retry policy schedules the next one, which a receiver's `Retry-After` on
//! a 429 or 503 may move later (`hookd_core::retry_after`; the attempt records both).
//!
//! This module must not open a store transaction across the HTTP request: it only reads
//! (the envelope, the rate limit) before it, and the completer writes after it.

use std::{sync::Arc, time::Duration};

use hookd_core::{
    delivery::{after_attempt, AttemptOutcome, MessageStatus},
    envelope::Envelope,
    id::AttemptId,
    model::{Attempt, Endpoint, SentBody, SentRequest},
    retry_after,
    store::{Claimed, Completion, Directory, Outcome, StoreResult},
    Timestamp,
};
use tokio::sync::{mpsc, watch, Notify, OwnedSemaphorePermit};

use super::{complete::Pending, events, gate, http, request, EngineContext};

/// How long a delivery waits, without counting an attempt, when its event type's envelope
/// could not be read: long enough for a brief storage hiccup to pass, short next to any retry.
const ENVELOPE_LOOKUP_BACKOFF: chrono::Duration = chrono::Duration::seconds(5);

/// How long a worker reuses an event type's envelope before reading it again. Reading it per
/// delivery would put a store query on the hot path of every attempt; a change to an event
/// type's envelope reaches the workers within this time.
const ENVELOPE_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(5);
/// Event types whose envelopes are cached at most. Catalogues are small; the bound only keeps
/// a pathological one from growing memory (the cache is simply cleared when full).
const ENVELOPE_CACHE_MAX: usize = 10_000;

/// Event-type envelopes recently read, by event type name.
#[derive(Default)]
pub(super) struct EnvelopeCache {
    entries:
        std::sync::Mutex<std::collections::HashMap<String, (std::time::Instant, Option<Envelope>)>>,
}

impl EnvelopeCache {
    async fn get(
        &self,
        store: &dyn Directory,
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
        let envelope = envelope_for(store, endpoint, event_type).await?;
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

/// What every attempt task of one engine shares.
pub(super) struct Ctx {
    pub(super) engine: EngineContext,
    /// Wakes the dispatcher.
    pub(super) wake: Arc<Notify>,
    pub(super) sender: http::Sender,
    pub(super) completions: mpsc::Sender<Pending>,
    pub(super) envelopes: EnvelopeCache,
    /// Per-endpoint admission: how many requests to one endpoint may be in flight.
    pub(super) gates: Arc<gate::Gates>,
    /// Becomes `true` when shutdown gives up on in-flight attempts.
    pub(super) abort: watch::Receiver<bool>,
}

/// The envelope that applies to a message of `event_type` sent to `endpoint`: the endpoint's
/// own, else the event type's, else none (the payload as is).
pub async fn envelope_for(
    store: &dyn Directory,
    endpoint: &Endpoint,
    event_type: &str,
) -> StoreResult<Option<Envelope>> {
    if let Some(envelope) = &endpoint.options.envelope {
        return Ok(Some(envelope.clone()));
    }
    Ok(store
        .get_event_type(event_type)
        .await?
        .and_then(|et| et.options.envelope))
}

/// Attempts `claimed` in the worker slot `slot` and hands the outcome to the completer.
pub(super) async fn run(ctx: &Ctx, claimed: Claimed, slot: OwnedSemaphorePermit) {
    let now = ctx.engine.clock.now();
    let outcome = if claimed.endpoint.disabled {
        Outcome::Canceled
    } else {
        // The endpoint's turn comes before its rate limit, so that a delivery handed back for
        // want of a turn does not spend one of the endpoint's `throttleRate` tokens.
        match ctx.gates.enter(&claimed.endpoint.id, now).await {
            gate::Admission::Later(until) => {
                crate::telemetry::handed_back();
                Outcome::Deferred { until }
            }
            gate::Admission::Go(pass) => {
                let now = ctx.engine.clock.now();
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
        now: ctx.engine.clock.now(),
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
        .get(
            ctx.engine.directory.as_ref(),
            &claimed.endpoint,
            &claimed.message.event_type,
        )
        .await
    {
        Ok(envelope) => {
            let mut abort = ctx.abort.clone();
            tokio::select! {
                outcome = attempted(ctx, claimed, envelope.as_ref(), now) => outcome,
                // Shutdown gave up waiting: the request is dropped (the receiver may have got
                // it, which at-least-once allows) and the delivery is due again now.
                _ = abort.wait_for(|a| *a) => Outcome::Deferred {
                    until: ctx.engine.clock.now(),
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
        ctx.engine.config.request_timeout,
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
                    ctx.engine.config.response_body_limit,
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
    let answered = ctx.engine.clock.now();
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
        .unwrap_or(&ctx.engine.config.default_retry_policy);
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
    match ctx.engine.queue.throttle_take(&key, rate, now).await {
        Ok(decision) => decision,
        Err(err) => {
            tracing::warn!(error = %err, "reading the endpoint's rate limit failed; sending anyway");
            Ok(())
        }
    }
}
