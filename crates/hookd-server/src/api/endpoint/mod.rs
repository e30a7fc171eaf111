//! Endpoints of an application: the wire types and CRUD of
//! `/api/v1/app/{app_id}/endpoint[/{endpoint_id}]`. The sub-resources live beside this file,
//! one per concern as in Svix: `headers`, `secret` (get and rotate), `recovery` (recover),
//! `example` (send-example), `replay` (bulk-replay, replay-missing), `stats`
//! and `attempt_stats`.
//!
//! Older SDKs name `eventTypes` `filterTypes` and `throttleRate` `rateLimit`; both spellings are
//! accepted on input and both are written on output.
//!
//! hookd's extensions: the `options` object (see `api::options`), shown only when it is not
//! the default (so Svix SDKs see Svix's shape) and without its secrets; a URL whose query
//! holds a `querySecret` is shown with that value `REDACTED`, and sending it back so keeps the
//! stored secret. The extension routes beside this file: `signing_token`, `test_send` and
//! `bulk_resend`. This module must not deliver anything: it only changes what the store holds.

pub mod attempt_stats;
pub mod bulk_resend;
pub mod example;
pub(crate) mod header_schema;
pub mod headers;
pub mod recovery;
pub mod replay;
pub mod secret;
pub mod signing_token;
pub mod stats;
pub mod test_send;

mod fields;

use fields::{check_channels, check_event_types, check_url, EndpointFields};
pub(crate) use fields::{generate_secret, parse_secret};
pub use fields::{EndpointCommon, EndpointIn, EndpointOut, EndpointPatch, EndpointUpdate};

use std::collections::BTreeMap;

use axum::{extract::State, http::StatusCode, Extension, Json};
use hookd_core::{
    id::EndpointId,
    model::{Application, Endpoint},
    options::EndpointOptions,
    page::Order,
    signing::{EndpointSecret, SignatureType},
    validate, Timestamp,
};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use utoipa::ToSchema;

use super::{
    extract::{path_key, ApiJson, ApiPath, QueryParams},
    load_app, load_endpoint,
    options::{self as wire_options, EndpointOptionsPatch},
    schema::{
        AppPath, BadRequest, ChannelName, EndpointOptionsSchema, EndpointPath, Errors,
        EventTypeName, IdempotencyKey, OrderParam, Pagination, PayloadTooLarge, SecretText,
        Unavailable,
    },
    wire::{self, ts, Checks, ListResponse, Metadata, Patch},
};
use crate::{
    auth::Caller,
    error::{ApiError, ApiResult, ValidationItem},
    worker::operational,
    AppState,
};

/// Svix only lets endpoints filter on event types that exist and are not archived, so that a
/// typo does not silently filter out everything.
/// The operational application's endpoints may also filter on hookd's operational event types,
/// which are not in the catalogue.
/// A type hidden from the caller by feature flags does not exist for it either.
async fn check_event_types_exist(
    state: &AppState,
    caller: &Caller,
    app: &Application,
    types: Option<&[String]>,
) -> ApiResult<()> {
    let Some(types) = types else { return Ok(()) };
    let operational = app.uid.as_deref() == Some(operational::OPERATIONAL_APP_UID);
    let mut missing = Vec::new();
    for name in types {
        if operational && operational::OPERATIONAL_EVENT_TYPES.contains(&name.as_str()) {
            continue;
        }
        match state.directory.get_event_type(name).await? {
            Some(et) if !et.archived && caller.sees_event_type(&et) => {}
            _ => missing.push(name.as_str()),
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid(
            &["body", "eventTypes"],
            format!(
                "The following event types don't exist: {}",
                missing.join(", ")
            ),
        ))
    }
}

/// Completes and checks the options an endpoint at `url` will have: signing tokens filled in
/// (see `api::options::fill_signing_tokens`), then validated against the URL.
async fn settle_options(
    state: &AppState,
    app: &Application,
    existing: Option<&Endpoint>,
    options: &mut EndpointOptions,
    url: &str,
) -> ApiResult<()> {
    wire_options::fill_signing_tokens(state, app, existing, options).await?;
    wire_options::check_endpoint(options, url)
}

