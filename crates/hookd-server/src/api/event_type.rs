//! The event-type catalogue: `/api/v1/event-type` and `/api/v1/event-type/{event_type_name}`
//! (list with `include_archived` and `with_content`, create or unarchive, get, PUT upsert,
//! PATCH, delete = archive unless `expunge=true`).
//!
//! Application tokens may read the catalogue (a consumer portal shows it) but not change it;
//! that rule lives in `auth`, not here. What lives here is Svix's feature-flag gating: a type
//! with `featureFlags` is hidden (from lists, and a 404 when asked for) from an application
//! token holding none of them; admin tokens see every type.
//!
//! hookd's extension: an `options` object (today the payload `envelope` that messages of the
//! type are wrapped in; see `api::options`), shown only when not the default and, in lists,
//! only with `with_content=true` as schemas are. A PUT without `options` keeps the stored ones.
//! This module must not look at messages or endpoints.

use std::collections::BTreeSet;

use axum::{extract::State, http::StatusCode, Extension, Json};
use hookd_core::{model::EventType, options::EventTypeOptions, page::Order, validate};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use utoipa::{IntoParams, ToSchema};

use super::{
    extract::{path_key, ApiJson, ApiPath, QueryParams},
    options::{self as wire_options, EventTypeOptionsPatch},
    schema::{
        BadRequest, Errors, EventTypeOptionsSchema, EventTypePath, FeatureFlag, IdempotencyKey,
        OrderParam, Pagination, PayloadTooLarge, Unavailable,
    },
    wire::{self, ts, Checks, ListResponse, Patch},
};
use crate::{
    auth::Caller,
    error::{ApiError, ApiResult, ValidationItem},
    AppState,
};

mod fields;

pub use fields::*;

/// `GET /api/v1/event-type`: by name; archived types only with `include_archived=true`, schemas
/// only with `with_content=true`.
#[utoipa::path(
    get,
    path = "/api/v1/event-type",
    operation_id = "v1.event-type.list",
    tag = "Event Type",
    summary = "List Event Types",
    description = "Return the list of event types.",
    params(Pagination, OrderParam, EventTypeListParams),
    responses((status = 200, body = ListEventTypeOut), Errors, Unavailable)
)]
pub async fn list(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    query: QueryParams,
) -> ApiResult<Json<ListResponse<EventTypeOut>>> {
    let q = query.list_query(Order::Ascending, true)?;
    let include_archived = query.bool("include_archived", false)?;
    let with_content = query.bool("with_content", false)?;
    let mut page = state
        .directory
        .list_event_types(include_archived, &q)
        .await?;
    // Hidden types are dropped from the page the store gave: the page may come out short, but
    // its iterators are the store's, so paging on still visits every type once.
    page.data.retain(|et| caller.sees_event_type(et));
    Ok(Json(ListResponse::from_page(page, |et| {
        EventTypeOut::new(et, with_content)
    })))
}

