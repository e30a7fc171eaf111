//! Schemas of the OpenAPI document that no single wire type owns: Svix's small enums (which
//! hookd sends as plain numbers and strings), the shared error responses, the path and query
//! parameters every resource shares, the list envelope's name, and the shape of hookd's
//! `options` extensions.
//!
//! The `options` types live in `hookd_core` and, by the core's rule, know nothing of any wire
//! format; their schema is therefore described here, field by field, and a test below holds
//! these descriptions to the core's own lists of field names so that the two cannot drift
//! apart. This module must not be used at run time to parse or check anything: it only
//! describes.

use std::borrow::Cow;

use serde::Serialize;
use serde_json::json;
use utoipa::{
    openapi::{
        extensions::ExtensionsBuilder,
        schema::{AdditionalProperties, ArrayBuilder, ObjectBuilder, Schema, SchemaType, Type},
        RefOr,
    },
    IntoParams, IntoResponses, PartialSchema, ToSchema,
};

use super::wire::ListResponse;
use crate::error::{StandardBody, ValidationBody};

/// Builds an integer enum schema with Svix's `x-enum-varnames`.
fn integer_enum(title: &str, description: &str, values: &[(i64, &str)]) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::Integer))
        .title(Some(title))
        .description(Some(description))
        .enum_values(Some(values.iter().map(|(v, _)| *v)))
        .extensions(Some(
            ExtensionsBuilder::new()
                .add(
                    "x-enum-varnames",
                    json!(values.iter().map(|(_, n)| *n).collect::<Vec<_>>()),
                )
                .build(),
        ))
        .into()
}

/// Builds a string enum schema.
fn string_enum(description: Option<&str>, values: &[&str]) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::String))
        .description(description)
        .enum_values(Some(values.iter().copied()))
        .into()
}

/// Declares a documentation-only schema type with a hand-built schema.
macro_rules! doc_schema {
    ($(#[$doc:meta])* $name:ident, $schema:expr) => {
        $(#[$doc])*
        pub struct $name;

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                $schema
            }
        }

        impl ToSchema for $name {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($name))
            }
        }
    };
}

doc_schema!(
    /// Svix's `MessageStatus`: the delivery status of a message, as a number.
    MessageStatus,
    integer_enum(
        "MessageStatus",
        "The sending status of the message:\n- Success = 0\n- Pending = 1\n- Fail = 2\n- Sending = 3",
        &[(0, "Success"), (1, "Pending"), (2, "Fail"), (3, "Sending")],
    )
);

doc_schema!(
    /// Svix's `MessageStatusText`: the same status as a word.
    MessageStatusText,
    string_enum(None, &["success", "pending", "fail", "sending"])
);

doc_schema!(
    /// Svix's newer `MessageStatus`, with Canceled, as a delivery's status shows it.
    MessageStatusExpanded,
    integer_enum(
        "MessageStatusExpanded",
        "The sending status of the message:\n- Success = 0\n- Pending = 1\n- Fail = 2\n- \
         Sending = 3\n- Canceled = 4 (only with `expanded_statuses=true`: the endpoint was \
         disabled before an attempt; otherwise such a delivery shows as Fail)",
        &[
            (0, "Success"),
            (1, "Pending"),
            (2, "Fail"),
            (3, "Sending"),
            (4, "Canceled"),
        ],
    )
);

doc_schema!(
    /// The same status as a word.
    MessageStatusTextExpanded,
    string_enum(None, &["success", "pending", "fail", "sending", "canceled"])
);

doc_schema!(
    /// Svix's `MessageAttemptTriggerType`.
    MessageAttemptTriggerType,
    integer_enum(
        "MessageAttemptTriggerType",
        "The reason an attempt was made:\n- Scheduled = 0\n- Manual = 1",
        &[(0, "Scheduled"), (1, "Manual")],
    )
);

