//! Group commit for publishes. Concurrent `POST …/msg` requests hand their message to a
//! [`Publisher`], whose writer tasks take every message waiting at that moment and write them
//! with one [`Store::create_messages`] call — one transaction for many publishes — then answer
//! each request. Under light load a batch is a single message and nothing waits; under heavy
//! load the cost of a commit is shared by everything that arrived during the previous one.
//!
//! Every request still gets its 202 only after its own message and deliveries are committed.
//! This module must not decide anything about a message; it only groups writes.

use std::sync::Arc;

use hookd_core::{
    model::Message,
    store::{Store, StoreResult},
};
use tokio::sync::{mpsc, oneshot, Mutex};

/// The most messages written in one transaction. Large enough that a burst of thousands of
/// concurrent publishes needs only a few commits, small enough that one transaction stays
/// short for the readers and claimers that share the database.
const MAX_BATCH: usize = 512;
/// Publishes waiting for a writer. Bounded so that a stalled database pushes back on the API
/// (requests wait for a place) instead of growing memory.
const QUEUE: usize = 4096;

type Job = (Message, oneshot::Sender<StoreResult<u32>>);

/// Hands publishes to the group-commit writers.
#[derive(Debug, Clone)]
pub struct Publisher {
    jobs: mpsc::Sender<Job>,
}

impl Publisher {
    /// Starts `store.write_parallelism()` writer tasks over `store`.
    pub fn spawn(store: Arc<dyn Store>) -> Self {
        let (jobs, rx) = mpsc::channel::<Job>(QUEUE);
        let rx = Arc::new(Mutex::new(rx));
        for _ in 0..store.write_parallelism().max(1) {
            tokio::spawn(write_loop(store.clone(), rx.clone()));
        }
        Self { jobs }
    }

    /// Writes `msg` and its deliveries (committed when this returns `Ok`) and returns how many
    /// deliveries it got.
    pub async fn publish(&self, store: &dyn Store, msg: Message) -> StoreResult<u32> {
        let (reply, answer) = oneshot::channel();
        let fallback = msg.clone();
        if self.jobs.send((msg, reply)).await.is_err() {
            // The writers are gone (the runtime is shutting down): write it directly.
            return store.create_message(&fallback, None).await;
        }
        match answer.await {
            Ok(result) => result,
            Err(_) => store.create_message(&fallback, None).await,
        }
    }
}

async fn write_loop(store: Arc<dyn Store>, rx: Arc<Mutex<mpsc::Receiver<Job>>>) {
    loop {
        let mut batch = Vec::new();
        {
            // One writer at a time takes whatever is waiting; the others write meanwhile.
            let mut rx = rx.lock().await;
            match rx.recv().await {
                Some(job) => batch.push(job),
                None => return,
            }
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
        }
        let (msgs, replies): (Vec<Message>, Vec<_>) = batch.into_iter().unzip();
        match store.create_messages(&msgs).await {
            Ok(results) => {
                for (reply, result) in replies.into_iter().zip(results) {
                    let _ = reply.send(result);
                }
            }
            Err(err) => {
                // The batch as a whole failed (nothing was written). Each message is tried on
                // its own so that each request gets its own, specific answer.
                tracing::warn!(error = %err, size = msgs.len(), "a publish batch failed; writing its messages one by one");
                for (msg, reply) in msgs.iter().zip(replies) {
                    let _ = reply.send(store.create_message(msg, None).await);
                }
            }
        }
    }
}
