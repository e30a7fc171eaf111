//! Messages: `/api/v1/app/{app_id}/msg` (list newest first, create), `…/msg/{msg_id}` (get by id
//! or `eventId`) and `…/msg/{msg_id}/content` (expunge the payload).
//!
//! A payload is kept as the exact JSON text the publisher sent (no re-serialization, so key
//! order, number formatting and whitespace inside reach the receiver unchanged and the
//! signature covers what was published). A raw payload (`transformationsParams.rawPayload`)
//! is kept the same way in its place; the newer fields (tags, `deliverAt`, message headers,
//! hourly retention) are checked in [`super::message_extras`]. Creating a message writes it
//! and its deliveries in one store transaction, then wakes the workers. This module must not
//! deliver anything.

use axum::{extract::State, http::StatusCode, Json};
use hookd_core::{
    id::{AppId, MsgId},
    model::{Application, Message, MessageExtras},
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
    message_extras::{self as extras, TransformationsParams},
    schema::{
        AppPath, BadRequest, ChannelName, Errors, IdempotencyKey, MessageFilters, MsgPath,
        Pagination, PayloadTooLarge, TagName, Unavailable, WithContent,
    },
    wire::{self, ts, Checks, ListResponse},
};
use crate::{
    error::{ApiError, ApiResult, ValidationItem},
    AppState,
};

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
    /// default). Mutually exclusive with `payloadRetentionHours`.
    #[serde(default, deserialize_with = "hookd_core::integral::optional")]
    #[schema(minimum = 5, maximum = 90, example = 90)]
    payload_retention_period: Option<i64>,
    /// How many hours the payload is kept (1–2160). Mutually exclusive with
    /// `payloadRetentionPeriod`.
    #[serde(default, deserialize_with = "hookd_core::integral::optional")]
    #[schema(minimum = 1, maximum = 2160, example = 24)]
    payload_retention_hours: Option<i64>,
    /// Free-form tags that message and attempt lists filter by (`tag`): at most 5, each 1–128
    /// characters of `[a-zA-Z0-9-_./\\#]`.
    #[serde(default)]
    #[schema(value_type = Option<Vec<TagName>>, max_items = 5, example = json!(["my_tag", "other"]))]
    tags: Option<Vec<String>>,
    /// No attempt is made before this time. At most 24 hours ahead (Svix's bound); a time
    /// already past means now. Its deliveries show it as their `nextAttempt`.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    deliver_at: Option<chrono::DateTime<chrono::Utc>>,
    /// `rawPayload`, a body sent instead of `payload` byte for byte, and `headers` added to
    /// this message's requests; hookd runs no transformations, so any other key is refused.
    #[serde(default)]
    #[schema(value_type = Option<TransformationsParams>)]
    transformations_params: Option<serde_json::Map<String, serde_json::Value>>,
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
    /// The message's tags.
    #[schema(example = json!(["my_tag", "other"]))]
    tags: Option<Vec<String>>,
    /// When its deliveries were first due, if it was published with a `deliverAt` ahead.
    #[schema(format = DateTime)]
    deliver_at: Option<String>,
    /// The message's id.
    #[schema(example = "msg_1srOrx2ZWZBpBUvZwXKQmoEYga2")]
    id: String,
    /// When it was accepted.
    #[schema(format = DateTime)]
    timestamp: String,
}

impl MessageOut {
    /// The wire form of `msg`; with `with_content` false the payload is `{}`, as in Svix. A raw
    /// payload shows as the JSON object it is, as in Svix, and as `{}` (what the publisher
    /// sent as `payload`) when it is not one.
    pub fn new(msg: Message, with_content: bool) -> ApiResult<Self> {
        let payload = match (&msg.payload, with_content) {
            (_, false) => OMITTED_PAYLOAD.to_owned(),
            (Some(p), true) if msg.extras.raw_payload && !is_json_object(p) => {
                OMITTED_PAYLOAD.to_owned()
            }
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
            tags: msg.extras.tags,
            deliver_at: msg.extras.deliver_at.map(ts),
            id: msg.id.to_string(),
            timestamp: ts(msg.created_at),
        })
    }
}

