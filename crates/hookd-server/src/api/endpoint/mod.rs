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

/// Svix reports endpoint `version` 1 always; 1.x SDKs require the field.
const ENDPOINT_VERSION: u16 = 1;

/// Svix's `EndpointIn` (POST) and `EndpointUpdate` (PUT, which refuses `secret` and `headers`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[serde(deny_unknown_fields)]
pub struct EndpointIn {
    /// An optional description of the endpoint (no control characters 0x00–0x08).
    #[serde(default)]
    #[schema(pattern = r"^[^\x00-\x08]*$", example = "An example endpoint name")]
    description: String,
    /// Maximum messages per second to send to this endpoint.
    #[serde(default, deserialize_with = "hookd_core::integral::optional")]
    #[schema(minimum = 1, maximum = 65535)]
    throttle_rate: Option<u16>,
    /// The older name of `throttleRate`.
    #[serde(default, deserialize_with = "hookd_core::integral::optional")]
    #[schema(minimum = 1, maximum = 65535, deprecated)]
    rate_limit: Option<u16>,
    /// Optional unique identifier for the endpoint; it may not start with `ep_`.
    #[serde(default)]
    #[schema(
        min_length = 1,
        max_length = 256,
        pattern = r"^[a-zA-Z0-9\-_.]+$",
        example = "unique-ep-identifier"
    )]
    uid: Option<String>,
    /// Where deliveries go: an absolute `http` or `https` URL.
    #[schema(
        format = "uri",
        min_length = 1,
        max_length = 65536,
        example = "https://example.com/webhook/"
    )]
    url: String,
    /// Deprecated in Svix and without effect; accepted so that old clients keep working.
    #[serde(default, deserialize_with = "hookd_core::integral::optional")]
    #[schema(deprecated, minimum = 1, maximum = 65535)]
    version: Option<u16>,
    /// Whether deliveries to it are paused.
    #[serde(default)]
    disabled: bool,
    /// The event types it receives (all when absent); each must exist and not be archived.
    #[serde(default)]
    #[schema(value_type = Option<Vec<EventTypeName>>, min_items = 1, example = json!(["user.signup", "user.deleted"]))]
    event_types: Option<Vec<String>>,
    /// The older name of `eventTypes`.
    #[serde(default)]
    #[schema(value_type = Option<Vec<EventTypeName>>, min_items = 1, deprecated)]
    filter_types: Option<Vec<String>>,
    /// List of message channels this endpoint listens to (omit for all).
    #[serde(default)]
    #[schema(value_type = Option<Vec<ChannelName>>, min_items = 1, max_items = 10, example = json!(["project_123", "group_2"]))]
    channels: Option<Vec<String>>,
    /// The endpoint's signing secret. If `null` is passed, a secret is automatically
    /// generated, of the server's default signature type (HMAC unless configured otherwise).
    /// Format: `base64` encoded random bytes (24 to 75 of them) optionally prefixed with
    /// `whsec_` (HMAC-SHA256, `v1,` signatures), or `whsk_` and the base64 of an ed25519
    /// secret key (the 32-byte seed, then its 32-byte public key; `v1a,` signatures).
    #[serde(default)]
    #[schema(value_type = Option<SecretText>)]
    secret: Option<String>,
    /// Free-form metadata.
    #[serde(default)]
    #[schema(value_type = BTreeMap<String, String>)]
    metadata: Metadata,
    /// Custom headers sent with every delivery, as the headers routes set them. Newer Svix
    /// SDKs send this on create; `PUT` refuses it (the headers routes change them).
    #[serde(default)]
    #[schema(schema_with = header_schema::endpoint_headers)]
    headers: BTreeMap<String, String>,
    /// hookd's extensions (see `docs/extensions.md`).
    #[serde(default)]
    #[schema(value_type = Option<EndpointOptionsSchema>)]
    options: Option<Box<RawValue>>,
}

