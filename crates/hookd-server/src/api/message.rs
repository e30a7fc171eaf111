//! Messages: `/api/v1/app/{app_id}/msg` (list newest first, create), `…/msg/{msg_id}` (get by id
//! or `eventId`) and `…/msg/{msg_id}/content` (expunge the payload).
//!
//! A payload is kept as the exact JSON text the publisher sent (no re-serialization, so key
//! order, number formatting and whitespace inside reach the receiver unchanged and the
//! signature covers what was published). Creating a message writes it and its deliveries in
//! one store transaction, then wakes the workers. This module must not deliver anything.

use axum::{extract::State, http::StatusCode, Json};
use hookd_core::{
    id::{AppId, MsgId},
    model::{Application, Message},
    page::Order,
    store::{MessageFilter, StoreError},
    validate,
};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use utoipa::ToSchema;

use super::{
    application::ApplicationIn,
    extract::{path_key, ApiJson, ApiPath, QueryParams},
    load_app, load_message,
    schema::{
        AppPath, BadRequest, ChannelName, Errors, IdempotencyKey, MessageFilters, MsgPath,
        Pagination, PayloadTooLarge, Unavailable, WithContent,
    },
    wire::{self, ts, Checks, ListResponse},
};
use crate::{
    error::{ApiError, ApiResult, ValidationItem},
    AppState,
};

/// Svix's bounds for `payloadRetentionPeriod`, in days.
const RETENTION_DAYS: std::ops::RangeInclusive<i64> = 5..=90;
/// What Svix shows in place of a payload that was expunged or expired.
const EXPUNGED_PAYLOAD: &str = r#"{"expired":true}"#;
/// What Svix shows in place of a payload when `with_content=false`.
const OMITTED_PAYLOAD: &str = "{}";

/// Svix's `MessageIn`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[serde(deny_unknown_fields)]
pub struct MessageIn {
    /// Optional unique identifier for the message; it may not start with `msg_`.
    #[serde(default)]
    #[schema(
        min_length = 1,
        max_length = 256,
        pattern = r"^[a-zA-Z0-9\-_.]+$",
        example = "unique-msg-identifier"
    )]
    event_id: Option<String>,
    /// The event type.
    #[schema(
        min_length = 1,
        max_length = 256,
        pattern = r"^[a-zA-Z0-9\-_.]+$",
        example = "user.signup"
    )]
    event_type: String,
    /// The payload, a JSON object, kept and sent byte for byte as published; `data` is an
    /// older name Svix still accepts.
    #[serde(alias = "data")]
    #[schema(value_type = Object, example = json!({"email": "test@example.com", "username": "test_user"}))]
    payload: Box<RawValue>,
    /// List of free-form identifiers that endpoints can filter by.
    #[serde(default)]
    #[schema(value_type = Option<Vec<ChannelName>>, min_items = 1, max_items = 5, example = json!(["project_123", "group_2"]))]
    channels: Option<Vec<String>>,
    /// How many days the payload is kept (5–90); absent: the server's retention (90 days by
    /// default).
    #[serde(default)]
    #[schema(minimum = 5, maximum = 90, example = 90)]
    payload_retention_period: Option<i64>,
    /// Optionally creates a new application alongside the message.
    ///
    /// If the application id or uid that is used in the path already exists, this argument is
    /// ignored.
    #[serde(default)]
    application: Option<ApplicationIn>,
}

/// Svix's `MessageOut`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageOut {
    /// Optional unique identifier for the message.
    #[schema(example = "unique-msg-identifier")]
    event_id: Option<String>,
    /// The event type.
    #[schema(example = "user.signup")]
    event_type: String,
    /// The payload as published; `{}` with `with_content=false`, `{"expired": true}` once
    /// expunged or expired.
    #[schema(value_type = Object, example = json!({"email": "test@example.com", "username": "test_user"}))]
    payload: Box<RawValue>,
    /// List of free-form identifiers that endpoints can filter by.
    #[schema(example = json!(["project_123", "group_2"]))]
    channels: Option<Vec<String>>,
    /// The message's id.
    #[schema(example = "msg_1srOrx2ZWZBpBUvZwXKQmoEYga2")]
    id: String,
    /// When it was accepted.
    #[schema(format = DateTime)]
    timestamp: String,
}

