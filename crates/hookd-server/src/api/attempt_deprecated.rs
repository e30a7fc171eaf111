//! The two deprecated attempt lists that Svix's open-source server still serves (outside its
//! document) and older SDKs call:
//! - `GET /api/v1/app/{app_id}/msg/{msg_id}/attempt`: a message's attempts, optionally of one
//!   `endpoint_id`; what `…/attempt/msg/{msg_id}` answers.
//! - `GET /api/v1/app/{app_id}/msg/{msg_id}/endpoint/{endpoint_id}/attempt`: the same for
//!   the endpoint of the path.
//!
//! Both answer exactly as the current route does (same filters, pages and shape), because they
//! are that route: this module must not grow behaviour of its own.

use axum::{
    extract::{RawQuery, State},
    Json,
};

use crate::{
    api::{
        attempt::{self, EndpointIdFilter, MessageAttemptOut},
        extract::{ApiPath, QueryParams},
        schema::{
            AppPath, EndpointPath, Errors, MessageFilters, MsgPath, Pagination,
            StatusCodeClassFilter, StatusFilter, Unavailable, WithContent,
        },
        wire::ListResponse,
    },
    error::ApiResult,
    AppState,
};

/// `GET /api/v1/app/{app_id}/msg/{msg_id}/attempt`.
#[utoipa::path(
    get,
    path = "/api/v1/app/{app_id}/msg/{msg_id}/attempt",
    operation_id = "v1.message-attempt.list-deprecated",
    tag = "Message Attempt",
    summary = "List Attempts (deprecated)",
    description = "Deprecated, as in Svix: use List Attempts By Msg, which this answers as.",
    params(AppPath, MsgPath, Pagination, StatusFilter, StatusCodeClassFilter, EndpointIdFilter, MessageFilters, WithContent),
    responses((status = 200, body = super::attempt::ListMessageAttemptOut), Errors, Unavailable)
)]
pub async fn list_by_msg(
    state: State<AppState>,
    path: ApiPath<(String, String)>,
    query: QueryParams,
) -> ApiResult<Json<ListResponse<MessageAttemptOut>>> {
    attempt::list_by_msg(state, path, query).await
}

/// `GET /api/v1/app/{app_id}/msg/{msg_id}/endpoint/{endpoint_id}/attempt`.
#[utoipa::path(
    get,
    path = "/api/v1/app/{app_id}/msg/{msg_id}/endpoint/{endpoint_id}/attempt",
    operation_id = "v1.message-attempt.list-by-msg-and-endpoint-deprecated",
    tag = "Message Attempt",
    summary = "List Attempts For Endpoint (deprecated)",
    description = "Deprecated, as in Svix: use List Attempts By Msg with `endpoint_id`, which \
                   this answers as.",
    params(AppPath, MsgPath, EndpointPath, Pagination, StatusFilter, StatusCodeClassFilter, MessageFilters, WithContent),
    responses((status = 200, body = super::attempt::ListMessageAttemptOut), Errors, Unavailable)
)]
pub async fn list_by_msg_and_endpoint(
    state: State<AppState>,
    ApiPath((app_id, msg_id, endpoint_id)): ApiPath<(String, String, String)>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<ListResponse<MessageAttemptOut>>> {
    // The path's endpoint is the `endpoint_id` filter. A query's own `endpoint_id` never gets
    // here: the route does not declare it, so `declared` refuses it by name first.
    let mut query = raw.unwrap_or_default();
    let filter: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("endpoint_id", &endpoint_id)
        .finish();
    if !query.is_empty() {
        query.push('&');
    }
    query.push_str(&filter);
    attempt::list_by_msg(state, ApiPath((app_id, msg_id)), QueryParams::parse(&query)).await
}
