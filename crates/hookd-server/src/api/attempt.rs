//! Message attempts and deliveries (Svix's "message-attempt" resource): attempts by endpoint and
//! by message, one attempt, expunging an attempt's response, the destinations a message was
//! sent to (`MessageEndpointOut`), the messages an endpoint was sent (`EndpointMessageOut`), and
//! resending a message to an endpoint.
//!
//! Lists of attempts and messages are newest first, as in Svix; destinations are by endpoint
//! id. This module must not make attempts: a resend only makes a delivery due and wakes the
//! workers.

use axum::{extract::State, http::StatusCode, Json};
use std::collections::HashMap;

use hookd_core::{
    delivery::DeliveryState,
    id::AttemptId,
    model::{Attempt, Delivery, Endpoint, Message, SentBody},
    page::Order,
    store::{AttemptFilter, DeliveryFilter, MessageFilter},
};
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

use super::{
    endpoint::EndpointCommon,
    extract::{path_key, ApiPath, QueryParams},
    load_app, load_endpoint, load_message,
    message::MessageOut,
    schema::{
        AppPath, AttemptPath, BadRequest, EmptyResponse, EndpointPath, Errors, ExpandedStatuses,
        IdempotencyKey, MessageAttemptTriggerType, MessageFilters, MessageStatus,
        MessageStatusExpanded, MessageStatusText, MessageStatusTextExpanded, MsgPath, Pagination,
        StatusCodeClassFilter, StatusFilter, Unavailable, WithContent, WithMsg,
    },
    wire::{ts, ListResponse},
};
use crate::{
    error::{ApiError, ApiResult},
    AppState,
};

mod fields;

pub use fields::*;

/// `GET /api/v1/app/{app_id}/attempt/endpoint/{endpoint_id}`.
#[utoipa::path(
    get,
    path = "/api/v1/app/{app_id}/attempt/endpoint/{endpoint_id}",
    operation_id = "v1.message-attempt.list-by-endpoint",
    tag = "Message Attempt",
    summary = "List Attempts By Endpoint",
    description = "List attempts by endpoint id, newest first.",
    params(AppPath, EndpointPath, Pagination, StatusFilter, StatusCodeClassFilter, MessageFilters, WithContent, WithMsg, ExpandedStatuses),
    responses((status = 200, body = ListMessageAttemptOut), Errors, Unavailable)
)]
pub async fn list_by_endpoint(
    State(state): State<AppState>,
    ApiPath((app_id, endpoint_id)): ApiPath<(String, String)>,
    query: QueryParams,
) -> ApiResult<Json<ListResponse<MessageAttemptOut>>> {
    let q = query.list_query(Order::Descending, false)?;
    let filter = attempt_filter(&query)?;
    let with_content = query.bool("with_content", true)?;
    let with_msg = query.bool("with_msg", false)?;
    expanded_statuses(&query)?;
    let app = load_app(&state, &app_id).await?;
    let ep = load_endpoint(&state, &app, &endpoint_id).await?;
    let page = state
        .history
        .list_attempts_by_endpoint(&app.id, &ep.id, &filter, &q)
        .await?;
    let mut out = ListResponse::from_page(page, |a| MessageAttemptOut::new(a, with_content));
    if with_msg {
        with_messages(&state, &app.id, &mut out.data).await?;
    }
    Ok(Json(out))
}

/// `GET /api/v1/app/{app_id}/attempt/msg/{msg_id}`, optionally for one `endpoint_id`.
#[utoipa::path(
    get,
    path = "/api/v1/app/{app_id}/attempt/msg/{msg_id}",
    operation_id = "v1.message-attempt.list-by-msg",
    tag = "Message Attempt",
    summary = "List Attempts By Msg",
    description = "List attempts by message id (or eventId), newest first.",
    params(AppPath, MsgPath, Pagination, StatusFilter, StatusCodeClassFilter, EndpointIdFilter, MessageFilters, WithContent, ExpandedStatuses),
    responses((status = 200, body = ListMessageAttemptOut), Errors, Unavailable)
)]
pub async fn list_by_msg(
    State(state): State<AppState>,
    ApiPath((app_id, msg_id)): ApiPath<(String, String)>,
    query: QueryParams,
) -> ApiResult<Json<ListResponse<MessageAttemptOut>>> {
    let q = query.list_query(Order::Descending, false)?;
    let mut filter = attempt_filter(&query)?;
    let with_content = query.bool("with_content", true)?;
    expanded_statuses(&query)?;
    let app = load_app(&state, &app_id).await?;
    let msg = load_message(&state, &app, &msg_id).await?;
    if let Some(endpoint_id) = query.get("endpoint_id") {
        path_key("endpoint_id", endpoint_id)
            .map_err(|_| ApiError::invalid(&["query", "endpoint_id"], "invalid endpoint id"))?;
        filter.endpoint_id = Some(load_endpoint(&state, &app, endpoint_id).await?.id);
    }
    let page = state
        .history
        .list_attempts_by_msg(&app.id, &msg.id, &filter, &q)
        .await?;
    Ok(Json(ListResponse::from_page(page, |a| {
        MessageAttemptOut::new(a, with_content)
    })))
}

