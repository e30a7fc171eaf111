//! The store roles for [`PgStore`]: its own `Capabilities`, and every other role through
//! [`hookd_store_sql::operations!`], which hands each method to the entity module that owns it
//! (the same map in both SQL stores; only the modules' SQL differs).
//!
//! This module must not contain SQL.

use async_trait::async_trait;
use hookd_core::{
    id::{AppId, AttemptId, EndpointId, MsgId, TaskId, TokenId},
    model::{
        Application, Attempt, AttemptBucket, Delivery, Endpoint, EndpointStats, EventType, Message,
        StoredResponse, Token,
    },
    page::{ListQuery, Page},
    store::{
        AppFilter, AttemptFilter, Audit, AuditEntry, BucketQuery, Capabilities, ClaimRequest,
        Claimed, Completion, Created, DeliveryFilter, Directory, History, Idempotency,
        IdempotencyBegin, MessageFilter, Messages, Queue, QueueDepth, ResealBatch, StoreResult,
        Tasks, WorkCallback,
    },
    task::{Task, TaskFilter, TaskStatus},
    Timestamp,
};

use crate::{
    complete, endpoints, idempotency, limits, messages, notify, queue, retention, tokens, PgStore,
};
use hookd_store_sql::queries::{apps, deliveries, event_types, tasks};

#[async_trait]
impl Capabilities for PgStore {
    async fn ping(&self) -> StoreResult<()> {
        self.ping_database().await
    }

    /// Several publish batches may commit at once (PostgreSQL commits concurrently and groups
    /// WAL flushes); one connection of the pool stays free for claims and reads.
    fn write_parallelism(&self) -> usize {
        crate::PUBLISH_WRITERS
    }

    /// Listens for other processes' `NOTIFY` on the work channel (see the `notify` module).
    /// An error means the listener is not connected yet; it keeps trying in the background.
    async fn subscribe_work(&self, on_work: WorkCallback) -> StoreResult<()> {
        notify::subscribe(self, on_work).await
    }
}

hookd_store_sql::operations!(PgStore, complete = complete::complete);
