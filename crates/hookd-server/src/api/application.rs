//! Applications: `/api/v1/app` and `/api/v1/app/{app_id}` (list, create with `get_if_exists`,
//! get, PUT upsert, PATCH, delete).
//!
//! Also home of [`ApplicationIn`], which message creation and portal access accept to create
//! their application on the fly. This module must not reach into other resources' storage.

use axum::{extract::State, http::StatusCode, Json};
use hookd_core::{id::AppId, model::Application, page::Order, store::AppFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{
    extract::{path_key, ApiJson, ApiPath, QueryParams},
    load_app,
    schema::{
        AppListFilters, AppPath, BadRequest, Errors, IdempotencyKey, OrderParam, Pagination,
        PayloadTooLarge, Unavailable,
    },
    wire::{self, ts, Checks, ListResponse, Metadata, Patch},
};
use crate::{
    error::{ApiError, ApiResult, ValidationItem},
    AppState,
};

/// Svix's `ApplicationIn`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[serde(deny_unknown_fields)]
pub struct ApplicationIn {
    /// Display name, at least one character (no control characters 0x00–0x08).
    #[schema(
        min_length = 1,
        pattern = r"^[^\x00-\x08]*$",
        example = "My first application"
    )]
    pub name: String,
    /// Maximum messages per second to send to this application's endpoints.
    #[serde(default, deserialize_with = "hookd_core::integral::optional")]
    #[schema(minimum = 1, maximum = 65535)]
    pub throttle_rate: Option<u16>,
    /// The older name of `throttleRate`, still sent by 1.x SDKs.
    #[serde(default, deserialize_with = "hookd_core::integral::optional")]
    #[schema(minimum = 1, maximum = 65535, deprecated)]
    pub rate_limit: Option<u16>,
    /// Optional unique identifier for the application; it may not start with `app_`.
    #[serde(default)]
    #[schema(
        min_length = 1,
        max_length = 256,
        pattern = r"^[a-zA-Z0-9\-_.]+$",
        example = "unique-app-identifier"
    )]
    pub uid: Option<String>,
    /// Free-form metadata.
    #[serde(default)]
    #[schema(value_type = BTreeMap<String, String>)]
    pub metadata: Metadata,
}

impl ApplicationIn {
    /// Validates the fields, with locations under `prefix` (`["body"]` or
    /// `["body", "application"]`).
    pub fn validate(&self, prefix: &[&str]) -> ApiResult<()> {
        let at = |field: &'static str| -> Vec<&str> {
            prefix
                .iter()
                .copied()
                .chain(std::iter::once(field))
                .collect()
        };
        let mut checks = Checks::default();
        if self.name.is_empty() {
            checks.push(ValidationItem::value(
                &at("name"),
                "Application names must be at least one character",
            ));
        }
        wire::no_control_chars(&mut checks, &at("name"), &self.name);
        wire::rate(&mut checks, &at("throttleRate"), self.throttle_rate);
        wire::rate(&mut checks, &at("rateLimit"), self.rate_limit);
        if let Some(uid) = &self.uid {
            wire::uid(&mut checks, &at("uid"), uid, AppId::PREFIX);
        }
        checks.finish()
    }

    /// A new application from this input, created at `now`.
    pub fn into_new(self, now: hookd_core::Timestamp) -> Application {
        let id = AppId::generate(now, &mut rand::thread_rng());
        Application {
            id,
            uid: self.uid,
            name: self.name,
            throttle_rate: self.throttle_rate.or(self.rate_limit),
            metadata: self.metadata,
            created_at: now,
            updated_at: now,
        }
    }
}

/// `get_if_exists` of application creation.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct GetIfExists {
    /// Get an existing application, or create a new one if doesn't exist. It's two separate
    /// functions in the libs.
    #[param(default = false)]
    get_if_exists: Option<bool>,
}

/// Svix's `ApplicationPatch`: only the fields present change; `null` clears a nullable one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[serde(deny_unknown_fields)]
pub struct ApplicationPatch {
    /// Display name, at least one character.
    #[serde(default)]
    #[schema(min_length = 1, pattern = r"^[^\x00-\x08]*$")]
    name: Option<String>,
    /// Maximum messages per second to send to this application's endpoints.
    #[serde(default, deserialize_with = "crate::api::wire::patch_integral")]
    #[schema(value_type = Option<u16>, minimum = 1, maximum = 65535)]
    throttle_rate: Patch<u16>,
    /// The older name of `throttleRate`.
    #[serde(default, deserialize_with = "crate::api::wire::patch_integral")]
    #[schema(value_type = Option<u16>, minimum = 1, maximum = 65535, deprecated)]
    rate_limit: Patch<u16>,
    /// Optional unique identifier for the application.
    #[serde(default)]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 256, pattern = r"^[a-zA-Z0-9\-_.]+$", example = "unique-app-identifier")]
    uid: Patch<String>,
    /// Free-form metadata.
    #[serde(default)]
    #[schema(value_type = Option<BTreeMap<String, String>>)]
    metadata: Option<Metadata>,
}

