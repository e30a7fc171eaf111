//! Svix's statistics API: `POST /api/v1/stats/usage/app` (task `application.stats`) and
//! `PUT /api/v1/stats/usage/event-types` (task `event-type.aggregate`). Both are tasks that
//! put their result in the task's `data` (read it with `GET /api/v1/background-task/{id}`), in
//! the shapes Svix's SDKs document for them:
//! - application stats: per application asked for (all by default), how many deliveries
//!   (`messageDestinations`: a message to one endpoint) its messages of `[since, until)` made:
//!   `{"appStats": [{"messageDestinations", "appId", "appUid"}]}`;
//! - event type aggregate: per application, the event types its endpoints subscribe to by
//!   name, and whether one takes every type:
//!   `{"event_types": [{"appId", "explicitlySubscribedEventTypes", "hasCatchAllEndpoint"}]}`.
//!
//! This module must not write anything but task rows.

use std::collections::BTreeSet;

use axum::{extract::State, http::StatusCode, Json};
use chrono::{DateTime, Duration, Utc};
use hookd_core::{
    model::{Application, Endpoint},
    store::{AppFilter, DeliveryFilter, MessageFilter},
    validate,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::{
    api::{
        background_task::{self, BackgroundTaskOut},
        extract::{ApiJson, QueryParams},
        schema::{
            AsyncParam, BackgroundTaskStatus, BackgroundTaskType, BadRequest, Errors, IdOrUid,
            IdempotencyKey, PayloadTooLarge, Unavailable,
        },
        wire::{ts, Checks},
    },
    error::{ApiError, ApiResult},
    AppState,
};

/// Svix's task name for application statistics.
const APP_STATS_TASK: &str = "application.stats";
/// Svix's task name for the event type aggregate.
const EVENT_TYPES_TASK: &str = "event-type.aggregate";
/// The most applications one request may name.
const MAX_APP_IDS: usize = 1000;

/// Svix's `AppUsageStatsIn`, plus hookd's `async`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AppUsageStatsIn {
    /// Count messages created from this time on…
    #[schema(value_type = String, format = DateTime)]
    since: DateTime<Utc>,
    /// … and before this time.
    #[schema(value_type = String, format = DateTime)]
    until: DateTime<Utc>,
    /// Only these applications (ids or uids); all by default. If none resolves, 422.
    #[serde(default)]
    #[schema(value_type = Option<Vec<IdOrUid>>, max_items = 1000)]
    app_ids: Option<Vec<String>>,
    /// hookd's extension: answer at once, `running`.
    #[serde(default, rename = "async")]
    run_async: bool,
}

/// Svix's `AppUsageStatsOut`: the task, and the ids that did not resolve.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AppUsageStatsOut {
    /// The task's id.
    id: String,
    /// Where it is.
    #[schema(value_type = BackgroundTaskStatus)]
    status: &'static str,
    /// `application.stats`.
    #[schema(value_type = BackgroundTaskType)]
    task: String,
    /// Its result when it finished (see the module's description).
    #[schema(value_type = Object)]
    data: serde_json::Value,
    /// When it last changed.
    #[schema(format = DateTime)]
    updated_at: String,
    /// The ids or uids given that name no application; the others are counted.
    unresolved_app_ids: Vec<String>,
}

/// Every application.
async fn all_apps(state: &AppState) -> ApiResult<Vec<Application>> {
    super::every(|q| async move { state.directory.list_apps(&AppFilter::default(), &q).await })
        .await
}

/// Every endpoint of `app`.
async fn endpoints_of(state: &AppState, app: &Application) -> ApiResult<Vec<Endpoint>> {
    super::every(|q| async move { state.directory.list_endpoints(&app.id, &q).await }).await
}

/// Svix's `messageDestinations`: per application, how many deliveries (a message to one
/// endpoint) its messages of `[since, until)` made.
async fn count_destinations(
    state: AppState,
    apps: Vec<Application>,
    filter: MessageFilter,
) -> ApiResult<serde_json::Value> {
    let mut out = Vec::with_capacity(apps.len());
    let filter = DeliveryFilter {
        message: filter,
        status: None,
    };
    for app in apps {
        let mut destinations = 0usize;
        for ep in endpoints_of(&state, &app).await? {
            let (state, app, filter, ep) = (&state, &app, &filter, &ep);
            destinations += super::every(|q| async move {
                state
                    .history
                    .list_endpoint_deliveries(&app.id, &ep.id, filter, &q)
                    .await
            })
            .await?
            .len();
        }
        out.push(json!({
            "messageDestinations": destinations,
            "appId": app.id.as_str(),
            "appUid": app.uid,
        }));
    }
    Ok(json!({ "appStats": out }))
}

