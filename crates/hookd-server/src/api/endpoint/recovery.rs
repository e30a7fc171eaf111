//! `POST /api/v1/app/{app_id}/endpoint/{endpoint_id}/recover`: makes every failed (exhausted)
//! delivery of the endpoint created since `since` (and before `until`) due again as a manual
//! attempt, and wakes the workers.
//!
//! Svix runs this as a background task and answers 202 with a `RecoverOut` task record. The store
//! does the whole recovery in one statement, so by the time we answer it is usually done: the
//! answer is the task record (Svix's `RecoverOut` plus `data`) as it stands, `finished` with
//! `{"recovered": n}`.
//!
//! hookd's extension: `async=true` (in the body or the query string) answers at once, `running`,
//! and runs the recovery in the background. Either way the task is a row that
//! `GET /api/v1/background-task/{id}` reads, and a `background_task.finished` operational
//! webhook reports its end (see [`crate::api::background_task`]). This module must not attempt
//! deliveries itself.

use axum::{extract::State, http::StatusCode, Json};
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::{
    api::{
        background_task::{self, BackgroundTaskOut},
        extract::{ApiJson, ApiPath, QueryParams},
        load_app, load_endpoint,
        schema::{
            AppPath, AsyncParam, BadRequest, EndpointPath, Errors, IdempotencyKey, PayloadTooLarge,
            Unavailable,
        },
    },
    error::{ApiError, ApiResult},
    AppState,
};

/// Svix recovers at most 14 days at once; the extra five minutes let a caller pass
/// `now - 14 days` computed on a clock slightly ahead of ours.
fn max_window() -> Duration {
    Duration::days(14) + Duration::minutes(5)
}

/// The task name Svix reports for a recovery.
const TASK: &str = "endpoint.recover";

/// Svix's `RecoverIn`, plus hookd's `async`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecoverIn {
    /// Recover failed deliveries of messages created since this time (at most 14 days before
    /// `until`).
    #[schema(value_type = String, format = DateTime)]
    since: DateTime<Utc>,
    /// … and before this time (default: now).
    #[serde(default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    until: Option<DateTime<Utc>>,
    /// hookd's extension: answer at once and report the end by operational webhook.
    #[serde(default, rename = "async")]
    run_async: bool,
}

/// `POST …/recover`: 202.
#[utoipa::path(
    post,
    path = "/api/v1/app/{app_id}/endpoint/{endpoint_id}/recover",
    operation_id = "v1.endpoint.recover",
    tag = "Endpoint",
    summary = "Recover Failed Webhooks",
    description = "Resend all failed messages since a given time. The answer is the task as \
                   it stands: `finished` with `{\"recovered\": n}`, or with hookd's \
                   `async=true` at once, `running`; either way a `background_task.finished` \
                   operational webhook reports the task's end.",
    params(AppPath, EndpointPath, AsyncParam, IdempotencyKey),
    request_body = RecoverIn,
    responses((status = 202, body = BackgroundTaskOut), BadRequest, Errors, PayloadTooLarge, Unavailable)
)]
pub async fn recover(
    State(state): State<AppState>,
    ApiPath((app_id, endpoint_id)): ApiPath<(String, String)>,
    query: QueryParams,
    ApiJson(input): ApiJson<RecoverIn>,
) -> ApiResult<(StatusCode, Json<BackgroundTaskOut>)> {
    // The query is read even when the body already asks for the background, so that a bad
    // `?async=` is refused, never skipped.
    let in_background = query.bool("async", false)? || input.run_async;
    let now = state.clock.now();
    let until = input.until.unwrap_or(now);
    if input.since < until - max_window() {
        return Err(ApiError::invalid(
            &["body", "since"],
            format!(
                "Cannot recover more than {} days of messages",
                max_window().num_days()
            ),
        ));
    }
    let app = load_app(&state, &app_id).await?;
    let ep = load_endpoint(&state, &app, &endpoint_id).await?;
    let work = {
        let state = state.clone();
        async move {
            let recovered = state
                .queue
                .recover(&app.id, &ep.id, input.since, input.until, now)
                .await?;
            if recovered > 0 {
                state.engine.wake();
            }
            tracing::info!(endpoint = %ep.id, recovered, "recovered failed deliveries");
            Ok(serde_json::json!({ "recovered": recovered }))
        }
    };
    let task = background_task::run(&state, TASK, in_background, work).await?;
    Ok((StatusCode::ACCEPTED, Json(task.into())))
}