impl MessageOut {
    /// The wire form of `msg`; with `with_content` false the payload is `{}`, as in Svix.
    pub fn new(msg: Message, with_content: bool) -> ApiResult<Self> {
        let payload = match (&msg.payload, with_content) {
            (_, false) => OMITTED_PAYLOAD.to_owned(),
            (Some(p), true) => p.clone(),
            (None, true) => EXPUNGED_PAYLOAD.to_owned(),
        };
        // Stored payloads were valid JSON objects when accepted; failing here means corruption.
        let payload =
            RawValue::from_string(payload).map_err(|e| ApiError::Internal(Box::new(e)))?;
        Ok(Self {
            event_id: msg.event_id,
            event_type: msg.event_type,
            payload,
            channels: msg.channels,
            id: msg.id.to_string(),
            timestamp: ts(msg.created_at),
        })
    }
}

impl MessageIn {
    fn validate(&self) -> ApiResult<()> {
        let mut checks = Checks::default();
        if let Some(event_id) = &self.event_id {
            wire::uid(&mut checks, &["body", "eventId"], event_id, MsgId::PREFIX);
        }
        checks.check(validate::key(
            &["body", "eventType"],
            &self.event_type,
            validate::MAX_KEY_LEN,
        ));
        if !self.payload.get().trim_start().starts_with('{') {
            checks.push(ValidationItem::value(
                &["body", "payload"],
                "Payload must be an object.",
            ));
        }
        if let Some(channels) = &self.channels {
            checks.check(validate::channels(
                &["body", "channels"],
                &wire::dedupe(channels.clone()),
                validate::MAX_MESSAGE_CHANNELS,
            ));
        }
        if self
            .payload_retention_period
            .is_some_and(|days| !RETENTION_DAYS.contains(&days))
        {
            checks.push(ValidationItem::value(
                &["body", "payloadRetentionPeriod"],
                format!(
                    "must be between {} and {} days",
                    RETENTION_DAYS.start(),
                    RETENTION_DAYS.end()
                ),
            ));
        }
        checks.finish()?;
        if let Some(app) = &self.application {
            app.validate(&["body", "application"])?;
        }
        Ok(())
    }
}

/// Finds the application of the path, or creates it from the body's `application` (whose uid
/// must then be the path's value, as in Svix).
pub(crate) async fn app_or_create(
    state: &AppState,
    app_id: &str,
    create: Option<ApplicationIn>,
) -> ApiResult<Application> {
    path_key("app_id", app_id)?;
    if let Some(app) = state.lookups.app(state.store.as_ref(), app_id).await? {
        return Ok(app);
    }
    let Some(mut input) = create else {
        return Err(ApiError::NotFound("Application not found".into()));
    };
    if AppId::looks_like(app_id) {
        // An id cannot be chosen by the caller, so an unknown one cannot be created.
        return Err(ApiError::NotFound("Application not found".into()));
    }
    match input.uid.as_deref() {
        Some(uid) if uid == app_id => {}
        Some(_) => {
            return Err(ApiError::Validation(vec![ValidationItem {
                loc: vec!["body".into(), "application".into(), "uid".into()],
                msg: "Application UID in the path and body must match".into(),
                kind: "application_uid_mismatch".into(),
            }]))
        }
        // Svix requires the uid in the body; taking the path's value is friendlier and
        // unambiguous.
        None => input.uid = Some(app_id.to_owned()),
    }
    let app = input.into_new(state.clock.now());
    match state.store.create_app(&app).await {
        Ok(()) => Ok(app),
        // Another request created it in the meantime: use theirs.
        Err(StoreError::Conflict(_)) => load_app(state, app_id).await,
        Err(e) => Err(e.into()),
    }
}

/// `GET /api/v1/app/{app_id}/msg`: newest first, filtered by `channel`, `before`, `after` and
/// `event_types`; payloads unless `with_content=false`.
#[utoipa::path(
    get,
    path = "/api/v1/app/{app_id}/msg",
    operation_id = "v1.message.list",
    tag = "Message",
    summary = "List Messages",
    description = "List all of the application's messages, newest first.",
    params(AppPath, Pagination, MessageFilters, WithContent),
    responses((status = 200, body = crate::api::schema::ListMessageOut), Errors, Unavailable)
)]
pub async fn list(
    State(state): State<AppState>,
    ApiPath(app_id): ApiPath<String>,
    query: QueryParams,
) -> ApiResult<Json<ListResponse<MessageOut>>> {
    let q = query.list_query(Order::Descending, false)?;
    let with_content = query.bool("with_content", true)?;
    let filter = MessageFilter {
        before: query.timestamp("before")?,
        after: query.timestamp("after")?,
        channel: query.channel()?,
        event_types: query.event_types()?,
    };
    let app = load_app(&state, &app_id).await?;
    let page = state.store.list_messages(&app.id, &filter, &q).await?;
    Ok(Json(ListResponse::try_from_page(page, |m| {
        MessageOut::new(m, with_content)
    })?))
}