doc_schema!(
    /// Svix's `StatusCodeClass`, a filter of attempt lists.
    StatusCodeClass,
    integer_enum(
        "StatusCodeClass",
        "The different classes of HTTP status codes:\n- CodeNone = 0\n- Code1xx = 100\n- \
         Code2xx = 200\n- Code3xx = 300\n- Code4xx = 400\n- Code5xx = 500",
        &[
            (0, "CodeNone"),
            (100, "Code1xx"),
            (200, "Code2xx"),
            (300, "Code3xx"),
            (400, "Code4xx"),
            (500, "Code5xx"),
        ],
    )
);

doc_schema!(
    /// Svix's `Ordering` of list results.
    Ordering,
    string_enum(
        Some("Defines the ordering in a listing of results."),
        &["ascending", "descending"],
    )
);

doc_schema!(
    /// Svix's `BackgroundTaskStatus`. A task answers `finished` or `failed` when it ran to
    /// the end before answering.
    BackgroundTaskStatus,
    string_enum(None, &["running", "finished", "failed"])
);

doc_schema!(
    /// Svix's `BackgroundTaskType`s that hookd runs, plus hookd's bulk resend.
    BackgroundTaskType,
    string_enum(None, super::background_task::TASK_KINDS)
);

doc_schema!(
    /// Svix's `EmptyResponse`: the `{}` that a resend answers.
    EmptyResponse,
    ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::Object))
        .into()
);

impl<T: ToSchema> PartialSchema for ListResponse<T> {
    fn schema() -> RefOr<Schema> {
        let nullable_string = |example: &str| {
            ObjectBuilder::new()
                .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
                .examples([example])
        };
        ObjectBuilder::new()
            .schema_type(SchemaType::new(Type::Object))
            .property(
                "data",
                ArrayBuilder::new().items(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                    T::name(),
                ))),
            )
            .required("data")
            .property("iterator", nullable_string("iterator"))
            .property("prevIterator", nullable_string("-iterator"))
            .property(
                "done",
                ObjectBuilder::new().schema_type(SchemaType::new(Type::Boolean)),
            )
            .required("done")
            .into()
    }
}

impl<T: ToSchema> ToSchema for ListResponse<T> {
    /// Svix's names: `ListResponse_ApplicationOut_` and so on.
    fn name() -> Cow<'static, str> {
        Cow::Owned(format!("ListResponse_{}_", T::name()))
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((T::name().into_owned(), T::schema()));
        T::schemas(schemas);
    }
}

/// The list envelopes by name, for `#[utoipa::path]` bodies: an alias hides the generic
/// argument from the macro, which then takes the envelope's own `ToSchema` (Svix's
/// `ListResponse_…_` names) instead of composing a generic one.
pub type ListApplicationOut = ListResponse<super::application::ApplicationOut>;
/// See [`ListApplicationOut`].
pub type ListEventTypeOut = ListResponse<super::event_type::EventTypeOut>;
/// See [`ListApplicationOut`].
pub type ListEndpointOut = ListResponse<super::endpoint::EndpointOut>;
/// See [`ListApplicationOut`].
pub type ListMessageOut = ListResponse<super::message::MessageOut>;
/// See [`ListApplicationOut`].
pub type ListMessageAttemptOut = ListResponse<super::attempt::MessageAttemptOut>;
/// See [`ListApplicationOut`].
pub type ListMessageEndpointOut = ListResponse<super::attempt::MessageEndpointOut>;
/// See [`ListApplicationOut`].
pub type ListEndpointMessageOut = ListResponse<super::attempt::EndpointMessageOut>;

