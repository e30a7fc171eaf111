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
//! Besides tasks, the events Svix's operational webhooks carry, in Svix's shapes:
//! `endpoint.created`, `endpoint.updated` and `endpoint.deleted` (published by the endpoint
//! handlers), `endpoint.disabled` (an endpoint failing for longer than
//! `endpoint_failure_disable_after`), `message.attempt.failing` (the fourth failed attempt of
//! a message to an endpoint), `message.attempt.exhausted` (the last one) and
//! `message.attempt.recovered` (a success after `failing` was sent); the workers decide when
//! (`worker::events`), this module what they say. Nothing is published about the operational
//! application itself: its endpoints' troubles would otherwise feed events back into it.
//!
//! Tasks are rows in the store (see [`crate::api::background_task`]), which calls [`report`]
//! when one ends. This module must not make HTTP requests.

use std::time::Duration;

use hookd_core::{
    id::{AttemptId, EndpointId, MsgId, TaskId},
    model::{Application, Endpoint, Message},
    store::StoreError,
    Timestamp,
};
use serde_json::json;

use super::wire::ts;
use crate::AppState;

/// The uid of the application that receives hookd's operational webhooks.
pub const OPERATIONAL_APP_UID: &str = "hookd-operational";
/// The event type of a finished background task (Svix's name).
pub const BACKGROUND_TASK_FINISHED: &str = "background_task.finished";
/// An endpoint was created (Svix's `EndpointCreatedEvent`).
pub const ENDPOINT_CREATED: &str = "endpoint.created";
/// An endpoint was changed (Svix's `EndpointUpdatedEvent`).
pub const ENDPOINT_UPDATED: &str = "endpoint.updated";
/// An endpoint was deleted (Svix's `EndpointDeletedEvent`).
pub const ENDPOINT_DELETED: &str = "endpoint.deleted";
/// An endpoint was disabled because every attempt failed for too long (Svix's
/// `EndpointDisabledEvent`).
pub const ENDPOINT_DISABLED: &str = "endpoint.disabled";
/// A message's delivery to an endpoint used up its retries (Svix's
/// `MessageAttemptExhaustedEvent`).
pub const MESSAGE_ATTEMPT_EXHAUSTED: &str = "message.attempt.exhausted";
/// A message's delivery to an endpoint failed for the fourth time (Svix's
/// `MessageAttemptFailingEvent`).
pub const MESSAGE_ATTEMPT_FAILING: &str = "message.attempt.failing";
/// A message's delivery succeeded after `message.attempt.failing` was sent for it (Svix's
/// `MessageAttemptRecoveredEvent`).
pub const MESSAGE_ATTEMPT_RECOVERED: &str = "message.attempt.recovered";
/// The operational event types, which endpoints may filter on without creating them.
pub const OPERATIONAL_EVENT_TYPES: [&str; 8] = [
    BACKGROUND_TASK_FINISHED,
    ENDPOINT_CREATED,
    ENDPOINT_UPDATED,
    ENDPOINT_DELETED,
    ENDPOINT_DISABLED,
    MESSAGE_ATTEMPT_EXHAUSTED,
    MESSAGE_ATTEMPT_FAILING,
    MESSAGE_ATTEMPT_RECOVERED,
];
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
        payload_expires_at: Some(state.config.payload_expiry(now, None)),
        created_at: now,
        extras: Default::default(),
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

/// Whether `app` is the operational application, about which nothing is published.
fn is_operational(app: &Application) -> bool {
    app.uid.as_deref() == Some(OPERATIONAL_APP_UID)
}

/// The attempt a `message.attempt.*` event reports.
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptEvent {
    /// The endpoint's id.
    pub endpoint_id: EndpointId,
    /// The message's id.
    pub msg_id: MsgId,
    /// The message's `eventId`.
    pub msg_event_id: Option<String>,
    /// The attempt's id.
    pub attempt_id: AttemptId,
    /// Its HTTP status (0: no answer).
    pub response_status_code: i16,
    /// When it was made.
    pub timestamp: Timestamp,
}

/// Publishes a `message.attempt.*` event about an attempt to an endpoint of `app`, shaped as
/// Svix's `MessageAttempt{Exhausted,Failing,Recovered}EventData`. Its `eventId` is derived
/// from the attempt, so publishing it twice (the completer retried) is one event.
pub async fn publish_attempt_event(
    state: &AppState,
    event_type: &str,
    app: &Application,
    event: &AttemptEvent,
) -> Result<bool, StoreError> {
    if is_operational(app) {
        return Ok(false);
    }
    let data = json!({
        "appId": app.id.as_str(),
        "appUid": app.uid,
        "endpointId": event.endpoint_id.as_str(),
        "msgId": event.msg_id.as_str(),
        "msgEventId": event.msg_event_id,
        "lastAttempt": {
            "id": event.attempt_id.as_str(),
            "responseStatusCode": event.response_status_code,
            "timestamp": ts(event.timestamp),
        },
    });
    let event_id = format!("{event_type}.{}", event.attempt_id);
    publish(state, event_type, Some(event_id), data).await
}

/// Publishes `endpoint.disabled` for an endpoint of `app` that had been failing since
/// `fail_since`, shaped as Svix's `EndpointDisabledEventData`.
pub async fn publish_endpoint_disabled(
    state: &AppState,
    app: &Application,
    endpoint_id: &EndpointId,
    endpoint_uid: Option<&str>,
    fail_since: Timestamp,
) -> Result<bool, StoreError> {
    if is_operational(app) {
        return Ok(false);
    }
    let data = json!({
        "appId": app.id.as_str(),
        "appUid": app.uid,
        "endpointId": endpoint_id.as_str(),
        "endpointUid": endpoint_uid,
        "failSince": ts(fail_since),
    });
    let event_id = format!(
        "{ENDPOINT_DISABLED}.{endpoint_id}.{}",
        fail_since.timestamp_millis()
    );
    publish(state, ENDPOINT_DISABLED, Some(event_id), data).await
}

/// Publishes `endpoint.created`, `endpoint.updated` or `endpoint.deleted` about `endpoint` of
/// `app`, shaped as Svix's `Endpoint{Created,Updated,Deleted}EventData`. The change is already
/// committed, so a failure to publish is logged, not returned: the caller's request succeeded.
pub async fn endpoint_changed(
    state: &AppState,
    event_type: &str,
    app: &Application,
    endpoint: &Endpoint,
) {
    if is_operational(app) {
        return;
    }
    let data = json!({
        "appId": app.id.as_str(),
        "appUid": app.uid,
        "endpointId": endpoint.id.as_str(),
        "endpointUid": endpoint.uid,
    });
    if let Err(err) = publish(state, event_type, None, data).await {
        tracing::warn!(error = %err, endpoint = %endpoint.id, event_type, "publishing an endpoint event failed");
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