async fn load_attempt(
    state: &AppState,
    app_id: &str,
    msg_id: &str,
    attempt_id: &str,
) -> ApiResult<(Message, Attempt)> {
    path_key("attempt_id", attempt_id)?;
    let app = load_app(state, app_id).await?;
    let msg = load_message(state, &app, msg_id).await?;
    let attempt = state
        .history
        .get_attempt(&app.id, &msg.id, &AttemptId::from_trusted(attempt_id))
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok((msg, attempt))
}

/// `GET /api/v1/app/{app_id}/msg/{msg_id}/attempt/{attempt_id}`.
#[utoipa::path(
    get,
    path = "/api/v1/app/{app_id}/msg/{msg_id}/attempt/{attempt_id}",
    operation_id = "v1.message-attempt.get",
    tag = "Message Attempt",
    summary = "Get Messageattempt",
    description = "Get a message attempt by id.",
    params(AppPath, MsgPath, AttemptPath, ExpandedStatuses),
    responses((status = 200, body = MessageAttemptOut), Errors, Unavailable)
)]
pub async fn get(
    State(state): State<AppState>,
    ApiPath((app_id, msg_id, attempt_id)): ApiPath<(String, String, String)>,
    query: QueryParams,
) -> ApiResult<Json<MessageAttemptOut>> {
    expanded_statuses(&query)?;
    let (_, attempt) = load_attempt(&state, &app_id, &msg_id, &attempt_id).await?;
    Ok(Json(MessageAttemptOut::new(attempt, true)))
}

/// One header of a recorded request.
#[derive(Debug, Serialize, ToSchema)]
pub struct SentHeaderOut {
    /// The header name, lower case.
    name: String,
    /// Its value, or `••••••` for a secret.
    value: String,
}

/// hookd's `SentRequestOut`: what an attempt sent, as recorded with it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SentRequestOut {
    /// Whether the attempt recorded its request; `false` for attempts recorded before hookd
    /// kept requests, and for attempts that failed before a request could be built.
    recorded: bool,
    /// Always `POST`.
    #[schema(example = "POST")]
    method: &'static str,
    /// Where it went (query secrets `REDACTED`).
    url: String,
    /// Every header sent, in order, secret values masked.
    headers: Vec<SentHeaderOut>,
    /// The body sent: recorded with the attempt when it was not the message's payload byte
    /// for byte (an envelope's rendering), else the payload itself; `null` when it cannot be
    /// shown (see `bodyNote`).
    body: Option<String>,
    /// Whether `body` is only the beginning of what was sent: recorded bodies are kept up to
    /// the size kept of response bodies (16 KiB).
    body_truncated: bool,
    /// Why `body` is `null`, or what to know about it.
    body_note: Option<String>,
}