/// The error answers Svix documents on every operation, each in its shape.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum Errors {
    /// No token, an unknown token or an expired one.
    #[response(status = 401, description = "Unauthorized")]
    Unauthorized(StandardBody<'static>),
    /// The token may not reach this resource.
    #[response(status = 403, description = "Forbidden")]
    Forbidden(StandardBody<'static>),
    /// The addressed entity does not exist.
    #[response(status = 404, description = "Not Found")]
    NotFound(StandardBody<'static>),
    /// A unique key is taken.
    #[response(status = 409, description = "Conflict")]
    Conflict(StandardBody<'static>),
    /// The input does not validate; `loc` names each bad value.
    #[response(status = 422, description = "Validation Error")]
    Validation(ValidationBody<'static>),
    /// Documented by Svix on every operation; hookd itself does not rate-limit the API.
    #[response(status = 429, description = "Too Many Requests")]
    TooManyRequests(StandardBody<'static>),
}

/// A 400 answer (`invalid_idempotency_key`, `invalid_range`, `missing_payload`,
/// `invalid_scheme`, `limit_reached`, …):
/// hookd answers these where Svix does, although Svix's document does not list them.
#[derive(IntoResponses)]
#[response(status = 400, description = "Bad Request")]
#[allow(dead_code)]
pub struct BadRequest(StandardBody<'static>);

/// A request body over the server's `max_body_bytes`.
#[derive(IntoResponses)]
#[response(status = 413, description = "Payload Too Large")]
#[allow(dead_code)]
pub struct PayloadTooLarge(StandardBody<'static>);

/// The storage cannot be reached; the request may be retried later.
#[derive(IntoResponses)]
#[response(status = 503, description = "Service Unavailable")]
#[allow(dead_code)]
pub struct Unavailable(StandardBody<'static>);

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

/// A key-like string (`[a-zA-Z0-9-_.]`, 1 to `max` characters), as `hookd_core::validate::key`
/// accepts it.
fn key_schema(max: usize, example: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::String))
        .min_length(Some(1))
        .max_length(Some(max))
        .pattern(Some(r"^[a-zA-Z0-9\-_.]+$"))
        .examples([example])
        .into()
}

doc_schema!(
    /// A signing secret as an endpoint is given it: `whsec_` and canonical base64 of 24 to 75
    /// bytes (or the bare base64), or `whsk_` and an ed25519 key pair
    /// (`hookd_core::signing::SECRET_PATTERN`).
    SecretText,
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .pattern(Some(hookd_core::signing::SECRET_PATTERN))
        .examples(["whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"])
        .into()
);

doc_schema!(
    /// An id or a uid, as lists of messages or applications carry them.
    IdOrUid,
    key_schema(256, "unique-identifier")
);

doc_schema!(
    /// An event type name, as lists of them carry it.
    EventTypeName,
    key_schema(256, "user.signup")
);

doc_schema!(
    /// A feature flag, as event types and portal tokens carry them.
    FeatureFlag,
    key_schema(256, "cool-new-feature")
);

doc_schema!(
    /// A portal session id (`sessionId`), as `hookd_core::validate::session_id` accepts it.
    SessionId,
    ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::String))
        .min_length(Some(1))
        .max_length(Some(hookd_core::validate::MAX_SESSION_ID_LEN))
        .pattern(Some(r"^[a-zA-Z0-9@_-]+$"))
        .examples(["user_1FB8"])
        .into()
);

doc_schema!(
    /// An HTTP status code a delivery may count as success.
    HttpStatusCode,
    ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::Integer))
        .minimum(Some(200))
        .maximum(Some(599))
        .into()
);

doc_schema!(
    /// A message tag, as lists of them carry it: Svix's pattern, with `/`, `\` and `#`.
    TagName,
    ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::String))
        .min_length(Some(1))
        .max_length(Some(hookd_core::validate::MAX_TAG_LEN))
        .pattern(Some(r"^[a-zA-Z0-9\-_./\\#]+$"))
        .examples(["project_1337"])
        .into()
);

doc_schema!(
    /// A channel name, as lists of them carry it.
    ChannelName,
    key_schema(128, "project_1337")
);

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

