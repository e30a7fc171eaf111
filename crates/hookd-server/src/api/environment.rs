//! `POST /api/v1/environment/export` and `POST /api/v1/environment/import` (Svix's): the
//! organisation's configuration as one JSON document, to copy it between environments.
//!
//! hookd's configuration that these carry is its event type catalogue (archived types
//! included). hookd has no organisation settings and no connectors: an export shows
//! `settings: null` and `connectors: []`, and an import that carries either (non-empty) is
//! refused with a 422 naming it, rather than dropping it. An import adds and updates, never
//! deletes: each event type is written exactly as `PUT /api/v1/event-type/{name}` writes it,
//! in order, after all of them were checked. This module must not touch anything but event
//! types.

use axum::{extract::State, http::StatusCode, Json};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::{
    api::{
        event_type::{self, EventTypeIn, EventTypeOut, EventTypeUpdate},
        extract::{parse_json_at, ApiJson, ApiPath},
        schema::{BadRequest, Errors, IdempotencyKey, PayloadTooLarge, Unavailable},
        wire::ts,
    },
    error::{ApiError, ApiResult},
    AppState,
};

/// The version of the document's shape, so a later hookd can read an older export.
const EXPORT_VERSION: i64 = 1;

/// The read-only fields of an exported event type (`EventTypeOut`), which an import reads and
/// drops so that an export can be imported as it is: the imported types get this
/// environment's own times. Any other name an `EventTypeIn` does not have is refused.
const EXPORTED_TIMES: [&str; 2] = ["createdAt", "updatedAt"];

/// Svix's `EnvironmentOut`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentOut {
    /// The document's shape version.
    version: i64,
    /// When it was exported.
    #[schema(format = DateTime)]
    created_at: String,
    /// Every event type, archived ones included.
    event_types: Vec<EventTypeOut>,
    /// Always `null`: hookd has no organisation settings.
    #[schema(value_type = Option<Object>)]
    settings: Option<Value>,
    /// Always empty: hookd has no connectors.
    #[schema(value_type = Vec<Object>)]
    connectors: Vec<Value>,
}

/// Svix's `EnvironmentIn`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnvironmentIn {
    /// Event types to create or update (Svix's `EventTypeIn`s; an exported type's `createdAt`
    /// and `updatedAt` are read and dropped, so an export imports as it is).
    #[serde(default)]
    #[schema(value_type = Option<Vec<EventTypeIn>>)]
    event_types: Option<Vec<Map<String, Value>>>,
    /// Refused unless empty: hookd has no organisation settings.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    settings: Option<Map<String, Value>>,
    /// Refused unless empty: hookd has no connectors.
    #[serde(default)]
    #[schema(value_type = Option<Vec<Object>>)]
    connectors: Option<Vec<Value>>,
}

/// `POST /api/v1/environment/export`.
#[utoipa::path(
    post,
    path = "/api/v1/environment/export",
    operation_id = "v1.environment.export",
    tag = "Environment",
    summary = "Export Environment Configuration",
    description = "Every event type (archived ones included) as one document that \
                   `environment/import` reads. hookd has no organisation settings or \
                   connectors: `settings` is null and `connectors` empty.",
    params(IdempotencyKey),
    responses((status = 200, body = EnvironmentOut), BadRequest, Errors, Unavailable)
)]
pub async fn export(State(state): State<AppState>) -> ApiResult<Json<EnvironmentOut>> {
    let state = &state;
    let event_types: Vec<EventTypeOut> =
        super::every(|q| async move { state.directory.list_event_types(true, &q).await })
            .await?
            .into_iter()
            .map(EventTypeOut::from)
            .collect();
    Ok(Json(EnvironmentOut {
        version: EXPORT_VERSION,
        created_at: ts(state.clock.now()),
        event_types,
        settings: None,
        connectors: Vec::new(),
    }))
}

/// `POST /api/v1/environment/import`: 204.
#[utoipa::path(
    post,
    path = "/api/v1/environment/import",
    operation_id = "v1.environment.import",
    tag = "Environment",
    summary = "Import Environment Configuration",
    description = "Creates or updates the given event types (as `PUT /api/v1/event-type/{name}` \
                   does); deletes nothing. An exported type's `createdAt` and `updatedAt` are \
                   dropped (the types get this environment's times). Non-empty `settings` or \
                   `connectors` are refused: hookd has neither.",
    params(IdempotencyKey),
    request_body = EnvironmentIn,
    responses((status = 204, description = "Imported"), BadRequest, Errors, PayloadTooLarge, Unavailable)
)]
pub async fn import(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<EnvironmentIn>,
) -> ApiResult<StatusCode> {
    if input.settings.is_some_and(|s| !s.is_empty()) {
        return Err(ApiError::invalid(
            &["body", "settings"],
            "hookd has no organisation settings to import",
        ));
    }
    if input.connectors.is_some_and(|c| !c.is_empty()) {
        return Err(ApiError::invalid(
            &["body", "connectors"],
            "hookd has no connectors to import",
        ));
    }
    // Parse every event type before writing any, so a malformed one writes nothing.
    let mut parsed = Vec::new();
    for (i, mut item) in input
        .event_types
        .unwrap_or_default()
        .into_iter()
        .enumerate()
    {
        let index = i.to_string();
        let name = item.remove("name");
        for read_only in EXPORTED_TIMES {
            item.remove(read_only);
        }
        // The fields first, so that an unknown name is refused by name whatever else is wrong.
        let bytes = serde_json::to_vec(&item).map_err(|e| ApiError::Internal(Box::new(e)))?;
        let update: EventTypeUpdate = parse_json_at(&bytes, &["body", "eventTypes", &index])?;
        let Some(Value::String(name)) = name else {
            return Err(ApiError::invalid(
                &["body", "eventTypes", &index, "name"],
                "field required",
            ));
        };
        parsed.push((name, update));
    }
    for (name, update) in parsed {
        let _written =
            event_type::upsert(State(state.clone()), ApiPath(name), ApiJson(update)).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}
