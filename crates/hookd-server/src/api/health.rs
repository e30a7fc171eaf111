//! `GET /api/v1/health` (the store answers: 204, else 503) and `GET /api/v1/health/ping` (the
//! process answers: 204), Svix's; and the orchestrators' probes outside the API, `GET /healthz`
//! (the process serves: 200) and `GET /readyz` (it can do its work: the store answers, 200,
//! else 503). Migrations are applied before the listener is bound, so a process that answers
//! at all has its schema. None needs a token, so load balancers and orchestrators can call
//! them. This module must not report anything beyond up or down.

use axum::{extract::State, http::StatusCode, routing::get, Router};

use crate::{api::schema::Unavailable, error::ApiError, AppState};

/// `GET /api/v1/health`.
#[utoipa::path(
    method(get, head),
    path = "/api/v1/health",
    operation_id = "v1.health.get",
    tag = "Health",
    summary = "Health",
    description = "Verify the API server is up and running and its storage answers.",
    security(()),
    responses((status = 204, description = "no content"), Unavailable)
)]
pub async fn health(State(state): State<AppState>) -> Result<StatusCode, ApiError> {
    match state.capabilities.ping().await {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(e) => Err(ApiError::Unavailable(e)),
    }
}

/// `GET /api/v1/health/ping`.
#[utoipa::path(
    method(get, head),
    path = "/api/v1/health/ping",
    operation_id = "v1.health.ping",
    tag = "Health",
    summary = "Ping",
    description = "Verify the process is up (without asking the storage).",
    security(()),
    responses((status = 204, description = "no content"))
)]
pub async fn ping() -> StatusCode {
    StatusCode::NO_CONTENT
}

/// The orchestrators' probes, outside `/api/v1` (and its OpenAPI document) as is customary.
pub fn probes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
}

/// `GET /readyz`: `ready` while the store answers, Svix's 503 shape while it does not.
async fn readyz(State(state): State<AppState>) -> Result<&'static str, ApiError> {
    match state.capabilities.ping().await {
        Ok(()) => Ok("ready"),
        Err(e) => Err(ApiError::Unavailable(e)),
    }
}