/// Svix's `EndpointUpdate`: the body of PUT, which is `EndpointIn` without `secret` (rotation
/// is the way to change it) and `headers` (the headers routes set them); either is refused.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
#[serde(deny_unknown_fields)]
pub struct EndpointUpdate {
    /// An optional description of the endpoint (no control characters 0x00–0x08).
    #[serde(default)]
    #[schema(pattern = r"^[^\x00-\x08]*$", example = "An example endpoint name")]
    description: String,
    /// Maximum messages per second to send to this endpoint.
    #[serde(default, deserialize_with = "hookd_core::integral::optional")]
    #[schema(minimum = 1, maximum = 65535)]
    throttle_rate: Option<u16>,
    /// The older name of `throttleRate`.
    #[serde(default, deserialize_with = "hookd_core::integral::optional")]
    #[schema(minimum = 1, maximum = 65535, deprecated)]
    rate_limit: Option<u16>,
    /// Optional unique identifier for the endpoint; it may not start with `ep_`.
    #[serde(default)]
    #[schema(
        min_length = 1,
        max_length = 256,
        pattern = r"^[a-zA-Z0-9\-_.]+$",
        example = "unique-ep-identifier"
    )]
    uid: Option<String>,
    /// Where deliveries go: an absolute `http` or `https` URL.
    #[schema(
        format = "uri",
        min_length = 1,
        max_length = 65536,
        example = "https://example.com/webhook/"
    )]
    url: String,
    /// Deprecated in Svix and without effect; accepted so that old clients keep working.
    #[serde(default, deserialize_with = "hookd_core::integral::optional")]
    #[allow(dead_code)]
    #[schema(deprecated, minimum = 1, maximum = 65535)]
    version: Option<u16>,
    /// Whether deliveries to it are paused.
    #[serde(default)]
    disabled: bool,
    /// The event types it receives (all when absent); each must exist and not be archived.
    #[serde(default)]
    #[schema(value_type = Option<Vec<EventTypeName>>, min_items = 1, example = json!(["user.signup", "user.deleted"]))]
    event_types: Option<Vec<String>>,
    /// The older name of `eventTypes`.
    #[serde(default)]
    #[schema(value_type = Option<Vec<EventTypeName>>, min_items = 1, deprecated)]
    filter_types: Option<Vec<String>>,
    /// List of message channels this endpoint listens to (omit for all).
    #[serde(default)]
    #[schema(value_type = Option<Vec<ChannelName>>, min_items = 1, max_items = 10, example = json!(["project_123", "group_2"]))]
    channels: Option<Vec<String>>,
    /// Free-form metadata.
    #[serde(default)]
    #[schema(value_type = BTreeMap<String, String>)]
    metadata: Metadata,
    /// hookd's extensions; a PUT without them keeps the stored ones.
    #[serde(default)]
    #[schema(value_type = Option<EndpointOptionsSchema>)]
    options: Option<Box<RawValue>>,
}

/// Svix's `EndpointPatch`: only the fields present change; `null` clears a nullable one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[serde(deny_unknown_fields)]
pub struct EndpointPatch {
    /// An optional description of the endpoint.
    #[serde(default)]
    #[schema(pattern = r"^[^\x00-\x08]*$")]
    description: Option<String>,
    /// Maximum messages per second to send to this endpoint.
    #[serde(default, deserialize_with = "crate::api::wire::patch_integral")]
    #[schema(value_type = Option<u16>, minimum = 1, maximum = 65535)]
    throttle_rate: Patch<u16>,
    /// The older name of `throttleRate`.
    #[serde(default, deserialize_with = "crate::api::wire::patch_integral")]
    #[schema(value_type = Option<u16>, minimum = 1, maximum = 65535, deprecated)]
    rate_limit: Patch<u16>,
    /// Optional unique identifier for the endpoint.
    #[serde(default)]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 256, pattern = r"^[a-zA-Z0-9\-_.]+$", example = "unique-ep-identifier")]
    uid: Patch<String>,
    /// Where deliveries go.
    #[serde(default)]
    #[schema(format = "uri", min_length = 1, max_length = 65536)]
    url: Option<String>,
    /// Whether deliveries to it are paused.
    #[serde(default)]
    disabled: Option<bool>,
    /// The event types it receives; `null` for all.
    #[serde(default)]
    #[schema(value_type = Option<Vec<EventTypeName>>, min_items = 1)]
    event_types: Patch<Vec<String>>,
    /// The older name of `eventTypes`.
    #[serde(default)]
    #[schema(value_type = Option<Vec<EventTypeName>>, min_items = 1, deprecated)]
    filter_types: Patch<Vec<String>>,
    /// The channels it listens to; `null` for all.
    #[serde(default)]
    #[schema(value_type = Option<Vec<ChannelName>>, min_items = 1, max_items = 10)]
    channels: Patch<Vec<String>>,
    /// Free-form metadata.
    #[serde(default)]
    #[schema(value_type = Option<BTreeMap<String, String>>)]
    metadata: Option<Metadata>,
    /// hookd's extensions, option by option: each option given replaces the stored one,
    /// `null` resets it; `"options": null` resets them all.
    #[serde(default)]
    #[schema(value_type = Option<EndpointOptionsSchema>)]
    options: Patch<Box<RawValue>>,
}

/// The fields an endpoint shares with `MessageEndpointOut` (Svix's `EndpointOutCommon`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EndpointCommon {
    /// The endpoint's id.
    #[schema(example = "ep_1srOrx2ZWZBpBUvZwXKQmoEYga2")]
    id: String,
    /// Optional unique identifier for the endpoint.
    #[schema(example = "unique-ep-identifier")]
    uid: Option<String>,
    /// Where deliveries go; a query-secret parameter's value reads `REDACTED`.
    #[schema(format = "uri", example = "https://example.com/webhook/")]
    url: String,
    /// An optional description of the endpoint.
    #[schema(example = "An example endpoint name")]
    description: String,
    /// Always 1 (deprecated in Svix; 1.x SDKs require it).
    #[schema(deprecated)]
    version: u16,
    /// Whether deliveries to it are paused.
    disabled: bool,
    /// The older name of `throttleRate`.
    #[schema(deprecated)]
    rate_limit: Option<u16>,
    /// Maximum messages per second to send to this endpoint.
    throttle_rate: Option<u16>,
    /// The event types it receives; `null` for all.
    #[schema(example = json!(["user.signup", "user.deleted"]))]
    event_types: Option<Vec<String>>,
    /// The older name of `eventTypes`.
    #[schema(deprecated)]
    filter_types: Option<Vec<String>>,
    /// List of message channels this endpoint listens to; `null` for all.
    #[schema(example = json!(["project_123", "group_2"]))]
    channels: Option<Vec<String>>,
    /// When it was created.
    #[schema(format = DateTime)]
    created_at: String,
    /// When it last changed.
    #[schema(format = DateTime)]
    updated_at: String,
}

