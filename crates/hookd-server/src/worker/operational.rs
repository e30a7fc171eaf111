//! Operational events: hookd's reports on its own work, published through the engine like
//! every other message.
//!
//! The reserved application with uid [`OPERATIONAL_APP_UID`] receives them, so its endpoints
//! are signed, retried, logged and shown in the portal like any others. An operator opts in by
//! creating that application and endpoints in it (filtered on the
//! [`OPERATIONAL_EVENT_TYPES`], which exist without being in the catalogue); while it does not
//! exist, nothing is published.
//!
//! The events are Svix's operational events, in Svix's shapes: `background_task.finished`
//! (the API's tasks), `endpoint.created`, `endpoint.updated` and `endpoint.deleted` (the
//! endpoint handlers), `endpoint.disabled` (an endpoint failing for longer than
//! `endpoint_failure_disable_after`), `message.attempt.failing` (the fourth failed attempt of
//! a message to an endpoint), `message.attempt.exhausted` (the last one) and
//! `message.attempt.recovered` (a success after `failing` was sent); [`super::events`]
//! decides when the completer reports, this module what the events say. Nothing is published
//! about the operational application itself: its endpoints' troubles would otherwise feed
//! events back into it.
//!
//! This module must not make HTTP requests, nor know the API's requests and answers.

use chrono::SecondsFormat;
use hookd_core::{
    id::{AttemptId, EndpointId, MsgId},
    model::{Application, Endpoint, Message},
    store::StoreError,
    Timestamp,
};
use serde_json::json;

use super::Publisher;

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

/// A time as Svix writes it in event data: RFC 3339 in UTC with milliseconds, the same form
/// as every timestamp of the API.
fn ts(t: Timestamp) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Publishes an operational event, if the operational application exists. Returns whether
/// anything was published (an event whose `event_id` was published before counts: the event
/// id is what makes a report published twice one report).
pub async fn publish(
    publisher: &Publisher,
    event_type: &str,
    event_id: Option<String>,
    data: serde_json::Value,
) -> Result<bool, StoreError> {
    let ctx = publisher.context();
    let Some(app) = ctx.directory.get_app(OPERATIONAL_APP_UID).await? else {
        return Ok(false);
    };
    let now = ctx.clock.now();
    let payload = json!({ "type": event_type, "data": data });
    let msg = Message {
        id: MsgId::generate(now, &mut rand::thread_rng()),
        app_id: app.id,
        event_id,
        event_type: event_type.to_owned(),
        payload: Some(payload.to_string()),
        channels: None,
        payload_expires_at: Some(ctx.config.payload_expiry(now, None)),
        created_at: now,
        extras: Default::default(),
    };
    match publisher.publish(msg).await {
        Ok(_) => Ok(true),
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
    publisher: &Publisher,
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
    publish(publisher, event_type, Some(event_id), data).await
}

/// Publishes `endpoint.disabled` for an endpoint of `app` that had been failing since
/// `fail_since`, shaped as Svix's `EndpointDisabledEventData`.
pub async fn publish_endpoint_disabled(
    publisher: &Publisher,
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
    publish(publisher, ENDPOINT_DISABLED, Some(event_id), data).await
}

/// Publishes `endpoint.created`, `endpoint.updated` or `endpoint.deleted` about `endpoint` of
/// `app`, shaped as Svix's `Endpoint{Created,Updated,Deleted}EventData`. The change is already
/// committed, so a failure to publish is logged, not returned: the caller's request succeeded.
pub async fn endpoint_changed(
    publisher: &Publisher,
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
    if let Err(err) = publish(publisher, event_type, None, data).await {
        tracing::warn!(error = %err, endpoint = %endpoint.id, event_type, "publishing an endpoint event failed");
    }
}
