//! The message routes of Svix's newer SDKs that act on many messages, or on none yet:
//! - `POST /api/v1/app/{app_id}/msg/precheck/active`: would a message of this event type (and
//!   channels) reach any endpoint now? Answers `{"active": bool}` and writes nothing.
//! - `POST /api/v1/app/{app_id}/msg/bulk-expunge`: removes the payloads of up to
//!   [`MAX_BULK_EXPUNGE`] messages (ids or `eventId`s) at once, answering per id `expunged` or
//!   `not-found`.
//! - `POST /api/v1/app/{app_id}/msg/expunge-all-contents`: removes every payload of the
//!   application, as the task `application.purge_content` (data `{"messagesPurged": n}`).
//!
//! Expunging here is exactly a single expunge (`Messages::expunge_message_content`): the payload
//! and the request bodies attempts recorded go for good. This module must not deliver anything.

use std::{borrow::Cow, collections::BTreeMap};

use axum::{extract::State, http::StatusCode, Json};
use hookd_core::{
    model::Application,
    page::{ListQuery, Order, MAX_LIMIT},
    store::MessageFilter,
    validate,
};
use serde::{Deserialize, Serialize};
use utoipa::{
    openapi::{
        schema::{ObjectBuilder, Schema, SchemaType, Type},
        RefOr,
    },
    PartialSchema, ToSchema,
};

use crate::{
    api::{
        background_task::{self, BackgroundTaskOut},
        extract::{ApiJson, ApiJsonOrEmpty, ApiPath, QueryParams},
        load_app,
        schema::{
            AppPath, AsyncParam, BadRequest, ChannelName, Errors, EventTypeName, IdOrUid,
            IdempotencyKey, PayloadTooLarge, Unavailable,
        },
        wire::{self, Checks},
    },
    error::{ApiError, ApiResult},
    AppState,
};

/// The most messages one bulk expunge may name: one request stays one short burst of store
/// writes; larger purges are what `expunge-all-contents` (a task) is for.
pub const MAX_BULK_EXPUNGE: usize = 1000;
/// Svix's task name for purging an application's payloads.
const PURGE_TASK: &str = "application.purge_content";

/// Svix's `MessagePrecheckIn`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MessagePrecheckIn {
    /// The event type's name.
    #[schema(value_type = EventTypeName)]
    event_type: String,
    /// The channels the message would be sent to.
    #[serde(default)]
    #[schema(value_type = Option<Vec<ChannelName>>, min_items = 1, max_items = 5)]
    channels: Option<Vec<String>>,
}

/// Svix's `MessagePrecheckOut`.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessagePrecheckOut {
    /// Whether any enabled endpoint would get such a message now.
    active: bool,
}

/// Svix's `BulkExpungeContentsIn`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkExpungeContentsIn {
    /// The messages (ids or `eventId`s) whose payloads to remove.
    #[serde(default)]
    #[schema(value_type = Option<Vec<IdOrUid>>, max_items = 1000)]
    ids: Option<Vec<String>>,
}

/// Svix's `BulkExpungeContentsOut`.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkExpungeContentsOut {
    /// Per id as given: `expunged` or `not-found`.
    #[schema(value_type = BTreeMap<String, BulkExpungeStatus>)]
    results: BTreeMap<String, &'static str>,
}

/// Svix's `BulkExpungeStatus`: `expunged` (the payload is gone, or already was) or
/// `not-found` (no such message in the application).
pub struct BulkExpungeStatus;

impl PartialSchema for BulkExpungeStatus {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(SchemaType::new(Type::String))
            .enum_values(Some(["expunged", "not-found"]))
            .into()
    }
}

impl ToSchema for BulkExpungeStatus {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("BulkExpungeStatus")
    }
}

/// `POST …/msg/precheck/active`.
#[utoipa::path(
    post,
    path = "/api/v1/app/{app_id}/msg/precheck/active",
    operation_id = "v1.message.precheck",
    tag = "Message",
    summary = "Precheck Message",
    description = "Whether any enabled endpoint of the application would get a message of \
                   this event type in these channels, were it published now. Writes nothing.",
    params(AppPath, IdempotencyKey),
    request_body = MessagePrecheckIn,
    responses((status = 200, body = MessagePrecheckOut), BadRequest, Errors, PayloadTooLarge, Unavailable)
)]
pub async fn precheck(
    State(state): State<AppState>,
    ApiPath(app_id): ApiPath<String>,
    ApiJson(input): ApiJson<MessagePrecheckIn>,
) -> ApiResult<Json<MessagePrecheckOut>> {
    let mut checks = Checks::default();
    checks.check(validate::key(
        &["body", "eventType"],
        &input.event_type,
        validate::MAX_KEY_LEN,
    ));
    let channels = input.channels.map(wire::dedupe);
    if let Some(channels) = &channels {
        checks.check(validate::channels(
            &["body", "channels"],
            channels,
            validate::MAX_MESSAGE_CHANNELS,
        ));
    }
    checks.finish()?;
    let app = load_app(&state, &app_id).await?;
    let mut query = ListQuery::first(MAX_LIMIT, Order::Ascending);
    loop {
        let page = state.directory.list_endpoints(&app.id, &query).await?;
        if page
            .data
            .iter()
            .any(|ep| ep.accepts(&input.event_type, channels.as_deref()))
        {
            return Ok(Json(MessagePrecheckOut { active: true }));
        }
        match (page.done, page.iterator) {
            (false, Some(next)) => {
                query = ListQuery::from_params(
                    Some(u64::from(MAX_LIMIT)),
                    Some(&next),
                    Order::Ascending,
                )
            }
            _ => return Ok(Json(MessagePrecheckOut { active: false })),
        }
    }
}

