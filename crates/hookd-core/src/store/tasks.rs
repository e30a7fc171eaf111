//! The [`Tasks`] role: background tasks (recover, bulk resend, imports) and their heartbeats.
//! It must not contain SQL or any I/O.

use async_trait::async_trait;

use super::StoreResult;
use crate::{
    id::TaskId,
    page::{ListQuery, Page},
    task::{Task, TaskFilter, TaskStatus},
    Timestamp,
};

/// Background tasks.
#[async_trait]
pub trait Tasks: Send + Sync + std::fmt::Debug {
    /// Stores a new task; `Conflict` if its id is taken.
    async fn create_task(&self, task: &Task) -> StoreResult<()>;

    /// Ends a task: sets its status (`Finished` or `Failed`), `data` and `updated_at`, only
    /// while it is still `Running`. True if this call ended it (a task ends once).
    async fn end_task(
        &self,
        id: &TaskId,
        status: TaskStatus,
        data: &serde_json::Value,
        now: Timestamp,
    ) -> StoreResult<bool>;

    /// Records that a running task is alive (its `updated_at` becomes `now`); true if it is
    /// still running.
    async fn touch_task(&self, id: &TaskId, now: Timestamp) -> StoreResult<bool>;

    /// Finds a task by id.
    async fn get_task(&self, id: &TaskId) -> StoreResult<Option<Task>>;

    /// Lists tasks by id (so by start time), filtered.
    async fn list_tasks(&self, filter: &TaskFilter, query: &ListQuery) -> StoreResult<Page<Task>>;

    /// Fails every `Running` task whose `updated_at` is before `stale_before` (its process
    /// stopped heartbeating), with `data` and `updated_at = now`. Returns how many.
    async fn fail_stale_tasks(
        &self,
        stale_before: Timestamp,
        data: &serde_json::Value,
        now: Timestamp,
    ) -> StoreResult<u64>;
}
