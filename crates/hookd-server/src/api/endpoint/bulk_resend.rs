//! `POST /api/v1/app/{app_id}/endpoint/{endpoint_id}/bulk-resend` (hookd's extension): makes
//! many messages due again at one endpoint as manual attempts, either a list of messages
//! (`msgIds`, ids or `eventId`s) or every message sent to the endpoint in a window
//! (`since`, optional `until`), optionally only those whose delivery has a given Svix status
//! (`status`, e.g. 2 for failed).
//!
//! It is a task (see [`crate::api::background_task`]): without `async` it answers 200 when
//! done, with `{"resent", "skipped"}`; with `async=true` (body or query) it answers 202 at once;
//! either way `GET /api/v1/background-task/{id}` and a `background_task.finished` operational
//! webhook report the same counts. Messages whose
//! payload expired are skipped, as a single resend refuses them. This module must not attempt
//! deliveries itself: it makes them due and wakes the workers.

use axum::{extract::State, http::StatusCode, Json};
use chrono::{DateTime, Duration, Utc};
use hookd_core::{
    delivery::MessageStatus,
    model::{Application, Endpoint},
    page::{ListQuery, Order, MAX_LIMIT},
    store::{DeliveryFilter, MessageFilter},
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
            AppPath, AsyncParam, BadRequest, EndpointPath, Errors, IdOrUid, IdempotencyKey,
            MessageStatus as MessageStatusSchema, PayloadTooLarge, Unavailable,
        },
        wire::Checks,
    },
    error::{ApiError, ApiResult, ValidationItem},
    AppState,
};

/// The task's name in reports.
const TASK: &str = "endpoint.bulk_resend";
/// The most messages one request may list; a window has no such limit (and is what `async`
/// is for).
const MAX_MSG_IDS: usize = 1000;

/// hookd's `BulkResendIn`: either `msgIds`, or a window (`since`, optional `until` and
/// `status`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[serde(deny_unknown_fields)]
pub struct BulkResendIn {
    /// The messages to resend (1–1000 ids or `eventId`s).
    #[serde(default)]
    #[schema(value_type = Option<Vec<IdOrUid>>, min_items = 1, max_items = 1000)]
    msg_ids: Option<Vec<String>>,
    /// Resend every message sent to the endpoint from this time on.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    since: Option<DateTime<Utc>>,
    /// … and before this time.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    until: Option<DateTime<Utc>>,
    /// … whose delivery has this status.
    #[serde(default, deserialize_with = "hookd_core::integral::optional")]
    #[schema(value_type = Option<MessageStatusSchema>)]
    status: Option<i64>,
    /// Answer at once (202) and report the end by operational webhook.
    #[serde(default, rename = "async")]
    run_async: bool,
}

/// What to resend.
enum Selection {
    Ids(Vec<String>),
    Window {
        since: DateTime<Utc>,
        until: Option<DateTime<Utc>>,
        status: Option<MessageStatus>,
    },
}

impl BulkResendIn {
    fn selection(self) -> ApiResult<Selection> {
        let mut checks = Checks::default();
        let status = match self.status {
            None => None,
            Some(code) => {
                let s = MessageStatus::from_code(code);
                if s.is_none() {
                    checks.push(ValidationItem::value(
                        &["body", "status"],
                        "must be one of 0, 1, 2, 3",
                    ));
                }
                s
            }
        };
        let selection = match (self.msg_ids, self.since) {
            (Some(ids), None) => {
                if ids.is_empty() || ids.len() > MAX_MSG_IDS {
                    checks.push(ValidationItem::value(
                        &["body", "msgIds"],
                        format!("must list between 1 and {MAX_MSG_IDS} messages"),
                    ));
                }
                for id in &ids {
                    checks.check(validate::key(
                        &["body", "msgIds"],
                        id,
                        validate::MAX_KEY_LEN,
                    ));
                }
                if self.until.is_some() || status.is_some() {
                    checks.push(ValidationItem::value(
                        &["body", "msgIds"],
                        "until and status apply to a window (since), not to a list of messages",
                    ));
                }
                Some(Selection::Ids(ids))
            }
            (None, Some(since)) => Some(Selection::Window {
                since,
                until: self.until,
                status,
            }),
            _ => {
                checks.push(ValidationItem::value(
                    &["body", "msgIds"],
                    "give either msgIds or since",
                ));
                None
            }
        };
        checks.finish()?;
        selection.ok_or_else(|| ApiError::invalid(&["body"], "nothing to resend"))
    }
}

