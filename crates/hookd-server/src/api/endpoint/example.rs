//! `POST /api/v1/app/{app_id}/endpoint/{endpoint_id}/send-example`: publishes an example message
//! of an event type to this one endpoint, whatever its filters, and wakes the workers.
//!
//! The payload is entry `exampleIndex` (default the first) of `examples` in the event type's
//! schema (version `"1"` first, as Svix reads it, then any other version that has examples); an
//! index past the last example is a 422 naming `exampleIndex`. The special type `svix.ping` needs no event type
//! and sends `{"success": true}`. An event type without an example is refused with Svix's 400
//! `invalid_scheme`.
//!
//! The open-source document answers 200, the cloud document (from which Svix's SDKs are
//! generated) 202, and the 1.x SDKs accept nothing else; see [`crate::api::client`]. Svix SDKs
//! therefore get 202 and everyone else 200. This module must not deliver the message itself.

use axum::{
    extract::State,
    http::{HeaderMap, StatusCode},
    Json,
};
use hookd_core::{id::MsgId, model::Message, validate};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::{
    api::{
        client::svix_sdk_major,
        extract::{ApiJson, ApiPath},
        load_app, load_endpoint,
        message::MessageOut,
        schema::{
            AppPath, BadRequest, EndpointPath, Errors, IdempotencyKey, PayloadTooLarge, Unavailable,
        },
    },
    error::{ApiError, ApiResult},
    AppState,
};

/// Svix's ping event type, which exists without being in the catalogue.
const PING_EVENT_TYPE: &str = "svix.ping";
/// What a ping carries.
const PING_PAYLOAD: &str = r#"{"success": true}"#;
/// The schema version Svix takes examples from.
const PREFERRED_SCHEMA_VERSION: &str = "1";

/// Svix's `EventExampleIn`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[serde(deny_unknown_fields)]
pub struct EventExampleIn {
    /// The event type whose schema example is sent (`svix.ping` sends `{"success": true}`).
    #[schema(
        min_length = 1,
        max_length = 256,
        pattern = r"^[a-zA-Z0-9\-_.]+$",
        example = "user.signup"
    )]
    event_type: String,
    /// Which of the schema's examples to send, from 0 (the default).
    #[serde(default, deserialize_with = "hookd_core::integral::optional")]
    #[schema(minimum = 0, default = 0)]
    example_index: Option<u64>,
}

/// The examples of the preferred schema version, else of the first version that has any.
fn examples_of(schemas: &serde_json::Value) -> Option<&[serde_json::Value]> {
    fn examples(schema: &serde_json::Value) -> Option<&[serde_json::Value]> {
        schema
            .get("examples")
            .and_then(serde_json::Value::as_array)
            .map(Vec::as_slice)
            .filter(|examples| !examples.is_empty())
    }
    let versions = schemas.as_object()?;
    versions
        .get(PREFERRED_SCHEMA_VERSION)
        .and_then(examples)
        .or_else(|| versions.values().find_map(examples))
}

/// The example payload of `event_type` (see the module docs); also what a test send sends when
/// it is given no payload.
pub(crate) async fn example_payload(state: &AppState, event_type: &str) -> ApiResult<String> {
    indexed_example_payload(state, event_type, 0).await
}

/// Example `index` of `event_type`'s schema (see the module docs).
async fn indexed_example_payload(
    state: &AppState,
    event_type: &str,
    index: u64,
) -> ApiResult<String> {
    if event_type == PING_EVENT_TYPE {
        return Ok(PING_PAYLOAD.to_owned());
    }
    let et = state
        .directory
        .get_event_type(event_type)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let no_example = || {
        ApiError::bad_request(
            "invalid_scheme",
            "Unable to generate example message from event-type schema",
        )
    };
    let examples = et
        .schemas
        .as_ref()
        .and_then(examples_of)
        .ok_or_else(no_example)?;
    let example = usize::try_from(index)
        .ok()
        .and_then(|i| examples.get(i))
        .ok_or_else(|| {
            ApiError::invalid(
                &["body", "exampleIndex"],
                format!(
                    "the event type's schema has {} example(s), numbered from 0",
                    examples.len()
                ),
            )
        })?
        .clone();
    let example = Some(example)
        .filter(serde_json::Value::is_object)
        .ok_or_else(no_example)?;
    serde_json::to_string(&example).map_err(|e| ApiError::Internal(Box::new(e)))
}

/// `POST …/send-example`: 200 (202 for Svix SDKs) with the published message.
#[utoipa::path(
    post,
    path = "/api/v1/app/{app_id}/endpoint/{endpoint_id}/send-example",
    operation_id = "v1.endpoint.send-example",
    tag = "Endpoint",
    summary = "Send Event Type Example Message",
    description = "Send an example message for an event type to this endpoint, whatever its \
                   filters. Answers 200, or 202 to Svix SDKs (`User-Agent: svix-libs/…`), \
                   whose generated code expects the cloud document's 202.",
    params(AppPath, EndpointPath, IdempotencyKey),
    request_body = EventExampleIn,
    responses(
        (status = 200, description = "The published message", body = MessageOut),
        (status = 202, description = "The published message (to Svix SDKs)", body = MessageOut),
        BadRequest, Errors, PayloadTooLarge, Unavailable
    )
)]
pub async fn send_example(
    State(state): State<AppState>,
    ApiPath((app_id, endpoint_id)): ApiPath<(String, String)>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<EventExampleIn>,
) -> ApiResult<(StatusCode, Json<MessageOut>)> {
    validate::key(
        &["body", "eventType"],
        &input.event_type,
        validate::MAX_KEY_LEN,
    )?;
    let app = load_app(&state, &app_id).await?;
    let ep = load_endpoint(&state, &app, &endpoint_id).await?;
    let payload = indexed_example_payload(
        &state,
        &input.event_type,
        input.example_index.unwrap_or_default(),
    )
    .await?;
    let now = state.clock.now();
    let msg = Message {
        id: MsgId::generate(now, &mut rand::thread_rng()),
        app_id: app.id.clone(),
        event_id: None,
        event_type: input.event_type,
        payload: Some(payload),
        channels: None,
        payload_expires_at: Some(state.config.payload_expiry(now, None)),
        created_at: now,
        extras: Default::default(),
    };
    state.engine.publish_to(&msg, &ep.id).await?;
    let status = if svix_sdk_major(&headers).is_some() {
        StatusCode::ACCEPTED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(MessageOut::new(msg, true)?)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn examples_come_from_version_one_first() {
        let s = json!({"2": {"examples": [{"v": 2}]}, "1": {"examples": [{"v": 1}, {"v": 11}]}});
        assert_eq!(
            examples_of(&s),
            Some(&[json!({"v": 1}), json!({"v": 11})][..])
        );
        let s = json!({"2": {"examples": [{"v": 2}]}, "1": {"examples": []}});
        assert_eq!(examples_of(&s), Some(&[json!({"v": 2})][..]));
        assert_eq!(examples_of(&json!({"1": {"type": "object"}})), None);
    }
}
