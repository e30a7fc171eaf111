//! The cross-process wake-up: writers announce "deliveries are due now" with PostgreSQL's
//! `NOTIFY`, and every process's listener wakes its workers, so work published through one
//! process starts within milliseconds in whichever process has a free worker, instead of at
//! the next poll.
//!
//! The announcement is sent inside the writer's transaction (`pg_notify` is transactional):
//! PostgreSQL delivers it at commit and drops it on rollback, so a listener never wakes for
//! work it cannot yet see. Notifications are a hint, never the source of truth: one lost
//! while a listener reconnects costs only latency, because workers also poll
//! `next_due_at`, and the listener wakes them once after every reconnect in case it missed
//! something.
//!
//! This module must not decide what a woken worker does; it only calls the callback.

use std::time::Duration;

use hookd_core::store::{StoreError, StoreResult, WorkCallback};
use sqlx::{
    postgres::{PgListener, PgPool, PgPoolOptions},
    PgConnection,
};
use tokio::sync::watch;

use crate::{error, PgStore};

/// The channel every hookd process on the database listens on.
pub(crate) const WORK_CHANNEL: &str = "hookd_work";

/// The `application_name` of the listener's connection, so that operators (and tests) can
/// find it in `pg_stat_activity`.
pub const LISTENER_APPLICATION_NAME: &str = "hookd-work-listener";

/// The first pause before reconnecting a listener whose connection failed; it doubles on each
/// failure in a row, up to [`MAX_RECONNECT_DELAY`]. Short, because a restart or failover of
/// the database is usually over within a second or two.
const FIRST_RECONNECT_DELAY: Duration = Duration::from_millis(100);

/// The longest pause between reconnection attempts while the database stays away: long
/// enough not to flood its log with connection errors, short enough that wake-ups resume
/// soon after it returns (workers keep polling meanwhile).
const MAX_RECONNECT_DELAY: Duration = Duration::from_secs(10);

/// Announces, inside the transaction `tx`, that deliveries are due now. The payload names the
/// sending store instance, so that its own listener can skip it (see [`subscribe`]).
pub(crate) async fn work_available(tx: &mut PgConnection, store: &PgStore) -> StoreResult<()> {
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(WORK_CHANNEL)
        .bind(&*store.instance)
        .execute(&mut *tx)
        .await
        .map_err(error::map)?;
    Ok(())
}

/// Connects a listener on the work channel.
async fn listen(pool: &PgPool) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(WORK_CHANNEL).await?;
    Ok(listener)
}

/// Starts a task that calls `on_work` for every announcement from another store instance,
/// until the store is closed or its last clone dropped.
///
/// The listener has a one-connection pool of its own: it holds its connection for good, and
/// must neither take one from the operations' pool nor wait behind them for a new one after
/// a reconnect. The first connection is made before this returns, so that work announced
/// after `subscribe` returns is heard. If it fails, the error is returned, and the task is
/// started anyway: it keeps trying and calls `on_work` once it is listening.
///
/// Announcements from this very store instance are skipped: the trait asks to hear about
/// other processes, and this process's API already wakes its own workers in memory.
pub(crate) async fn subscribe(store: &PgStore, on_work: WorkCallback) -> StoreResult<()> {
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .connect_lazy_with(
            store
                .options
                .clone()
                .application_name(LISTENER_APPLICATION_NAME),
        );
    let first = listen(&pool).await;
    let (listener, result) = match first {
        Ok(listener) => (Some(listener), Ok(())),
        Err(err) => (None, Err(err)),
    };
    let task = ListenTask {
        pool,
        on_work,
        instance: store.instance.to_string(),
        shutdown: store.shutdown.subscribe(),
    };
    tokio::spawn(task.run(listener));
    result.map_err(|err| match error::map(err) {
        // Whatever went wrong, the subscription is not live yet, and the task keeps trying:
        // for the caller that is the database being unavailable for now.
        StoreError::Other(source) => StoreError::Unavailable(source),
        other => other,
    })
}

/// The state of one subscription's background task.
struct ListenTask {
    /// The listener's own one-connection pool.
    pool: PgPool,
    /// What to call when work is announced.
    on_work: WorkCallback,
    /// This store instance's payload, whose announcements are skipped.
    instance: String,
    /// Changes when the store is closed, and ends when its last clone is dropped; either
    /// stops the task.
    shutdown: watch::Receiver<()>,
}

impl ListenTask {
    /// Listens until the store is gone, reconnecting as often as it takes. `listener` is the
    /// connection made by [`subscribe`], if that succeeded.
    async fn run(mut self, mut listener: Option<PgListener>) {
        let mut delay = FIRST_RECONNECT_DELAY;
        loop {
            let mut current = match listener.take() {
                Some(current) => current,
                None => {
                    let connected = tokio::select! {
                        _ = self.shutdown.changed() => return,
                        connected = listen(&self.pool) => connected,
                    };
                    match connected {
                        Ok(current) => {
                            tracing::info!("listening for other processes' work again");
                            delay = FIRST_RECONNECT_DELAY;
                            // Announcements sent while we were away are lost; wake the
                            // workers once so they look for themselves.
                            (self.on_work)();
                            current
                        }
                        Err(err) => {
                            tracing::warn!(error = %err, retry_in = ?delay, "cannot listen for other processes' work");
                            tokio::select! {
                                _ = self.shutdown.changed() => return,
                                _ = tokio::time::sleep(delay) => {}
                            }
                            delay = (delay * 2).min(MAX_RECONNECT_DELAY);
                            continue;
                        }
                    }
                }
            };
            loop {
                let received = tokio::select! {
                    _ = self.shutdown.changed() => return,
                    received = current.try_recv() => received,
                };
                match received {
                    Ok(Some(notification)) => {
                        if notification.payload() != self.instance {
                            (self.on_work)();
                        }
                    }
                    // The connection was lost and PgListener has already reconnected and
                    // listens again; announcements in between are lost, so wake the workers.
                    Ok(None) => {
                        tracing::info!("reconnected the work listener");
                        (self.on_work)();
                    }
                    // PgListener reconnects by itself only after the connection errors it
                    // recognises (end of stream, broken pipe, aborted, timed out), and may
                    // keep a broken connection after any other; so start over with a fresh
                    // listener, after a pause.
                    Err(err) => {
                        tracing::warn!(error = %err, retry_in = ?delay, "lost the work listener");
                        drop(current);
                        tokio::select! {
                            _ = self.shutdown.changed() => return,
                            _ = tokio::time::sleep(delay) => {}
                        }
                        delay = (delay * 2).min(MAX_RECONNECT_DELAY);
                        break;
                    }
                }
            }
        }
    }
}
