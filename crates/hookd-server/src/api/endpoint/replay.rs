//! `POST …/endpoint/{endpoint_id}/bulk-replay` and `POST …/endpoint/{endpoint_id}/replay-missing`
//! (Svix's): two tasks that make messages of a time window due again at one endpoint, as manual
//! attempts.
//!
//! - **bulk-replay** (`BulkReplayIn`) replays every message *sent to* the endpoint and created in
//!   `[since, until)`, optionally only those of some event types, in a channel, whose delivery
//!   has a status, or that had an attempt answered with a status code class. Task
//!   `endpoint.bulk-replay`, data `{"replayed", "skipped"}`.
//! - **replay-missing** (`ReplayIn`) sends the messages of the application created in
//!   `[since, until)` that the endpoint accepts (its event types and channels) but *never got*:
//!   those published before it existed or while it was disabled. Task `endpoint.replay`, data
//!   `{"replayed", "skipped"}`.
//!
//! Messages whose payload is gone (expunged or expired) are skipped, as a resend refuses them.
//! Both page through the window, so it has no size limit. This module must not attempt
//! deliveries itself: it makes them due and wakes the workers.

use std::collections::HashSet;

use axum::{extract::State, http::StatusCode, Json};
use chrono::{DateTime, Duration, Utc};
use hookd_core::{
    delivery::MessageStatus,
    model::{Application, Endpoint, Message},
    page::{ListQuery, Order, Page, MAX_LIMIT},
    store::{AttemptFilter, DeliveryFilter, MessageFilter},
    validate,
};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::{
    api::{
        background_task::{self, BackgroundTaskOut},
        extract::{ApiJson, ApiPath, QueryParams},
        load_app, load_endpoint,
        schema::{
            AppPath, AsyncParam, BadRequest, ChannelName, EndpointPath, Errors, EventTypeName,
            IdempotencyKey, MessageStatus as MessageStatusSchema, PayloadTooLarge,
            StatusCodeClass as StatusCodeClassSchema, TagName, Unavailable,
        },
        wire::Checks,
    },
    error::{ApiResult, ValidationItem},
    AppState,
};

/// Svix's task name for a bulk replay.
const BULK_TASK: &str = "endpoint.bulk-replay";
/// Svix's task name for a replay of missing messages.
const MISSING_TASK: &str = "endpoint.replay";

/// Svix's `ReplayIn`, plus hookd's `async`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplayIn {
    /// Replay messages created since this time.
    #[schema(value_type = String, format = DateTime)]
    since: DateTime<Utc>,
    /// … and before this time (default: no bound).
    #[serde(default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    until: Option<DateTime<Utc>>,
    /// hookd's extension: answer at once, `running`.
    #[serde(default, rename = "async")]
    run_async: bool,
}

/// Svix's `BulkReplayIn`, plus hookd's `async`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BulkReplayIn {
    /// Replay messages created since this time.
    #[schema(value_type = String, format = DateTime)]
    since: DateTime<Utc>,
    /// … and before this time (default: no bound).
    #[serde(default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    until: Option<DateTime<Utc>>,
    /// … of one of these event types.
    #[serde(default)]
    #[schema(value_type = Option<Vec<EventTypeName>>, min_items = 1)]
    event_types: Option<Vec<String>>,
    /// … in this channel.
    #[serde(default)]
    #[schema(value_type = Option<ChannelName>)]
    channel: Option<String>,
    /// … carrying this tag.
    #[serde(default)]
    #[schema(value_type = Option<TagName>)]
    tag: Option<String>,
    /// … whose delivery to the endpoint has this status.
    #[serde(default, deserialize_with = "hookd_core::integral::optional")]
    #[schema(value_type = Option<MessageStatusSchema>)]
    status: Option<i64>,
    /// … that had an attempt to the endpoint answered with a status code of this class.
    #[serde(default, deserialize_with = "hookd_core::integral::optional")]
    #[schema(value_type = Option<StatusCodeClassSchema>)]
    status_code_class: Option<u16>,
    /// hookd's extension: answer at once, `running`.
    #[serde(default, rename = "async")]
    run_async: bool,
}

/// What a bulk replay selects, validated.
struct BulkSelection {
    filter: DeliveryFilter,
    status_code_class: Option<u16>,
}