impl From<&Endpoint> for EndpointCommon {
    fn from(ep: &Endpoint) -> Self {
        Self {
            id: ep.id.to_string(),
            uid: ep.uid.clone(),
            url: ep.options.display_url(&ep.url),
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

/// Svix's `EndpointOut`, with hookd's `options` when they are not the default.
#[derive(Debug, Serialize, ToSchema)]
pub struct EndpointOut {
    #[serde(flatten)]
    common: EndpointCommon,
    /// Free-form metadata.
    #[schema(value_type = BTreeMap<String, String>)]
    metadata: Metadata,
    /// hookd's extensions, present only when not all default, without secret values.
    #[serde(skip_serializing_if = "EndpointOptions::is_default")]
    #[schema(value_type = EndpointOptionsSchema, required = false)]
    options: EndpointOptions,
}

impl From<Endpoint> for EndpointOut {
    fn from(ep: Endpoint) -> Self {
        Self {
            common: EndpointCommon::from(&ep),
            options: ep.options.redacted(),
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
    /// Custom headers, applied only when the endpoint is created.
    headers: BTreeMap<String, String>,
    /// The options given, parsed but not yet checked against the URL and stored secrets.
    options: Option<EndpointOptions>,
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
    /// Validates everything but the secret and the options' consistency.
    fn validate(self, checks: &mut Checks) -> ApiResult<(EndpointFields, Option<String>)> {
        let options = self
            .options
            .as_deref()
            .map(wire_options::parse_endpoint)
            .transpose()?;
        wire::no_control_chars(checks, &["body", "description"], &self.description);
        wire::rate(checks, &["body", "throttleRate"], self.throttle_rate);
        wire::rate(checks, &["body", "rateLimit"], self.rate_limit);
        // Without effect, but the document gives it a minimum of 1, as Svix's does.
        wire::rate(checks, &["body", "version"], self.version);
        if let Some(uid) = &self.uid {
            wire::uid(checks, &["body", "uid"], uid, EndpointId::PREFIX);
        }
        let url = check_url(checks, &self.url);
        for (name, value) in &self.headers {
            headers::check_name(checks, name);
            headers::check_value(checks, name, value);
        }
        let fields = EndpointFields {
            description: self.description,
            throttle_rate: self.throttle_rate.or(self.rate_limit),
            uid: self.uid,
            url,
            disabled: self.disabled,
            event_types: check_event_types(checks, self.event_types.or(self.filter_types)),
            channels: check_channels(checks, self.channels),
            metadata: self.metadata,
            headers: self.headers,
            options,
        };
        Ok((fields, self.secret))
    }
}

/// Parses a user-supplied secret (`whsec_…`, bare base64 or `whsk_…`) into its canonical form.
pub(crate) fn parse_secret(checks: &mut Checks, loc: &[&str], secret: &str) -> Option<String> {
    match EndpointSecret::parse(secret) {
        Ok(s) => Some(s.to_text()),
        Err(e) => {
            checks.push(ValidationItem::value(loc, e.to_string()));
            None
        }
    }
}

/// A fresh random signing secret of `kind`.
pub(crate) fn generate_secret(kind: SignatureType) -> String {
    EndpointSecret::generate(kind, &mut rand::thread_rng()).to_text()
}

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
        match state.store.get_event_type(name).await? {
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

/// `GET /api/v1/app/{app_id}/endpoint`: newest first unless `order=ascending` (Svix's default).
#[utoipa::path(
    get,
    path = "/api/v1/app/{app_id}/endpoint",
    operation_id = "v1.endpoint.list",
    tag = "Endpoint",
    summary = "List Endpoints",
    description = "List the application's endpoints.",
    params(AppPath, Pagination, OrderParam),
    responses((status = 200, body = crate::api::schema::ListEndpointOut), Errors, Unavailable)
)]
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
    state.store.create_endpoint(&ep).await?;
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
    match state.store.get_endpoint(&app.id, &endpoint_id).await? {
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
            state.store.update_endpoint(&ep).await?;
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
            state.store.create_endpoint(&ep).await?;
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
    state.store.update_endpoint(&ep).await?;
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
    if state.store.delete_endpoint(&app.id, &ep.id).await? {
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
