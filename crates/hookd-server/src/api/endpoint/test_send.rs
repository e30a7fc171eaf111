//! `POST /api/v1/app/{app_id}/endpoint/{endpoint_id}/test` (hookd's extension): sends one
//! realistic test event to the endpoint now and answers with what the receiver said (the
//! seeds' "Test Shop Webhook" and "send test").
//!
//! The request is the real one — the same URL, headers, authentication, envelope and timeout
//! as a delivery, built by `worker::request` and sent by the workers' sender with its address
//! guard — with the `eventType` given and its `payload` (else the event type's schema example,
//! as `send-example` takes it; `svix.ping` sends `{"success": true}`). Unlike `send-example`
//! it is not queued: nothing is stored, nothing is retried, and the answer waits for the
//! receiver (at most the endpoint's timeout). That makes it the one API route that talks to a
//! receiver itself, which is its purpose; it must not write to the store.

use axum::{extract::State, Json};
use hookd_core::{id::MsgId, model::Message, validate};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use utoipa::ToSchema;

use super::example::example_payload;
use crate::{
    api::{
        extract::{ApiJson, ApiPath},
        load_app, load_endpoint,
        schema::{
            AppPath, BadRequest, EndpointPath, Errors, IdempotencyKey, PayloadTooLarge, Unavailable,
        },
    },
    error::{ApiError, ApiResult, ValidationItem},
    worker::{self, http::Sender, request},
    AppState,
};

/// hookd's `EndpointTestIn`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[serde(deny_unknown_fields)]
pub struct EndpointTestIn {
    /// The event type the test event carries.
    #[schema(
        min_length = 1,
        max_length = 256,
        pattern = r"^[a-zA-Z0-9\-_.]+$",
        example = "user.signup"
    )]
    event_type: String,
    /// The payload (a JSON object); absent, the event type's schema example is sent.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    payload: Option<Box<RawValue>>,
}

/// What the receiver made of the test event.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EndpointTestOut {
    /// Whether the endpoint's success rule counts the answer as delivered.
    success: bool,
    /// The HTTP status, or 0 when no answer came.
    response_status_code: i16,
    /// The answer's body (truncated), or why there was none.
    response: String,
    /// How long it took.
    response_duration_ms: i64,
    /// Where it went (query secrets redacted).
    url: String,
    /// The `webhook-id` it carried (when the endpoint signs with Standard Webhooks).
    msg_id: String,
    /// The exact body that was sent.
    body: String,
}

/// `POST …/test`: 200 with the outcome, whether the receiver accepted it or not.
#[utoipa::path(
    post,
    path = "/api/v1/app/{app_id}/endpoint/{endpoint_id}/test",
    operation_id = "hookd.endpoint.test",
    tag = "Endpoint",
    summary = "Send Test Event",
    description = "hookd's extension: sends one event to the endpoint now, exactly as a \
                   delivery would be sent, waits for the answer and reports it. Nothing is \
                   stored or retried.",
    params(AppPath, EndpointPath, IdempotencyKey),
    request_body = EndpointTestIn,
    responses(
        (status = 200, description = "The outcome, whether the receiver accepted the event or not", body = EndpointTestOut),
        BadRequest, Errors, PayloadTooLarge, Unavailable
    )
)]
pub async fn test(
    State(state): State<AppState>,
    ApiPath((app_id, endpoint_id)): ApiPath<(String, String)>,
    ApiJson(input): ApiJson<EndpointTestIn>,
) -> ApiResult<Json<EndpointTestOut>> {
    validate::key(
        &["body", "eventType"],
        &input.event_type,
        validate::MAX_KEY_LEN,
    )?;
    if let Some(p) = &input.payload {
        if !p.get().trim_start().starts_with('{') {
            return Err(ApiError::Validation(vec![ValidationItem::value(
                &["body", "payload"],
                "Payload must be an object.",
            )]));
        }
    }
    let app = load_app(&state, &app_id).await?;
    let ep = load_endpoint(&state, &app, &endpoint_id).await?;
    let payload = match input.payload {
        Some(p) => p.get().to_owned(),
        None => example_payload(&state, &input.event_type).await?,
    };
    let now = state.clock.now();
    let msg = Message {
        id: MsgId::generate(now, &mut rand::thread_rng()),
        app_id: app.id.clone(),
        event_id: None,
        event_type: input.event_type,
        payload: Some(payload),
        channels: None,
        // Never stored: the test send keeps nothing.
        payload_expires_at: None,
        created_at: now,
        extras: Default::default(),
    };
    let envelope = worker::envelope_for(state.directory.as_ref(), &ep, &msg.event_type).await?;
    let out = request::build(
        &ep,
        &msg,
        envelope.as_ref(),
        now,
        state.config.request_timeout,
    )
    .map_err(|e| ApiError::bad_request("invalid_endpoint", e.to_string()))?;
    let sender = Sender::new(&state.config).map_err(|e| ApiError::Internal(Box::new(e)))?;
    let report = sender.send(&out, |s| ep.options.is_success(s)).await;
    Ok(Json(EndpointTestOut {
        success: report.success,
        response_status_code: report.status_code,
        response: report.response,
        response_duration_ms: report.duration_ms,
        url: out.display_url,
        msg_id: msg.id.to_string(),
        body: out.body,
    }))
}
