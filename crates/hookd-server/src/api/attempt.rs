//! Message attempts and deliveries (Svix's "message-attempt" resource): attempts by endpoint and
//! by message, one attempt, expunging an attempt's response, the destinations a message was
//! sent to (`MessageEndpointOut`), the messages an endpoint was sent (`EndpointMessageOut`), and
//! resending a message to an endpoint.
//!
//! Lists of attempts and messages are newest first, as in Svix; destinations are by endpoint
//! id. This module must not make attempts: a resend only makes a delivery due and wakes the
//! workers.

use axum::{extract::State, http::StatusCode, Json};
use hookd_core::{
    id::AttemptId,
    model::{Attempt, Delivery, Endpoint, Message},
    page::Order,
    store::{AttemptFilter, DeliveryFilter, MessageFilter},
};
use serde::Serialize;

use super::{
    endpoint::EndpointCommon,
    extract::{path_key, ApiPath, QueryParams},
    load_app, load_endpoint, load_message,
    message::MessageOut,
    wire::{ts, ListResponse},
};
use crate::{
    error::{ApiError, ApiResult},
    AppState,
};

/// What Svix shows in place of a response body that was expunged.
const EXPUNGED_RESPONSE: &str = "EXPUNGED";
/// What Svix shows in place of a response body when `with_content=false`.
const OMITTED_RESPONSE: &str = "{}";

/// Svix's `MessageAttemptOut`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageAttemptOut {
    url: String,
    response: String,
    response_status_code: i16,
    response_duration_ms: i64,
    status: u8,
    status_text: &'static str,
    trigger_type: u8,
    msg_id: String,
    endpoint_id: String,
    id: String,
    timestamp: String,
}

impl MessageAttemptOut {
    fn new(a: Attempt, with_content: bool) -> Self {
        let response = match (a.response, with_content) {
            (_, false) => OMITTED_RESPONSE.to_owned(),
            (Some(r), true) => r,
            (None, true) => EXPUNGED_RESPONSE.to_owned(),
        };
        Self {
            url: a.url,
            response,
            response_status_code: a.response_status_code,
            response_duration_ms: a.response_duration_ms,
            status: a.status.code(),
            status_text: a.status.text(),
            trigger_type: a.trigger_type.code(),
            msg_id: a.msg_id.to_string(),
            endpoint_id: a.endpoint_id.to_string(),
            id: a.id.to_string(),
            timestamp: ts(a.created_at),
        }
    }
}

/// When a delivery is next attempted, if it waits for one.
fn next_attempt(d: &Delivery) -> Option<String> {
    d.next_attempt_at.filter(|_| d.state.is_claimable()).map(ts)
}

/// Svix's `MessageEndpointOut`: an endpoint a message was sent to, with the delivery's status.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageEndpointOut {
    #[serde(flatten)]
    endpoint: EndpointCommon,
    status: u8,
    status_text: &'static str,
    next_attempt: Option<String>,
}

impl MessageEndpointOut {
    fn new(ep: &Endpoint, d: &Delivery) -> Self {
        let status = d.state.message_status();
        Self {
            endpoint: EndpointCommon::from(ep),
            status: status.code(),
            status_text: status.text(),
            next_attempt: next_attempt(d),
        }
    }
}

/// Svix's `EndpointMessageOut`: a message sent to an endpoint, with the delivery's status.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointMessageOut {
    #[serde(flatten)]
    msg: MessageOut,
    status: u8,
    status_text: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_attempt: Option<String>,
}

/// The filters shared by the attempt lists.
fn attempt_filter(query: &QueryParams) -> ApiResult<AttemptFilter> {
    Ok(AttemptFilter {
        message: MessageFilter {
            before: query.timestamp("before")?,
            after: query.timestamp("after")?,
            channel: query.channel()?,
            event_types: query.event_types()?,
        },
        status: query.message_status("status")?,
        status_code_class: query.status_code_class("status_code_class")?,
        endpoint_id: None,
    })
}

/// `GET /api/v1/app/{app_id}/attempt/endpoint/{endpoint_id}`.
pub async fn list_by_endpoint(
    State(state): State<AppState>,
    ApiPath((app_id, endpoint_id)): ApiPath<(String, String)>,
    query: QueryParams,
) -> ApiResult<Json<ListResponse<MessageAttemptOut>>> {
    let q = query.list_query(Order::Descending, false)?;
    let filter = attempt_filter(&query)?;
    let with_content = query.bool("with_content", true)?;
    let app = load_app(&state, &app_id).await?;
    let ep = load_endpoint(&state, &app, &endpoint_id).await?;
    let page = state
        .store
        .list_attempts_by_endpoint(&app.id, &ep.id, &filter, &q)
        .await?;
    Ok(Json(ListResponse::from_page(page, |a| {
        MessageAttemptOut::new(a, with_content)
    })))
}

