//! Custom headers of an endpoint: `GET|PUT|PATCH /api/v1/app/{app_id}/endpoint/{endpoint_id}/headers`.
//!
//! Reading never shows the values of credential-bearing headers: they are listed by name in
//! `sensitive` instead, as Svix does, so a portal user cannot read a secret back. Names are
//! case-insensitive: a PATCH of `x-token` replaces a stored `X-Token`. This module must not
//! decide how headers are sent; the worker does.

use std::collections::{BTreeMap, BTreeSet};

use axum::{extract::State, http::StatusCode, Json};
use hookd_core::validate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{
    api::{
        extract::{ApiJson, ApiPath},
        load_app, load_endpoint,
        schema::{AppPath, EndpointPath, Errors, PayloadTooLarge, Unavailable},
        wire::Checks,
    },
    error::{ApiResult, ValidationItem},
    AppState,
};

use hookd_core::model::SENSITIVE_HEADERS;

/// Headers a user may not set (lower case), beyond those `hookd_core::validate` reserves: Svix's
/// list of hop-by-hop, caching and content headers whose meaning the sender owns.
pub(crate) const FORBIDDEN_HEADERS: [&str; 19] = [
    "user-agent",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "age",
    "cache-control",
    "clear-site-data",
    "expires",
    "pragma",
    "warning",
    "content-length",
    "content-type",
    "content-encoding",
    "content-language",
    "content-location",
];

/// Prefixes a user may not use (lower case): cloud providers' and Svix's own.
pub(crate) const FORBIDDEN_PREFIXES: [&str; 9] = [
    "x-amz-", "x-amzn-", "x-google", "x-goog-", "x-gfe", "x-azure-", "x-fd-", "x-svix-", "svix-",
];

/// A header value holds at most this many characters (Svix caps it at 4 KiB; counted in
/// characters here, so that the document can state the limit as a `maxLength`).
pub(crate) const MAX_HEADER_VALUE_LEN: usize = 4096;

/// Svix's `EndpointHeadersIn`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndpointHeadersIn {
    /// The custom headers deliveries carry, by name. Names must be HTTP tokens and not ones
    /// hookd sets itself; values at most 4096 characters, without control characters.
    #[schema(schema_with = super::header_schema::endpoint_headers)]
    headers: BTreeMap<String, String>,
}

/// Svix's `EndpointHeadersPatchIn`: a `null` value or a name in `deleteHeaders` removes the
/// header.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EndpointHeadersPatchIn {
    /// The headers to set, and `null` for those to remove.
    #[serde(default)]
    #[schema(schema_with = super::header_schema::endpoint_headers_patch)]
    headers: BTreeMap<String, Option<String>>,
    /// Names of headers to remove (in any case; an absent one is no change). A name may not
    /// also be given a value in `headers` (422): the request would say both.
    #[serde(default)]
    #[schema(example = json!(["X-Foobar"]))]
    delete_headers: Vec<String>,
}

/// Svix's `EndpointHeadersOut`. The value of the headers is returned in the `headers` field;
/// sensitive headers that have been redacted are returned in the `sensitive` field.
#[derive(Debug, Serialize, ToSchema)]
pub struct EndpointHeadersOut {
    /// The headers whose values may be shown.
    #[schema(example = json!({"X-Example": "123", "X-Foobar": "Bar"}))]
    headers: BTreeMap<String, String>,
    /// The names of the credential-bearing headers, whose values are not shown.
    #[schema(example = json!(["Authorization"]))]
    sensitive: BTreeSet<String>,
}

pub(super) fn check_name(checks: &mut Checks, name: &str) {
    let loc = ["body", "headers", name];
    if checks
        .check(validate::custom_header_name(&loc, name))
        .is_none()
    {
        return;
    }
    let lower = name.to_ascii_lowercase();
    if FORBIDDEN_HEADERS.contains(&lower.as_str()) {
        checks.push(ValidationItem::value(&loc, "Header uses a forbidden key."));
    } else if FORBIDDEN_PREFIXES.iter().any(|p| lower.starts_with(p)) {
        checks.push(ValidationItem::value(
            &loc,
            "Header starts with a forbidden prefix.",
        ));
    }
}

pub(super) fn check_value(checks: &mut Checks, name: &str, value: &str) {
    let loc = ["body", "headers", name];
    checks.check(validate::custom_header_value(&loc, value));
    if value.chars().count() > MAX_HEADER_VALUE_LEN {
        checks.push(ValidationItem::value(
            &loc,
            format!("Maximum header length is {MAX_HEADER_VALUE_LEN} characters"),
        ));
    }
}

/// Removes `name` whatever its case.
fn remove_ci(headers: &mut BTreeMap<String, String>, name: &str) {
    headers.retain(|k, _| !k.eq_ignore_ascii_case(name));
}

