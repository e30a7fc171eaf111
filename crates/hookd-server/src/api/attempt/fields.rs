//! The wire types of attempts and deliveries (Svix's `MessageAttemptOut`, `MessageEndpointOut`,
//! `EndpointMessageOut`), the statuses they show and the filters lists take. It must not read
//! or write the store beyond the message lookups that fill a list.

use super::*;

/// What Svix shows in place of a response body that was expunged.
pub(super) const EXPUNGED_RESPONSE: &str = "EXPUNGED";
/// What Svix shows in place of a response body when `with_content=false`.
pub(super) const OMITTED_RESPONSE: &str = "{}";

/// Svix's `MessageAttemptOut`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageAttemptOut {
    /// Where the attempt went (query secrets `REDACTED`).
    #[schema(format = "uri", example = "https://example.com/webhook/")]
    pub(super) url: String,
    /// The response body (up to 16 KiB) or why there was none; `{}` with
    /// `with_content=false`, `EXPUNGED` once expunged.
    #[schema(example = "{}")]
    pub(super) response: String,
    /// The HTTP status, 0 when no response arrived.
    #[schema(example = 200)]
    pub(super) response_status_code: i16,
    /// Response duration in milliseconds.
    pub(super) response_duration_ms: i64,
    /// The attempt's outcome.
    #[schema(value_type = MessageStatus)]
    pub(super) status: u8,
    /// The attempt's outcome as a word.
    #[schema(value_type = MessageStatusText)]
    pub(super) status_text: &'static str,
    /// Why the attempt was made.
    #[schema(value_type = MessageAttemptTriggerType)]
    pub(super) trigger_type: u8,
    /// The message's id.
    #[schema(example = "msg_1srOrx2ZWZBpBUvZwXKQmoEYga2")]
    pub(super) msg_id: String,
    /// The endpoint's id.
    #[schema(example = "ep_1srOrx2ZWZBpBUvZwXKQmoEYga2")]
    pub(super) endpoint_id: String,
    /// The attempt's id.
    #[schema(example = "atmpt_1srOrx2ZWZBpBUvZwXKQmoEYga2")]
    pub(super) id: String,
    /// When it was made.
    #[schema(format = DateTime)]
    pub(super) timestamp: String,
    /// The attempt's message, without its payload (`{}`), with `with_msg=true`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub(super) msg: Option<MessageOut>,
    /// hookd's extension: when the delivery was due again after this attempt, as scheduled
    /// then (the retry schedule's time, moved later by the receiver's `Retry-After` when it
    /// asked for later). Absent when the attempt was not followed by a retry.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime, nullable = false)]
    pub(super) next_attempt: Option<String>,
    /// hookd's extension: the `Retry-After` header of a 429 or 503 answer, as the receiver
    /// sent it (at most 64 bytes). Absent when there was none.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, max_length = 64, example = "120")]
    pub(super) retry_after: Option<String>,
}

impl MessageAttemptOut {
    pub(super) fn new(a: Attempt, with_content: bool) -> Self {
        let response = match (a.response, with_content) {
            (_, false) => OMITTED_RESPONSE.to_owned(),
            (Some(r), true) => r,
            (None, true) => EXPUNGED_RESPONSE.to_owned(),
        };
        Self {
            url: a.url,
            response,
            response_status_code: a.response_status_code,
            response_duration_ms: a.response_duration_ms,
            status: a.status.code(),
            status_text: a.status.text(),
            trigger_type: a.trigger_type.code(),
            msg_id: a.msg_id.to_string(),
            endpoint_id: a.endpoint_id.to_string(),
            id: a.id.to_string(),
            timestamp: ts(a.created_at),
            msg: None,
            next_attempt: a.next_attempt_at.map(ts),
            retry_after: a.retry_after,
        }
    }
}

/// The status a delivery in `state` shows: Svix's, with a delivery canceled because its
/// endpoint was disabled as Canceled (4) when `expanded_statuses=true`, else as Fail.
pub(super) fn shown_status(state: DeliveryState, expanded: bool) -> (u8, &'static str) {
    if expanded && state == DeliveryState::Canceled {
        return (CANCELED_STATUS, "canceled");
    }
    let status = state.message_status();
    (status.code(), status.text())
}

/// Svix's code for Canceled in `MessageStatus`.
pub(super) const CANCELED_STATUS: u8 = 4;

/// `expanded_statuses`: read where a status is shown. Attempts are only ever Success or Fail
/// (a canceled delivery records no attempt), so on attempt lists it changes nothing, which is
/// what Svix's flag means there.
pub(super) fn expanded_statuses(query: &QueryParams) -> ApiResult<bool> {
    query.bool("expanded_statuses", false)
}

