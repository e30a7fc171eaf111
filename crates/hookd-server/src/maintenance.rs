//! Periodic housekeeping of one process: pruning expired idempotency records and the rate
//! limiters' idle state, and retention —
//! removing message payloads past their expiry (as an expunge does: the message stays, its
//! payload becomes `NULL` and the API shows `{"expired": true}`) and deleting attempts older
//! than `attempt_retention` (deliveries keep their states and attempt counts), and audit log
//! entries older than `audit_retention`.
//!
//! Retention works in bounded batches ([`Batching`]): each store call changes at most
//! [`RETENTION_BATCH`] rows along an index, then the job pauses for [`RETENTION_PAUSE`], so
//! however much has expired, the database is never held by one long statement and the
//! delivery queue's writes (SQLite has a single writer) get their turn between batches. With
//! several processes on one PostgreSQL database each runs the job; the store's `SKIP LOCKED`
//! batches let them share the work.
//!
//! This module must not touch the delivery queue, and it decides only *when* content is
//! removed: the store decides how (see `Messages::expire_payloads`, `History::prune_attempts`).

use std::time::Duration;

use hookd_core::store::StoreError;
use tokio::task::JoinHandle;

use crate::AppState;

/// How often housekeeping runs. Retention is counted in days and idempotency records only need
/// to go eventually; an hour keeps the tables close to their promised size without adding load.
const INTERVAL: Duration = Duration::from_secs(3600);

/// How often the API's rate limiters forget clients whose budgets are full again. Their state
/// grows with each distinct client address; pruning every minute keeps it to the clients of
/// the last minutes, whatever an attacker cycling through addresses does.
const LIMITER_PRUNE_INTERVAL: Duration = Duration::from_secs(60);

/// How often tasks whose process stopped are failed (see `api::background_task`): often
/// enough that a dead task shows `failed` minutes after its heartbeat went stale.
const TASK_SWEEP_INTERVAL: Duration = Duration::from_secs(60);

/// Rows one retention statement changes at most: enough that a backlog of millions clears in
/// minutes, few enough that one statement takes milliseconds, not seconds, even with
/// 16 KiB response bodies.
pub const RETENTION_BATCH: u32 = 1_000;

/// The pause between two retention batches, in which the delivery queue's writes go first.
/// At most about 20 batches per second, so retention can never take more than a small share
/// of the writer however large the backlog.
pub const RETENTION_PAUSE: Duration = Duration::from_millis(50);

/// Why a housekeeping job stopped early; the next run starts over.
#[derive(Debug, thiserror::Error)]
pub enum MaintenanceError {
    /// The store failed.
    #[error("storage failed during housekeeping")]
    Store(#[from] StoreError),
}

/// How retention cuts its work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Batching {
    /// Rows per store call.
    pub size: u32,
    /// Pause after each full batch.
    pub pause: Duration,
}

impl Default for Batching {
    fn default() -> Self {
        Self {
            size: RETENTION_BATCH,
            pause: RETENTION_PAUSE,
        }
    }
}

/// What one retention run removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetentionReport {
    /// Messages whose payload expired.
    pub payloads_expired: u64,
    /// Attempts deleted.
    pub attempts_pruned: u64,
    /// Audit log entries deleted.
    pub audit_pruned: u64,
    /// Store calls made.
    pub batches: u32,
}

/// Removes what has expired at the clock's current time, batch by batch, until nothing is
/// left. Times are read once at the start, so a run always ends.
pub async fn run_retention(
    state: &AppState,
    batching: Batching,
) -> Result<RetentionReport, MaintenanceError> {
    let size = batching.size.max(1);
    let now = state.clock.now();
    let attempt_retention =
        chrono::Duration::from_std(state.config.attempt_retention).unwrap_or(chrono::Duration::MAX);
    let attempts_before = now.checked_sub_signed(attempt_retention);
    let mut report = RetentionReport::default();
    loop {
        let n = state.messages.expire_payloads(now, size).await?;
        report.payloads_expired += n;
        report.batches += 1;
        if n < u64::from(size) {
            break;
        }
        tokio::time::sleep(batching.pause).await;
    }
    // A retention longer than the calendar goes back keeps every attempt.
    if let Some(before) = attempts_before {
        loop {
            let n = state.history.prune_attempts(before, size).await?;
            report.attempts_pruned += n;
            report.batches += 1;
            if n < u64::from(size) {
                break;
            }
            tokio::time::sleep(batching.pause).await;
        }
    }
    let audit_retention =
        chrono::Duration::from_std(state.config.audit_retention).unwrap_or(chrono::Duration::MAX);
    if let Some(before) = now.checked_sub_signed(audit_retention) {
        loop {
            let n = state.audit.prune_audit(before, size).await?;
            report.audit_pruned += n;
            report.batches += 1;
            if n < u64::from(size) {
                break;
            }
            tokio::time::sleep(batching.pause).await;
        }
    }
    Ok(report)
}

/// Starts the housekeeping loop; abort the handle to stop it.
pub fn spawn(state: AppState) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(INTERVAL);
        let mut limiter_tick = tokio::time::interval(LIMITER_PRUNE_INTERVAL);
        let mut task_tick = tokio::time::interval(TASK_SWEEP_INTERVAL);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = limiter_tick.tick() => {
                    state.limits.prune();
                    continue;
                }
                _ = task_tick.tick() => {
                    match crate::api::background_task::fail_stale(&state).await {
                        Ok(n) if n > 0 => tracing::warn!(failed = n, "tasks whose process stopped were failed"),
                        Ok(_) => {}
                        Err(err) => tracing::warn!(error = %err, "failing stale tasks failed"),
                    }
                    continue;
                }
            }
            let ttl = chrono::Duration::from_std(state.config.idempotency_ttl)
                .unwrap_or(chrono::Duration::days(1));
            match state
                .idempotency
                .idempotency_prune(state.clock.now() - ttl)
                .await
            {
                Ok(n) if n > 0 => tracing::info!(pruned = n, "expired idempotency records removed"),
                Ok(_) => {}
                Err(err) => tracing::warn!(error = %err, "pruning idempotency records failed"),
            }
            match run_retention(&state, Batching::default()).await {
                Ok(r) if r.payloads_expired + r.attempts_pruned > 0 => tracing::info!(
                    payloads_expired = r.payloads_expired,
                    attempts_pruned = r.attempts_pruned,
                    batches = r.batches,
                    "retention removed expired content"
                ),
                Ok(_) => {}
                Err(err) => {
                    tracing::warn!(error = %err, "retention failed; the next run continues")
                }
            }
        }
    })
}