fn new_endpoint(
    app: &Application,
    fields: EndpointFields,
    secret: String,
    now: Timestamp,
) -> Endpoint {
    Endpoint {
        id: EndpointId::generate(now, &mut rand::thread_rng()),
        app_id: app.id.clone(),
        uid: fields.uid,
        url: fields.url,
        description: fields.description,
        disabled: fields.disabled,
        throttle_rate: fields.throttle_rate,
        event_types: fields.event_types,
        channels: fields.channels,
        metadata: fields.metadata,
        headers: fields.headers,
        secret,
        old_secrets: Vec::new(),
        options: fields.options.unwrap_or_default(),
        failing_since: None,
        created_at: now,
        updated_at: now,
    }
}

/// The list of `EndpointOut`s by name, for `#[utoipa::path]` bodies: an alias
/// hides the generic argument from the macro, which then takes the envelope's own
/// `ToSchema` (Svix's `ListResponse_…_` names) instead of composing a generic one.
pub type ListEndpointOut = ListResponse<EndpointOut>;

/// `GET /api/v1/app/{app_id}/endpoint`: newest first unless `order=ascending` (Svix's default).
#[utoipa::path(
    get,
    path = "/api/v1/app/{app_id}/endpoint",
    operation_id = "v1.endpoint.list",
    tag = "Endpoint",
    summary = "List Endpoints",
    description = "List the application's endpoints.",
    params(AppPath, Pagination, OrderParam),
    responses((status = 200, body = ListEndpointOut), Errors, Unavailable)
)]
pub async fn list(
    State(state): State<AppState>,
    ApiPath(app_id): ApiPath<String>,
    query: QueryParams,
) -> ApiResult<Json<ListResponse<EndpointOut>>> {
    let q = query.list_query(Order::Descending, true)?;
    let app = load_app(&state, &app_id).await?;
    let page = state.directory.list_endpoints(&app.id, &q).await?;
    Ok(Json(ListResponse::from_page(page, EndpointOut::from)))
}

/// `POST /api/v1/app/{app_id}/endpoint`: 201. Without a `secret`, one is generated.
#[utoipa::path(
    post,
    path = "/api/v1/app/{app_id}/endpoint",
    operation_id = "v1.endpoint.create",
    tag = "Endpoint",
    summary = "Create Endpoint",
    description = "Create a new endpoint for the application.\n\nWhen `secret` is `null` the \
                   secret is automatically generated (recommended), of the server's default \
                   signature type. A `whsk_` secret makes the endpoint sign with ed25519.",
    params(AppPath, IdempotencyKey),
    request_body = EndpointIn,
    responses((status = 201, body = EndpointOut), BadRequest, Errors, PayloadTooLarge, Unavailable)
)]
pub async fn create(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(app_id): ApiPath<String>,
    ApiJson(input): ApiJson<EndpointIn>,
) -> ApiResult<(StatusCode, Json<EndpointOut>)> {
    let mut checks = Checks::default();
    let (fields, secret) = input.validate(&mut checks)?;
    let secret = secret.and_then(|s| parse_secret(&mut checks, &["body", "secret"], &s));
    checks.finish()?;
    let app = load_app(&state, &app_id).await?;
    check_event_types_exist(&state, &caller, &app, fields.event_types.as_deref()).await?;
    let mut ep = new_endpoint(
        &app,
        fields,
        secret.unwrap_or_else(|| generate_secret(state.config.default_signature_type)),
        state.clock.now(),
    );
    settle_options(&state, &app, None, &mut ep.options, &ep.url).await?;
    state.directory.create_endpoint(&ep).await?;
    operational::endpoint_changed(
        state.engine.publisher(),
        operational::ENDPOINT_CREATED,
        &app,
        &ep,
    )
    .await;
    Ok((StatusCode::CREATED, Json(ep.into())))
}

/// `GET /api/v1/app/{app_id}/endpoint/{endpoint_id}`.
#[utoipa::path(
    get,
    path = "/api/v1/app/{app_id}/endpoint/{endpoint_id}",
    operation_id = "v1.endpoint.get",
    tag = "Endpoint",
    summary = "Get Endpoint",
    description = "Get an endpoint.",
    params(AppPath, EndpointPath),
    responses((status = 200, body = EndpointOut), Errors, Unavailable)
)]
pub async fn get(
    State(state): State<AppState>,
    ApiPath((app_id, endpoint_id)): ApiPath<(String, String)>,
) -> ApiResult<Json<EndpointOut>> {
    let app = load_app(&state, &app_id).await?;
    Ok(Json(
        load_endpoint(&state, &app, &endpoint_id).await?.into(),
    ))
}