/// hookd's `RetryPolicy` (see `hookd_core::retry`): how failed deliveries are retried. Which
/// fields apply depends on `type`; the others are refused with 422, and so are unknown names
/// (hence `deny_unknown_fields` on this and the other option schemas, which the document shows
/// as `additionalProperties: false`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = RetryPolicy)]
#[allow(dead_code)]
pub struct RetryPolicySchema {
    /// The schedule's shape.
    #[serde(rename = "type")]
    #[schema(inline)]
    kind: RetryKind,
    /// `delays`: the delay before each retry, in order (0–99 entries of 1 s – 7 days).
    #[schema(max_items = 99)]
    delays_secs: Option<Vec<u64>>,
    /// `fixed`, `linear`, `exponential`: the first delay (1 s – 7 days).
    base_secs: Option<u64>,
    /// `linear`: added to each next delay.
    increment_secs: Option<u64>,
    /// `exponential`: multiplies each next delay (more than 1, at most 10; default 2).
    factor: Option<f64>,
    /// `linear`, `exponential`: no delay is longer.
    cap_secs: Option<u64>,
    /// The most attempts, the first included (1–100).
    max_attempts: Option<u32>,
    /// A retry is made only if the delays up to it add up to at most this (at most 30 days).
    max_age_secs: Option<u64>,
    /// Each delay moves at random by up to this fraction (0–0.5); 0 unless given.
    #[schema(nullable = false, minimum = 0.0, maximum = 0.5)]
    jitter: Option<f64>,
}

/// A retry schedule's shape.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub enum RetryKind {
    /// `delaysSecs[n-1]`.
    Delays,
    /// `baseSecs` every time.
    Fixed,
    /// `baseSecs + incrementSecs × (n-1)`.
    Linear,
    /// `baseSecs × factor^(n-1)`.
    Exponential,
}

/// hookd's `AuthScheme` (see `hookd_core::options`): how a delivery proves where it comes
/// from. Secret values (`value`, `token`) are write-only: reads leave them out.
#[derive(Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "camelCase", deny_unknown_fields)]
#[allow(dead_code)]
pub enum AuthSchemeVariants {
    /// Standard Webhooks signatures (`webhook-*` and `svix-*` headers).
    StandardWebhooks,
    /// A fixed secret in a header.
    #[serde(rename_all = "camelCase")]
    StaticHeader {
        /// The header's name: an HTTP token, none that hookd sets itself (`webhook-*`,
        /// `svix-*`, `content-type`, `user-agent`, `accept`, transport headers).
        #[schema(schema_with = super::endpoint::header_schema::scheme_header)]
        header: String,
        /// The secret (1–4096 visible ASCII characters, no surrounding spaces); required when
        /// the scheme is created, never shown.
        #[schema(
            min_length = 1,
            max_length = 4096,
            pattern = r"^[!-~](?:[\t -~]*[!-~])?$"
        )]
        value: Option<String>,
    },
    /// A signing token sent verbatim in a header; read it with `GET …/signing-token`.
    #[serde(rename_all = "camelCase")]
    SigningToken {
        /// The header's name, as `staticHeader`'s.
        #[schema(schema_with = super::endpoint::header_schema::scheme_header)]
        header: String,
        /// The token (as `staticHeader`'s value); left out, the application's token for that
        /// header is used or made.
        #[schema(
            min_length = 1,
            max_length = 4096,
            pattern = r"^[!-~](?:[\t -~]*[!-~])?$"
        )]
        token: Option<String>,
    },
    /// A secret in the URL's query string, shown as `REDACTED`.
    #[serde(rename_all = "camelCase")]
    QuerySecret {
        /// The query parameter holding the secret (1–256 characters, no `&`, `=` or `#`); the
        /// endpoint's URL must give it a value.
        #[schema(pattern = r"^[^&=#]{1,256}$")]
        param: String,
    },
}

/// [`AuthSchemeVariants`] with each variant closed (`additionalProperties: false`), as the API
/// refuses fields a scheme does not have; utoipa does not carry `deny_unknown_fields` to an
/// enum's variants by itself.
#[derive(Serialize)]
pub struct AuthSchemeSchema;