/// Svix's `ApplicationOut`. `rateLimit` mirrors `throttleRate` for 1.x SDKs.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationOut {
    /// The application's unique identifier, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, example = "unique-app-identifier")]
    uid: Option<String>,
    /// Display name.
    #[schema(example = "My first application")]
    name: String,
    /// The older name of `throttleRate`, present when it is set.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, deprecated)]
    rate_limit: Option<u16>,
    /// Maximum messages per second to send to this application's endpoints.
    throttle_rate: Option<u16>,
    /// The application's id.
    #[schema(example = "app_1srOrx2ZWZBpBUvZwXKQmoEYga2")]
    id: String,
    /// When it was created.
    #[schema(format = DateTime)]
    created_at: String,
    /// When it last changed.
    #[schema(format = DateTime)]
    updated_at: String,
    /// Free-form metadata.
    #[schema(value_type = BTreeMap<String, String>)]
    metadata: Metadata,
}

impl From<Application> for ApplicationOut {
    fn from(app: Application) -> Self {
        Self {
            uid: app.uid,
            name: app.name,
            rate_limit: app.throttle_rate,
            throttle_rate: app.throttle_rate,
            id: app.id.to_string(),
            created_at: ts(app.created_at),
            updated_at: ts(app.updated_at),
            metadata: app.metadata,
        }
    }
}

/// The list of `ApplicationOut`s by name, for `#[utoipa::path]` bodies: an alias
/// hides the generic argument from the macro, which then takes the envelope's own
/// `ToSchema` (Svix's `ListResponse_…_` names) instead of composing a generic one.
pub type ListApplicationOut = ListResponse<ApplicationOut>;

/// `GET /api/v1/app`: oldest first unless `order=descending`.
#[utoipa::path(
    get,
    path = "/api/v1/app",
    operation_id = "v1.application.list",
    tag = "Application",
    summary = "List Applications",
    description = "List of all the organization's applications.",
    params(Pagination, OrderParam, AppListFilters),
    responses((status = 200, body = ListApplicationOut), Errors, Unavailable)
)]
pub async fn list(
    State(state): State<AppState>,
    query: QueryParams,
) -> ApiResult<Json<ListResponse<ApplicationOut>>> {
    let q = query.list_query(Order::Ascending, true)?;
    let filter = AppFilter {
        exclude_without_endpoints: query.bool("exclude_apps_with_no_endpoints", false)?,
        exclude_all_disabled: query.bool("exclude_apps_with_disabled_endpoints", false)?,
        exclude_all_svix_play: query.bool("exclude_apps_with_svix_play_endpoints", false)?,
    };
    let page = state.directory.list_apps(&filter, &q).await?;
    Ok(Json(ListResponse::from_page(page, ApplicationOut::from)))
}

/// `POST /api/v1/app`: 201, or with `get_if_exists=true` 200 and the application that already
/// has this uid.
#[utoipa::path(
    post,
    path = "/api/v1/app",
    operation_id = "v1.application.create",
    tag = "Application",
    summary = "Create Application",
    description = "Create a new application.",
    params(GetIfExists, IdempotencyKey),
    request_body = ApplicationIn,
    responses(
        (status = 200, description = "The application with this uid, which already existed (`get_if_exists=true`)", body = ApplicationOut),
        (status = 201, description = "The new application", body = ApplicationOut),
        BadRequest, Errors, PayloadTooLarge, Unavailable
    )
)]
pub async fn create(
    State(state): State<AppState>,
    query: QueryParams,
    ApiJson(input): ApiJson<ApplicationIn>,
) -> ApiResult<(StatusCode, Json<ApplicationOut>)> {
    let get_if_exists = query.bool("get_if_exists", false)?;
    input.validate(&["body"])?;
    if let Some(uid) = &input.uid {
        if let Some(existing) = state.directory.get_app(uid).await? {
            if get_if_exists {
                return Ok((StatusCode::OK, Json(existing.into())));
            }
            return Err(ApiError::conflict(
                "An application with that id or uid already exists",
            ));
        }
    }
    let app = input.into_new(state.clock.now());
    state.directory.create_app(&app).await?;
    Ok((StatusCode::CREATED, Json(app.into())))
}

/// `GET /api/v1/app/{app_id}`.
#[utoipa::path(
    get,
    path = "/api/v1/app/{app_id}",
    operation_id = "v1.application.get",
    tag = "Application",
    summary = "Get Application",
    description = "Get an application.",
    params(AppPath),
    responses((status = 200, body = ApplicationOut), Errors, Unavailable)
)]
pub async fn get(
    State(state): State<AppState>,
    ApiPath(app_id): ApiPath<String>,
) -> ApiResult<Json<ApplicationOut>> {
    Ok(Json(load_app(&state, &app_id).await?.into()))
}

