//! Background task records: created running, ended once, heartbeated while they run, listed
//! by id.
//!
//! This module must not decide when a task is stale or what its data says: the caller passes
//! the bound and the document.

use hookd_core::{
    id::TaskId,
    page::{ListQuery, Page},
    store::StoreResult,
    task::{Task, TaskFilter, TaskStatus},
    Timestamp,
};
use sqlx::{sqlite::SqliteRow, QueryBuilder, Row};

use crate::{
    codec::{ms, to_json, ts},
    error::{self, corrupt},
    list, SqliteStore,
};

/// The columns [`decode`] reads, in one place so every query selects the same.
const COLUMNS: &str = "id, kind, status, data, created_at, updated_at";

fn decode(row: &SqliteRow) -> StoreResult<Task> {
    let status: String = row.try_get("status").map_err(error::map)?;
    let data: String = row.try_get("data").map_err(error::map)?;
    Ok(Task {
        id: TaskId::from_trusted(row.try_get::<String, _>("id").map_err(error::map)?),
        kind: row.try_get("kind").map_err(error::map)?,
        status: TaskStatus::parse(&status)
            .ok_or_else(|| corrupt(format!("task status {status:?}")))?,
        data: serde_json::from_str(&data).map_err(|e| corrupt(format!("task data: {e}")))?,
        created_at: ts(row.try_get("created_at").map_err(error::map)?)?,
        updated_at: ts(row.try_get("updated_at").map_err(error::map)?)?,
    })
}

pub(crate) async fn create(store: &SqliteStore, task: &Task) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO background_tasks (id, kind, status, data, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(task.id.as_str())
    .bind(&task.kind)
    .bind(task.status.as_str())
    .bind(to_json(&task.data)?)
    .bind(ms(task.created_at))
    .bind(ms(task.updated_at))
    .execute(&store.write)
    .await
    .map_err(error::map)?;
    Ok(())
}

pub(crate) async fn end(
    store: &SqliteStore,
    id: &TaskId,
    status: TaskStatus,
    data: &serde_json::Value,
    now: Timestamp,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE background_tasks SET status = ?, data = ?, updated_at = ? \
         WHERE id = ? AND status = 'running'",
    )
    .bind(status.as_str())
    .bind(to_json(data)?)
    .bind(ms(now))
    .bind(id.as_str())
    .execute(&store.write)
    .await
    .map_err(error::map)?;
    Ok(done.rows_affected() > 0)
}

pub(crate) async fn touch(store: &SqliteStore, id: &TaskId, now: Timestamp) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE background_tasks SET updated_at = MAX(updated_at, ?) \
         WHERE id = ? AND status = 'running'",
    )
    .bind(ms(now))
    .bind(id.as_str())
    .execute(&store.write)
    .await
    .map_err(error::map)?;
    Ok(done.rows_affected() > 0)
}

pub(crate) async fn get(store: &SqliteStore, id: &TaskId) -> StoreResult<Option<Task>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM background_tasks WHERE id = ?"
    ))
    .bind(id.as_str())
    .fetch_optional(&store.read)
    .await
    .map_err(error::map)?;
    row.as_ref().map(decode).transpose()
}

pub(crate) async fn list(
    store: &SqliteStore,
    filter: &TaskFilter,
    query: &ListQuery,
) -> StoreResult<Page<Task>> {
    let mut qb = QueryBuilder::new(format!("SELECT {COLUMNS} FROM background_tasks WHERE TRUE"));
    if let Some(status) = filter.status {
        qb.push(" AND status = ").push_bind(status.as_str());
    }
    if let Some(kind) = &filter.kind {
        qb.push(" AND kind = ").push_bind(kind.clone());
    }
    list::push_page(&mut qb, "id", query);
    let rows = qb
        .build()
        .fetch_all(&store.read)
        .await
        .map_err(error::map)?;
    let tasks = rows.iter().map(decode).collect::<StoreResult<Vec<_>>>()?;
    Ok(Page::assemble(tasks, query, |t| t.id.to_string()))
}

pub(crate) async fn fail_stale(
    store: &SqliteStore,
    stale_before: Timestamp,
    data: &serde_json::Value,
    now: Timestamp,
) -> StoreResult<u64> {
    let done = sqlx::query(
        "UPDATE background_tasks SET status = 'failed', data = ?, updated_at = ? \
         WHERE status = 'running' AND updated_at < ?",
    )
    .bind(to_json(data)?)
    .bind(ms(now))
    .bind(ms(stale_before))
    .execute(&store.write)
    .await
    .map_err(error::map)?;
    Ok(done.rows_affected())
}
