//! Background tasks: `GET /api/v1/background-task` and `GET /api/v1/background-task/{task_id}`
//! (Svix's `BackgroundTask` API), and [`run`], through which every long operation of the API
//! (recover, bulk resend, replays, purges, statistics) runs as a task.
//!
//! A task is a row in the store (`hookd_core::task`): created `running` before its work starts,
//! ended once as `finished` (with its result as `data`) or `failed` (with `{"error"}`), so its
//! status outlives the process and every process on the same database sees it. While the work
//! runs, a heartbeat refreshes the row every [`HEARTBEAT`]; housekeeping fails a running task
//! whose heartbeat is older than [`STALE_AFTER`] (its process stopped), so no task stays
//! `running` for ever. When a task ends, a `background_task.finished` operational webhook
//! reports it (see [`crate::api::operational`]).
//!
//! Tasks belong to no application, so only admin tokens reach these routes. This module must
//! not do any task's work itself: callers pass the work as a future.

use std::{future::Future, time::Duration};

use axum::{extract::State, Json};
use hookd_core::{
    id::TaskId,
    page::Order,
    task::{Task, TaskFilter, TaskStatus},
};
use serde::Serialize;
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use crate::{
    api::{
        extract::{path_key, ApiPath, QueryParams},
        operational::{self, TaskEnd},
        schema::{
            BackgroundTaskStatus, BackgroundTaskType, Errors, OrderParam, Pagination, Unavailable,
        },
        wire::{ts, ListResponse},
    },
    error::{ApiError, ApiResult},
    AppState,
};

/// How often a running task shows it is alive. Short against [`STALE_AFTER`], so that a few
/// slow store writes never make a live task look abandoned.
pub const HEARTBEAT: Duration = Duration::from_secs(30);

/// How long a running task may go without a heartbeat before housekeeping fails it: ten
/// missed heartbeats, far more than a busy process or a database failover delays one.
pub const STALE_AFTER: Duration = Duration::from_secs(600);

/// Svix's `BackgroundTaskOut`; also what every operation that starts a task answers (Svix's
/// `RecoverOut`, `ReplayOut`, `ExpungeAllContentsOut`… are this without `data`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BackgroundTaskOut {
    /// The task's id.
    #[schema(example = "qtask_1srOrx2ZWZBpBUvZwXKQmoEYga2")]
    pub id: String,
    /// Where it is.
    #[schema(value_type = BackgroundTaskStatus)]
    pub status: &'static str,
    /// What it does.
    #[schema(value_type = BackgroundTaskType)]
    pub task: String,
    /// Its result when it finished, `{"error"}` when it failed, `{}` while it runs.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    /// When it last changed.
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<Task> for BackgroundTaskOut {
    fn from(t: Task) -> Self {
        Self {
            id: t.id.to_string(),
            status: t.status.as_str(),
            task: t.kind,
            data: t.data,
            updated_at: ts(t.updated_at),
        }
    }
}

/// See [`super::application::ListApplicationOut`].
pub type ListBackgroundTaskOut = ListResponse<BackgroundTaskOut>;

/// Every kind of task hookd runs: Svix's `BackgroundTaskType`s that hookd has, plus hookd's
/// bulk resend. The list filter refuses any other, and the document lists exactly these.
pub const TASK_KINDS: &[&str] = &[
    "endpoint.recover",
    "endpoint.replay",
    "endpoint.bulk-replay",
    "application.purge_content",
    "application.stats",
    "event-type.aggregate",
    "endpoint.bulk_resend",
];

/// The task list's filters.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct TaskFilters {
    /// Filter the response based on the status.
    #[param(value_type = Option<BackgroundTaskStatus>)]
    status: Option<String>,
    /// Filter the response based on the type.
    #[param(value_type = Option<BackgroundTaskType>)]
    task: Option<String>,
}

/// `{task_id}`.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct TaskPath {
    /// The task's id.
    #[param(
        min_length = 1,
        max_length = 256,
        pattern = r"^[a-zA-Z0-9\-_.]+$",
        example = "qtask_1srOrx2ZWZBpBUvZwXKQmoEYga2"
    )]
    task_id: String,
}

/// `GET /api/v1/background-task`: newest first unless `order=ascending`, as in Svix.
#[utoipa::path(
    get,
    path = "/api/v1/background-task",
    operation_id = "v1.background-task.list",
    tag = "Background Tasks",
    summary = "List Background Tasks",
    description = "List background tasks executed in the past 90 days. hookd keeps every task \
                   (they are small); listed by id, so by start time.",
    params(TaskFilters, Pagination, OrderParam),
    responses((status = 200, body = ListBackgroundTaskOut), Errors, Unavailable)
)]
pub async fn list(
    State(state): State<AppState>,
    query: QueryParams,
) -> ApiResult<Json<ListBackgroundTaskOut>> {
    let status = match query.get("status") {
        None => None,
        Some(s) => Some(TaskStatus::parse(s).ok_or_else(|| {
            ApiError::invalid(
                &["query", "status"],
                "must be one of 'running', 'finished', 'failed'",
            )
        })?),
    };
    let kind = match query.get("task") {
        None => None,
        Some(k) if TASK_KINDS.contains(&k) => Some(k.to_owned()),
        Some(_) => {
            return Err(ApiError::invalid(
                &["query", "task"],
                format!("must be one of {}", TASK_KINDS.join(", ")),
            ))
        }
    };
    let q = query.list_query(Order::Descending, true)?;
    let page = state
        .tasks
        .list_tasks(&TaskFilter { status, kind }, &q)
        .await?;
    Ok(Json(ListResponse::from_page(page, BackgroundTaskOut::from)))
}

