//! `POST /api/v1/app/{app_id}/endpoint/{endpoint_id}/recover`: makes every failed (exhausted)
//! delivery of the endpoint created since `since` (and before `until`) due again as a manual
//! attempt, and wakes the workers.
//!
//! Svix runs this as a background task and answers 202 with a `RecoverOut` task record. The store
//! does the whole recovery in one statement, so by the time we answer it is already done; the
//! answer keeps Svix's shape (`status: running`, `task: endpoint.recover`) because that is what
//! the SDKs parse.
//!
//! hookd's extension: `async=true` (in the body or the query string) answers at once and runs
//! the recovery in the background. Either way the task's id is the `id` of the answer, and a
//! `background_task.finished` operational webhook with that id and `{"recovered": n}` reports
//! its end (see [`crate::api::operational`]). This module must not attempt deliveries itself.

use axum::{extract::State, http::StatusCode, Json};
use chrono::{DateTime, Duration, Utc};
use hookd_core::id::TaskId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{
    api::{
        extract::{ApiJson, ApiPath, QueryParams},
        load_app, load_endpoint, operational,
        schema::{
            AppPath, AsyncParam, BackgroundTaskStatus, BackgroundTaskType, BadRequest,
            EndpointPath, Errors, IdempotencyKey, PayloadTooLarge, Unavailable,
        },
        wire::ts,
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

/// Svix's `RecoverOut`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RecoverOut {
    /// The task's id, also the `taskId` of its `background_task.finished` report.
    #[schema(example = "qtask_1srOrx2ZWZBpBUvZwXKQmoEYga2")]
    id: String,
    /// Always `running`, as in Svix.
    #[schema(value_type = BackgroundTaskStatus)]
    status: &'static str,
    /// `endpoint.recover`.
    #[schema(value_type = BackgroundTaskType)]
    task: &'static str,
    /// When the task was started.
    #[schema(format = DateTime)]
    updated_at: String,
}

/// `POST …/recover`: 202.
#[utoipa::path(
    post,
    path = "/api/v1/app/{app_id}/endpoint/{endpoint_id}/recover",
    operation_id = "v1.endpoint.recover",
    tag = "Endpoint",
    summary = "Recover Failed Webhooks",
    description = "Resend all failed messages since a given time. With hookd's `async=true` \
                   the request answers at once; either way a `background_task.finished` \
                   operational webhook reports the task's end.",
    params(AppPath, EndpointPath, AsyncParam, IdempotencyKey),
    request_body = RecoverIn,
    responses((status = 202, body = RecoverOut), BadRequest, Errors, PayloadTooLarge, Unavailable)
)]
pub async fn recover(
    State(state): State<AppState>,
    ApiPath((app_id, endpoint_id)): ApiPath<(String, String)>,
    query: QueryParams,
    ApiJson(input): ApiJson<RecoverIn>,
) -> ApiResult<(StatusCode, Json<RecoverOut>)> {
    let in_background = input.run_async || query.bool("async", false)?;
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
    let id = TaskId::generate(now, &mut rand::thread_rng());
    let work = {
        let state = state.clone();
        async move {
            let recovered = state
                .store
                .recover(&app.id, &ep.id, input.since, input.until, now)
                .await?;
            if recovered > 0 {
                state.wake.notify_one();
            }
            tracing::info!(endpoint = %ep.id, recovered, "recovered failed deliveries");
            Ok(serde_json::json!({ "recovered": recovered }))
        }
    };
    if let Some(result) = operational::run(&state, id.clone(), TASK, in_background, work).await {
        result?;
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(RecoverOut {
            id: id.to_string(),
            status: "running",
            task: TASK,
            updated_at: ts(now),
        }),
    ))
}
