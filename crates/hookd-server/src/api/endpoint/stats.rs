//! `GET /api/v1/app/{app_id}/endpoint/{endpoint_id}/stats`: delivery counts of the endpoint by
//! status over a window of at most 28 days (Svix's rule), the last 28 days by default.
//!
//! This module must not count anything itself; the store does.

use axum::{extract::State, Json};
use chrono::Duration;
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

use crate::{
    api::{
        extract::{ApiPath, QueryParams},
        load_app, load_endpoint,
        schema::{AppPath, BadRequest, EndpointPath, Errors, Unavailable},
    },
    error::{ApiError, ApiResult},
    AppState,
};

/// The default and largest window; the extra five minutes forgive a caller's clock skew when it
/// asks for exactly `now - 28 days`.
fn window() -> Duration {
    Duration::days(28)
}

/// Svix's `EndpointStats`: deliveries to the endpoint by status.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = EndpointStats)]
pub struct EndpointStatsOut {
    /// Delivered.
    success: i64,
    /// Waiting for their first attempt or a retry.
    pending: i64,
    /// Being attempted.
    sending: i64,
    /// Exhausted.
    fail: i64,
    /// Dropped because the endpoint was disabled.
    canceled: i64,
}

/// The window of the stats.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct StatsRange {
    /// The window's start (default: 28 days before `until`; at most that long before it).
    #[param(value_type = Option<String>, format = DateTime)]
    since: Option<String>,
    /// The window's end (default: now; not in the future).
    #[param(value_type = Option<String>, format = DateTime)]
    until: Option<String>,
}

/// `GET …/stats?since=…&until=…`.
#[utoipa::path(
    get,
    path = "/api/v1/app/{app_id}/endpoint/{endpoint_id}/stats",
    operation_id = "v1.endpoint.get-stats",
    tag = "Endpoint",
    summary = "Endpoint Stats",
    description = "Get basic statistics for the endpoint: deliveries by status over a window \
                   of at most 28 days (400 `invalid_range` otherwise).",
    params(AppPath, EndpointPath, StatsRange),
    responses((status = 200, body = EndpointStatsOut), BadRequest, Errors, Unavailable)
)]
pub async fn stats(
    State(state): State<AppState>,
    ApiPath((app_id, endpoint_id)): ApiPath<(String, String)>,
    query: QueryParams,
) -> ApiResult<Json<EndpointStatsOut>> {
    let now = state.clock.now();
    let until = query.timestamp("until")?.unwrap_or(now);
    if until > now {
        return Err(ApiError::bad_request(
            "invalid_range",
            "'until' cannot be in the future",
        ));
    }
    let since = query.timestamp("since")?.unwrap_or(until - window());
    if until - since > window() + Duration::minutes(5) {
        return Err(ApiError::bad_request(
            "invalid_range",
            format!("'since' cannot be more than 28 days prior to {until}"),
        ));
    }
    let app = load_app(&state, &app_id).await?;
    let ep = load_endpoint(&state, &app, &endpoint_id).await?;
    // The window's end is exclusive in the store; `until = now` must include what happened now.
    let s = state
        .history
        .endpoint_stats(
            &app.id,
            &ep.id,
            Some(since),
            Some(until + Duration::milliseconds(1)),
        )
        .await?;
    Ok(Json(EndpointStatsOut {
        success: s.success,
        pending: s.pending,
        sending: s.sending,
        fail: s.fail,
        canceled: s.canceled,
    }))
}