/// `POST /api/v1/event-type`: 201; an archived type of the same name is unarchived and takes
/// the new fields, a live one is a 409.
#[utoipa::path(
    post,
    path = "/api/v1/event-type",
    operation_id = "v1.event-type.create",
    tag = "Event Type",
    summary = "Create Event Type",
    description = "Create new or unarchive existing event type. Unarchiving an event type \
                   allows endpoints to filter on it and messages to be sent with it. Endpoints \
                   filtering on the event type before archival will continue to filter on it. \
                   This operation does not preserve the description and schemas.",
    params(IdempotencyKey),
    request_body = EventTypeIn,
    responses((status = 201, body = EventTypeOut), BadRequest, Errors, PayloadTooLarge, Unavailable)
)]
pub async fn create(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<EventTypeIn>,
) -> ApiResult<(StatusCode, Json<EventTypeOut>)> {
    let mut checks = Checks::default();
    checks.check(validate::key(
        &["body", "name"],
        &input.name,
        validate::MAX_KEY_LEN,
    ));
    check_common(
        &mut checks,
        Some(&input.description),
        input.schemas.as_ref(),
    );
    let flags = check_flags(
        &mut checks,
        input.feature_flags.as_deref(),
        input.feature_flag.as_deref(),
    )
    .unwrap_or_default();
    checks.finish()?;
    let options = parse_options(input.options.as_deref())?.unwrap_or_default();

    let now = state.clock.now();
    match state.directory.get_event_type(&input.name).await? {
        Some(existing) if !existing.archived => Err(ApiError::Conflict {
            code: "event_type_exists".into(),
            detail: "An event_type with this name already exists".into(),
        }),
        Some(mut existing) => {
            existing.description = input.description;
            existing.archived = input.archived;
            existing.deprecated = input.deprecated;
            existing.schemas = input.schemas;
            existing.feature_flags = flags;
            existing.options = options;
            existing.updated_at = now;
            state.directory.update_event_type(&existing).await?;
            Ok((StatusCode::CREATED, Json(existing.into())))
        }
        None => {
            let et = EventType {
                name: input.name,
                description: input.description,
                archived: input.archived,
                deprecated: input.deprecated,
                schemas: input.schemas,
                feature_flags: flags,
                options,
                created_at: now,
                updated_at: now,
            };
            state.directory.create_event_type(&et).await?;
            Ok((StatusCode::CREATED, Json(et.into())))
        }
    }
}

async fn load(state: &AppState, name: &str) -> ApiResult<EventType> {
    path_key("event_type_name", name)?;
    state
        .directory
        .get_event_type(name)
        .await?
        .ok_or_else(ApiError::not_found)
}

/// `GET /api/v1/event-type/{event_type_name}` (archived ones too, with schemas).
#[utoipa::path(
    get,
    path = "/api/v1/event-type/{event_type_name}",
    operation_id = "v1.event-type.get",
    tag = "Event Type",
    summary = "Get Event Type",
    description = "Get an event type.",
    params(EventTypePath),
    responses((status = 200, body = EventTypeOut), Errors, Unavailable)
)]
pub async fn get(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(name): ApiPath<String>,
) -> ApiResult<Json<EventTypeOut>> {
    let et = load(&state, &name).await?;
    // A hidden type is not there for the caller, as an unknown one.
    if !caller.sees_event_type(&et) {
        return Err(ApiError::not_found());
    }
    Ok(Json(et.into()))
}

/// `PUT /api/v1/event-type/{event_type_name}`: replaces (200) or creates (201).
#[utoipa::path(
    put,
    path = "/api/v1/event-type/{event_type_name}",
    operation_id = "v1.event-type.update",
    tag = "Event Type",
    summary = "Update Event Type",
    description = "Update an event type, or create it if it does not exist.",
    params(EventTypePath),
    request_body = EventTypeUpdate,
    responses(
        (status = 200, description = "The event type, replaced", body = EventTypeOut),
        (status = 201, description = "The event type, created", body = EventTypeOut),
        Errors, PayloadTooLarge, Unavailable
    )
)]
pub async fn upsert(
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
    ApiJson(input): ApiJson<EventTypeUpdate>,
) -> ApiResult<(StatusCode, Json<EventTypeOut>)> {
    path_key("event_type_name", &name)?;
    let mut checks = Checks::default();
    check_common(
        &mut checks,
        Some(&input.description),
        input.schemas.as_ref(),
    );
    let flags = check_flags(
        &mut checks,
        input.feature_flags.as_deref(),
        input.feature_flag.as_deref(),
    )
    .unwrap_or_default();
    checks.finish()?;
    let options = parse_options(input.options.as_deref())?;
    let now = state.clock.now();
    match state.directory.get_event_type(&name).await? {
        Some(mut et) => {
            if let Some(options) = options {
                et.options = options;
            }
            et.description = input.description;
            et.archived = input.archived;
            et.deprecated = input.deprecated;
            et.schemas = input.schemas;
            et.feature_flags = flags;
            et.updated_at = now;
            state.directory.update_event_type(&et).await?;
            Ok((StatusCode::OK, Json(et.into())))
        }
        None => {
            let et = EventType {
                name,
                description: input.description,
                archived: input.archived,
                deprecated: input.deprecated,
                schemas: input.schemas,
                feature_flags: flags,
                options: options.unwrap_or_default(),
                created_at: now,
                updated_at: now,
            };
            state.directory.create_event_type(&et).await?;
            Ok((StatusCode::CREATED, Json(et.into())))
        }
    }
}

