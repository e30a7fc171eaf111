//! hookd's own extension routes for its web consoles (the operator dashboard and the tenant
//! portal, see `crate::ui`), outside Svix's document under `/api/v1/hookd/`:
//!
//! - `GET /api/v1/hookd/session`: who the presented token is (admin, or which application an
//!   `appsk_` token belongs to, with its portal scope: read-only, capabilities, feature flags),
//!   so that the portal learns its application and what it may offer from its token alone.
//! - `GET /api/v1/hookd/stats/attempts?appId=&endpointId=&since=&until=&bucketSecs=`: attempts
//!   counted per time bucket by outcome, with latency percentiles read from duration bins
//!   ([`AttemptBucket::quantile_upper_ms`]), for the consoles' charts.
//!
//! # Authorization
//! `crate::auth` decides on route templates, and its rule for application tokens ("the
//! `{app_id}` of the path must be your own") cannot express an *optional* application in the
//! query string. These routes are therefore mounted outside that middleware and authenticate
//! with [`crate::auth::authenticate`] themselves, then scope by the token: an admin token may
//! ask about any application or all of them; an application token only ever about its own (its
//! application is the default, and naming another one is a 403 indistinguishable from naming
//! one that does not exist, as in `crate::auth`).
//!
//! This module must not change anything: both routes only read.

use axum::{
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use chrono::Duration;
use hookd_core::{
    model::{Application, AttemptBucket, TokenScope, DURATION_BIN_UPPER_MS},
    store::BucketQuery,
};
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

use super::{
    extract::{path_key, QueryParams},
    load_endpoint,
    schema::{Errors, Unavailable},
    wire::ts,
};
use crate::{
    auth::authenticate,
    error::{ApiError, ApiResult},
    worker::http::USER_AGENT_VALUE,
    AppState,
};

/// The default chart window when `since` is absent: the last hour.
const DEFAULT_WINDOW_SECS: i64 = 3600;
/// The default bucket: one minute ("deliveries per minute").
const DEFAULT_BUCKET_SECS: u32 = 60;
/// The widest bucket: 31 days.
const MAX_BUCKET_SECS: u32 = 31 * 86_400;
/// A chart has at most this many buckets, which bounds the work one request can ask the
/// store for and the size of the answer.
const MAX_BUCKETS: i64 = 2000;

/// The application a session belongs to.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionApp {
    /// The application's id.
    id: String,
    /// Its uid, if it has one.
    uid: Option<String>,
    /// Its name.
    name: String,
}

/// The answer of `GET /api/v1/hookd/session`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionOut {
    /// `admin` or `app`.
    #[schema(value_type = String, pattern = "^(admin|app)$")]
    scope: &'static str,
    /// The token's application, for application tokens.
    app: Option<SessionApp>,
    /// Whether the token is read-only (Svix's `readOnly`): the portal shows no control that
    /// changes anything, and the API refuses every such change with 403.
    read_only: bool,
    /// The capabilities the token effectively holds (Svix's names; `readOnly` leaves only
    /// `ViewBase` and `ViewEndpointSecret`), so the portal shows only what the API allows.
    /// Admin tokens hold them all.
    #[schema(example = json!(["ViewBase", "ViewEndpointSecret"]))]
    capabilities: Vec<&'static str>,
    /// The feature flags the token holds (event types gated by others are hidden from it).
    feature_flags: Vec<String>,
    /// The `user-agent` that deliveries carry, which the consoles show in the request they
    /// reconstruct for an attempt.
    user_agent: &'static str,
}

/// Latency percentiles of some attempts, each the upper bound in ms of the duration bin that
/// holds it; `null` when it falls in the open-ended last bin (slower than the largest finite
/// bound).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Percentiles {
    /// The median.
    p50_ms: Option<i64>,
    /// The 90th percentile.
    p90_ms: Option<i64>,
    /// The 99th percentile.
    p99_ms: Option<i64>,
}

impl Percentiles {
    fn of(bucket: &AttemptBucket) -> Self {
        let finite = |q: f64| bucket.quantile_upper_ms(q).filter(|ms| *ms != i64::MAX);
        Self {
            p50_ms: finite(0.5),
            p90_ms: finite(0.9),
            p99_ms: finite(0.99),
        }
    }
}

/// One bucket of the chart.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BucketOut {
    /// The bucket's start.
    #[schema(format = DateTime)]
    start: String,
    /// Successful attempts.
    success: i64,
    /// Failed attempts.
    fail: i64,
    #[serde(flatten)]
    latency: Percentiles,
    /// Attempts per duration bin (see `binUpperMs`).
    #[schema(min_items = 12, max_items = 12)]
    duration_bins: [i64; 12],
}

