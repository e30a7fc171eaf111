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

/// Svix's `EventTypeIn`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[serde(deny_unknown_fields)]
pub struct EventTypeIn {
    /// The event type's name.
    #[schema(
        min_length = 1,
        max_length = 256,
        pattern = r"^[a-zA-Z0-9\-_.]+$",
        example = "user.signup"
    )]
    name: String,
    /// What the event means (no control characters 0x00–0x08).
    #[schema(pattern = r"^[^\x00-\x08]*$", example = "A user has signed up")]
    description: String,
    /// Whether it is archived (hidden from lists unless `include_archived=true`).
    #[serde(default)]
    archived: bool,
    /// Whether it is deprecated.
    #[serde(default)]
    deprecated: bool,
    /// The schema for the event type for a specific version as a JSON schema: an object
    /// mapping each version to a JSON schema object.
    #[serde(default)]
    #[schema(value_type = Option<HashMap<String, Object>>, example = json!({"1": {"title": "Invoice Paid Event", "type": "object", "properties": {"invoiceId": {"type": "string"}}, "examples": [{"invoiceId": "in_1"}]}}))]
    schemas: Option<serde_json::Value>,
    /// The feature flags (no duplicates) that hide this event type from portal tokens holding
    /// none of them.
    #[serde(default)]
    #[schema(value_type = Option<Vec<FeatureFlag>>, example = json!(["cool-new-feature"]))]
    feature_flags: Option<Vec<String>>,
    /// Deprecated: one feature flag, added to `featureFlags`.
    #[serde(default)]
    #[schema(
        min_length = 1,
        max_length = 256,
        pattern = r"^[a-zA-Z0-9\-_.]+$",
        example = "cool-new-feature",
        deprecated
    )]
    feature_flag: Option<String>,
    /// hookd's extensions; a PUT without them keeps the stored ones.
    #[serde(default)]
    #[schema(value_type = Option<EventTypeOptionsSchema>)]
    options: Option<Box<RawValue>>,
}

/// Svix's `EventTypeUpdate` (the body of PUT; the name comes from the path).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[serde(deny_unknown_fields)]
pub struct EventTypeUpdate {
    /// What the event means (no control characters 0x00–0x08).
    #[schema(pattern = r"^[^\x00-\x08]*$", example = "A user has signed up")]
    description: String,
    /// Whether it is archived.
    #[serde(default)]
    archived: bool,
    /// Whether it is deprecated.
    #[serde(default)]
    deprecated: bool,
    /// The schema for the event type for a specific version as a JSON schema: an object
    /// mapping each version to a JSON schema object.
    #[serde(default)]
    #[schema(value_type = Option<HashMap<String, Object>>, example = json!({"1": {"title": "Invoice Paid Event", "type": "object", "properties": {"invoiceId": {"type": "string"}}, "examples": [{"invoiceId": "in_1"}]}}))]
    schemas: Option<serde_json::Value>,
    /// The feature flags (no duplicates) that hide this event type from portal tokens holding
    /// none of them.
    #[serde(default)]
    #[schema(value_type = Option<Vec<FeatureFlag>>, example = json!(["cool-new-feature"]))]
    feature_flags: Option<Vec<String>>,
    /// Deprecated: one feature flag, added to `featureFlags`.
    #[serde(default)]
    #[schema(
        min_length = 1,
        max_length = 256,
        pattern = r"^[a-zA-Z0-9\-_.]+$",
        example = "cool-new-feature",
        deprecated
    )]
    feature_flag: Option<String>,
    /// hookd's extensions; a PUT without them keeps the stored ones.
    #[serde(default)]
    #[schema(value_type = Option<EventTypeOptionsSchema>)]
    options: Option<Box<RawValue>>,
}

/// Svix's `EventTypePatch`: only the fields present change; `null` clears a nullable one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[serde(deny_unknown_fields)]
pub struct EventTypePatch {
    /// What the event means.
    #[serde(default)]
    #[schema(pattern = r"^[^\x00-\x08]*$")]
    description: Option<String>,
    /// Whether it is archived.
    #[serde(default)]
    archived: Option<bool>,
    /// Whether it is deprecated.
    #[serde(default)]
    deprecated: Option<bool>,
    /// The JSON schemas by version.
    #[serde(default)]
    #[schema(value_type = Option<HashMap<String, Object>>)]
    schemas: Patch<serde_json::Value>,
    /// The feature flags (no duplicates), replacing the stored ones; `null` clears them.
    #[serde(default)]
    #[schema(value_type = Option<Vec<FeatureFlag>>, example = json!(["cool-new-feature"]))]
    feature_flags: Patch<Vec<String>>,
    /// Deprecated: one feature flag replacing the stored ones (with `featureFlags`, added to
    /// them); `null` clears them.
    #[serde(default)]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 256, pattern = r"^[a-zA-Z0-9\-_.]+$", example = "cool-new-feature", deprecated)]
    feature_flag: Patch<String>,
    /// hookd's extensions, option by option: each option given replaces the stored one,
    /// `null` resets it; `"options": null` resets them all.
    #[serde(default)]
    #[schema(value_type = Option<EventTypeOptionsSchema>)]
    options: Patch<Box<RawValue>>,
}

