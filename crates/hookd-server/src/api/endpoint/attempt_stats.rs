//! `GET /api/v1/app/{app_id}/endpoint/{endpoint_id}/attempt-stats` (Svix's newer SDKs): the
//! endpoint's attempts in a window, by outcome, the window widened to whole hours as Svix
//! rounds it. The window follows the endpoint `stats` route's rule: at most 28 days, the last 28
//! days by default, not in the future.
//!
//! hookd never makes an attempt it then cancels: a delivery is canceled instead (its endpoint
//! was disabled), so `canceled` counts the endpoint's canceled deliveries of the window. This
//! module must not count anything itself; the store does.

use axum::{extract::State, Json};
use chrono::{DateTime, Duration, DurationRound, Utc};
use hookd_core::store::BucketQuery;
use serde::Serialize;
use utoipa::ToSchema;

use crate::{
    api::{
        endpoint::stats::StatsRange,
        extract::{ApiPath, QueryParams},
        load_app, load_endpoint,
        schema::{AppPath, BadRequest, EndpointPath, Errors, Unavailable},
    },
    error::{ApiError, ApiResult},
    AppState,
};

/// Svix rounds the window to hours.
const HOUR_SECS: u32 = 3600;

/// The default and largest window, as for `…/stats`; five minutes forgive a caller's skew.
fn window() -> Duration {
    Duration::days(28)
}

/// Svix's `EndpointAttemptStats`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = EndpointAttemptStats)]
pub struct EndpointAttemptStatsOut {
    /// Attempts that succeeded.
    success: i64,
    /// Attempts that failed.
    fail: i64,
    /// Deliveries canceled because the endpoint was disabled (hookd cancels deliveries, not
    /// attempts).
    canceled: i64,
}

/// `t` rounded down to its hour.
fn floor_hour(t: DateTime<Utc>) -> DateTime<Utc> {
    t.duration_trunc(Duration::hours(1)).unwrap_or(t)
}

/// `GET …/attempt-stats?since=…&until=…`.
#[utoipa::path(
    get,
    path = "/api/v1/app/{app_id}/endpoint/{endpoint_id}/attempt-stats",
    operation_id = "v1.endpoint.get-attempt-stats",
    tag = "Endpoint",
    summary = "Endpoint Attempt Stats",
    description = "The endpoint's attempts by outcome over a window of at most 28 days (400 \
                   `invalid_range` otherwise), widened to whole hours. `canceled` counts the \
                   deliveries canceled in the window, which hookd cancels instead of attempts.",
    params(AppPath, EndpointPath, StatsRange),
    responses((status = 200, body = EndpointAttemptStatsOut), BadRequest, Errors, Unavailable)
)]
pub async fn attempt_stats(
    State(state): State<AppState>,
    ApiPath((app_id, endpoint_id)): ApiPath<(String, String)>,
    query: QueryParams,
) -> ApiResult<Json<EndpointAttemptStatsOut>> {
    let now = state.clock.now();
    let until = query.timestamp("until")?.unwrap_or(now);
    if until > now {
        return Err(ApiError::bad_request(
            "invalid_range",
            "'until' cannot be in the future",
        ));
    }
    let since = query.timestamp("since")?.unwrap_or(until - window());
    if since > until || until - since > window() + Duration::minutes(5) {
        return Err(ApiError::bad_request(
            "invalid_range",
            format!("'since' must be before 'until' and at most 28 days prior to {until}"),
        ));
    }
    let app = load_app(&state, &app_id).await?;
    let ep = load_endpoint(&state, &app, &endpoint_id).await?;
    let since = floor_hour(since);
    // The end is exclusive: the hour holding `until` is included whole.
    let until = floor_hour(until) + Duration::hours(1);
    let buckets = state
        .history
        .attempt_buckets(&BucketQuery {
            app: Some(app.id.clone()),
            endpoint: Some(ep.id.clone()),
            since,
            until,
            bucket_secs: HOUR_SECS,
        })
        .await?;
    let deliveries = state
        .history
        .endpoint_stats(&app.id, &ep.id, Some(since), Some(until))
        .await?;
    Ok(Json(EndpointAttemptStatsOut {
        success: buckets.iter().map(|b| b.success).sum(),
        fail: buckets.iter().map(|b| b.fail).sum(),
        canceled: deliveries.canceled,
    }))
}
