//! The completer: writes the attempt tasks' outcomes back in batches (`Queue::complete`,
//! guarded by each claim's lease token), frees their worker slots once written, logs failed
//! attempts (`failure_log`, rate-limited per endpoint), publishes what a written batch reports
//! (`events`), and counts completions for whoever waits on them.
//!
//! This module must not drop an outcome: a batch the store refuses is kept and written again.

use hookd_core::{
    delivery::{MessageStatus, Transition},
    store::{Completion, Outcome},
};
use tokio::sync::{mpsc, watch, OwnedSemaphorePermit};

use super::{events, failure_log::FailureLog, publish::Publisher, STORE_RETRY_BACKOFF};
use crate::telemetry::{self, Final};

/// The most completions written in one transaction. Large enough to amortise the transaction
/// under load, small enough that one transaction stays short for the claimers beside it.
const MAX_COMPLETE_BATCH: usize = 256;

/// A completion on its way to the store, with the worker slot it occupies and what its claim
/// said that the operational events need. The slot is freed only once the completion is
/// written, so at most `worker_concurrency` deliveries are ever sent-but-unrecorded: that
/// bounds what a crash can cause to be delivered twice.
pub(super) struct Pending {
    pub(super) completion: Completion,
    pub(super) slot: OwnedSemaphorePermit,
    pub(super) facts: events::Facts,
}

/// Whether a completion leaves its delivery to be attempted again.
fn comes_due_again(c: &Completion) -> bool {
    match &c.outcome {
        Outcome::Attempted { transition, .. } => transition.next_attempt_at().is_some(),
        Outcome::Deferred { .. } => true,
        Outcome::Canceled => false,
    }
}

/// Writes what arrives on `rx` until every sender is gone, reporting through `publisher`.
pub(super) async fn run(
    publisher: Publisher,
    mut rx: mpsc::Receiver<Pending>,
    completed: watch::Sender<u64>,
) {
    let state = publisher.context();
    let disable_after = state
        .config
        .endpoint_failure_disable_after
        .and_then(|d| chrono::Duration::from_std(d).ok());
    let mut failures = FailureLog::default();
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
            match telemetry::timed("complete", state.queue.complete(&batch)).await {
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
        let now = state.clock.now();
        for c in &batch {
            match &c.outcome {
                Outcome::Attempted {
                    attempt,
                    transition,
                } => {
                    telemetry::attempted(
                        attempt.status == MessageStatus::Success,
                        attempt.response_status_code,
                        attempt.response_duration_ms,
                    );
                    match transition {
                        Transition::Succeeded => telemetry::finished(Final::Succeeded),
                        Transition::Exhausted => telemetry::finished(Final::Exhausted),
                        Transition::RetryAt(_) => {}
                    }
                    if let Some(line) = failures.note(attempt, *transition, now) {
                        line.write();
                    }
                }
                Outcome::Canceled => telemetry::finished(Final::Canceled),
                Outcome::Deferred { .. } => {}
            }
        }
        // Reports go out before the batch counts as completed, so that whoever waits for the
        // count (tests, shutdown) finds them published. Most batches plan none.
        let planned = events::plan(&batch, &facts, &held, now, disable_after);
        if !planned.is_empty() {
            events::apply(&publisher, planned).await;
        }
        completed.send_modify(|n| *n += batch.len() as u64);
        // A retry or a deferral may be due sooner than the dispatcher's current sleep (e.g.
        // 5 s after a first failure); waking it lets it recompute its wait. A batch that only
        // ended deliveries (the common case) does not wake it: that would cost a claim
        // transaction on the store for nothing.
        if batch.iter().any(comes_due_again) {
            publisher.wake();
        }
    }
}