/// Per application, the event types its endpoints subscribe to by name, and whether one of
/// them takes every type (Svix's `event-type.aggregate` result).
async fn aggregate_event_types(state: AppState) -> ApiResult<serde_json::Value> {
    let mut out = Vec::new();
    for app in all_apps(&state).await? {
        let mut types = BTreeSet::new();
        let mut catch_all = false;
        for ep in endpoints_of(&state, &app).await? {
            match ep.event_types {
                Some(names) => types.extend(names),
                None => catch_all = true,
            }
        }
        out.push(json!({
            "appId": app.id.as_str(),
            "explicitlySubscribedEventTypes": types,
            "hasCatchAllEndpoint": catch_all,
        }));
    }
    // Svix's key is `event_types`, snake case, as its SDKs document the task's result.
    Ok(json!({ "event_types": out }))
}

/// `POST /api/v1/stats/usage/app`: 202 with the task.
#[utoipa::path(
    post,
    path = "/api/v1/stats/usage/app",
    operation_id = "v1.statistics.aggregate-app-stats",
    tag = "Statistics",
    summary = "Aggregate App Stats",
    description = "Counts the deliveries (a message to one endpoint) that the messages each \
                   application (all, or those named) got in `[since, until)` made, as the task \
                   `application.stats`; its data is `{\"appStats\": [{\"messageDestinations\", \
                   \"appId\", \"appUid\"}]}`.",
    params(AsyncParam, IdempotencyKey),
    request_body = AppUsageStatsIn,
    responses((status = 202, body = AppUsageStatsOut), BadRequest, Errors, PayloadTooLarge, Unavailable)
)]
pub async fn aggregate_app_stats(
    State(state): State<AppState>,
    query: QueryParams,
    ApiJson(input): ApiJson<AppUsageStatsIn>,
) -> ApiResult<(StatusCode, Json<AppUsageStatsOut>)> {
    // The query is read even when the body already asks for the background, so that a bad
    // `?async=` is refused, never skipped.
    let in_background = query.bool("async", false)? || input.run_async;
    let mut checks = Checks::default();
    if input.until <= input.since {
        checks.push(crate::error::ValidationItem::value(
            &["body", "until"],
            "must be after since",
        ));
    }
    let ids = input.app_ids.map(super::wire::dedupe);
    if let Some(ids) = &ids {
        if ids.len() > MAX_APP_IDS {
            checks.push(crate::error::ValidationItem::value(
                &["body", "appIds"],
                format!("must list at most {MAX_APP_IDS} applications"),
            ));
        }
        for id in ids {
            checks.check(validate::key(
                &["body", "appIds"],
                id,
                validate::MAX_KEY_LEN,
            ));
        }
    }
    checks.finish()?;
    let (apps, unresolved) = match ids {
        None => (all_apps(&state).await?, Vec::new()),
        Some(ids) => {
            let (mut apps, mut unresolved) = (Vec::new(), Vec::new());
            for id in ids {
                match state.directory.get_app(&id).await? {
                    Some(app) => apps.push(app),
                    None => unresolved.push(id),
                }
            }
            if apps.is_empty() {
                return Err(ApiError::invalid(
                    &["body", "appIds"],
                    "none of these applications exists",
                ));
            }
            (apps, unresolved)
        }
    };
    let filter = MessageFilter {
        after: Some(input.since - Duration::milliseconds(1)),
        before: Some(input.until),
        ..MessageFilter::default()
    };
    let work = count_destinations(state.clone(), apps, filter);
    let task = background_task::run(&state, APP_STATS_TASK, in_background, work).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(AppUsageStatsOut {
            id: task.id.to_string(),
            status: task.status.as_str(),
            task: task.kind,
            data: task.data,
            updated_at: ts(task.updated_at),
            unresolved_app_ids: unresolved,
        }),
    ))
}

/// `PUT /api/v1/stats/usage/event-types`: 202 with the task.
#[utoipa::path(
    put,
    path = "/api/v1/stats/usage/event-types",
    operation_id = "v1.statistics.aggregate-event-types",
    tag = "Statistics",
    summary = "Aggregate Event Types",
    description = "Lists, per application, the event types its endpoints subscribe to by \
                   name and whether one takes every type, as the task `event-type.aggregate`; \
                   its data is `{\"event_types\": [{\"appId\", \
                   \"explicitlySubscribedEventTypes\", \"hasCatchAllEndpoint\"}]}`",
    params(AsyncParam, IdempotencyKey),
    responses((status = 202, body = BackgroundTaskOut), BadRequest, Errors, Unavailable)
)]
pub async fn aggregate_event_types_route(
    State(state): State<AppState>,
    query: QueryParams,
) -> ApiResult<(StatusCode, Json<BackgroundTaskOut>)> {
    let in_background = query.bool("async", false)?;
    let work = aggregate_event_types(state.clone());
    let task = background_task::run(&state, EVENT_TYPES_TASK, in_background, work).await?;
    Ok((StatusCode::ACCEPTED, Json(task.into())))
}
