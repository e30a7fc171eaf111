//! `GET /api/v1/health` (the store answers: 204, else 503) and `GET /api/v1/health/ping` (the
//! process answers: 204). Neither needs a token, so load balancers can call them. This module
//! must not report anything beyond up or down.

use axum::{extract::State, http::StatusCode};

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