/// `PUT /api/v1/app/{app_id}/endpoint/{endpoint_id}`: replaces (200) or creates (201, with a
/// generated secret). A new endpoint takes the body's `uid`, or the path's value when that is
/// a uid rather than an id.
#[utoipa::path(
    put,
    path = "/api/v1/app/{app_id}/endpoint/{endpoint_id}",
    operation_id = "v1.endpoint.update",
    tag = "Endpoint",
    summary = "Update Endpoint",
    description = "Update an endpoint, or create it (by uid) if it does not exist.",
    params(AppPath, EndpointPath),
    request_body = EndpointUpdate,
    responses(
        (status = 200, description = "The endpoint, replaced", body = EndpointOut),
        (status = 201, description = "The endpoint, created", body = EndpointOut),
        Errors, PayloadTooLarge, Unavailable
    )
)]
pub async fn upsert(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath((app_id, endpoint_id)): ApiPath<(String, String)>,
    ApiJson(input): ApiJson<EndpointIn>,
) -> ApiResult<(StatusCode, Json<EndpointOut>)> {
    path_key("endpoint_id", &endpoint_id)?;
    let mut checks = Checks::default();
    // Svix's `EndpointUpdate`, the documented body of PUT, has neither a secret (rotation
    // changes it) nor headers (the headers routes do): refused by name rather than dropped.
    let (mut fields, secret) = input.validate(&mut checks)?;
    if secret.is_some() {
        let why = "PUT takes no secret; rotate it with POST …/secret/rotate";
        checks.push(ValidationItem::value(&["body", "secret"], why));
    }
    if !fields.headers.is_empty() {
        let why = "PUT takes no headers; set them with PUT or PATCH …/headers";
        checks.push(ValidationItem::value(&["body", "headers"], why));
    }
    checks.finish()?;
    let app = load_app(&state, &app_id).await?;
    check_event_types_exist(&state, &caller, &app, fields.event_types.as_deref()).await?;
    let now = state.clock.now();
    match state.directory.get_endpoint(&app.id, &endpoint_id).await? {
        Some(mut ep) => {
            // Options are hookd's: a body without them (any Svix SDK) keeps the stored ones.
            let mut options = fields.options.take().unwrap_or_else(|| ep.options.clone());
            options.keep_secrets_from(&ep.options);
            let url = ep.options.restore_url_secrets(&fields.url, &ep.url);
            settle_options(&state, &app, Some(&ep), &mut options, &url).await?;
            ep.options = options;
            ep.description = fields.description;
            ep.throttle_rate = fields.throttle_rate;
            ep.uid = fields.uid;
            ep.url = url;
            ep.disabled = fields.disabled;
            ep.event_types = fields.event_types;
            ep.channels = fields.channels;
            ep.metadata = fields.metadata;
            ep.updated_at = now;
            state.directory.update_endpoint(&ep).await?;
            operational::endpoint_changed(
                state.engine.publisher(),
                operational::ENDPOINT_UPDATED,
                &app,
                &ep,
            )
            .await;
            Ok((StatusCode::OK, Json(ep.into())))
        }
        None => {
            if fields.uid.is_none() && !EndpointId::looks_like(&endpoint_id) {
                fields.uid = Some(endpoint_id);
            }
            let secret = generate_secret(state.config.default_signature_type);
            let mut ep = new_endpoint(&app, fields, secret, now);
            settle_options(&state, &app, None, &mut ep.options, &ep.url).await?;
            state.directory.create_endpoint(&ep).await?;
            operational::endpoint_changed(
                state.engine.publisher(),
                operational::ENDPOINT_CREATED,
                &app,
                &ep,
            )
            .await;
            Ok((StatusCode::CREATED, Json(ep.into())))
        }
    }
}