/// `POST …/msg/bulk-expunge`.
#[utoipa::path(
    post,
    path = "/api/v1/app/{app_id}/msg/bulk-expunge",
    operation_id = "v1.message.bulk-expunge-content",
    tag = "Message",
    summary = "Bulk Expunge Message Contents",
    description = "Removes the payloads of the given messages (ids or `eventId`s, at most \
                   1000) for good, as a single expunge does. The answer says, per id as \
                   given, `expunged` or `not-found`.",
    params(AppPath, IdempotencyKey),
    request_body = BulkExpungeContentsIn,
    responses((status = 200, body = BulkExpungeContentsOut), BadRequest, Errors, PayloadTooLarge, Unavailable)
)]
pub async fn bulk_expunge(
    State(state): State<AppState>,
    ApiPath(app_id): ApiPath<String>,
    ApiJsonOrEmpty(input): ApiJsonOrEmpty<BulkExpungeContentsIn>,
) -> ApiResult<Json<BulkExpungeContentsOut>> {
    let ids = wire::dedupe(input.ids.unwrap_or_default());
    if ids.len() > MAX_BULK_EXPUNGE {
        return Err(ApiError::invalid(
            &["body", "ids"],
            format!("must list at most {MAX_BULK_EXPUNGE} messages"),
        ));
    }
    let mut checks = Checks::default();
    for id in &ids {
        checks.check(validate::key(&["body", "ids"], id, validate::MAX_KEY_LEN));
    }
    checks.finish()?;
    let app = load_app(&state, &app_id).await?;
    let mut results = BTreeMap::new();
    for id in ids {
        let found = match state.messages.get_message(&app.id, &id).await? {
            Some(msg) => {
                state
                    .messages
                    .expunge_message_content(&app.id, &msg.id)
                    .await?
            }
            None => false,
        };
        results.insert(id, if found { "expunged" } else { "not-found" });
    }
    Ok(Json(BulkExpungeContentsOut { results }))
}

/// Removes every payload of `app`; returns the task's data.
async fn purge(state: AppState, app: Application) -> ApiResult<serde_json::Value> {
    let mut purged = 0u64;
    let mut query = ListQuery::first(MAX_LIMIT, Order::Ascending);
    loop {
        let page = state
            .messages
            .list_messages(&app.id, &MessageFilter::default(), &query)
            .await?;
        for msg in page.data.iter().filter(|m| m.payload.is_some()) {
            if state
                .messages
                .expunge_message_content(&app.id, &msg.id)
                .await?
            {
                purged += 1;
            }
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
    tracing::info!(app = %app.id, purged, "expunged every payload of an application");
    Ok(serde_json::json!({ "messagesPurged": purged }))
}

/// `POST …/msg/expunge-all-contents`: 202 with the task.
#[utoipa::path(
    post,
    path = "/api/v1/app/{app_id}/msg/expunge-all-contents",
    operation_id = "v1.message.expunge-all-contents",
    tag = "Message",
    summary = "Expunge All Message Contents",
    description = "Removes every message payload of the application for good. A task \
                   (`application.purge_content`): the answer is the task as it stands, \
                   `finished` with `{\"messagesPurged\": n}`, or `running` with hookd's \
                   `async=true`.",
    params(AppPath, AsyncParam, IdempotencyKey),
    responses((status = 202, body = BackgroundTaskOut), BadRequest, Errors, Unavailable)
)]
pub async fn expunge_all_contents(
    State(state): State<AppState>,
    ApiPath(app_id): ApiPath<String>,
    query: QueryParams,
) -> ApiResult<(StatusCode, Json<BackgroundTaskOut>)> {
    let in_background = query.bool("async", false)?;
    let app = load_app(&state, &app_id).await?;
    let work = purge(state.clone(), app);
    let task = background_task::run(&state, PURGE_TASK, in_background, work).await?;
    Ok((StatusCode::ACCEPTED, Json(task.into())))
}