/// `GET …/headers`.
#[utoipa::path(
    get,
    path = "/api/v1/app/{app_id}/endpoint/{endpoint_id}/headers",
    operation_id = "v1.endpoint.get-headers",
    tag = "Endpoint",
    summary = "Get Endpoint Headers",
    description = "Get the additional headers to be sent with the webhook.",
    params(AppPath, EndpointPath),
    responses((status = 200, body = EndpointHeadersOut), Errors, Unavailable)
)]
pub async fn get(
    State(state): State<AppState>,
    ApiPath((app_id, endpoint_id)): ApiPath<(String, String)>,
) -> ApiResult<Json<EndpointHeadersOut>> {
    let app = load_app(&state, &app_id).await?;
    let ep = load_endpoint(&state, &app, &endpoint_id).await?;
    let (sensitive, headers): (BTreeMap<_, _>, BTreeMap<_, _>) = ep
        .headers
        .into_iter()
        .partition(|(k, _)| SENSITIVE_HEADERS.contains(&k.to_ascii_lowercase().as_str()));
    Ok(Json(EndpointHeadersOut {
        headers,
        sensitive: sensitive.into_keys().collect(),
    }))
}

/// `PUT …/headers`: replaces all custom headers. 204.
#[utoipa::path(
    put,
    path = "/api/v1/app/{app_id}/endpoint/{endpoint_id}/headers",
    operation_id = "v1.endpoint.update-headers",
    tag = "Endpoint",
    summary = "Update Endpoint Headers",
    description = "Set the additional headers to be sent with the webhook.",
    params(AppPath, EndpointPath),
    request_body = EndpointHeadersIn,
    responses((status = 204, description = "Replaced"), Errors, PayloadTooLarge, Unavailable)
)]
pub async fn update(
    State(state): State<AppState>,
    ApiPath((app_id, endpoint_id)): ApiPath<(String, String)>,
    ApiJson(input): ApiJson<EndpointHeadersIn>,
) -> ApiResult<StatusCode> {
    let mut checks = Checks::default();
    for (name, value) in &input.headers {
        check_name(&mut checks, name);
        check_value(&mut checks, name, value);
    }
    checks.finish()?;
    let app = load_app(&state, &app_id).await?;
    let mut ep = load_endpoint(&state, &app, &endpoint_id).await?;
    let mut headers = BTreeMap::new();
    for (name, value) in input.headers {
        remove_ci(&mut headers, &name);
        headers.insert(name, value);
    }
    ep.headers = headers;
    ep.updated_at = state.clock.now();
    state.directory.update_endpoint(&ep).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `PATCH …/headers`: sets the given headers and removes those given as `null` or named in
/// `deleteHeaders`. 204.
#[utoipa::path(
    patch,
    path = "/api/v1/app/{app_id}/endpoint/{endpoint_id}/headers",
    operation_id = "v1.endpoint.patch-headers",
    tag = "Endpoint",
    summary = "Patch Endpoint Headers",
    description = "Partially set the additional headers to be sent with the webhook. A header \
                   given as `null` or named in `deleteHeaders` is removed; naming one in \
                   `deleteHeaders` and giving it a value is a 422.",
    params(AppPath, EndpointPath),
    request_body = EndpointHeadersPatchIn,
    responses((status = 204, description = "Changed"), Errors, PayloadTooLarge, Unavailable)
)]
pub async fn patch(
    State(state): State<AppState>,
    ApiPath((app_id, endpoint_id)): ApiPath<(String, String)>,
    ApiJson(input): ApiJson<EndpointHeadersPatchIn>,
) -> ApiResult<StatusCode> {
    let mut checks = Checks::default();
    for (name, value) in &input.headers {
        check_name(&mut checks, name);
        if let Some(value) = value {
            check_value(&mut checks, name, value);
        }
    }
    for name in &input.delete_headers {
        let set = input
            .headers
            .iter()
            .any(|(k, v)| v.is_some() && k.eq_ignore_ascii_case(name));
        if set {
            checks.push(ValidationItem::value(
                &["body", "deleteHeaders", name],
                "This header is also given a value in headers; send one or the other.",
            ));
        }
    }
    checks.finish()?;
    let app = load_app(&state, &app_id).await?;
    let mut ep = load_endpoint(&state, &app, &endpoint_id).await?;
    for name in &input.delete_headers {
        remove_ci(&mut ep.headers, name);
    }
    for (name, value) in input.headers {
        remove_ci(&mut ep.headers, &name);
        if let Some(value) = value {
            ep.headers.insert(name, value);
        }
    }
    ep.updated_at = state.clock.now();
    state.directory.update_endpoint(&ep).await?;
    Ok(StatusCode::NO_CONTENT)
}