/// `PATCH /api/v1/app/{app_id}/endpoint/{endpoint_id}`.
#[utoipa::path(
    patch,
    path = "/api/v1/app/{app_id}/endpoint/{endpoint_id}",
    operation_id = "patch_endpoint",
    tag = "Endpoint",
    summary = "Patch Endpoint",
    description = "Partially update an endpoint.",
    params(AppPath, EndpointPath),
    request_body = EndpointPatch,
    responses((status = 200, body = EndpointOut), Errors, PayloadTooLarge, Unavailable)
)]
pub async fn patch(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath((app_id, endpoint_id)): ApiPath<(String, String)>,
    ApiJson(input): ApiJson<EndpointPatch>,
) -> ApiResult<Json<EndpointOut>> {
    let mut checks = Checks::default();
    if let Some(description) = &input.description {
        wire::no_control_chars(&mut checks, &["body", "description"], description);
    }
    wire::rate(
        &mut checks,
        &["body", "throttleRate"],
        input.throttle_rate.value().copied(),
    );
    wire::rate(
        &mut checks,
        &["body", "rateLimit"],
        input.rate_limit.value().copied(),
    );
    if let Some(uid) = input.uid.value() {
        wire::uid(&mut checks, &["body", "uid"], uid, EndpointId::PREFIX);
    }
    let url = input.url.as_deref().map(|u| check_url(&mut checks, u));
    let event_types = match input.event_types {
        Patch::Absent => input.filter_types,
        other => other,
    };
    let event_types = match event_types {
        Patch::Value(types) => match check_event_types(&mut checks, Some(types)) {
            Some(types) => Patch::Value(types),
            None => Patch::Null,
        },
        other => other,
    };
    let channels = match input.channels {
        Patch::Value(c) => match check_channels(&mut checks, Some(c)) {
            Some(c) => Patch::Value(c),
            None => Patch::Null,
        },
        other => other,
    };
    let options_patch = match &input.options {
        Patch::Value(raw) => Some(EndpointOptionsPatch::parse(raw)?),
        Patch::Null => Some(EndpointOptionsPatch::default()),
        Patch::Absent => None,
    };
    checks.finish()?;

    let app = load_app(&state, &app_id).await?;
    check_event_types_exist(
        &state,
        &caller,
        &app,
        event_types.value().map(Vec::as_slice),
    )
    .await?;
    let mut ep = load_endpoint(&state, &app, &endpoint_id).await?;
    let mut options = match (&input.options, options_patch) {
        (Patch::Null, _) => EndpointOptions::default(),
        (_, Some(patch)) => {
            let mut o = ep.options.clone();
            patch.apply(&mut o);
            o
        }
        (_, None) => ep.options.clone(),
    };
    options.keep_secrets_from(&ep.options);
    let url = url.map(|u| ep.options.restore_url_secrets(&u, &ep.url));
    settle_options(
        &state,
        &app,
        Some(&ep),
        &mut options,
        url.as_deref().unwrap_or(&ep.url),
    )
    .await?;
    ep.options = options;
    if let Some(description) = input.description {
        ep.description = description;
    }
    input.rate_limit.apply_to(&mut ep.throttle_rate);
    input.throttle_rate.apply_to(&mut ep.throttle_rate);
    input.uid.apply_to(&mut ep.uid);
    if let Some(url) = url {
        ep.url = url;
    }
    if let Some(disabled) = input.disabled {
        ep.disabled = disabled;
    }
    event_types.apply_to(&mut ep.event_types);
    channels.apply_to(&mut ep.channels);
    if let Some(metadata) = input.metadata {
        ep.metadata = metadata;
    }
    ep.updated_at = state.clock.now();
    state.directory.update_endpoint(&ep).await?;
    operational::endpoint_changed(
        state.engine.publisher(),
        operational::ENDPOINT_UPDATED,
        &app,
        &ep,
    )
    .await;
    Ok(Json(ep.into()))
}

/// `DELETE /api/v1/app/{app_id}/endpoint/{endpoint_id}`: with its deliveries and attempts.
#[utoipa::path(
    delete,
    path = "/api/v1/app/{app_id}/endpoint/{endpoint_id}",
    operation_id = "v1.endpoint.delete",
    tag = "Endpoint",
    summary = "Delete Endpoint",
    description = "Delete an endpoint, with its deliveries and attempts.",
    params(AppPath, EndpointPath),
    responses((status = 204, description = "Deleted"), Errors, Unavailable)
)]
pub async fn delete(
    State(state): State<AppState>,
    ApiPath((app_id, endpoint_id)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    let app = load_app(&state, &app_id).await?;
    let ep = load_endpoint(&state, &app, &endpoint_id).await?;
    if state.directory.delete_endpoint(&app.id, &ep.id).await? {
        operational::endpoint_changed(
            state.engine.publisher(),
            operational::ENDPOINT_DELETED,
            &app,
            &ep,
        )
        .await;
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found())
    }
}