/// Svix's `EventTypeOut`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventTypeOut {
    /// The event type's name.
    #[schema(example = "user.signup")]
    name: String,
    /// What the event means.
    #[schema(example = "A user has signed up")]
    description: String,
    /// Whether it is archived.
    archived: bool,
    /// Whether it is deprecated.
    deprecated: bool,
    /// The JSON schemas by version (`null` in lists without `with_content=true`).
    #[schema(value_type = Option<HashMap<String, Object>>)]
    schemas: Option<serde_json::Value>,
    /// When it was created.
    #[schema(format = DateTime)]
    created_at: String,
    /// When it last changed.
    #[schema(format = DateTime)]
    updated_at: String,
    /// The feature flags that gate who sees it (`null`: none, every token sees it).
    #[schema(value_type = Option<Vec<FeatureFlag>>, example = json!(["cool-new-feature"]))]
    feature_flags: Option<Vec<String>>,
    /// Deprecated: the first of `featureFlags`, for clients that know a single flag.
    #[schema(example = "cool-new-feature", deprecated)]
    feature_flag: Option<String>,
    /// hookd's extensions, present only when not all default (and in lists only with
    /// `with_content=true`).
    #[serde(skip_serializing_if = "EventTypeOptions::is_default")]
    #[schema(value_type = EventTypeOptionsSchema, required = false)]
    options: EventTypeOptions,
}

impl EventTypeOut {
    fn new(et: EventType, with_schemas: bool) -> Self {
        Self {
            options: if with_schemas {
                et.options
            } else {
                EventTypeOptions::default()
            },
            name: et.name,
            description: et.description,
            archived: et.archived,
            deprecated: et.deprecated,
            schemas: if with_schemas { et.schemas } else { None },
            created_at: ts(et.created_at),
            updated_at: ts(et.updated_at),
            feature_flag: et.feature_flags.first().cloned(),
            feature_flags: (!et.feature_flags.is_empty())
                .then(|| et.feature_flags.into_iter().collect()),
        }
    }
}

impl From<EventType> for EventTypeOut {
    fn from(et: EventType) -> Self {
        Self::new(et, true)
    }
}

/// Svix keeps schemas as a map from version to a JSON schema object.
fn check_schemas(checks: &mut Checks, schemas: Option<&serde_json::Value>) {
    let Some(schemas) = schemas else { return };
    let valid = schemas
        .as_object()
        .is_some_and(|versions| versions.values().all(serde_json::Value::is_object));
    if !valid {
        checks.push(ValidationItem::value(
            &["body", "schemas"],
            "must be an object mapping versions to JSON schema objects",
        ));
    }
}

fn check_common(
    checks: &mut Checks,
    description: Option<&str>,
    schemas: Option<&serde_json::Value>,
) {
    if let Some(description) = description {
        wire::no_control_chars(checks, &["body", "description"], description);
    }
    check_schemas(checks, schemas);
}

/// Checks `featureFlags` and the deprecated `featureFlag`, and returns the flags they give
/// together (`None` when neither was given).
fn check_flags(
    checks: &mut Checks,
    flags: Option<&[String]>,
    flag: Option<&str>,
) -> Option<BTreeSet<String>> {
    if let Some(flags) = flags {
        // A list of flags is a set, as Svix's lists are: a repeat is one flag, not an error.
        let flags = &wire::dedupe(flags.to_vec());
        checks.check(validate::feature_flags(
            &["body", "featureFlags"],
            flags,
            None,
        ));
    }
    if let Some(flag) = flag {
        checks.check(validate::key(
            &["body", "featureFlag"],
            flag,
            validate::MAX_KEY_LEN,
        ));
    }
    if flags.is_none() && flag.is_none() {
        return None;
    }
    let mut all: BTreeSet<String> = flags.unwrap_or_default().iter().cloned().collect();
    all.extend(flag.map(str::to_owned));
    Some(all)
}

/// Parses and checks the `options` of a body.
fn parse_options(raw: Option<&RawValue>) -> ApiResult<Option<EventTypeOptions>> {
    let Some(raw) = raw else { return Ok(None) };
    let options = wire_options::parse_event_type(raw)?;
    wire_options::check_event_type(&options)?;
    Ok(Some(options))
}

/// The filters of the event-type list.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct EventTypeListParams {
    /// When `true` archived (deleted but not expunged) items are included in the response
    #[param(default = false)]
    include_archived: Option<bool>,
    /// When `true` the full item (including the schema) is included in the response
    #[param(default = false)]
    with_content: Option<bool>,
}

/// `expunge` of event-type deletion.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ExpungeParam {
    /// By default event types are archived when "deleted". Passing this to `true` deletes them
    /// entirely.
    #[param(default = false)]
    expunge: Option<bool>,
}

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
    responses((status = 200, body = crate::api::schema::ListEventTypeOut), Errors, Unavailable)
)]
pub async fn list(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    query: QueryParams,
) -> ApiResult<Json<ListResponse<EventTypeOut>>> {
    let q = query.list_query(Order::Ascending, true)?;
    let include_archived = query.bool("include_archived", false)?;
    let with_content = query.bool("with_content", false)?;
    let mut page = state.store.list_event_types(include_archived, &q).await?;
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
    match state.store.get_event_type(&input.name).await? {
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
            state.store.update_event_type(&existing).await?;
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
            state.store.create_event_type(&et).await?;
            Ok((StatusCode::CREATED, Json(et.into())))
        }
    }
}

async fn load(state: &AppState, name: &str) -> ApiResult<EventType> {
    path_key("event_type_name", name)?;
    state
        .store
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
    match state.store.get_event_type(&name).await? {
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
            state.store.update_event_type(&et).await?;
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
            state.store.create_event_type(&et).await?;
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
    state.store.update_event_type(&et).await?;
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
        if !state.store.delete_event_type(&et.name).await? {
            return Err(ApiError::not_found());
        }
    } else {
        et.archived = true;
        et.updated_at = state.clock.now();
        state.store.update_event_type(&et).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}
