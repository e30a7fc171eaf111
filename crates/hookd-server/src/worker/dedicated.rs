//! Tasks that drive a single-writer store get an OS thread of their own.
//!
//! Why: with SQLite every write is a series of hand-offs between the task and the connection's
//! thread (one per statement, plus begin and commit), and between two hand-offs the task waits
//! in the runtime's run queue. On the shared runtime that queue holds every HTTP request in
//! progress, so under load each hand-off waits behind them, and the one writer, which every
//! publish and completion queues for, spends most of its time waiting to be polled rather
//! than writing. On a thread of its own (a current-thread runtime that runs nothing else) the
//! task is polled as soon as its answer arrives: on this project's 2-core machine that is
//! about 6 % more unpaced publishes at the same concurrency (README, Performance). A store that
//! commits in parallel (PostgreSQL) gains nothing from this and its tasks stay on the shared
//! runtime.
//!
//! This module must not know what the tasks do.

use std::future::Future;

use tokio::task::JoinHandle;

/// Runs `task` on a thread of its own named `name` when `own_thread` is set (falling back to
/// the shared runtime if the thread cannot be started), else on the shared runtime. The
/// returned handle, on the shared runtime, completes when `task` does. The task's own spawns
/// and timers use its thread's runtime; it must hand anything long-lived to the shared one.
pub fn spawn<F>(name: &str, own_thread: bool, task: F) -> JoinHandle<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    if !own_thread {
        return tokio::spawn(task);
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            tracing::warn!(error = %err, name, "cannot build a runtime for a dedicated thread; sharing the main one");
            return tokio::spawn(task);
        }
    };
    let (done_tx, done) = tokio::sync::oneshot::channel::<()>();
    // The task reaches the thread through a channel, so that it comes back here if the thread
    // cannot start (the receiver is dropped with the thread's closure).
    let (task_tx, task_rx) = std::sync::mpsc::channel::<F>();
    let started = std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || {
            if let Ok(task) = task_rx.recv() {
                runtime.block_on(task);
            }
            // If the task panicked this is never sent, but the sender is dropped: the handle
            // below completes either way.
            let _ = done_tx.send(());
        });
    if let Err(err) = &started {
        tracing::warn!(error = %err, name, "cannot start a dedicated thread; sharing the main runtime");
    }
    match task_tx.send(task) {
        Ok(()) => tokio::spawn(async move {
            let _ = done.await;
        }),
        Err(std::sync::mpsc::SendError(task)) => tokio::spawn(task),
    }
}