/// `GET /api/v1/app/{app_id}/msg/{msg_id}/attempt/{attempt_id}/request`.
#[utoipa::path(
    get,
    path = "/api/v1/app/{app_id}/msg/{msg_id}/attempt/{attempt_id}/request",
    operation_id = "hookd.message-attempt.request",
    tag = "hookd",
    summary = "Get Attempt Request",
    description = "hookd's extension: the request an attempt sent, as recorded with it \
                   (headers with secret values masked, and the body). A body that was the \
                   message's payload byte for byte is not stored twice and is answered from \
                   the payload; any other body (an envelope's rendering) was recorded as sent, \
                   up to the response body limit. Expunging the attempt or the message, or \
                   the payload's expiry, removes the body.",
    params(AppPath, MsgPath, AttemptPath),
    responses((status = 200, body = SentRequestOut), Errors, Unavailable)
)]
pub async fn get_request(
    State(state): State<AppState>,
    ApiPath((app_id, msg_id, attempt_id)): ApiPath<(String, String, String)>,
) -> ApiResult<Json<SentRequestOut>> {
    let (msg, attempt) = load_attempt(&state, &app_id, &msg_id, &attempt_id).await?;
    let Some(sent) = attempt.request else {
        return Ok(Json(SentRequestOut {
            recorded: false,
            method: "POST",
            url: attempt.url,
            headers: Vec::new(),
            body: None,
            body_truncated: false,
            body_note: Some(
                "This attempt did not record its request (it predates request recording, or \
                 no request could be built)."
                    .into(),
            ),
        }));
    };
    let (body, body_truncated, body_note) = match sent.body {
        SentBody::Payload => match msg.payload {
            Some(payload) => (Some(payload), false, None),
            None => (
                None,
                false,
                Some("The message's payload was expunged or has expired.".to_owned()),
            ),
        },
        SentBody::Recorded { text, truncated } => {
            let note = truncated.then(|| {
                format!(
                    "Only the first {} bytes of the body were recorded.",
                    text.len()
                )
            });
            (Some(text), truncated, note)
        }
        SentBody::Removed => (
            None,
            false,
            Some(
                "The body was removed: the attempt or its message was expunged, or the \
                 payload expired."
                    .to_owned(),
            ),
        ),
    };
    Ok(Json(SentRequestOut {
        recorded: true,
        method: "POST",
        url: attempt.url,
        headers: sent
            .headers
            .into_iter()
            .map(|(name, value)| SentHeaderOut { name, value })
            .collect(),
        body,
        body_truncated,
        body_note,
    }))
}

/// `DELETE /api/v1/app/{app_id}/msg/{msg_id}/attempt/{attempt_id}/content`. 204.
#[utoipa::path(
    delete,
    path = "/api/v1/app/{app_id}/msg/{msg_id}/attempt/{attempt_id}/content",
    operation_id = "v1.message-attempt.expunge-content",
    tag = "Message Attempt",
    summary = "Expunge Attempt Content",
    description = "Deletes the given attempt's response body. Useful when an endpoint \
                   accidentally returned sensitive content. hookd also removes the request \
                   body the attempt recorded (its headers stay).",
    params(AppPath, MsgPath, AttemptPath),
    responses((status = 204, description = "Expunged"), Errors, Unavailable)
)]
pub async fn expunge_content(
    State(state): State<AppState>,
    ApiPath((app_id, msg_id, attempt_id)): ApiPath<(String, String, String)>,
) -> ApiResult<StatusCode> {
    let (msg, attempt) = load_attempt(&state, &app_id, &msg_id, &attempt_id).await?;
    if state
        .history
        .expunge_attempt_content(&msg.app_id, &msg.id, &attempt.id)
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found())
    }
}

/// `GET /api/v1/app/{app_id}/msg/{msg_id}/endpoint`: where the message went, by endpoint id.
#[utoipa::path(
    get,
    path = "/api/v1/app/{app_id}/msg/{msg_id}/endpoint",
    operation_id = "v1.message-attempt.list-attempted-destinations",
    tag = "Message Attempt",
    summary = "List Attempted Destinations",
    description = "List the endpoints a message was sent to, with the delivery's status.",
    params(AppPath, MsgPath, Pagination, ExpandedStatuses),
    responses((status = 200, body = ListMessageEndpointOut), Errors, Unavailable)
)]
pub async fn list_attempted_destinations(
    State(state): State<AppState>,
    ApiPath((app_id, msg_id)): ApiPath<(String, String)>,
    query: QueryParams,
) -> ApiResult<Json<ListResponse<MessageEndpointOut>>> {
    let q = query.list_query(Order::Ascending, false)?;
    let expanded = expanded_statuses(&query)?;
    let app = load_app(&state, &app_id).await?;
    let msg = load_message(&state, &app, &msg_id).await?;
    let page = state
        .history
        .list_message_deliveries(&app.id, &msg.id, &q)
        .await?;
    Ok(Json(ListResponse::from_page(page, |(ep, d)| {
        MessageEndpointOut::new(&ep, &d, expanded)
    })))
}

