//! Svix's statistics API: `POST /api/v1/stats/usage/app` (task `application.stats`) and
//! `PUT /api/v1/stats/usage/event-types` (task `event-type.aggregate`). Both are tasks that
//! walk the messages and put their result in the task's `data` (read it with
//! `GET /api/v1/background-task/{id}`):
//! - application stats: per application asked for (all by default), how many messages it got
//!   in `[since, until)`: `{"apps": [{"appId", "appUid", "messages"}]}`;
//! - event type aggregate: per application, the event types its messages used:
//!   `{"apps": [{"appId", "appUid", "eventTypes": [...]}]}`.
//!
//! Svix documents these results only as a task's JSON `data`; the shapes above are hookd's.
//! This module must not write anything but task rows.

use std::collections::BTreeSet;

use axum::{extract::State, http::StatusCode, Json};
use chrono::{DateTime, Duration, Utc};
use hookd_core::{
    model::{Application, Message},
    page::{ListQuery, Order, Page, MAX_LIMIT},
    store::{AppFilter, MessageFilter},
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
            AsyncParam, BackgroundTaskStatus, BackgroundTaskType, BadRequest, Errors,
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
    #[schema(max_items = 1000)]
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

/// Calls `each` on every page of `app`'s messages matching `filter`.
async fn for_each_message(
    state: &AppState,
    app: &Application,
    filter: &MessageFilter,
    mut each: impl FnMut(&Message),
) -> ApiResult<()> {
    let mut query = ListQuery::first(MAX_LIMIT, Order::Ascending);
    loop {
        let page: Page<Message> = state.store.list_messages(&app.id, filter, &query).await?;
        page.data.iter().for_each(&mut each);
        match (page.done, page.iterator) {
            (false, Some(next)) => {
                query = ListQuery::from_params(
                    Some(u64::from(MAX_LIMIT)),
                    Some(&next),
                    Order::Ascending,
                )
            }
            _ => return Ok(()),
        }
    }
}

/// Every application.
async fn all_apps(state: &AppState) -> ApiResult<Vec<Application>> {
    let mut apps = Vec::new();
    let mut query = ListQuery::first(MAX_LIMIT, Order::Ascending);
    loop {
        let page = state.store.list_apps(&AppFilter::default(), &query).await?;
        apps.extend(page.data);
        match (page.done, page.iterator) {
            (false, Some(next)) => {
                query = ListQuery::from_params(
                    Some(u64::from(MAX_LIMIT)),
                    Some(&next),
                    Order::Ascending,
                )
            }
            _ => return Ok(apps),
        }
    }
}

async fn count_messages(
    state: AppState,
    apps: Vec<Application>,
    filter: MessageFilter,
) -> ApiResult<serde_json::Value> {
    let mut out = Vec::with_capacity(apps.len());
    for app in apps {
        let mut messages = 0u64;
        for_each_message(&state, &app, &filter, |_| messages += 1).await?;
        out.push(json!({ "appId": app.id.as_str(), "appUid": app.uid, "messages": messages }));
    }
    Ok(json!({ "apps": out }))
}

async fn aggregate_event_types(state: AppState) -> ApiResult<serde_json::Value> {
    let mut out = Vec::new();
    for app in all_apps(&state).await? {
        let mut types = BTreeSet::new();
        for_each_message(&state, &app, &MessageFilter::default(), |m| {
            types.insert(m.event_type.clone());
        })
        .await?;
        out.push(json!({ "appId": app.id.as_str(), "appUid": app.uid, "eventTypes": types }));
    }
    Ok(json!({ "apps": out }))
}

/// `POST /api/v1/stats/usage/app`: 202 with the task.
#[utoipa::path(
    post,
    path = "/api/v1/stats/usage/app",
    operation_id = "v1.statistics.aggregate-app-stats",
    tag = "Statistics",
    summary = "Aggregate App Stats",
    description = "Counts the messages each application (all, or those named) got in \
                   `[since, until)`, as the task `application.stats`; its data is \
                   `{\"apps\": [{\"appId\", \"appUid\", \"messages\"}]}`.",
    params(AsyncParam, IdempotencyKey),
    request_body = AppUsageStatsIn,
    responses((status = 202, body = AppUsageStatsOut), BadRequest, Errors, PayloadTooLarge, Unavailable)
)]
pub async fn aggregate_app_stats(
    State(state): State<AppState>,
    query: QueryParams,
    ApiJson(input): ApiJson<AppUsageStatsIn>,
) -> ApiResult<(StatusCode, Json<AppUsageStatsOut>)> {
    let in_background = input.run_async || query.bool("async", false)?;
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
                match state.store.get_app(&id).await? {
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
    let work = count_messages(state.clone(), apps, filter);
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
    description = "Lists, per application, the event types its messages used, as the task \
                   `event-type.aggregate`; its data is \
                   `{\"apps\": [{\"appId\", \"appUid\", \"eventTypes\"}]}`.",
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
