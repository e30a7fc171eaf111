//! The path, header and query parameters that several operations share (Svix's names and
//! descriptions), declared once as `IntoParams` so that every route documents them alike. It
//! must not parse anything: the extractors do.

use utoipa::IntoParams;

use super::*;

/// The `Idempotency-Key` header every POST accepts.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub struct IdempotencyKey {
    /// The request's idempotency key: a repeat of the request with the same key (by the same
    /// token, within the server's idempotency window, 24 hours by default) gets the first answer
    /// again. An empty or longer key is a 400.
    #[param(rename = "idempotency-key", min_length = 1, max_length = 256)]
    idempotency_key: Option<String>,
}

/// `{app_id}`: an application's id or uid.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct AppPath {
    /// The application's id or uid.
    #[param(
        min_length = 1,
        max_length = 256,
        pattern = r"^[a-zA-Z0-9\-_.]+$",
        example = "unique-app-identifier"
    )]
    app_id: String,
}

/// `{endpoint_id}`: an endpoint's id or uid.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct EndpointPath {
    /// The endpoint's id or uid.
    #[param(
        min_length = 1,
        max_length = 256,
        pattern = r"^[a-zA-Z0-9\-_.]+$",
        example = "unique-ep-identifier"
    )]
    endpoint_id: String,
}

/// `{msg_id}`: a message's id or `eventId`.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct MsgPath {
    /// The message's id or `eventId`.
    #[param(
        min_length = 1,
        max_length = 256,
        pattern = r"^[a-zA-Z0-9\-_.]+$",
        example = "unique-msg-identifier"
    )]
    msg_id: String,
}

/// `{attempt_id}`: an attempt's id.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct AttemptPath {
    /// The attempt's id.
    #[param(
        min_length = 1,
        max_length = 256,
        pattern = r"^[a-zA-Z0-9\-_.]+$",
        example = "atmpt_1srOrx2ZWZBpBUvZwXKQmoEYga2"
    )]
    attempt_id: String,
}

/// `{event_type_name}`: an event type's name.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct EventTypePath {
    /// The event type's name.
    #[param(
        min_length = 1,
        max_length = 256,
        pattern = r"^[a-zA-Z0-9\-_.]+$",
        example = "user.signup"
    )]
    event_type_name: String,
}

/// The pagination of every list.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct Pagination {
    /// Limit the number of returned items
    #[param(minimum = 0, maximum = 250)]
    limit: Option<u64>,
    /// The iterator returned from a prior invocation (`-` and an iterator for the page
    /// before it; empty counts as absent)
    #[param(
        max_length = 257,
        pattern = r"^(-?[a-zA-Z0-9\-_.]{1,256})?$",
        example = "app_1srOrx2ZWZBpBUvZwXKQmoEYga2"
    )]
    iterator: Option<String>,
}

/// The order of the lists that let the caller choose it.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct OrderParam {
    /// The sorting order of the returned items
    #[param(value_type = Option<Ordering>)]
    order: Option<String>,
}

/// The message filters of message, attempt and delivery lists.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct MessageFilters {
    /// Filter response based on the channel
    #[param(
        min_length = 1,
        max_length = 128,
        pattern = r"^[a-zA-Z0-9\-_.]+$",
        example = "project_1337"
    )]
    channel: Option<String>,
    /// Only include items created before a certain date
    #[param(value_type = Option<String>, format = DateTime)]
    before: Option<String>,
    /// Only include items created after a certain date
    #[param(value_type = Option<String>, format = DateTime)]
    after: Option<String>,
    /// Filter response based on the event type
    #[param(inline, value_type = Option<Vec<EventTypeName>>, explode, style = Form)]
    event_types: Option<Vec<String>>,
    /// Filter response based on the message's tags: only messages carrying this tag
    #[param(
        min_length = 1,
        max_length = 128,
        pattern = r"^[a-zA-Z0-9\-_./\\#]+$",
        example = "project_1337"
    )]
    tag: Option<String>,
}

/// `expanded_statuses` of the lists and reads that show a delivery's or attempt's status.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ExpandedStatuses {
    /// When `true`, a delivery canceled because its endpoint was disabled shows as Canceled
    /// (4); otherwise as Fail (2). hookd records no attempt for a canceled delivery, so
    /// attempts themselves are only ever Success (0) or Fail (2)
    #[param(default = false)]
    expanded_statuses: Option<bool>,
}

/// `with_msg` of attempt lists by endpoint.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct WithMsg {
    /// When `true`, each attempt carries its message (`msg`), without the payload
    #[param(default = false)]
    with_msg: Option<bool>,
}

/// The filters of the application list (Svix's `ApplicationListOptions`).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct AppListFilters {
    /// Exclude applications that have no endpoints
    #[param(default = false)]
    exclude_apps_with_no_endpoints: Option<bool>,
    /// Exclude applications whose endpoints are all disabled (an application without
    /// endpoints is not excluded by this)
    #[param(default = false)]
    exclude_apps_with_disabled_endpoints: Option<bool>,
    /// Exclude applications whose endpoints all point at Svix Play
    /// (`https://play.svix.com/…`; an application without endpoints is not excluded by this)
    #[param(default = false)]
    exclude_apps_with_svix_play_endpoints: Option<bool>,
}

/// The delivery status filter.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct StatusFilter {
    /// Filter response based on the delivery status
    #[param(value_type = Option<MessageStatus>)]
    status: Option<u8>,
}

/// The status-code class filter of attempt lists.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct StatusCodeClassFilter {
    /// Filter response based on the HTTP status code
    #[param(value_type = Option<StatusCodeClass>)]
    status_code_class: Option<u16>,
}

/// `with_content` where it defaults to true (messages and attempts).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct WithContent {
    /// When `true` message payloads (or attempt responses) are included in the response
    #[param(default = true)]
    with_content: Option<bool>,
}

/// hookd's `async` switch of tasks (recover, bulk resend).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct AsyncParam {
    /// hookd's extension: answer at once and report the task's end as a
    /// `background_task.finished` operational webhook (also accepted as `"async": true` in the
    /// body)
    #[param(rename = "async", default = false)]
    run_async: Option<bool>,
}