/// `GET /api/v1/background-task/{task_id}`.
#[utoipa::path(
    get,
    path = "/api/v1/background-task/{task_id}",
    operation_id = "v1.background-task.get",
    tag = "Background Tasks",
    summary = "Get Background Task",
    description = "Get a background task by ID.",
    params(TaskPath),
    responses((status = 200, body = BackgroundTaskOut), Errors, Unavailable)
)]
pub async fn get(
    State(state): State<AppState>,
    ApiPath(task_id): ApiPath<String>,
) -> ApiResult<Json<BackgroundTaskOut>> {
    path_key("task_id", &task_id)?;
    if !TaskId::looks_like(&task_id) {
        return Err(ApiError::not_found());
    }
    let task = state
        .tasks
        .get_task(&TaskId::from_trusted(task_id))
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(task.into()))
}

/// Runs `work` as a new task of `kind`: in the background when `in_background` (the answer is
/// the running task), else to its end before returning (the answer is the ended task, or the
/// work's error, which also fails the task). The row is written before the work starts, so a
/// task that cannot be recorded does not run.
pub async fn run<F>(
    state: &AppState,
    kind: &'static str,
    in_background: bool,
    work: F,
) -> ApiResult<Task>
where
    F: Future<Output = ApiResult<serde_json::Value>> + Send + 'static,
{
    let now = state.clock.now();
    let task = Task {
        id: TaskId::generate(now, &mut rand::thread_rng()),
        kind: kind.to_owned(),
        status: TaskStatus::Running,
        data: json!({}),
        created_at: now,
        updated_at: now,
    };
    state.tasks.create_task(&task).await?;
    if in_background {
        let state = state.clone();
        let id = task.id.clone();
        tokio::spawn(async move {
            let result = with_heartbeat(&state, &id, work).await;
            if let Err(e) = &result {
                tracing::warn!(error = %e, task = %id, "background task failed");
            }
            end(&state, &id, kind, result.map_err(|e| e.to_string())).await;
        });
        return Ok(task);
    }
    let result = with_heartbeat(state, &task.id, work).await;
    let outcome = result.as_ref().cloned().map_err(|e| e.to_string());
    let ended = end(state, &task.id, kind, outcome).await;
    let data = result?;
    Ok(Task {
        status: TaskStatus::Finished,
        data,
        updated_at: ended,
        ..task
    })
}

/// Awaits `work`, refreshing the task's heartbeat every [`HEARTBEAT`] meanwhile.
async fn with_heartbeat<F>(state: &AppState, id: &TaskId, work: F) -> ApiResult<serde_json::Value>
where
    F: Future<Output = ApiResult<serde_json::Value>>,
{
    let mut beat = tokio::time::interval(HEARTBEAT);
    // The first tick is immediate; the row was just written.
    beat.tick().await;
    tokio::pin!(work);
    loop {
        tokio::select! {
            result = &mut work => return result,
            _ = beat.tick() => {
                if let Err(err) = state.tasks.touch_task(id, state.clock.now()).await {
                    tracing::warn!(error = %err, task = %id, "a task's heartbeat failed");
                }
            }
        }
    }
}

/// Ends the task's row and publishes its report; returns the time it ended. A failure to write
/// the end is logged: the work is done, and housekeeping fails the row once it is stale.
async fn end(
    state: &AppState,
    id: &TaskId,
    kind: &'static str,
    result: Result<serde_json::Value, String>,
) -> hookd_core::Timestamp {
    let (status, data, report) = match result {
        Ok(v) => (TaskStatus::Finished, v.clone(), TaskEnd::Finished(v)),
        Err(why) => (
            TaskStatus::Failed,
            json!({ "error": why }),
            TaskEnd::Failed(why),
        ),
    };
    let now = state.clock.now();
    if let Err(err) = state.tasks.end_task(id, status, &data, now).await {
        tracing::warn!(error = %err, task = %id, "recording a task's end failed");
    }
    // The caller has its answer; the report need not hold it up.
    let state = state.clone();
    let id = id.clone();
    tokio::spawn(async move { operational::report(&state, &id, kind, report).await });
    now
}

/// Fails the tasks whose process stopped (no heartbeat for [`STALE_AFTER`]); housekeeping
/// calls this. Returns how many.
pub async fn fail_stale(state: &AppState) -> Result<u64, hookd_core::store::StoreError> {
    let now = state.clock.now();
    let stale = chrono::Duration::from_std(STALE_AFTER).unwrap_or(chrono::Duration::minutes(10));
    state
        .tasks
        .fail_stale_tasks(
            now - stale,
            &json!({ "error": "the process running this task stopped before it ended" }),
            now,
        )
        .await
}