/// `POST /api/v1/app/{app_id}/msg`: 202 with the message (payload unless `with_content=false`).
#[utoipa::path(
    post,
    path = "/api/v1/app/{app_id}/msg",
    operation_id = "v1.message.create",
    tag = "Message",
    summary = "Create Message",
    description = "Creates a new message and dispatches it to all of the application's \
                   endpoints. A 202 means the message and one delivery per matching endpoint \
                   are committed.",
    params(AppPath, WithContent, IdempotencyKey),
    request_body = MessageIn,
    responses((status = 202, body = MessageOut), BadRequest, Errors, PayloadTooLarge, Unavailable)
)]
pub async fn create(
    State(state): State<AppState>,
    ApiPath(app_id): ApiPath<String>,
    query: QueryParams,
    ApiJson(input): ApiJson<MessageIn>,
) -> ApiResult<(StatusCode, Json<MessageOut>)> {
    let with_content = query.bool("with_content", true)?;
    input.validate()?;
    let app = app_or_create(&state, &app_id, input.application).await?;
    let now = state.clock.now();
    let msg = Message {
        id: MsgId::generate(now, &mut rand::thread_rng()),
        app_id: app.id,
        event_id: input.event_id,
        event_type: input.event_type,
        payload: Some(input.payload.get().to_owned()),
        channels: input.channels.map(wire::dedupe),
        // Validated to 5..=90 days above; absent, the server's payload_retention applies.
        payload_expires_at: Some(
            state.config.payload_expiry(
                now,
                input
                    .payload_retention_period
                    .and_then(|days| u16::try_from(days).ok()),
            ),
        ),
        created_at: now,
    };
    // The publisher wakes the workers for any delivery it did not start itself.
    state
        .publisher
        .publish(state.store.as_ref(), msg.clone())
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => {
                ApiError::conflict("A message with this eventId already exists")
            }
            other => other.into(),
        })?;
    Ok((
        StatusCode::ACCEPTED,
        Json(MessageOut::new(msg, with_content)?),
    ))
}

/// `GET /api/v1/app/{app_id}/msg/{msg_id}`: by id or `eventId`.
#[utoipa::path(
    get,
    path = "/api/v1/app/{app_id}/msg/{msg_id}",
    operation_id = "v1.message.get",
    tag = "Message",
    summary = "Get Message",
    description = "Get a message by its id or eventId.",
    params(AppPath, MsgPath, WithContent),
    responses((status = 200, body = MessageOut), Errors, Unavailable)
)]
pub async fn get(
    State(state): State<AppState>,
    ApiPath((app_id, msg_id)): ApiPath<(String, String)>,
    query: QueryParams,
) -> ApiResult<Json<MessageOut>> {
    let with_content = query.bool("with_content", true)?;
    let app = load_app(&state, &app_id).await?;
    let msg = load_message(&state, &app, &msg_id).await?;
    Ok(Json(MessageOut::new(msg, with_content)?))
}

/// `DELETE /api/v1/app/{app_id}/msg/{msg_id}/content`: removes the payload for good. 204.
#[utoipa::path(
    delete,
    path = "/api/v1/app/{app_id}/msg/{msg_id}/content",
    operation_id = "v1.message.expunge-content",
    tag = "Message",
    summary = "Expunge Message Content",
    description = "Delete the given message's payload. Useful in cases when a message was \
                   accidentally sent with sensitive content.\n\nThe message can't be replayed \
                   or resent once its payload has been deleted or expired.",
    params(AppPath, MsgPath),
    responses((status = 204, description = "Expunged"), Errors, Unavailable)
)]
pub async fn expunge_content(
    State(state): State<AppState>,
    ApiPath((app_id, msg_id)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    let app = load_app(&state, &app_id).await?;
    let msg = load_message(&state, &app, &msg_id).await?;
    if state
        .store
        .expunge_message_content(&app.id, &msg.id)
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found())
    }
}