impl BulkReplayIn {
    fn selection(&self) -> ApiResult<BulkSelection> {
        let mut checks = Checks::default();
        if let Some(tag) = &self.tag {
            checks.check(validate::tag(&["body", "tag"], tag));
        }
        if let Some(types) = &self.event_types {
            // A set, as Svix's lists are: a repeated type is one type.
            let types = crate::api::wire::dedupe(types.clone());
            checks.check(validate::event_types(&["body", "eventTypes"], &types));
        }
        if let Some(channel) = &self.channel {
            checks.check(validate::key(
                &["body", "channel"],
                channel,
                validate::MAX_CHANNEL_LEN,
            ));
        }
        let status = self.status.and_then(|code| {
            let s = MessageStatus::from_code(code);
            if s.is_none() {
                checks.push(ValidationItem::value(
                    &["body", "status"],
                    "must be one of 0, 1, 2, 3",
                ));
            }
            s
        });
        if let Some(class) = self.status_code_class {
            if ![0, 100, 200, 300, 400, 500].contains(&class) {
                checks.push(ValidationItem::value(
                    &["body", "statusCodeClass"],
                    "must be one of 0, 100, 200, 300, 400, 500",
                ));
            }
        }
        checks.finish()?;
        Ok(BulkSelection {
            filter: DeliveryFilter {
                message: window(
                    self.since,
                    self.until,
                    self.event_types.clone(),
                    self.channel.clone(),
                    self.tag.clone(),
                ),
                status,
            },
            status_code_class: self.status_code_class,
        })
    }
}

/// The message filter of `[since, until)`: the store's bounds are exclusive, `since` is
/// inclusive (as in recover).
fn window(
    since: DateTime<Utc>,
    until: Option<DateTime<Utc>>,
    event_types: Option<Vec<String>>,
    channel: Option<String>,
    tag: Option<String>,
) -> MessageFilter {
    MessageFilter {
        after: Some(since - Duration::milliseconds(1)),
        before: until,
        channel,
        event_types,
        tag,
    }
}

/// The query for the page after `page`, or `None` when it was the last.
fn next_query<T>(page: &Page<T>) -> Option<ListQuery> {
    match (page.done, page.iterator.as_deref()) {
        (false, Some(next)) => Some(ListQuery::from_params(
            Some(u64::from(MAX_LIMIT)),
            Some(next),
            Order::Ascending,
        )),
        _ => None,
    }
}

/// Makes `msg` due again at `ep`, or counts it skipped when its payload is gone.
async fn replay_one(
    state: &AppState,
    ep: &Endpoint,
    msg: &Message,
    counts: &mut (u64, u64),
) -> ApiResult<()> {
    if msg.payload.is_none() {
        counts.1 += 1;
        return Ok(());
    }
    state
        .queue
        .resend(&msg.app_id, &msg.id, &ep.id, state.clock.now())
        .await?;
    counts.0 += 1;
    Ok(())
}

/// The task's result, waking the workers if anything became due.
fn finish(
    state: &AppState,
    ep: &Endpoint,
    what: &str,
    (replayed, skipped): (u64, u64),
) -> serde_json::Value {
    if replayed > 0 {
        state.engine.wake();
    }
    tracing::info!(endpoint = %ep.id, replayed, skipped, what, "replay");
    serde_json::json!({ "replayed": replayed, "skipped": skipped })
}

/// Whether `msg` had an attempt to `ep` answered with a status code of `class`.
async fn had_attempt_of_class(
    state: &AppState,
    ep: &Endpoint,
    msg: &Message,
    class: u16,
) -> ApiResult<bool> {
    let filter = AttemptFilter {
        status_code_class: Some(class),
        endpoint_id: Some(ep.id.clone()),
        ..AttemptFilter::default()
    };
    let page = state
        .history
        .list_attempts_by_msg(
            &msg.app_id,
            &msg.id,
            &filter,
            &ListQuery::first(1, Order::Ascending),
        )
        .await?;
    Ok(!page.data.is_empty())
}

async fn bulk_replay_all(
    state: AppState,
    app: Application,
    ep: Endpoint,
    selection: BulkSelection,
) -> ApiResult<serde_json::Value> {
    let mut counts = (0, 0);
    let mut query = ListQuery::first(MAX_LIMIT, Order::Ascending);
    loop {
        let page = state
            .history
            .list_endpoint_deliveries(&app.id, &ep.id, &selection.filter, &query)
            .await?;
        for (msg, _) in &page.data {
            if let Some(class) = selection.status_code_class {
                if !had_attempt_of_class(&state, &ep, msg, class).await? {
                    continue;
                }
            }
            replay_one(&state, &ep, msg, &mut counts).await?;
        }
        match next_query(&page) {
            Some(next) => query = next,
            None => break,
        }
    }
    Ok(finish(&state, &ep, "bulk", counts))
}

