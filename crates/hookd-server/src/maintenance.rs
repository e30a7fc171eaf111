//! Periodic housekeeping of one process: pruning expired idempotency records. Each job is a
//! bounded statement on an index, so it never stalls delivery. This module must not touch the
//! delivery queue.

use std::time::Duration;

use tokio::task::JoinHandle;

use crate::AppState;

/// How often housekeeping runs. Idempotency records only need to go eventually; an hour keeps
/// the table small without adding load.
const INTERVAL: Duration = Duration::from_secs(3600);

/// Starts the housekeeping loop; abort the handle to stop it.
pub fn spawn(state: AppState) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(INTERVAL);
        loop {
            tick.tick().await;
            let ttl = chrono::Duration::from_std(state.config.idempotency_ttl)
                .unwrap_or(chrono::Duration::days(1));
            match state.store.idempotency_prune(state.clock.now() - ttl).await {
                Ok(n) if n > 0 => tracing::info!(pruned = n, "expired idempotency records removed"),
                Ok(_) => {}
                Err(err) => tracing::warn!(error = %err, "pruning idempotency records failed"),
            }
        }
    })
}