/// `PATCH /api/v1/event-type/{event_type_name}`.
#[utoipa::path(
    patch,
    path = "/api/v1/event-type/{event_type_name}",
    operation_id = "patch_event_type",
    tag = "Event Type",
    summary = "Patch Event Type",
    description = "Partially update an event type.",
    params(EventTypePath),
    request_body = EventTypePatch,
    responses((status = 200, body = EventTypeOut), Errors, PayloadTooLarge, Unavailable)
)]
pub async fn patch(
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
    ApiJson(input): ApiJson<EventTypePatch>,
) -> ApiResult<Json<EventTypeOut>> {
    let mut checks = Checks::default();
    check_common(
        &mut checks,
        input.description.as_deref(),
        input.schemas.value(),
    );
    // Either field present replaces the stored flags (`null` clearing them); both add up.
    let flags_given = !matches!(input.feature_flags, Patch::Absent)
        || !matches!(input.feature_flag, Patch::Absent);
    let flags = check_flags(
        &mut checks,
        input.feature_flags.value().map(Vec::as_slice),
        input.feature_flag.value().map(String::as_str),
    );
    let options_patch = match &input.options {
        Patch::Value(raw) => Some(EventTypeOptionsPatch::parse(raw)?),
        _ => None,
    };
    checks.finish()?;
    let mut et = load(&state, &name).await?;
    match (&input.options, options_patch) {
        (Patch::Null, _) => et.options = EventTypeOptions::default(),
        (_, Some(patch)) => patch.apply(&mut et.options),
        (_, None) => {}
    }
    wire_options::check_event_type(&et.options)?;
    if let Some(description) = input.description {
        et.description = description;
    }
    if let Some(archived) = input.archived {
        et.archived = archived;
    }
    if let Some(deprecated) = input.deprecated {
        et.deprecated = deprecated;
    }
    input.schemas.apply_to(&mut et.schemas);
    if flags_given {
        et.feature_flags = flags.unwrap_or_default();
    }
    et.updated_at = state.clock.now();
    state.directory.update_event_type(&et).await?;
    Ok(Json(et.into()))
}

/// `DELETE /api/v1/event-type/{event_type_name}`: archives the type (it stays usable and
/// visible with `include_archived`), or with `expunge=true` deletes it for good.
#[utoipa::path(
    delete,
    path = "/api/v1/event-type/{event_type_name}",
    operation_id = "v1.event-type.delete",
    tag = "Event Type",
    summary = "Delete Event Type",
    description = "Archive an event type. Endpoints already configured to filter on an event \
                   type will continue to do so after archival; new messages can still be sent \
                   with it. With `expunge=true` it is deleted entirely.",
    params(EventTypePath, ExpungeParam),
    responses((status = 204, description = "Archived or deleted"), Errors, Unavailable)
)]
pub async fn delete(
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
    query: QueryParams,
) -> ApiResult<StatusCode> {
    let expunge = query.bool("expunge", false)?;
    let mut et = load(&state, &name).await?;
    if expunge {
        if !state.directory.delete_event_type(&et.name).await? {
            return Err(ApiError::not_found());
        }
    } else {
        et.archived = true;
        et.updated_at = state.clock.now();
        state.directory.update_event_type(&et).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}