async fn replay_missing_all(
    state: AppState,
    app: Application,
    ep: Endpoint,
    filter: MessageFilter,
) -> ApiResult<serde_json::Value> {
    // The messages of the window the endpoint already has a delivery of (sent, queued or
    // failed): those are not missing.
    let mut delivered = HashSet::new();
    let deliveries = DeliveryFilter {
        message: filter.clone(),
        status: None,
    };
    let mut query = ListQuery::first(MAX_LIMIT, Order::Ascending);
    loop {
        let page = state
            .history
            .list_endpoint_deliveries(&app.id, &ep.id, &deliveries, &query)
            .await?;
        delivered.extend(page.data.iter().map(|(m, _)| m.id.clone()));
        match next_query(&page) {
            Some(next) => query = next,
            None => break,
        }
    }
    // A disabled endpoint accepts nothing; a replay to it is a replay all the same.
    let mut enabled = ep.clone();
    enabled.disabled = false;
    let mut counts = (0, 0);
    let mut query = ListQuery::first(MAX_LIMIT, Order::Ascending);
    loop {
        let page = state
            .messages
            .list_messages(&app.id, &filter, &query)
            .await?;
        for msg in &page.data {
            if delivered.contains(&msg.id)
                || !enabled.accepts(&msg.event_type, msg.channels.as_deref())
            {
                continue;
            }
            replay_one(&state, &ep, msg, &mut counts).await?;
        }
        match next_query(&page) {
            Some(next) => query = next,
            None => break,
        }
    }
    Ok(finish(&state, &ep, "missing", counts))
}

/// `POST …/bulk-replay`: 202 with the task.
#[utoipa::path(
    post,
    path = "/api/v1/app/{app_id}/endpoint/{endpoint_id}/bulk-replay",
    operation_id = "v1.endpoint.bulk-replay",
    tag = "Endpoint",
    summary = "Bulk Replay Messages",
    description = "Replays the messages sent to this endpoint in a window, optionally only \
                   those matching the filters, as manual attempts. A task: the answer is the \
                   task as it stands (`finished` with `{\"replayed\", \"skipped\"}`, or \
                   `running` with hookd's `async=true`).",
    params(AppPath, EndpointPath, AsyncParam, IdempotencyKey),
    request_body = BulkReplayIn,
    responses((status = 202, body = BackgroundTaskOut), BadRequest, Errors, PayloadTooLarge, Unavailable)
)]
pub async fn bulk_replay(
    State(state): State<AppState>,
    ApiPath((app_id, endpoint_id)): ApiPath<(String, String)>,
    query: QueryParams,
    ApiJson(input): ApiJson<BulkReplayIn>,
) -> ApiResult<(StatusCode, Json<BackgroundTaskOut>)> {
    // The query is read even when the body already asks for the background, so that a bad
    // `?async=` is refused, never skipped.
    let in_background = query.bool("async", false)? || input.run_async;
    let selection = input.selection()?;
    let app = load_app(&state, &app_id).await?;
    let ep = load_endpoint(&state, &app, &endpoint_id).await?;
    let work = bulk_replay_all(state.clone(), app, ep, selection);
    let task = background_task::run(&state, BULK_TASK, in_background, work).await?;
    Ok((StatusCode::ACCEPTED, Json(task.into())))
}

/// `POST …/replay-missing`: 202 with the task.
#[utoipa::path(
    post,
    path = "/api/v1/app/{app_id}/endpoint/{endpoint_id}/replay-missing",
    operation_id = "v1.endpoint.replay-missing",
    tag = "Endpoint",
    summary = "Replay Missing Webhooks",
    description = "Sends this endpoint the messages created in a window that it accepts but \
                   never got (published before it existed or while it was disabled). A task: \
                   the answer is the task as it stands (`finished` with \
                   `{\"replayed\", \"skipped\"}`, or `running` with hookd's `async=true`).",
    params(AppPath, EndpointPath, AsyncParam, IdempotencyKey),
    request_body = ReplayIn,
    responses((status = 202, body = BackgroundTaskOut), BadRequest, Errors, PayloadTooLarge, Unavailable)
)]
pub async fn replay_missing(
    State(state): State<AppState>,
    ApiPath((app_id, endpoint_id)): ApiPath<(String, String)>,
    query: QueryParams,
    ApiJson(input): ApiJson<ReplayIn>,
) -> ApiResult<(StatusCode, Json<BackgroundTaskOut>)> {
    // The query is read even when the body already asks for the background, so that a bad
    // `?async=` is refused, never skipped.
    let in_background = query.bool("async", false)? || input.run_async;
    let app = load_app(&state, &app_id).await?;
    let ep = load_endpoint(&state, &app, &endpoint_id).await?;
    let filter = window(input.since, input.until, None, None, None);
    let work = replay_missing_all(state.clone(), app, ep, filter);
    let task = background_task::run(&state, MISSING_TASK, in_background, work).await?;
    Ok((StatusCode::ACCEPTED, Json(task.into())))
}