/// Whether a raw body is a JSON object, which reads back as itself.
fn is_json_object(text: &str) -> bool {
    text.trim_start().starts_with('{') && serde_json::from_str::<&RawValue>(text).is_ok()
}

/// What a checked `MessageIn` comes to, besides its Svix-original fields.
struct Checked {
    extras: MessageExtras,
    payload: String,
    payload_expires_at: hookd_core::Timestamp,
}

impl MessageIn {
    /// Checks everything, then resolves the newer fields against `now` and the server's
    /// default retention.
    fn check(&mut self, state: &AppState, now: hookd_core::Timestamp) -> ApiResult<Checked> {
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
        let transform = extras::transformations(&mut checks, self.transformations_params.as_ref());
        if transform.raw_payload.is_some() && !is_empty_object(self.payload.get()) {
            // The raw body replaces it: anything in it would be dropped unseen.
            checks.push(ValidationItem::value(
                &["body", "payload"],
                "must be {} when transformationsParams.rawPayload is given",
            ));
        }
        let tags = extras::tags(&mut checks, self.tags.take());
        let retention = extras::retention(
            &mut checks,
            self.payload_retention_period,
            self.payload_retention_hours,
        );
        let payload_expires_at = match retention {
            Some(keep) => now
                .checked_add_signed(keep)
                .unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC),
            None => state.config.payload_expiry(now, None),
        };
        let deliver_at = extras::deliver_at(&mut checks, self.deliver_at, now, payload_expires_at);
        checks.finish()?;
        if let Some(app) = &self.application {
            app.validate(&["body", "application"])?;
        }
        let raw_payload = transform.raw_payload.is_some();
        Ok(Checked {
            payload: transform
                .raw_payload
                .unwrap_or_else(|| self.payload.get().to_owned()),
            extras: MessageExtras {
                tags,
                deliver_at,
                raw_payload,
                headers: transform.headers,
            },
            payload_expires_at,
        })
    }
}

/// Whether a JSON object's text is `{}`, whatever the whitespace.
fn is_empty_object(text: &str) -> bool {
    serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(text)
        .is_ok_and(|m| m.is_empty())
}

/// Finds the application of the path, or creates it from the body's `application` (whose uid
/// must then be the path's value, as in Svix).
pub(crate) async fn app_or_create(
    state: &AppState,
    app_id: &str,
    create: Option<ApplicationIn>,
) -> ApiResult<Application> {
    path_key("app_id", app_id)?;
    if let Some(app) = state.lookups.app(state.directory.as_ref(), app_id).await? {
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
    match state.directory.create_app(&app).await {
        Ok(()) => Ok(app),
        // Another request created it in the meantime: use theirs.
        Err(StoreError::Conflict(_)) => load_app(state, app_id).await,
        Err(e) => Err(e.into()),
    }
}

/// The list of `MessageOut`s by name, for `#[utoipa::path]` bodies: an alias
/// hides the generic argument from the macro, which then takes the envelope's own
/// `ToSchema` (Svix's `ListResponse_…_` names) instead of composing a generic one.
pub type ListMessageOut = ListResponse<MessageOut>;

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
    responses((status = 200, body = ListMessageOut), Errors, Unavailable)
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
        tag: query.tag()?,
    };
    let app = load_app(&state, &app_id).await?;
    let page = state.messages.list_messages(&app.id, &filter, &q).await?;
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
    ApiJson(mut input): ApiJson<MessageIn>,
) -> ApiResult<(StatusCode, Json<MessageOut>)> {
    let with_content = query.bool("with_content", true)?;
    let now = state.clock.now();
    let checked = input.check(&state, now)?;
    let app = app_or_create(&state, &app_id, input.application).await?;
    let msg = Message {
        id: MsgId::generate(now, &mut rand::thread_rng()),
        app_id: app.id,
        event_id: input.event_id,
        event_type: input.event_type,
        payload: Some(checked.payload),
        channels: input.channels.map(wire::dedupe),
        // The message's own retention (checked above), else the server's.
        payload_expires_at: Some(checked.payload_expires_at),
        created_at: now,
        extras: checked.extras,
    };
    // The publisher wakes the workers for any delivery it did not start itself.
    state
        .engine
        .publish(msg.clone())
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
        .messages
        .expunge_message_content(&app.id, &msg.id)
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found())
    }
}
