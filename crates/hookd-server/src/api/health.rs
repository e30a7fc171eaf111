//! `GET /api/v1/health` (the store answers: 204, else 503) and `GET /api/v1/health/ping` (the
//! process answers: 204). Neither needs a token, so load balancers can call them. This module
//! must not report anything beyond up or down.

use axum::{extract::State, http::StatusCode};

use crate::{error::ApiError, AppState};

/// `GET /api/v1/health`.
pub async fn health(State(state): State<AppState>) -> Result<StatusCode, ApiError> {
    match state.store.ping().await {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(e) => Err(ApiError::Unavailable(e)),
    }
}

/// `GET /api/v1/health/ping`.
pub async fn ping() -> StatusCode {
    StatusCode::NO_CONTENT
}
