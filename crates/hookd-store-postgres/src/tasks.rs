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
use sqlx::{postgres::PgRow, types::Json, QueryBuilder, Row};

use crate::{
    codec::{ms, ts},
    error::{self, corrupt},
    list, PgStore,
};

/// The columns [`decode`] reads, in one place so every query selects the same.
const COLUMNS: &str = "id, kind, status, data, created_at, updated_at";

fn decode(row: &PgRow) -> StoreResult<Task> {
    let status: String = row.try_get("status").map_err(error::map)?;
    let Json(data): Json<serde_json::Value> = row.try_get("data").map_err(error::map)?;
    Ok(Task {
        id: TaskId::from_trusted(row.try_get::<String, _>("id").map_err(error::map)?),
        kind: row.try_get("kind").map_err(error::map)?,
        status: TaskStatus::parse(&status)
            .ok_or_else(|| corrupt(format!("task status {status:?}")))?,
        data,
        created_at: ts(row.try_get("created_at").map_err(error::map)?)?,
        updated_at: ts(row.try_get("updated_at").map_err(error::map)?)?,
    })
}

pub(crate) async fn create(store: &PgStore, task: &Task) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO background_tasks (id, kind, status, data, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(task.id.as_str())
    .bind(&task.kind)
    .bind(task.status.as_str())
    .bind(Json(&task.data))
    .bind(ms(task.created_at))
    .bind(ms(task.updated_at))
    .execute(&store.pool)
    .await
    .map_err(error::map)?;
    Ok(())
}

pub(crate) async fn end(
    store: &PgStore,
    id: &TaskId,
    status: TaskStatus,
    data: &serde_json::Value,
    now: Timestamp,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE background_tasks SET status = $1, data = $2, updated_at = $3 \
         WHERE id = $4 AND status = 'running'",
    )
    .bind(status.as_str())
    .bind(Json(data))
    .bind(ms(now))
    .bind(id.as_str())
    .execute(&store.pool)
    .await
    .map_err(error::map)?;
    Ok(done.rows_affected() > 0)
}

pub(crate) async fn touch(store: &PgStore, id: &TaskId, now: Timestamp) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE background_tasks SET updated_at = GREATEST(updated_at, $1) \
         WHERE id = $2 AND status = 'running'",
    )
    .bind(ms(now))
    .bind(id.as_str())
    .execute(&store.pool)
    .await
    .map_err(error::map)?;
    Ok(done.rows_affected() > 0)
}

pub(crate) async fn get(store: &PgStore, id: &TaskId) -> StoreResult<Option<Task>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM background_tasks WHERE id = $1"
    ))
    .bind(id.as_str())
    .fetch_optional(&store.pool)
    .await
    .map_err(error::map)?;
    row.as_ref().map(decode).transpose()
}

pub(crate) async fn list(
    store: &PgStore,
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
        .fetch_all(&store.pool)
        .await
        .map_err(error::map)?;
    let tasks = rows.iter().map(decode).collect::<StoreResult<Vec<_>>>()?;
    Ok(Page::assemble(tasks, query, |t| t.id.to_string()))
}

pub(crate) async fn fail_stale(
    store: &PgStore,
    stale_before: Timestamp,
    data: &serde_json::Value,
    now: Timestamp,
) -> StoreResult<u64> {
    let done = sqlx::query(
        "UPDATE background_tasks SET status = 'failed', data = $1, updated_at = $2 \
         WHERE status = 'running' AND updated_at < $3",
    )
    .bind(Json(data))
    .bind(ms(now))
    .bind(ms(stale_before))
    .execute(&store.pool)
    .await
    .map_err(error::map)?;
    Ok(done.rows_affected())
}