/// Resends `selection` to `ep`; returns the counts.
async fn resend_all(
    state: AppState,
    app: Application,
    ep: Endpoint,
    selection: Selection,
) -> ApiResult<serde_json::Value> {
    let (mut resent, mut skipped) = (0u64, 0u64);
    match selection {
        Selection::Ids(ids) => {
            for id in ids {
                match state.messages.get_message(&app.id, &id).await? {
                    Some(msg) if msg.payload.is_some() => {
                        state
                            .queue
                            .resend(&app.id, &msg.id, &ep.id, state.clock.now())
                            .await?;
                        resent += 1;
                    }
                    _ => skipped += 1,
                }
            }
        }
        Selection::Window {
            since,
            until,
            status,
        } => {
            let filter = DeliveryFilter {
                message: MessageFilter {
                    // The store's bound is exclusive; `since` is inclusive, as in recover.
                    after: Some(since - Duration::milliseconds(1)),
                    before: until,
                    ..MessageFilter::default()
                },
                status,
            };
            let mut query = ListQuery::first(MAX_LIMIT, Order::Ascending);
            loop {
                let page = state
                    .history
                    .list_endpoint_deliveries(&app.id, &ep.id, &filter, &query)
                    .await?;
                for (msg, _) in &page.data {
                    if msg.payload.is_none() {
                        skipped += 1;
                        continue;
                    }
                    state
                        .queue
                        .resend(&app.id, &msg.id, &ep.id, state.clock.now())
                        .await?;
                    resent += 1;
                }
                if resent > 0 {
                    state.engine.wake();
                }
                match (page.done, page.iterator) {
                    (false, Some(next)) => {
                        query = ListQuery::from_params(
                            Some(u64::from(MAX_LIMIT)),
                            Some(&next),
                            Order::Ascending,
                        )
                    }
                    _ => break,
                }
            }
        }
    }
    if resent > 0 {
        state.engine.wake();
    }
    tracing::info!(endpoint = %ep.id, resent, skipped, "bulk resend");
    Ok(serde_json::json!({ "resent": resent, "skipped": skipped }))
}

/// `POST …/bulk-resend`: 200 with the counts, or 202 at once with `async=true`.
#[utoipa::path(
    post,
    path = "/api/v1/app/{app_id}/endpoint/{endpoint_id}/bulk-resend",
    operation_id = "hookd.endpoint.bulk-resend",
    tag = "Endpoint",
    summary = "Bulk Resend",
    description = "hookd's extension: makes many messages due again at this endpoint as \
                   manual attempts, a list of them or every one in a window. A task: 200 with \
                   the counts when done, or 202 at once with `async=true`; either way a \
                   `background_task.finished` operational webhook reports its end.",
    params(AppPath, EndpointPath, AsyncParam, IdempotencyKey),
    request_body = BulkResendIn,
    responses(
        (status = 200, description = "Done", body = BackgroundTaskOut),
        (status = 202, description = "Started (`async=true`)", body = BackgroundTaskOut),
        BadRequest, Errors, PayloadTooLarge, Unavailable
    )
)]
pub async fn bulk_resend(
    State(state): State<AppState>,
    ApiPath((app_id, endpoint_id)): ApiPath<(String, String)>,
    query: QueryParams,
    ApiJson(input): ApiJson<BulkResendIn>,
) -> ApiResult<(StatusCode, Json<BackgroundTaskOut>)> {
    // The query is read even when the body already asks for the background, so that a bad
    // `?async=` is refused, never skipped.
    let in_background = query.bool("async", false)? || input.run_async;
    let selection = input.selection()?;
    let app = load_app(&state, &app_id).await?;
    let ep = load_endpoint(&state, &app, &endpoint_id).await?;
    let work = resend_all(state.clone(), app, ep, selection);
    let task = background_task::run(&state, TASK, in_background, work).await?;
    let status = if in_background {
        StatusCode::ACCEPTED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(task.into())))
}
