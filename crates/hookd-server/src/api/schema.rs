//! Schemas of the OpenAPI document that no single wire type owns: Svix's small enums (which
//! hookd sends as plain numbers and strings), the shared error responses, the path and query
//! parameters every resource shares and the list envelope's name; the shape of hookd's
//! `options` extensions is in [`options`]. This module must not be used at run time to parse
//! or check anything: it only describes.

use std::borrow::Cow;

use serde::Serialize;
use serde_json::json;
use utoipa::{
    openapi::{
        extensions::ExtensionsBuilder,
        schema::{AdditionalProperties, ArrayBuilder, ObjectBuilder, Schema, SchemaType, Type},
        RefOr,
    },
    IntoResponses, PartialSchema, ToSchema,
};

mod options;
mod params;

pub use params::{
    AppListFilters, AppPath, AsyncParam, AttemptPath, EndpointPath, EventTypePath,
    ExpandedStatuses, IdempotencyKey, MessageFilters, MsgPath, OrderParam, Pagination,
    StatusCodeClassFilter, StatusFilter, WithContent, WithMsg,
};

pub use options::{
    AuthSchemeSchema, EndpointOptionsSchema, EnvelopeSchema, EventTypeOptionsSchema, RetryKind,
    RetryPolicySchema,
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
    /// Documented by Svix on every operation; hookd answers it when a token, an application or
    /// an address is over its API rate limit.
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
