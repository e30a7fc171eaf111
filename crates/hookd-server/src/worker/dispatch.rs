//! The dispatcher: claims due deliveries in batches sized to the free worker slots (retries,
//! expired leases, and what publishes did not claim themselves) and starts one attempt task
//! per claimed delivery. It sleeps until the next delivery is due, at most the poll interval,
//! unless woken.
//!
//! This module must not make HTTP requests or write completions.

use std::{sync::Arc, time::Duration};

use hookd_core::{store::ClaimRequest, token};
use tokio::sync::{watch, Semaphore};

use super::{
    attempt::{self, Ctx},
    EngineContext, STORE_RETRY_BACKOFF,
};

/// The most deliveries claimed in one statement. Large enough to amortise the claim
/// transaction under load, small enough that one process does not hoard due work that another
/// process could start on.
const MAX_CLAIM_BATCH: usize = 128;
/// Failed claims remembered for release at most. Past this (a store down for many minutes),
/// further lost claims simply wait for their leases, as they would without this mechanism.
pub(super) const MAX_IN_DOUBT_CLAIMS: usize = 1024;

/// What the dispatcher shares with the inbox: the worker slots, and the claims' owner and
/// lease.
pub(super) struct Queue {
    pub(super) slots: Arc<Semaphore>,
    pub(super) owner: Arc<str>,
    pub(super) lease: chrono::Duration,
    /// Lease tokens of publishes that claimed as they wrote and then failed (see
    /// `Inbox::lost`), for the dispatcher to release.
    pub(super) lost: Arc<std::sync::Mutex<Vec<String>>>,
}

/// Claims and starts deliveries until `shutdown`, then waits for every attempt in flight.
pub(super) async fn run(ctx: Arc<Ctx>, queue: Queue, mut shutdown: watch::Receiver<bool>) {
    let config = ctx.engine.config.clone();
    let Queue {
        slots,
        owner,
        lease,
        lost,
    } = queue;
    // Work published by other processes on the same database wakes us as our own does.
    let wake = ctx.wake.clone();
    if let Err(err) = ctx
        .engine
        .capabilities
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
            release_in_doubt(&ctx.engine, &mut in_doubt).await;
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
            now: ctx.engine.clock.now(),
            lease,
            limit: u32::try_from(limit).unwrap_or(1),
        };
        let claimed = match crate::telemetry::timed(
            "claim_due",
            ctx.engine.queue.claim_due(&request),
        )
        .await
        {
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
                attempt::run(&ctx, delivery, permit).await;
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
            _ = ctx.wake.notified() => {},
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

/// Releases the deliveries that failed claims may hold (see `Queue::release_claims`), oldest
/// first. The first failure ends the round and keeps that token and the rest for the next
/// one, so a store that is still away costs one failed call per round, not one per token.
async fn release_in_doubt(state: &EngineContext, in_doubt: &mut Vec<String>) {
    while let Some(token) = in_doubt.first() {
        match state.queue.release_claims(token, state.clock.now()).await {
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
    let poll = ctx.engine.config.poll_interval;
    match ctx.engine.queue.next_due_at().await {
        Ok(Some(at)) => (at - ctx.engine.clock.now())
            .to_std()
            .unwrap_or(Duration::ZERO)
            .min(poll),
        _ => poll,
    }
}