/// `GET /api/v1/app/{app_id}/attempt/msg/{msg_id}`, optionally for one `endpoint_id`.
pub async fn list_by_msg(
    State(state): State<AppState>,
    ApiPath((app_id, msg_id)): ApiPath<(String, String)>,
    query: QueryParams,
) -> ApiResult<Json<ListResponse<MessageAttemptOut>>> {
    let q = query.list_query(Order::Descending, false)?;
    let mut filter = attempt_filter(&query)?;
    let with_content = query.bool("with_content", true)?;
    let app = load_app(&state, &app_id).await?;
    let msg = load_message(&state, &app, &msg_id).await?;
    if let Some(endpoint_id) = query.get("endpoint_id") {
        path_key("endpoint_id", endpoint_id)
            .map_err(|_| ApiError::invalid(&["query", "endpoint_id"], "invalid endpoint id"))?;
        filter.endpoint_id = Some(load_endpoint(&state, &app, endpoint_id).await?.id);
    }
    let page = state
        .store
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
        .store
        .get_attempt(&app.id, &msg.id, &AttemptId::from_trusted(attempt_id))
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok((msg, attempt))
}

/// `GET /api/v1/app/{app_id}/msg/{msg_id}/attempt/{attempt_id}`.
pub async fn get(
    State(state): State<AppState>,
    ApiPath((app_id, msg_id, attempt_id)): ApiPath<(String, String, String)>,
) -> ApiResult<Json<MessageAttemptOut>> {
    let (_, attempt) = load_attempt(&state, &app_id, &msg_id, &attempt_id).await?;
    Ok(Json(MessageAttemptOut::new(attempt, true)))
}

/// `DELETE /api/v1/app/{app_id}/msg/{msg_id}/attempt/{attempt_id}/content`. 204.
pub async fn expunge_content(
    State(state): State<AppState>,
    ApiPath((app_id, msg_id, attempt_id)): ApiPath<(String, String, String)>,
) -> ApiResult<StatusCode> {
    let (msg, attempt) = load_attempt(&state, &app_id, &msg_id, &attempt_id).await?;
    if state
        .store
        .expunge_attempt_content(&msg.app_id, &msg.id, &attempt.id)
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found())
    }
}

/// `GET /api/v1/app/{app_id}/msg/{msg_id}/endpoint`: where the message went, by endpoint id.
pub async fn list_attempted_destinations(
    State(state): State<AppState>,
    ApiPath((app_id, msg_id)): ApiPath<(String, String)>,
    query: QueryParams,
) -> ApiResult<Json<ListResponse<MessageEndpointOut>>> {
    let q = query.list_query(Order::Ascending, false)?;
    let app = load_app(&state, &app_id).await?;
    let msg = load_message(&state, &app, &msg_id).await?;
    let page = state
        .store
        .list_message_deliveries(&app.id, &msg.id, &q)
        .await?;
    Ok(Json(ListResponse::from_page(page, |(ep, d)| {
        MessageEndpointOut::new(&ep, &d)
    })))
}

/// `GET /api/v1/app/{app_id}/endpoint/{endpoint_id}/msg`: what the endpoint was sent, newest
/// first, with each delivery's status.
pub async fn list_attempted_messages(
    State(state): State<AppState>,
    ApiPath((app_id, endpoint_id)): ApiPath<(String, String)>,
    query: QueryParams,
) -> ApiResult<Json<ListResponse<EndpointMessageOut>>> {
    let q = query.list_query(Order::Descending, false)?;
    let with_content = query.bool("with_content", true)?;
    let filter = DeliveryFilter {
        message: MessageFilter {
            before: query.timestamp("before")?,
            after: query.timestamp("after")?,
            channel: query.channel()?,
            event_types: query.event_types()?,
        },
        status: query.message_status("status")?,
    };
    let app = load_app(&state, &app_id).await?;
    let ep = load_endpoint(&state, &app, &endpoint_id).await?;
    let page = state
        .store
        .list_endpoint_deliveries(&app.id, &ep.id, &filter, &q)
        .await?;
    Ok(Json(ListResponse::try_from_page(page, |(msg, d)| {
        let status = d.state.message_status();
        Ok(EndpointMessageOut {
            next_attempt: next_attempt(&d),
            msg: MessageOut::new(msg, with_content)?,
            status: status.code(),
            status_text: status.text(),
        })
    })?))
}

/// `POST /api/v1/app/{app_id}/msg/{msg_id}/endpoint/{endpoint_id}/resend`: 202 `{}`.
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
        .store
        .resend(&app.id, &msg.id, &ep.id, state.clock.now())
        .await?;
    state.wake.notify_one();
    Ok((StatusCode::ACCEPTED, Json(serde_json::json!({}))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hookd_core::delivery::DeliveryState;

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
