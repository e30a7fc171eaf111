//! The store roles for [`SqliteStore`]: its own `Capabilities`, and every other role through
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

use crate::{endpoints, idempotency, limits, messages, queue, retention, tokens, SqliteStore};
use hookd_store_sql::queries::{apps, deliveries, event_types, tasks};

#[async_trait]
impl Capabilities for SqliteStore {
    async fn ping(&self) -> StoreResult<()> {
        self.ping_database().await
    }

    /// One SQLite file serves one process, whose API wakes its own workers in memory; there
    /// is no other process to hear from.
    async fn subscribe_work(&self, _on_work: WorkCallback) -> StoreResult<()> {
        Ok(())
    }
}

hookd_store_sql::operations!(SqliteStore, complete = queue::complete);