/// The answer of `GET /api/v1/hookd/stats/attempts`. Buckets without attempts are left out;
/// the consoles draw them as zero.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttemptStatsOut {
    /// The application counted, or `null` for all.
    app_id: Option<String>,
    /// The endpoint counted, or `null` for all of the application's.
    endpoint_id: Option<String>,
    /// The window's start.
    #[schema(format = DateTime)]
    since: String,
    /// The window's end.
    #[schema(format = DateTime)]
    until: String,
    /// The bucket width in seconds.
    bucket_secs: u32,
    /// The inclusive upper bounds (ms) of `durationBins`; the last bin (`null`) is open-ended.
    bin_upper_ms: Vec<Option<i64>>,
    data: Vec<BucketOut>,
    /// Everything in the window together.
    total: TotalOut,
}

/// The whole window's counts and percentiles (the percentiles only when any attempt was
/// made).
#[derive(Debug, Serialize, ToSchema)]
pub struct TotalOut {
    /// Successful attempts.
    success: i64,
    /// Failed attempts.
    fail: i64,
    #[serde(flatten)]
    latency: Option<Percentiles>,
}

/// The query of `GET /api/v1/hookd/stats/attempts`.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct AttemptStatsParams {
    /// The application (id or uid); default: all (admin tokens), the token's own
    /// (application tokens, which may name no other).
    #[param(
        rename = "appId",
        min_length = 1,
        max_length = 256,
        pattern = r"^[a-zA-Z0-9\-_.]+$"
    )]
    app_id: Option<String>,
    /// One endpoint (id or uid) of that application; needs `appId`.
    #[param(
        rename = "endpointId",
        min_length = 1,
        max_length = 256,
        pattern = r"^[a-zA-Z0-9\-_.]+$"
    )]
    endpoint_id: Option<String>,
    /// The window's start; default: an hour before `until`.
    #[param(value_type = Option<String>, format = DateTime)]
    since: Option<String>,
    /// The window's end; default: now.
    #[param(value_type = Option<String>, format = DateTime)]
    until: Option<String>,
    /// The bucket width in seconds (1 s to 31 days; default 60); the window may hold at most
    /// 2000 buckets.
    #[param(rename = "bucketSecs", minimum = 1, maximum = 2678400)]
    bucket_secs: Option<u32>,
}

fn forbidden() -> ApiError {
    ApiError::Forbidden("Insufficient access for the given operation.".into())
}

/// `GET /api/v1/hookd/session`.
#[utoipa::path(
    get,
    path = "/api/v1/hookd/session",
    operation_id = "hookd.console.session",
    tag = "hookd",
    summary = "Console Session",
    description = "hookd's extension for its web consoles: who the presented token is (admin, \
                   or which application a portal token belongs to).",
    responses((status = 200, body = SessionOut), Errors, Unavailable)
)]
pub async fn session(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match session_inner(&state, &headers).await {
        Ok(out) => Json(out).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn session_inner(state: &AppState, headers: &HeaderMap) -> ApiResult<SessionOut> {
    let token = authenticate(state, headers).await?;
    let app = match &token.scope {
        TokenScope::Admin => None,
        TokenScope::App(id) => {
            // A token whose application was deleted reaches nothing; say so the same way.
            let app = state
                .directory
                .get_app(id.as_str())
                .await?
                .ok_or_else(forbidden)?;
            Some(SessionApp {
                id: app.id.to_string(),
                uid: app.uid,
                name: app.name,
            })
        }
    };
    let portal = &token.portal;
    Ok(SessionOut {
        scope: if app.is_some() { "app" } else { "admin" },
        app,
        read_only: portal.read_only,
        capabilities: portal.effective().into_iter().map(|c| c.as_str()).collect(),
        feature_flags: portal.feature_flags.iter().cloned().collect(),
        user_agent: USER_AGENT_VALUE,
    })
}

/// `GET /api/v1/hookd/stats/attempts`.
#[utoipa::path(
    get,
    path = "/api/v1/hookd/stats/attempts",
    operation_id = "hookd.stats.attempts",
    tag = "hookd",
    summary = "Attempt Statistics",
    description = "hookd's extension for its web consoles' charts: attempts per time bucket \
                   by outcome, with latency percentiles. Admin tokens see every application, \
                   application tokens only their own.",
    params(AttemptStatsParams),
    responses((status = 200, body = AttemptStatsOut), Errors, Unavailable)
)]
pub async fn attempt_stats(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: QueryParams,
) -> Response {
    match attempt_stats_inner(&state, &headers, &query).await {
        Ok(out) => (StatusCode::OK, Json(out)).into_response(),
        Err(e) => e.into_response(),
    }
}

