//! Endpoints of an application: the wire types and CRUD of
//! `/api/v1/app/{app_id}/endpoint[/{endpoint_id}]`. The sub-resources live beside this file,
//! one per concern as in Svix: `headers`, `secret` (get and rotate), `recovery` (recover),
//! `example` (send-example) and `stats`.
//!
//! Older SDKs name `eventTypes` `filterTypes` and `throttleRate` `rateLimit`; both spellings are
//! accepted on input and both are written on output. This module must not deliver anything: it
//! only changes what the store holds.

pub mod example;
pub mod headers;
pub mod recovery;
pub mod secret;
pub mod stats;

use std::collections::BTreeMap;

use axum::{extract::State, http::StatusCode, Json};
use hookd_core::{
    id::EndpointId,
    model::{Application, Endpoint},
    page::Order,
    signing::EndpointSecret,
    validate, Timestamp,
};
use serde::{Deserialize, Serialize};

use super::{
    extract::{path_key, ApiJson, ApiPath, QueryParams},
    load_app, load_endpoint,
    wire::{self, ts, Checks, ListResponse, Metadata, Patch},
};
use crate::{
    error::{ApiError, ApiResult, ValidationItem},
    AppState,
};

/// Svix reports endpoint `version` 1 always; 1.x SDKs require the field.
const ENDPOINT_VERSION: u16 = 1;

/// Svix's `EndpointIn` (POST) and `EndpointUpdate` (PUT, which ignores `secret`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointIn {
    #[serde(default)]
    description: String,
    #[serde(default)]
    throttle_rate: Option<u16>,
    #[serde(default)]
    rate_limit: Option<u16>,
    #[serde(default)]
    uid: Option<String>,
    url: String,
    /// Deprecated in Svix and without effect; accepted so that old clients keep working.
    #[serde(default)]
    #[allow(dead_code)]
    version: Option<u16>,
    #[serde(default)]
    disabled: bool,
    #[serde(default)]
    event_types: Option<Vec<String>>,
    #[serde(default)]
    filter_types: Option<Vec<String>>,
    #[serde(default)]
    channels: Option<Vec<String>>,
    #[serde(default)]
    secret: Option<String>,
    #[serde(default)]
    metadata: Metadata,
}

/// Svix's `EndpointPatch`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointPatch {
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    throttle_rate: Patch<u16>,
    #[serde(default)]
    rate_limit: Patch<u16>,
    #[serde(default)]
    uid: Patch<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    disabled: Option<bool>,
    #[serde(default)]
    event_types: Patch<Vec<String>>,
    #[serde(default)]
    filter_types: Patch<Vec<String>>,
    #[serde(default)]
    channels: Patch<Vec<String>>,
    #[serde(default)]
    metadata: Option<Metadata>,
}

/// The fields an endpoint shares with `MessageEndpointOut` (Svix's `EndpointOutCommon`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointCommon {
    id: String,
    uid: Option<String>,
    url: String,
    description: String,
    version: u16,
    disabled: bool,
    rate_limit: Option<u16>,
    throttle_rate: Option<u16>,
    event_types: Option<Vec<String>>,
    filter_types: Option<Vec<String>>,
    channels: Option<Vec<String>>,
    created_at: String,
    updated_at: String,
}

impl From<&Endpoint> for EndpointCommon {
    fn from(ep: &Endpoint) -> Self {
        Self {
            id: ep.id.to_string(),
            uid: ep.uid.clone(),
            url: ep.url.clone(),
            description: ep.description.clone(),
            version: ENDPOINT_VERSION,
            disabled: ep.disabled,
            rate_limit: ep.throttle_rate,
            throttle_rate: ep.throttle_rate,
            event_types: ep.event_types.clone(),
            filter_types: ep.event_types.clone(),
            channels: ep.channels.clone(),
            created_at: ts(ep.created_at),
            updated_at: ts(ep.updated_at),
        }
    }
}

