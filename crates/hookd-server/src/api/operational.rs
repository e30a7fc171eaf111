//! Operational webhooks and background tasks.
//!
//! hookd reports on its own work through webhooks, delivered by the same machinery as every
//! other message: the reserved application with uid [`OPERATIONAL_APP_UID`] receives them, so
//! its endpoints are signed, retried, logged and shown in the portal like any others. An
//! operator opts in by creating that application and endpoints in it (filtered on the
//! [`OPERATIONAL_EVENT_TYPES`], which exist without being in the catalogue); while it does not
//! exist, nothing is published.
//!
//! Long operations of hookd's own (recover, bulk resend, later the exports) are tasks: with
//! `async=true` the request answers at once with the task's id and the work runs in the
//! background; either way, when it ends, a `background_task.finished` event with that id is
//! published, shaped as Svix's operational event of that name:
//! `{"type": "background_task.finished", "data": {"taskId", "task", "status", "data"}}`.
//!
//! Tasks live in the memory of the process that runs them: a process that dies mid-task loses
//! the task and its report (the work already done stays done; recover and resend are safe to
//! run again). This module must not make HTTP requests.

use std::{future::Future, time::Duration};

use hookd_core::{
    id::{MsgId, TaskId},
    model::Message,
    store::StoreError,
};
use serde_json::json;

use crate::{error::ApiError, AppState};

/// The uid of the application that receives hookd's operational webhooks.
pub const OPERATIONAL_APP_UID: &str = "hookd-operational";
/// The event type of a finished background task (Svix's name).
pub const BACKGROUND_TASK_FINISHED: &str = "background_task.finished";
/// The operational event types, which endpoints may filter on without creating them.
pub const OPERATIONAL_EVENT_TYPES: [&str; 1] = [BACKGROUND_TASK_FINISHED];
/// How often publishing a task's report is tried before it is given up (and logged): a brief
/// storage outage should not lose it, a long one should not keep a task alive forever.
const PUBLISH_TRIES: u32 = 5;
/// The pause between those tries.
const PUBLISH_BACKOFF: Duration = Duration::from_secs(2);

/// How a task ended.
#[derive(Debug)]
pub enum TaskEnd {
    /// It did its work; the value is its result (`data` of the event).
    Finished(serde_json::Value),
    /// It failed; the text says why, for operators.
    Failed(String),
}

/// Publishes an operational event, if the operational application exists. Returns whether
/// anything was published.
pub async fn publish(
    state: &AppState,
    event_type: &str,
    event_id: Option<String>,
    data: serde_json::Value,
) -> Result<bool, StoreError> {
    let Some(app) = state.store.get_app(OPERATIONAL_APP_UID).await? else {
        return Ok(false);
    };
    let now = state.clock.now();
    let payload = json!({ "type": event_type, "data": data });
    let msg = Message {
        id: MsgId::generate(now, &mut rand::thread_rng()),
        app_id: app.id,
        event_id,
        event_type: event_type.to_owned(),
        payload: Some(payload.to_string()),
        channels: None,
        created_at: now,
    };
    match state.store.create_message(&msg, None).await {
        Ok(deliveries) => {
            if deliveries > 0 {
                state.wake.notify_one();
            }
            Ok(true)
        }
        // The event id is the task id: a report published twice is one report.
        Err(StoreError::Conflict(_)) => Ok(true),
        Err(e) => Err(e),
    }
}

/// Publishes the report of a finished task, trying again through a brief storage outage.
pub async fn report(state: &AppState, id: &TaskId, task: &str, end: TaskEnd) {
    let (status, data) = match end {
        TaskEnd::Finished(data) => ("finished", data),
        TaskEnd::Failed(reason) => ("failed", json!({ "error": reason })),
    };
    let event = json!({ "taskId": id.as_str(), "task": task, "status": status, "data": data });
    for attempt in 1..=PUBLISH_TRIES {
        match publish(
            state,
            BACKGROUND_TASK_FINISHED,
            Some(id.to_string()),
            event.clone(),
        )
        .await
        {
            Ok(_) => return,
            Err(err) if attempt < PUBLISH_TRIES => {
                tracing::warn!(error = %err, task = %id, "publishing a task report failed; trying again");
                tokio::time::sleep(PUBLISH_BACKOFF).await;
            }
            Err(err) => {
                tracing::error!(error = %err, task = %id, "publishing a task report failed; giving up");
            }
        }
    }
}

/// Runs `work` as task `id`: in the background when `in_background`, else before returning.
/// Either way its report is published when it ends. Returns the result when it ran in the
/// foreground.
pub async fn run<F>(
    state: &AppState,
    id: TaskId,
    task: &'static str,
    in_background: bool,
    work: F,
) -> Option<Result<serde_json::Value, ApiError>>
where
    F: Future<Output = Result<serde_json::Value, ApiError>> + Send + 'static,
{
    let state = state.clone();
    if in_background {
        tokio::spawn(async move {
            let end = match work.await {
                Ok(v) => TaskEnd::Finished(v),
                Err(e) => {
                    tracing::warn!(error = %e, task = %id, "background task failed");
                    TaskEnd::Failed(e.to_string())
                }
            };
            report(&state, &id, task, end).await;
        });
        return None;
    }
    let result = work.await;
    let end = match &result {
        Ok(v) => TaskEnd::Finished(v.clone()),
        Err(e) => TaskEnd::Failed(e.to_string()),
    };
    // The caller has its answer; the report need not hold it up.
    tokio::spawn(async move { report(&state, &id, task, end).await });
    Some(result)
}
