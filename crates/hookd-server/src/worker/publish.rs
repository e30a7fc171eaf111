//! Group commit for publishes. Concurrent `POST …/msg` requests hand their message to a
//! [`Publisher`], whose writer tasks take every message waiting at that moment and write them
//! with one [`Queue::create_messages`] call — one transaction for many publishes — then answer
//! each request. Under light load a batch is a single message and nothing waits; under heavy
//! load the cost of a commit is shared by everything that arrived during the previous one.
//!
//! Every request still gets its 202 only after its own message and deliveries are committed.
//! This module must not decide anything about a message; it only groups writes. It is the
//! engine's one way in: every message (the API's, `send-example`'s, the operational events)
//! is written here.

use std::sync::Arc;

use hookd_core::{
    id::EndpointId,
    model::Message,
    store::{Messages, StoreError, StoreResult},
};
use tokio::sync::{mpsc, oneshot, Mutex, Notify};

use super::{
    inbox::{Inbox, INBOX_PER_MESSAGE},
    EngineContext,
};

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
    writers: Arc<Writers>,
}

/// What the writer tasks share.
#[derive(Debug)]
struct Writers {
    ctx: EngineContext,
    /// Wakes this process's dispatcher for deliveries the publish did not claim itself.
    wake: Arc<Notify>,
    /// This process's workers, if it runs any: a batch's deliveries are claimed for them as
    /// they are written, as far as they have free slots.
    inbox: Option<Inbox>,
}

impl Publisher {
    /// Starts `store.write_parallelism()` writer tasks over the context's store, handing
    /// what they claim to `inbox`.
    pub(super) fn spawn(ctx: EngineContext, wake: Arc<Notify>, inbox: Option<Inbox>) -> Self {
        let (jobs, rx) = mpsc::channel::<Job>(QUEUE);
        let rx = Arc::new(Mutex::new(rx));
        let writers = Arc::new(Writers { ctx, wake, inbox });
        let parallelism = writers.ctx.capabilities.write_parallelism().max(1);
        for _ in 0..parallelism {
            // A single-writer store's one writer gets a thread of its own (see `dedicated`).
            super::dedicated::spawn(
                "hookd-publisher",
                parallelism == 1,
                write_loop(writers.clone(), rx.clone()),
            );
        }
        Self { jobs, writers }
    }

    /// What the engine was started with.
    pub(super) fn context(&self) -> &EngineContext {
        &self.writers.ctx
    }

    /// Wakes this process's dispatcher.
    pub(super) fn wake(&self) {
        self.writers.wake.notify_one();
    }

    /// Writes `msg` and its deliveries (committed when this returns `Ok`) and returns how many
    /// deliveries it got (0 also when its batch's answer was lost and the message was then
    /// found already written, deliveries and all).
    pub async fn publish(&self, msg: Message) -> StoreResult<u32> {
        let started = std::time::Instant::now();
        let (reply, answer) = oneshot::channel();
        let fallback = msg.clone();
        let result = if self.jobs.send((msg, reply)).await.is_err() {
            // The writers are gone (the runtime is shutting down): write it directly.
            self.direct(&fallback, None).await
        } else {
            match answer.await {
                Ok(result) => result,
                Err(_) => self.direct(&fallback, None).await,
            }
        };
        if result.is_ok() {
            crate::telemetry::published(1, started.elapsed());
        }
        result
    }

    /// Writes `msg` with a delivery to `endpoint` alone, in a transaction of its own: a
    /// manual send, rare enough that grouping it buys nothing.
    pub(super) async fn publish_to(
        &self,
        msg: &Message,
        endpoint: &EndpointId,
    ) -> StoreResult<u32> {
        self.direct(msg, Some(endpoint)).await
    }

    async fn direct(&self, msg: &Message, only: Option<&EndpointId>) -> StoreResult<u32> {
        let n = self.writers.ctx.queue.create_message(msg, only).await?;
        if n > 0 {
            self.wake();
        }
        Ok(n)
    }
}

async fn write_loop(writers: Arc<Writers>, rx: Arc<Mutex<mpsc::Receiver<Job>>>) {
    let queue = writers.ctx.queue.as_ref();
    let messages = writers.ctx.messages.as_ref();
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
        let inbox = writers.inbox.as_ref();
        let reservation = inbox.and_then(|inbox| inbox.reserve(msgs.len() * INBOX_PER_MESSAGE));
        let claim = reservation.as_ref().map(|r| r.claim());
        match crate::telemetry::timed(
            "create_messages",
            queue.create_messages(&msgs, claim.as_ref()),
        )
        .await
        {
            Ok(created) => {
                let deliveries: u64 = created
                    .results
                    .iter()
                    .map(|r| r.as_ref().map_or(0, |n| u64::from(*n)))
                    .sum();
                let claimed = created.claimed.len() as u64;
                if let (Some(inbox), Some(reservation)) = (inbox, reservation) {
                    inbox.start(created.claimed, reservation);
                }
                if deliveries > claimed {
                    writers.wake.notify_one();
                }
                for (reply, result) in replies.into_iter().zip(created.results) {
                    let _ = reply.send(result);
                }
            }
            Err(err) => {
                if let (Some(inbox), Some(reservation)) = (inbox, reservation) {
                    inbox.lost(reservation);
                }
                // The batch as a whole failed. Usually nothing was written, and each message is
                // tried on its own so that each request gets its own, specific answer. But the
                // commit may have landed with its answer lost: then a message is already there
                // under its own id, and it was accepted. Once one of them finds the store away
                // too (down, out of space), the rest are answered 503 at once rather than each
                // waiting out the store's timeout while every publisher waits behind them.
                tracing::warn!(error = %err, size = msgs.len(), "a publish batch failed; writing its messages one by one");
                let mut away: Option<String> = None;
                for (msg, reply) in msgs.iter().zip(replies) {
                    if let Some(why) = &away {
                        let _ = reply.send(Err(StoreError::Unavailable(why.clone().into())));
                        continue;
                    }
                    let result = match queue.create_message(msg, None).await {
                        Err(StoreError::Conflict(what)) => already_written(messages, msg)
                            .await
                            .ok_or(StoreError::Conflict(what)),
                        other => other,
                    };
                    if let Err(StoreError::Unavailable(source)) = &result {
                        away = Some(source.to_string());
                    }
                    if matches!(result, Ok(n) if n > 0) {
                        writers.wake.notify_one();
                    }
                    let _ = reply.send(result);
                }
            }
        }
    }
}

/// Whether `msg` itself (by its id, which nothing else can carry) is already stored: a batch
/// whose commit landed though its answer was lost. Then its deliveries are stored too, in the
/// same transaction; their number is not known here, and the caller does not need it.
async fn already_written(messages: &dyn Messages, msg: &Message) -> Option<u32> {
    match messages.get_message(&msg.app_id, msg.id.as_str()).await {
        Ok(Some(found)) if found.id == msg.id => Some(0),
        _ => None,
    }
}