/// Svix's `EndpointOut`.
#[derive(Debug, Serialize)]
pub struct EndpointOut {
    #[serde(flatten)]
    common: EndpointCommon,
    metadata: Metadata,
}

impl From<Endpoint> for EndpointOut {
    fn from(ep: Endpoint) -> Self {
        Self {
            common: EndpointCommon::from(&ep),
            metadata: ep.metadata,
        }
    }
}

/// Validated endpoint fields, before they meet an existing endpoint or a new one.
struct EndpointFields {
    description: String,
    throttle_rate: Option<u16>,
    uid: Option<String>,
    url: String,
    disabled: bool,
    event_types: Option<Vec<String>>,
    channels: Option<Vec<String>>,
    metadata: Metadata,
}

fn check_event_types(checks: &mut Checks, types: Option<Vec<String>>) -> Option<Vec<String>> {
    let types = types.map(wire::dedupe)?;
    checks.check(validate::event_types(&["body", "eventTypes"], &types));
    Some(types)
}

fn check_channels(checks: &mut Checks, channels: Option<Vec<String>>) -> Option<Vec<String>> {
    let channels = channels.map(wire::dedupe)?;
    checks.check(validate::channels(
        &["body", "channels"],
        &channels,
        validate::MAX_ENDPOINT_CHANNELS,
    ));
    Some(channels)
}

fn check_url(checks: &mut Checks, url: &str) -> String {
    checks
        .check(validate::endpoint_url(&["body", "url"], url))
        .map(String::from)
        .unwrap_or_default()
}

impl EndpointIn {
    /// Validates everything but the secret.
    fn validate(self, checks: &mut Checks) -> (EndpointFields, Option<String>) {
        wire::no_control_chars(checks, &["body", "description"], &self.description);
        wire::rate(checks, &["body", "throttleRate"], self.throttle_rate);
        wire::rate(checks, &["body", "rateLimit"], self.rate_limit);
        if let Some(uid) = &self.uid {
            wire::uid(checks, &["body", "uid"], uid, EndpointId::PREFIX);
        }
        let url = check_url(checks, &self.url);
        let fields = EndpointFields {
            description: self.description,
            throttle_rate: self.throttle_rate.or(self.rate_limit),
            uid: self.uid,
            url,
            disabled: self.disabled,
            event_types: check_event_types(checks, self.event_types.or(self.filter_types)),
            channels: check_channels(checks, self.channels),
            metadata: self.metadata,
        };
        (fields, self.secret)
    }
}

/// Parses a user-supplied secret (`whsec_…` or bare base64) into its canonical form.
pub(crate) fn parse_secret(checks: &mut Checks, loc: &[&str], secret: &str) -> Option<String> {
    match EndpointSecret::parse(secret) {
        Ok(s) => Some(s.to_whsec()),
        Err(e) => {
            checks.push(ValidationItem::value(loc, e.to_string()));
            None
        }
    }
}

/// A fresh random signing secret.
pub(crate) fn generate_secret() -> String {
    EndpointSecret::generate(&mut rand::thread_rng()).to_whsec()
}

