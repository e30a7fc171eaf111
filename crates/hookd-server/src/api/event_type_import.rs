//! `POST /api/v1/event-type/import/openapi` (Svix's): an OpenAPI 3.1 document's webhooks
//! (`webhooks`, or the 3.0 extension `x-webhooks`) become event types.
//!
//! Each webhook is one event type: its key is the name; its operation (`post`, else the first
//! one) gives the description (`description`, else `summary`), `deprecated`, and the schema
//! of its JSON request body, with every local `$ref` (`#/components/…`) resolved in place so
//! that the stored schema stands alone; it is stored as version `"1"`. A type that exists is
//! updated (and unarchived, as Svix does); `replaceAll` archives every type the document does
//! not name; `dryRun` answers what would change (`to_modify`) and writes nothing.
//!
//! Refused with a 422 naming the field: `specRaw` that is not JSON (hookd has no YAML parser),
//! a `$ref` outside the document or one that refers back to itself, a name that is not a valid
//! event type name. Sending neither `spec` nor `specRaw`, or both, is a 400 as in Svix. This
//! module must not touch anything but event types.

use axum::{extract::State, Json};
use hookd_core::{model::EventType, validate};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use utoipa::ToSchema;

use crate::{
    api::{
        extract::ApiJson,
        schema::{BadRequest, Errors, IdempotencyKey, PayloadTooLarge, Unavailable},
    },
    error::{ApiError, ApiResult},
    AppState,
};

/// How deep `$ref`s may nest: far beyond any real schema, and a bound on the work a hostile
/// document can ask for.
const MAX_REF_DEPTH: usize = 64;
/// The schema version imported schemas are stored as (Svix's first version).
const SCHEMA_VERSION: &str = "1";

/// Svix's `EventTypeImportOpenApiIn`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EventTypeImportOpenApiIn {
    /// The OpenAPI document, as JSON.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    spec: Option<Map<String, Value>>,
    /// The OpenAPI document as text; hookd reads JSON only (YAML is refused with a 422).
    #[serde(default)]
    spec_raw: Option<String>,
    /// Archive every existing event type that the document does not name.
    #[serde(default)]
    replace_all: bool,
    /// Answer what would change, writing nothing.
    #[serde(default)]
    dry_run: bool,
}

/// Svix's `EventTypeFromOpenApi`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventTypeFromOpenApi {
    /// The event type's name.
    name: String,
    /// Its description.
    description: String,
    /// Its schemas by version.
    #[schema(value_type = Option<Object>)]
    schemas: Option<Value>,
    /// Whether it is deprecated.
    deprecated: bool,
}

/// Svix's `EventTypeImportOpenApiOutData`.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventTypeImportOpenApiOutData {
    /// The event types created, changed or archived (none on a dry run).
    modified: Vec<String>,
    /// On a dry run, the event types the document would create or change.
    #[serde(skip_serializing_if = "Option::is_none")]
    to_modify: Option<Vec<EventTypeFromOpenApi>>,
}

/// Svix's `EventTypeImportOpenApiOut`.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventTypeImportOpenApiOut {
    /// What was (or would be) done.
    data: EventTypeImportOpenApiOutData,
}

/// The 422 for the document at `path` (a JSON pointer into it).
fn bad_spec(path: &str, msg: impl Into<String>) -> ApiError {
    ApiError::invalid(&["body", "spec", path], msg)
}

/// `node` with every local `$ref` replaced by what it points to.
fn resolve(doc: &Value, node: &Value, seen: &mut Vec<String>) -> ApiResult<Value> {
    match node {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get("$ref") {
                let Some(pointer) = target.strip_prefix('#') else {
                    return Err(bad_spec(
                        target,
                        "only references into this document (#/…) can be resolved",
                    ));
                };
                if seen.contains(target) || seen.len() >= MAX_REF_DEPTH {
                    return Err(bad_spec(target, "this reference refers back to itself; an event type's schema must stand alone"));
                }
                let found = doc
                    .pointer(pointer)
                    .ok_or_else(|| bad_spec(target, "this reference points to nothing"))?;
                seen.push(target.clone());
                let resolved = resolve(doc, found, seen)?;
                seen.pop();
                return Ok(resolved);
            }
            let mut out = Map::with_capacity(map.len());
            for (k, v) in map {
                out.insert(k.clone(), resolve(doc, v, seen)?);
            }
            Ok(Value::Object(out))
        }
        Value::Array(items) => items
            .iter()
            .map(|v| resolve(doc, v, seen))
            .collect::<ApiResult<Vec<_>>>()
            .map(Value::Array),
        other => Ok(other.clone()),
    }
}

