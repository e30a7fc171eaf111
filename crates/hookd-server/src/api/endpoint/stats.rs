//! `GET /api/v1/app/{app_id}/endpoint/{endpoint_id}/stats`: delivery counts of the endpoint by
//! status over a window of at most 28 days (Svix's rule), the last 28 days by default.
//!
//! This module must not count anything itself; the store does.

use axum::{extract::State, Json};
use chrono::Duration;
use serde::Serialize;

use crate::{
    api::{
        extract::{ApiPath, QueryParams},
        load_app, load_endpoint,
    },
    error::{ApiError, ApiResult},
    AppState,
};

/// The default and largest window; the extra five minutes forgive a caller's clock skew when it
/// asks for exactly `now - 28 days`.
fn window() -> Duration {
    Duration::days(28)
}

/// Svix's `EndpointStats`.
#[derive(Debug, Serialize)]
pub struct EndpointStatsOut {
    success: i64,
    pending: i64,
    sending: i64,
    fail: i64,
    canceled: i64,
}

/// `GET …/stats?since=…&until=…`.
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
        .store
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