/// `PUT /api/v1/app/{app_id}`: replaces the application, or creates it (201). A new
/// application takes the body's `uid`, or else the path's value when that is a uid rather
/// than an id, so that `PUT /app/{uid}` is an upsert by uid.
#[utoipa::path(
    put,
    path = "/api/v1/app/{app_id}",
    operation_id = "v1.application.update",
    tag = "Application",
    summary = "Update Application",
    description = "Update an application, or create it (by uid) if it does not exist.",
    params(AppPath),
    request_body = ApplicationIn,
    responses(
        (status = 200, description = "The application, replaced", body = ApplicationOut),
        (status = 201, description = "The application, created", body = ApplicationOut),
        Errors, PayloadTooLarge, Unavailable
    )
)]
pub async fn upsert(
    State(state): State<AppState>,
    ApiPath(app_id): ApiPath<String>,
    ApiJson(input): ApiJson<ApplicationIn>,
) -> ApiResult<(StatusCode, Json<ApplicationOut>)> {
    path_key("app_id", &app_id)?;
    input.validate(&["body"])?;
    let now = state.clock.now();
    match state.directory.get_app(&app_id).await? {
        Some(mut app) => {
            app.name = input.name;
            app.throttle_rate = input.throttle_rate.or(input.rate_limit);
            app.uid = input.uid;
            app.metadata = input.metadata;
            app.updated_at = now;
            state.directory.update_app(&app).await?;
            state.lookups.forget_app(&app.id);
            state.lookups.forget_app(&app.id);
            Ok((StatusCode::OK, Json(app.into())))
        }
        None => {
            let mut input = input;
            if input.uid.is_none() && !AppId::looks_like(&app_id) {
                input.uid = Some(app_id);
            }
            let app = input.into_new(now);
            state.directory.create_app(&app).await?;
            Ok((StatusCode::CREATED, Json(app.into())))
        }
    }
}

/// `PATCH /api/v1/app/{app_id}`: changes only the fields present; `null` clears a nullable one.
#[utoipa::path(
    patch,
    path = "/api/v1/app/{app_id}",
    operation_id = "patch_application",
    tag = "Application",
    summary = "Patch Application",
    description = "Partially update an application.",
    params(AppPath),
    request_body = ApplicationPatch,
    responses((status = 200, body = ApplicationOut), Errors, PayloadTooLarge, Unavailable)
)]
pub async fn patch(
    State(state): State<AppState>,
    ApiPath(app_id): ApiPath<String>,
    ApiJson(input): ApiJson<ApplicationPatch>,
) -> ApiResult<Json<ApplicationOut>> {
    let mut checks = Checks::default();
    if let Some(name) = &input.name {
        if name.is_empty() {
            checks.push(ValidationItem::value(
                &["body", "name"],
                "Application names must be at least one character",
            ));
        }
        wire::no_control_chars(&mut checks, &["body", "name"], name);
    }
    wire::rate(
        &mut checks,
        &["body", "throttleRate"],
        input.throttle_rate.value().copied(),
    );
    wire::rate(
        &mut checks,
        &["body", "rateLimit"],
        input.rate_limit.value().copied(),
    );
    if let Some(uid) = input.uid.value() {
        wire::uid(&mut checks, &["body", "uid"], uid, AppId::PREFIX);
    }
    checks.finish()?;

    let mut app = load_app(&state, &app_id).await?;
    if let Some(name) = input.name {
        app.name = name;
    }
    input.rate_limit.apply_to(&mut app.throttle_rate);
    input.throttle_rate.apply_to(&mut app.throttle_rate);
    input.uid.apply_to(&mut app.uid);
    if let Some(metadata) = input.metadata {
        app.metadata = metadata;
    }
    app.updated_at = state.clock.now();
    state.directory.update_app(&app).await?;
    state.lookups.forget_app(&app.id);
    Ok(Json(app.into()))
}

/// `DELETE /api/v1/app/{app_id}`: deletes the application with everything it owns.
#[utoipa::path(
    delete,
    path = "/api/v1/app/{app_id}",
    operation_id = "v1.application.delete",
    tag = "Application",
    summary = "Delete Application",
    description = "Delete an application, with its endpoints, messages and attempts.",
    params(AppPath),
    responses((status = 204, description = "Deleted"), Errors, Unavailable)
)]
pub async fn delete(
    State(state): State<AppState>,
    ApiPath(app_id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    let app = load_app(&state, &app_id).await?;
    state.lookups.forget_app(&app.id);
    if state.directory.delete_app(&app.id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found())
    }
}