/// When a delivery is next attempted, if it waits for one.
pub(super) fn next_attempt(d: &Delivery) -> Option<String> {
    d.next_attempt_at.filter(|_| d.state.is_claimable()).map(ts)
}

/// Svix's `MessageEndpointOut`: an endpoint a message was sent to, with the delivery's status.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageEndpointOut {
    #[serde(flatten)]
    pub(super) endpoint: EndpointCommon,
    /// The delivery's status.
    #[schema(value_type = MessageStatusExpanded)]
    pub(super) status: u8,
    /// The delivery's status as a word.
    #[schema(value_type = MessageStatusTextExpanded)]
    pub(super) status_text: &'static str,
    /// When the delivery is next attempted, if it waits for one (for a message published with
    /// a `deliverAt` ahead, that time).
    #[schema(format = DateTime)]
    pub(super) next_attempt: Option<String>,
}

impl MessageEndpointOut {
    pub(super) fn new(ep: &Endpoint, d: &Delivery, expanded: bool) -> Self {
        let (status, status_text) = shown_status(d.state, expanded);
        Self {
            endpoint: EndpointCommon::from(ep),
            status,
            status_text,
            next_attempt: next_attempt(d),
        }
    }
}

/// Svix's `EndpointMessageOut`: a message sent to an endpoint, with the delivery's status.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EndpointMessageOut {
    #[serde(flatten)]
    pub(super) msg: MessageOut,
    /// The delivery's status.
    #[schema(value_type = MessageStatusExpanded)]
    pub(super) status: u8,
    /// The delivery's status as a word.
    #[schema(value_type = MessageStatusTextExpanded)]
    pub(super) status_text: &'static str,
    /// When the delivery is next attempted, if it waits for one (for a message published with
    /// a `deliverAt` ahead, that time).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime, nullable = false)]
    pub(super) next_attempt: Option<String>,
}

/// The `endpoint_id` filter of attempts by message.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct EndpointIdFilter {
    /// Filter the attempts based on the attempted endpoint
    #[param(
        min_length = 1,
        max_length = 256,
        pattern = r"^[a-zA-Z0-9\-_.]+$",
        example = "unique-ep-identifier"
    )]
    pub(super) endpoint_id: Option<String>,
}

/// The filters shared by the attempt lists.
pub(super) fn attempt_filter(query: &QueryParams) -> ApiResult<AttemptFilter> {
    Ok(AttemptFilter {
        message: MessageFilter {
            before: query.timestamp("before")?,
            after: query.timestamp("after")?,
            channel: query.channel()?,
            event_types: query.event_types()?,
            tag: query.tag()?,
        },
        status: query.message_status("status")?,
        status_code_class: query.status_code_class("status_code_class")?,
        endpoint_id: None,
    })
}

/// Attaches their messages to attempts (`with_msg`), without payloads as in Svix: each
/// distinct message is read once.
pub(super) async fn with_messages(
    state: &AppState,
    app: &hookd_core::id::AppId,
    attempts: &mut [MessageAttemptOut],
) -> ApiResult<()> {
    let mut found: HashMap<String, Option<Message>> = HashMap::new();
    for a in attempts.iter() {
        if !found.contains_key(&a.msg_id) {
            let msg = state.messages.get_message(app, &a.msg_id).await?;
            found.insert(a.msg_id.clone(), msg);
        }
    }
    for a in attempts.iter_mut() {
        // An attempt's message exists as long as the attempt does (they cascade together);
        // one deleted between the two reads is left out rather than failing the page.
        if let Some(Some(msg)) = found.get(&a.msg_id) {
            a.msg = Some(MessageOut::new(msg.clone(), false)?);
        }
    }
    Ok(())
}

/// The list of `MessageAttemptOut`s by name, for `#[utoipa::path]` bodies: an alias
/// hides the generic argument from the macro, which then takes the envelope's own
/// `ToSchema` (Svix's `ListResponse_…_` names) instead of composing a generic one.
pub type ListMessageAttemptOut = ListResponse<MessageAttemptOut>;

/// The list of `MessageEndpointOut`s by name, for `#[utoipa::path]` bodies: an alias
/// hides the generic argument from the macro, which then takes the envelope's own
/// `ToSchema` (Svix's `ListResponse_…_` names) instead of composing a generic one.
pub type ListMessageEndpointOut = ListResponse<MessageEndpointOut>;

/// The list of `EndpointMessageOut`s by name, for `#[utoipa::path]` bodies: an alias
/// hides the generic argument from the macro, which then takes the envelope's own
/// `ToSchema` (Svix's `ListResponse_…_` names) instead of composing a generic one.
pub type ListEndpointMessageOut = ListResponse<EndpointMessageOut>;