/// The application the caller asks about, within what its token may see.
async fn scoped_app(
    state: &AppState,
    scope: &TokenScope,
    wanted: Option<&str>,
) -> ApiResult<Option<Application>> {
    match (scope, wanted) {
        (TokenScope::Admin, None) => Ok(None),
        (TokenScope::Admin, Some(wanted)) => state
            .directory
            .get_app(wanted)
            .await?
            .map(Some)
            .ok_or_else(ApiError::not_found),
        (TokenScope::App(own), wanted) => {
            let app = state
                .directory
                .get_app(wanted.unwrap_or(own.as_str()))
                .await?
                .filter(|app| &app.id == own)
                .ok_or_else(forbidden)?;
            Ok(Some(app))
        }
    }
}

async fn attempt_stats_inner(
    state: &AppState,
    headers: &HeaderMap,
    query: &QueryParams,
) -> ApiResult<AttemptStatsOut> {
    let token = authenticate(state, headers).await?;
    // Check the input before touching the store, so that the caller learns about bad input
    // whatever it may see.
    let bucket_secs = match query.get("bucketSecs") {
        None => DEFAULT_BUCKET_SECS,
        Some(v) => v
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_BUCKET_SECS).contains(n))
            .ok_or_else(|| {
                ApiError::invalid(
                    &["query", "bucketSecs"],
                    format!("must be a whole number of seconds from 1 to {MAX_BUCKET_SECS}"),
                )
            })?,
    };
    let until = query
        .timestamp("until")?
        .unwrap_or_else(|| state.clock.now());
    let since = query
        .timestamp("since")?
        .unwrap_or(until - Duration::seconds(DEFAULT_WINDOW_SECS));
    if since >= until {
        return Err(ApiError::invalid(
            &["query", "since"],
            "must be before until",
        ));
    }
    let buckets = (until - since).num_seconds() / i64::from(bucket_secs);
    if buckets > MAX_BUCKETS {
        return Err(ApiError::invalid(
            &["query", "bucketSecs"],
            format!(
                "the window holds {buckets} buckets of {bucket_secs} s; at most {MAX_BUCKETS} \
                 are allowed, so choose larger buckets or a shorter window"
            ),
        ));
    }
    let app_param = query.get("appId");
    let endpoint_param = query.get("endpointId");
    if let Some(app) = app_param {
        path_key("appId", app)
            .map_err(|_| ApiError::invalid(&["query", "appId"], "invalid application id"))?;
    }
    if let Some(ep) = endpoint_param {
        path_key("endpointId", ep)
            .map_err(|_| ApiError::invalid(&["query", "endpointId"], "invalid endpoint id"))?;
    }

    let app = scoped_app(state, &token.scope, app_param).await?;
    let endpoint = match (endpoint_param, &app) {
        (None, _) => None,
        (Some(ep), Some(app)) => Some(load_endpoint(state, app, ep).await?),
        (Some(_), None) => {
            return Err(ApiError::invalid(
                &["query", "endpointId"],
                "an endpoint is named within its application: give appId too",
            ))
        }
    };
    let data = state
        .history
        .attempt_buckets(&BucketQuery {
            app: app.as_ref().map(|a| a.id.clone()),
            endpoint: endpoint.as_ref().map(|e| e.id.clone()),
            since,
            until,
            bucket_secs,
        })
        .await?;

    let mut total = AttemptBucket::default();
    for b in &data {
        total.success += b.success;
        total.fail += b.fail;
        for (sum, n) in total.duration_bins.iter_mut().zip(b.duration_bins) {
            *sum += n;
        }
    }
    let any = total.duration_bins.iter().any(|n| *n > 0);
    Ok(AttemptStatsOut {
        app_id: app.map(|a| a.id.to_string()),
        endpoint_id: endpoint.map(|e| e.id.to_string()),
        since: ts(since),
        until: ts(until),
        bucket_secs,
        bin_upper_ms: DURATION_BIN_UPPER_MS
            .iter()
            .map(|ms| Some(*ms).filter(|ms| *ms != i64::MAX))
            .collect(),
        data: data
            .into_iter()
            .map(|b| BucketOut {
                start: ts(b.start),
                success: b.success,
                fail: b.fail,
                latency: Percentiles::of(&b),
                duration_bins: b.duration_bins,
            })
            .collect(),
        total: TotalOut {
            success: total.success,
            fail: total.fail,
            latency: any.then(|| Percentiles::of(&total)),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_open_bin_has_no_finite_percentile() {
        let mut b = AttemptBucket::default();
        b.duration_bins[0] = 98;
        b.duration_bins[11] = 2;
        let p = Percentiles::of(&b);
        assert_eq!(p.p50_ms, Some(5));
        assert_eq!(p.p90_ms, Some(5));
        assert_eq!(p.p99_ms, None);
    }
}
