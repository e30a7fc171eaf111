//! Background tasks' reports: when a task (recover, bulk resend, the replays, the purges, the
//! statistics) ends, a `background_task.finished` event with its id is published to the
//! operational application, shaped as Svix's operational event of that name:
//! `{"type": "background_task.finished", "data": {"taskId", "task", "status", "data"}}`.
//!
//! The operational events' names, shapes and publishing belong to the delivery engine
//! ([`crate::worker::operational`]); this module only says what a task's end reports. Tasks
//! are rows in the store (see [`crate::api::background_task`]), which calls [`report`] when
//! one ends. This module must not make HTTP requests.

use std::time::Duration;

use hookd_core::id::TaskId;
use serde_json::json;

use crate::{
    worker::operational::{publish, BACKGROUND_TASK_FINISHED},
    AppState,
};

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

/// Publishes the report of a finished task, trying again through a brief storage outage.
pub async fn report(state: &AppState, id: &TaskId, task: &str, end: TaskEnd) {
    let (status, data) = match end {
        TaskEnd::Finished(data) => ("finished", data),
        TaskEnd::Failed(reason) => ("failed", json!({ "error": reason })),
    };
    let event = json!({ "taskId": id.as_str(), "task": task, "status": status, "data": data });
    for attempt in 1..=PUBLISH_TRIES {
        match publish(
            state.engine.publisher(),
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
