//! Applications: `/api/v1/app` and `/api/v1/app/{app_id}` (list, create with `get_if_exists`,
//! get, PUT upsert, PATCH, delete).
//!
//! Also home of [`ApplicationIn`], which message creation and portal access accept to create
//! their application on the fly. This module must not reach into other resources' storage.

use axum::{extract::State, http::StatusCode, Json};
use hookd_core::{id::AppId, model::Application, page::Order};
use serde::{Deserialize, Serialize};

use super::{
    extract::{path_key, ApiJson, ApiPath, QueryParams},
    load_app,
    wire::{self, ts, Checks, ListResponse, Metadata, Patch},
};
use crate::{
    error::{ApiError, ApiResult, ValidationItem},
    AppState,
};

/// Svix's `ApplicationIn`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationIn {
    /// Display name, at least one character.
    pub name: String,
    /// Messages per second.
    #[serde(default)]
    pub throttle_rate: Option<u16>,
    /// The older name of `throttleRate`, still sent by 1.x SDKs.
    #[serde(default)]
    pub rate_limit: Option<u16>,
    /// The user's unique key.
    #[serde(default)]
    pub uid: Option<String>,
    /// Free-form metadata.
    #[serde(default)]
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

/// Svix's `ApplicationPatch`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationPatch {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    throttle_rate: Patch<u16>,
    #[serde(default)]
    rate_limit: Patch<u16>,
    #[serde(default)]
    uid: Patch<String>,
    #[serde(default)]
    metadata: Option<Metadata>,
}

/// Svix's `ApplicationOut`. `rateLimit` mirrors `throttleRate` for 1.x SDKs.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationOut {
    #[serde(skip_serializing_if = "Option::is_none")]
    uid: Option<String>,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    rate_limit: Option<u16>,
    throttle_rate: Option<u16>,
    id: String,
    created_at: String,
    updated_at: String,
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

/// `GET /api/v1/app`: oldest first unless `order=descending`.
pub async fn list(
    State(state): State<AppState>,
    query: QueryParams,
) -> ApiResult<Json<ListResponse<ApplicationOut>>> {
    let q = query.list_query(Order::Ascending, true)?;
    let page = state.store.list_apps(&q).await?;
    Ok(Json(ListResponse::from_page(page, ApplicationOut::from)))
}

/// `POST /api/v1/app`: 201, or with `get_if_exists=true` 200 and the application that already
/// has this uid.
pub async fn create(
    State(state): State<AppState>,
    query: QueryParams,
    ApiJson(input): ApiJson<ApplicationIn>,
) -> ApiResult<(StatusCode, Json<ApplicationOut>)> {
    let get_if_exists = query.bool("get_if_exists", false)?;
    input.validate(&["body"])?;
    if let Some(uid) = &input.uid {
        if let Some(existing) = state.store.get_app(uid).await? {
            if get_if_exists {
                return Ok((StatusCode::OK, Json(existing.into())));
            }
            return Err(ApiError::conflict(
                "An application with that id or uid already exists",
            ));
        }
    }
    let app = input.into_new(state.clock.now());
    state.store.create_app(&app).await?;
    Ok((StatusCode::CREATED, Json(app.into())))
}

/// `GET /api/v1/app/{app_id}`.
pub async fn get(
    State(state): State<AppState>,
    ApiPath(app_id): ApiPath<String>,
) -> ApiResult<Json<ApplicationOut>> {
    Ok(Json(load_app(&state, &app_id).await?.into()))
}

/// `PUT /api/v1/app/{app_id}`: replaces the application, or creates it (201). A new
/// application takes the body's `uid`, or else the path's value when that is a uid rather
/// than an id, so that `PUT /app/{uid}` is an upsert by uid.
pub async fn upsert(
    State(state): State<AppState>,
    ApiPath(app_id): ApiPath<String>,
    ApiJson(input): ApiJson<ApplicationIn>,
) -> ApiResult<(StatusCode, Json<ApplicationOut>)> {
    path_key("app_id", &app_id)?;
    input.validate(&["body"])?;
    let now = state.clock.now();
    match state.store.get_app(&app_id).await? {
        Some(mut app) => {
            app.name = input.name;
            app.throttle_rate = input.throttle_rate.or(input.rate_limit);
            app.uid = input.uid;
            app.metadata = input.metadata;
            app.updated_at = now;
            state.store.update_app(&app).await?;
            Ok((StatusCode::OK, Json(app.into())))
        }
        None => {
            let mut input = input;
            if input.uid.is_none() && !AppId::looks_like(&app_id) {
                input.uid = Some(app_id);
            }
            let app = input.into_new(now);
            state.store.create_app(&app).await?;
            Ok((StatusCode::CREATED, Json(app.into())))
        }
    }
}

/// `PATCH /api/v1/app/{app_id}`: changes only the fields present; `null` clears a nullable one.
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
    state.store.update_app(&app).await?;
    Ok(Json(app.into()))
}

/// `DELETE /api/v1/app/{app_id}`: deletes the application with everything it owns.
pub async fn delete(
    State(state): State<AppState>,
    ApiPath(app_id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    let app = load_app(&state, &app_id).await?;
    if state.store.delete_app(&app.id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found())
    }
}