/// `GET /api/v1/app/{app_id}/endpoint/{endpoint_id}/msg`: what the endpoint was sent, newest
/// first, with each delivery's status.
#[utoipa::path(
    get,
    path = "/api/v1/app/{app_id}/endpoint/{endpoint_id}/msg",
    operation_id = "v1.message-attempt.list-attempted-messages",
    tag = "Message Attempt",
    summary = "List Attempted Messages",
    description = "List the messages sent to an endpoint, newest first, with the delivery's \
                   status.",
    params(AppPath, EndpointPath, Pagination, MessageFilters, StatusFilter, WithContent, ExpandedStatuses),
    responses((status = 200, body = ListEndpointMessageOut), Errors, Unavailable)
)]
pub async fn list_attempted_messages(
    State(state): State<AppState>,
    ApiPath((app_id, endpoint_id)): ApiPath<(String, String)>,
    query: QueryParams,
) -> ApiResult<Json<ListResponse<EndpointMessageOut>>> {
    let q = query.list_query(Order::Descending, false)?;
    let with_content = query.bool("with_content", true)?;
    let expanded = expanded_statuses(&query)?;
    let filter = DeliveryFilter {
        message: MessageFilter {
            before: query.timestamp("before")?,
            after: query.timestamp("after")?,
            channel: query.channel()?,
            event_types: query.event_types()?,
            tag: query.tag()?,
        },
        status: query.message_status("status")?,
    };
    let app = load_app(&state, &app_id).await?;
    let ep = load_endpoint(&state, &app, &endpoint_id).await?;
    let page = state
        .history
        .list_endpoint_deliveries(&app.id, &ep.id, &filter, &q)
        .await?;
    Ok(Json(ListResponse::try_from_page(page, |(msg, d)| {
        let (status, status_text) = shown_status(d.state, expanded);
        Ok(EndpointMessageOut {
            next_attempt: next_attempt(&d),
            msg: MessageOut::new(msg, with_content)?,
            status,
            status_text,
        })
    })?))
}

/// `POST /api/v1/app/{app_id}/msg/{msg_id}/endpoint/{endpoint_id}/resend`: 202 `{}`.
#[utoipa::path(
    post,
    path = "/api/v1/app/{app_id}/msg/{msg_id}/endpoint/{endpoint_id}/resend",
    operation_id = "v1.message-attempt.resend",
    tag = "Message Attempt",
    summary = "Resend Webhook",
    description = "Resend a message to the specified endpoint.",
    params(AppPath, MsgPath, EndpointPath, IdempotencyKey),
    responses(
        (status = 202, body = EmptyResponse),
        BadRequest, Errors, Unavailable
    )
)]
pub async fn resend(
    State(state): State<AppState>,
    ApiPath((app_id, msg_id, endpoint_id)): ApiPath<(String, String, String)>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    let app = load_app(&state, &app_id).await?;
    let msg = load_message(&state, &app, &msg_id).await?;
    if msg.payload.is_none() {
        return Err(ApiError::bad_request(
            "missing_payload",
            "Unable to resend message. Payload is missing (probably expired).",
        ));
    }
    let ep = load_endpoint(&state, &app, &endpoint_id).await?;
    state
        .queue
        .resend(&app.id, &msg.id, &ep.id, state.clock.now())
        .await?;
    state.engine.wake();
    Ok((StatusCode::ACCEPTED, Json(serde_json::json!({}))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_waiting_deliveries_report_a_next_attempt() {
        let now = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let mut d = Delivery {
            msg_id: hookd_core::id::MsgId::from_trusted("msg_x"),
            endpoint_id: hookd_core::id::EndpointId::from_trusted("ep_x"),
            app_id: hookd_core::id::AppId::from_trusted("app_x"),
            state: DeliveryState::RetryScheduled,
            attempts: 1,
            next_attempt_at: Some(now),
            trigger: hookd_core::delivery::TriggerType::Scheduled,
            created_at: now,
            updated_at: now,
        };
        assert!(next_attempt(&d).is_some());
        d.state = DeliveryState::Succeeded;
        assert!(next_attempt(&d).is_none());
    }
}
