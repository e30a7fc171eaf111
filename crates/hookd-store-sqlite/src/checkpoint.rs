//! The background checkpointer: copies the WAL into the database file on a connection of its
//! own, so that the single writer never does it inside a commit (see the crate's
//! "Checkpoints"). It must not write anything but checkpoints.

use std::time::Duration;

use sqlx::{Connection, SqliteConnection};
use tokio::{
    sync::{oneshot, watch, Mutex},
    task::JoinHandle,
};

/// A running checkpoint task. Dropping it stops the task (it closes its connection at its next
/// wake-up); [`Checkpointer::stop`] also waits for that.
#[derive(Debug)]
pub(crate) struct Checkpointer {
    stop: std::sync::Mutex<Option<oneshot::Sender<()>>>,
    task: Mutex<Option<JoinHandle<()>>>,
    count: watch::Receiver<u64>,
}

impl Checkpointer {
    /// Checkpoints through `conn` every `interval`.
    pub(crate) fn start(mut conn: SqliteConnection, interval: Duration) -> Self {
        let (stop, mut stopped) = oneshot::channel();
        let (count_tx, count) = watch::channel(0u64);
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut failing = false;
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    // Stopped, or the store is gone (the sender was dropped).
                    _ = &mut stopped => break,
                }
                // PASSIVE copies what it can without waiting for any lock: the writer keeps
                // appending meanwhile, and frames still needed by a reader stay for the next
                // round.
                // On a full disk (the database file cannot grow to take the WAL's pages) this
                // fails every round until space returns: said once when it starts failing and
                // once when it works again, not four times a second.
                match sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                    .execute(&mut conn)
                    .await
                {
                    Ok(_) => {
                        if std::mem::take(&mut failing) {
                            tracing::info!("checkpointing the WAL works again");
                        }
                        count_tx.send_modify(|n| *n += 1);
                    }
                    Err(err) if !failing => {
                        failing = true;
                        tracing::warn!(error = %err, "checkpointing the WAL failed; retrying every round");
                    }
                    Err(_) => {}
                }
            }
            let _ = conn.close().await;
        });
        Self {
            stop: std::sync::Mutex::new(Some(stop)),
            task: Mutex::new(Some(task)),
            count,
        }
    }

    /// Stops the task and waits until its connection is closed.
    pub(crate) async fn stop(&self) {
        if let Some(stop) = self.stop.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.lock().await.take() {
            let _ = task.await;
        }
    }

    /// The number of checkpoints run so far, as a signal.
    pub(crate) fn count(&self) -> watch::Receiver<u64> {
        self.count.clone()
    }
}