impl PartialSchema for AuthSchemeSchema {
    fn schema() -> RefOr<Schema> {
        let mut schema = AuthSchemeVariants::schema();
        if let RefOr::T(Schema::OneOf(one_of)) = &mut schema {
            for item in &mut one_of.items {
                if let RefOr::T(Schema::Object(object)) = item {
                    object.additional_properties =
                        Some(Box::new(AdditionalProperties::FreeForm(false)));
                }
            }
        }
        schema
    }
}

impl ToSchema for AuthSchemeSchema {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("AuthScheme")
    }
}

/// hookd's `Envelope` (see `hookd_core::envelope`): a JSON template that wraps the payload.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = Envelope)]
#[allow(dead_code)]
pub struct EnvelopeSchema {
    /// A JSON object (or a string that is exactly one placeholder, such as
    /// `"{{ payload }}"`) with `{{ field }}` placeholders.
    #[schema(value_type = Object)]
    template: serde_json::Value,
}

/// hookd's endpoint `options` (see `docs/extensions.md`). Every field is optional; absent
/// means Svix's behaviour, and on PATCH `null` resets an option.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = EndpointOptions)]
#[allow(dead_code)]
pub struct EndpointOptionsSchema {
    /// How failed deliveries are retried; absent: the server's (Svix's schedule).
    #[schema(value_type = Option<RetryPolicySchema>)]
    retry_policy: Option<RetryPolicySchema>,
    /// How long the receiver may take, in ms (100–60000).
    #[schema(minimum = 100, maximum = 60000)]
    timeout_ms: Option<u32>,
    /// The status codes that count as delivered (1–32 codes, 200–599); absent: any 2xx.
    #[schema(value_type = Option<Vec<HttpStatusCode>>, min_items = 1, max_items = 32)]
    success_status_codes: Option<Vec<u16>>,
    /// How deliveries authenticate (1–8 schemes); absent: Standard Webhooks signatures.
    #[schema(min_items = 1, max_items = 8)]
    auth: Option<Vec<AuthSchemeSchema>>,
    /// How the payload is wrapped; absent: the event type's envelope, else none.
    envelope: Option<EnvelopeSchema>,
    /// The `Content-Type` header (at most 256 visible ASCII characters, no surrounding
    /// spaces); `""` sends none.
    #[schema(max_length = 256, pattern = r"^(?:[!-~](?:[\t -~]*[!-~])?)?$")]
    content_type: Option<String>,
}

/// hookd's event type `options`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = EventTypeOptions)]
#[allow(dead_code)]
pub struct EventTypeOptionsSchema {
    /// Wraps messages of this type for every endpoint without its own envelope.
    envelope: Option<EnvelopeSchema>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use hookd_core::{envelope, options, retry};

    /// The property names a described schema has.
    fn properties<T: ToSchema>() -> Vec<String> {
        match T::schema() {
            RefOr::T(Schema::Object(o)) => o.properties.keys().cloned().collect(),
            other => panic!(
                "{} is not an object schema: {}",
                T::name(),
                serde_json::to_string(&other).unwrap_or_default()
            ),
        }
    }

    #[test]
    fn option_schemas_name_exactly_the_core_fields() {
        let mut documented = properties::<EndpointOptionsSchema>();
        let mut core: Vec<String> = options::ENDPOINT_FIELDS.map(String::from).to_vec();
        documented.sort();
        core.sort();
        assert_eq!(documented, core, "EndpointOptions drifted from hookd_core");

        let mut documented = properties::<RetryPolicySchema>();
        let mut core: Vec<String> = retry::FIELDS.map(String::from).to_vec();
        documented.sort();
        core.sort();
        assert_eq!(documented, core, "RetryPolicy drifted from hookd_core");

        assert_eq!(properties::<EnvelopeSchema>(), envelope::FIELDS.to_vec());
        assert_eq!(
            properties::<EventTypeOptionsSchema>(),
            options::EVENT_TYPE_FIELDS.to_vec()
        );
    }

    #[test]
    fn list_envelopes_take_svix_names() {
        assert_eq!(
            ListResponse::<EmptyResponse>::name(),
            "ListResponse_EmptyResponse_"
        );
    }
}