/// Svix only lets endpoints filter on event types that exist and are not archived, so that a
/// typo does not silently filter out everything.
async fn check_event_types_exist(state: &AppState, types: Option<&[String]>) -> ApiResult<()> {
    let Some(types) = types else { return Ok(()) };
    let mut missing = Vec::new();
    for name in types {
        match state.store.get_event_type(name).await? {
            Some(et) if !et.archived => {}
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
        headers: BTreeMap::new(),
        secret,
        old_secrets: Vec::new(),
        options: Default::default(),
        created_at: now,
        updated_at: now,
    }
}

/// `GET /api/v1/app/{app_id}/endpoint`: newest first unless `order=ascending` (Svix's default).
pub async fn list(
    State(state): State<AppState>,
    ApiPath(app_id): ApiPath<String>,
    query: QueryParams,
) -> ApiResult<Json<ListResponse<EndpointOut>>> {
    let q = query.list_query(Order::Descending, true)?;
    let app = load_app(&state, &app_id).await?;
    let page = state.store.list_endpoints(&app.id, &q).await?;
    Ok(Json(ListResponse::from_page(page, EndpointOut::from)))
}

/// `POST /api/v1/app/{app_id}/endpoint`: 201. Without a `secret`, one is generated.
pub async fn create(
    State(state): State<AppState>,
    ApiPath(app_id): ApiPath<String>,
    ApiJson(input): ApiJson<EndpointIn>,
) -> ApiResult<(StatusCode, Json<EndpointOut>)> {
    let mut checks = Checks::default();
    let (fields, secret) = input.validate(&mut checks);
    let secret = secret.and_then(|s| parse_secret(&mut checks, &["body", "secret"], &s));
    checks.finish()?;
    let app = load_app(&state, &app_id).await?;
    check_event_types_exist(&state, fields.event_types.as_deref()).await?;
    let ep = new_endpoint(
        &app,
        fields,
        secret.unwrap_or_else(generate_secret),
        state.clock.now(),
    );
    state.store.create_endpoint(&ep).await?;
    Ok((StatusCode::CREATED, Json(ep.into())))
}

/// `GET /api/v1/app/{app_id}/endpoint/{endpoint_id}`.
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
pub async fn upsert(
    State(state): State<AppState>,
    ApiPath((app_id, endpoint_id)): ApiPath<(String, String)>,
    ApiJson(input): ApiJson<EndpointIn>,
) -> ApiResult<(StatusCode, Json<EndpointOut>)> {
    path_key("endpoint_id", &endpoint_id)?;
    let mut checks = Checks::default();
    // Svix's `EndpointUpdate` has no secret: rotation is the way to change it.
    let (mut fields, _secret) = input.validate(&mut checks);
    checks.finish()?;
    let app = load_app(&state, &app_id).await?;
    check_event_types_exist(&state, fields.event_types.as_deref()).await?;
    let now = state.clock.now();
    match state.store.get_endpoint(&app.id, &endpoint_id).await? {
        Some(mut ep) => {
            ep.description = fields.description;
            ep.throttle_rate = fields.throttle_rate;
            ep.uid = fields.uid;
            ep.url = fields.url;
            ep.disabled = fields.disabled;
            ep.event_types = fields.event_types;
            ep.channels = fields.channels;
            ep.metadata = fields.metadata;
            ep.updated_at = now;
            state.store.update_endpoint(&ep).await?;
            Ok((StatusCode::OK, Json(ep.into())))
        }
        None => {
            if fields.uid.is_none() && !EndpointId::looks_like(&endpoint_id) {
                fields.uid = Some(endpoint_id);
            }
            let ep = new_endpoint(&app, fields, generate_secret(), now);
            state.store.create_endpoint(&ep).await?;
            Ok((StatusCode::CREATED, Json(ep.into())))
        }
    }
}

/// `PATCH /api/v1/app/{app_id}/endpoint/{endpoint_id}`.
pub async fn patch(
    State(state): State<AppState>,
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
    checks.finish()?;

    let app = load_app(&state, &app_id).await?;
    check_event_types_exist(&state, event_types.value().map(Vec::as_slice)).await?;
    let mut ep = load_endpoint(&state, &app, &endpoint_id).await?;
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
    state.store.update_endpoint(&ep).await?;
    Ok(Json(ep.into()))
}

/// `DELETE /api/v1/app/{app_id}/endpoint/{endpoint_id}`: with its deliveries and attempts.
pub async fn delete(
    State(state): State<AppState>,
    ApiPath((app_id, endpoint_id)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    let app = load_app(&state, &app_id).await?;
    let ep = load_endpoint(&state, &app, &endpoint_id).await?;
    if state.store.delete_endpoint(&app.id, &ep.id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found())
    }
}
