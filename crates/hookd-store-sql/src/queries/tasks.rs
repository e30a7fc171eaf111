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

use crate::{corrupt, ms, queries::page::push_page, ts, Arg, Columns, Database, Statement};

/// The columns [`decode`] reads, in one place so every query selects the same.
const COLUMNS: &str = "id, kind, status, data, created_at, updated_at";

fn decode(row: &impl Columns) -> StoreResult<Task> {
    let status = row.text("status")?;
    Ok(Task {
        id: TaskId::from_trusted(row.text("id")?),
        kind: row.text("kind")?,
        status: TaskStatus::parse(&status)
            .ok_or_else(|| corrupt(format!("task status {status:?}")))?,
        data: row.json("data")?,
        created_at: ts(row.int("created_at")?)?,
        updated_at: ts(row.int("updated_at")?)?,
    })
}

pub async fn create(db: &impl Database, task: &Task) -> StoreResult<()> {
    db.write(
        Statement::new(
            "INSERT INTO background_tasks (id, kind, status, data, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(task.id.as_str())
        .bind(&task.kind)
        .bind(task.status.as_str())
        .bind(Arg::json(&task.data)?)
        .bind(ms(task.created_at))
        .bind(ms(task.updated_at)),
    )
    .await?;
    Ok(())
}

pub async fn end(
    db: &impl Database,
    id: &TaskId,
    status: TaskStatus,
    data: &serde_json::Value,
    now: Timestamp,
) -> StoreResult<bool> {
    let changed = db
        .write(
            Statement::new(
                "UPDATE background_tasks SET status = $1, data = $2, updated_at = $3 \
                 WHERE id = $4 AND status = 'running'",
            )
            .bind(status.as_str())
            .bind(Arg::json(data)?)
            .bind(ms(now))
            .bind(id.as_str()),
        )
        .await?;
    Ok(changed > 0)
}

/// A heartbeat never moves `updated_at` back (a slower clock elsewhere must not make a
/// running task look stale).
pub async fn touch(db: &impl Database, id: &TaskId, now: Timestamp) -> StoreResult<bool> {
    let changed = db
        .write(
            Statement::new(
                "UPDATE background_tasks \
                 SET updated_at = CASE WHEN updated_at > $1 THEN updated_at ELSE $1 END \
                 WHERE id = $2 AND status = 'running'",
            )
            .bind(ms(now))
            .bind(id.as_str()),
        )
        .await?;
    Ok(changed > 0)
}

pub async fn get<D: Database>(db: &D, id: &TaskId) -> StoreResult<Option<Task>> {
    let row = db
        .read_optional(
            Statement::new(format!(
                "SELECT {COLUMNS} FROM background_tasks WHERE id = $1"
            ))
            .bind(id.as_str()),
        )
        .await?;
    row.as_ref().map(|r| decode(&D::columns(r))).transpose()
}

pub async fn list<D: Database>(
    db: &D,
    filter: &TaskFilter,
    query: &ListQuery,
) -> StoreResult<Page<Task>> {
    let mut st = Statement::new(format!("SELECT {COLUMNS} FROM background_tasks WHERE TRUE"));
    if let Some(status) = filter.status {
        st.push(" AND status = ").push_bind(status.as_str());
    }
    if let Some(kind) = &filter.kind {
        st.push(" AND kind = ").push_bind(kind);
    }
    push_page(&mut st, "id", query);
    let tasks = db
        .read_all(st)
        .await?
        .iter()
        .map(|r| decode(&D::columns(r)))
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Page::assemble(tasks, query, |t| t.id.to_string()))
}

pub async fn fail_stale(
    db: &impl Database,
    stale_before: Timestamp,
    data: &serde_json::Value,
    now: Timestamp,
) -> StoreResult<u64> {
    db.write(
        Statement::new(
            "UPDATE background_tasks SET status = 'failed', data = $1, updated_at = $2 \
             WHERE status = 'running' AND updated_at < $3",
        )
        .bind(Arg::json(data)?)
        .bind(ms(now))
        .bind(ms(stale_before)),
    )
    .await
}