/// The event types the document's webhooks describe.
fn event_types_of(doc: &Value) -> ApiResult<Vec<EventTypeFromOpenApi>> {
    let webhooks = doc
        .get("webhooks")
        .or_else(|| doc.get("x-webhooks"))
        .and_then(Value::as_object)
        .ok_or_else(|| {
            bad_spec(
                "webhooks",
                "the document has no webhooks (or x-webhooks) object",
            )
        })?;
    let mut out = Vec::with_capacity(webhooks.len());
    for (name, item) in webhooks {
        validate::key(
            &["body", "spec", "webhooks", name],
            name,
            validate::MAX_KEY_LEN,
        )?;
        let item = resolve(doc, item, &mut Vec::new())?;
        let op = item
            .get("post")
            .or_else(|| {
                item.as_object()
                    .and_then(|m| m.values().find(|v| v.is_object()))
            })
            .cloned()
            .unwrap_or(Value::Null);
        let text = |key: &str| op.get(key).and_then(Value::as_str).map(str::to_owned);
        let schema = op
            .pointer("/requestBody/content/application~1json/schema")
            .filter(|s| s.is_object())
            .cloned();
        out.push(EventTypeFromOpenApi {
            name: name.clone(),
            description: text("description")
                .or_else(|| text("summary"))
                .unwrap_or_default(),
            schemas: schema.map(|s| json!({ SCHEMA_VERSION: s })),
            deprecated: op
                .get("deprecated")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        });
    }
    Ok(out)
}

/// Every event type in the catalogue, archived ones included.
async fn all_event_types(state: &AppState) -> ApiResult<Vec<EventType>> {
    super::every(|q| async move { state.directory.list_event_types(true, &q).await }).await
}

/// `POST /api/v1/event-type/import/openapi`.
#[utoipa::path(
    post,
    path = "/api/v1/event-type/import/openapi",
    operation_id = "v1.event-type.import-openapi",
    tag = "Event Type",
    summary = "Event Type Import From OpenAPI",
    description = "Given an OpenAPI document, creates the event types its webhooks describe \
                   (or updates and unarchives those that exist), with their request bodies' \
                   JSON schemas (local `$ref`s resolved) as version 1. `specRaw` must be JSON. \
                   `replaceAll` archives the event types the document does not name; \
                   `dryRun` answers what would change and writes nothing.",
    params(IdempotencyKey),
    request_body = EventTypeImportOpenApiIn,
    responses((status = 200, body = EventTypeImportOpenApiOut), BadRequest, Errors, PayloadTooLarge, Unavailable)
)]
pub async fn import_openapi(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<EventTypeImportOpenApiIn>,
) -> ApiResult<Json<EventTypeImportOpenApiOut>> {
    let doc = match (input.spec, input.spec_raw) {
        (Some(spec), None) => Value::Object(spec),
        (None, Some(raw)) => serde_json::from_str::<Value>(&raw)
            .ok()
            .filter(Value::is_object)
            .ok_or_else(|| {
                ApiError::invalid(
                    &["body", "specRaw"],
                    "must be an OpenAPI document in JSON; hookd does not read YAML",
                )
            })?,
        _ => {
            return Err(ApiError::bad_request(
                "invalid_spec",
                "send the OpenAPI document as either spec or specRaw",
            ))
        }
    };
    let wanted = event_types_of(&doc)?;
    let existing = all_event_types(&state).await?;
    let now = state.clock.now();

    let mut changes: Vec<(Option<EventType>, EventTypeFromOpenApi)> = Vec::new();
    for w in wanted.iter().cloned() {
        let current = existing.iter().find(|e| e.name == w.name).cloned();
        let same = current.as_ref().is_some_and(|e| {
            !e.archived
                && e.description == w.description
                && e.deprecated == w.deprecated
                && e.schemas == w.schemas
        });
        if !same {
            changes.push((current, w));
        }
    }
    let to_archive: Vec<EventType> = if input.replace_all {
        existing
            .iter()
            .filter(|e| !e.archived && !wanted.iter().any(|w| w.name == e.name))
            .cloned()
            .collect()
    } else {
        Vec::new()
    };

    if input.dry_run {
        return Ok(Json(EventTypeImportOpenApiOut {
            data: EventTypeImportOpenApiOutData {
                modified: Vec::new(),
                to_modify: Some(changes.into_iter().map(|(_, w)| w).collect()),
            },
        }));
    }
    let mut modified = Vec::new();
    for (current, w) in changes {
        match current {
            Some(mut et) => {
                et.description = w.description;
                et.deprecated = w.deprecated;
                et.schemas = w.schemas;
                et.archived = false;
                et.updated_at = now;
                state.directory.update_event_type(&et).await?;
            }
            None => {
                state
                    .directory
                    .create_event_type(&EventType {
                        name: w.name.clone(),
                        description: w.description,
                        archived: false,
                        deprecated: w.deprecated,
                        schemas: w.schemas,
                        feature_flags: Default::default(),
                        options: Default::default(),
                        created_at: now,
                        updated_at: now,
                    })
                    .await?;
            }
        }
        modified.push(w.name);
    }
    for mut et in to_archive {
        et.archived = true;
        et.updated_at = now;
        state.directory.update_event_type(&et).await?;
        modified.push(et.name);
    }
    Ok(Json(EventTypeImportOpenApiOut {
        data: EventTypeImportOpenApiOutData {
            modified,
            to_modify: None,
        },
    }))
}
