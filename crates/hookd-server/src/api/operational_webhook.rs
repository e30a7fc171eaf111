//! Svix's operational-webhook endpoint API, `/api/v1/operational-webhook/endpoint…`: list,
//! create, get, upsert and delete the endpoints that receive hookd's operational webhooks,
//! read and rotate their secrets, read and set their headers.
//!
//! These endpoints are the endpoints of hookd's operational application (uid
//! [`OPERATIONAL_APP_UID`], see [`crate::api::operational`]), so each route here *is* the
//! corresponding endpoint route on that application: same validation, same answers, same
//! operational filters (`eventTypes` may name the operational event types). Creating the
//! first one creates the application, which is what turns operational webhooks on; until
//! then the list is empty and every id is unknown. The routes take no application, so only
//! admin tokens reach them. This module must not hold endpoint logic of its own.

use axum::{
    extract::State,
    http::{HeaderMap, StatusCode},
    response::Response,
    Extension, Json,
};
use hookd_core::{id::AppId, model::Application, store::StoreError};

use crate::{
    api::{
        endpoint::{
            self,
            headers::{EndpointHeadersIn, EndpointHeadersOut},
            secret::{EndpointSecretOut, EndpointSecretRotateIn},
            EndpointIn, EndpointOut, EndpointUpdate,
        },
        extract::{ApiJson, ApiJsonOrEmpty, ApiPath, QueryParams},
        schema::{
            BadRequest, EndpointPath, Errors, IdempotencyKey, OrderParam, Pagination,
            PayloadTooLarge, Unavailable,
        },
        wire::ListResponse,
    },
    auth::Caller,
    error::ApiResult,
    worker::operational::OPERATIONAL_APP_UID,
    AppState,
};

/// The operational application's name, shown in the consoles.
const OPERATIONAL_APP_NAME: &str = "hookd operational webhooks";
/// The document's tag for these routes.
const TAG: &str = "Webhook Endpoint";

/// The path of the operational application, as the endpoint routes take it.
fn app() -> String {
    OPERATIONAL_APP_UID.to_owned()
}

/// Creates the operational application if it does not exist yet (a concurrent creation is as
/// good as ours).
async fn ensure_app(state: &AppState) -> ApiResult<()> {
    if state
        .directory
        .get_app(OPERATIONAL_APP_UID)
        .await?
        .is_some()
    {
        return Ok(());
    }
    let now = state.clock.now();
    let app = Application {
        id: AppId::generate(now, &mut rand::thread_rng()),
        uid: Some(OPERATIONAL_APP_UID.to_owned()),
        name: OPERATIONAL_APP_NAME.to_owned(),
        throttle_rate: None,
        metadata: Default::default(),
        created_at: now,
        updated_at: now,
    };
    match state.directory.create_app(&app).await {
        Ok(()) | Err(StoreError::Conflict(_)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// `GET /api/v1/operational-webhook/endpoint`.
#[utoipa::path(
    get,
    path = "/api/v1/operational-webhook/endpoint",
    operation_id = "v1.operational-webhook.endpoint.list",
    tag = TAG,
    summary = "List Operational Webhook Endpoints",
    description = "The endpoints of hookd's operational application, newest first.",
    params(Pagination, OrderParam),
    responses((status = 200, body = super::endpoint::ListEndpointOut), Errors, Unavailable)
)]
pub async fn list(
    State(state): State<AppState>,
    query: QueryParams,
) -> ApiResult<Json<ListResponse<EndpointOut>>> {
    if state
        .directory
        .get_app(OPERATIONAL_APP_UID)
        .await?
        .is_none()
    {
        // Validate the parameters all the same: the answer must not depend on the state.
        query.list_query(hookd_core::page::Order::Descending, true)?;
        return Ok(Json(ListResponse {
            data: Vec::new(),
            iterator: None,
            prev_iterator: None,
            done: true,
        }));
    }
    endpoint::list(State(state), ApiPath(app()), query).await
}

/// `POST /api/v1/operational-webhook/endpoint`: 201.
#[utoipa::path(
    post,
    path = "/api/v1/operational-webhook/endpoint",
    operation_id = "v1.operational-webhook.endpoint.create",
    tag = TAG,
    summary = "Create Operational Webhook Endpoint",
    description = "Creates an endpoint of hookd's operational application (creating the \
                   application first, which turns operational webhooks on). `eventTypes` may \
                   name hookd's operational event types.",
    params(IdempotencyKey),
    request_body = EndpointIn,
    responses((status = 201, body = EndpointOut), BadRequest, Errors, PayloadTooLarge, Unavailable)
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Extension<Caller>,
    ApiJson(input): ApiJson<EndpointIn>,
) -> ApiResult<(StatusCode, Json<EndpointOut>)> {
    ensure_app(&state).await?;
    endpoint::create(State(state), caller, ApiPath(app()), ApiJson(input)).await
}

/// `GET /api/v1/operational-webhook/endpoint/{endpoint_id}`.
#[utoipa::path(
    get,
    path = "/api/v1/operational-webhook/endpoint/{endpoint_id}",
    operation_id = "v1.operational-webhook.endpoint.get",
    tag = TAG,
    summary = "Get Operational Webhook Endpoint",
    description = "An endpoint of hookd's operational application.",
    params(EndpointPath),
    responses((status = 200, body = EndpointOut), Errors, Unavailable)
)]
pub async fn get(
    State(state): State<AppState>,
    ApiPath(endpoint_id): ApiPath<String>,
) -> ApiResult<Json<EndpointOut>> {
    endpoint::get(State(state), ApiPath((app(), endpoint_id))).await
}

/// `PUT /api/v1/operational-webhook/endpoint/{endpoint_id}`.
#[utoipa::path(
    put,
    path = "/api/v1/operational-webhook/endpoint/{endpoint_id}",
    operation_id = "v1.operational-webhook.endpoint.update",
    tag = TAG,
    summary = "Update Operational Webhook Endpoint",
    description = "Replaces an endpoint of hookd's operational application, or creates it \
                   with this uid (201).",
    params(EndpointPath),
    request_body = EndpointUpdate,
    responses(
        (status = 200, body = EndpointOut),
        (status = 201, body = EndpointOut),
        BadRequest, Errors, PayloadTooLarge, Unavailable
    )
)]
pub async fn upsert(
    State(state): State<AppState>,
    caller: Extension<Caller>,
    ApiPath(endpoint_id): ApiPath<String>,
    ApiJson(input): ApiJson<EndpointIn>,
) -> ApiResult<(StatusCode, Json<EndpointOut>)> {
    ensure_app(&state).await?;
    endpoint::upsert(
        State(state),
        caller,
        ApiPath((app(), endpoint_id)),
        ApiJson(input),
    )
    .await
}

/// `DELETE /api/v1/operational-webhook/endpoint/{endpoint_id}`: 204.
#[utoipa::path(
    delete,
    path = "/api/v1/operational-webhook/endpoint/{endpoint_id}",
    operation_id = "v1.operational-webhook.endpoint.delete",
    tag = TAG,
    summary = "Delete Operational Webhook Endpoint",
    description = "Deletes an endpoint of hookd's operational application.",
    params(EndpointPath),
    responses((status = 204, description = "Deleted"), Errors, Unavailable)
)]
pub async fn delete(
    State(state): State<AppState>,
    ApiPath(endpoint_id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    endpoint::delete(State(state), ApiPath((app(), endpoint_id))).await
}

/// `GET …/{endpoint_id}/secret`.
#[utoipa::path(
    get,
    path = "/api/v1/operational-webhook/endpoint/{endpoint_id}/secret",
    operation_id = "v1.operational-webhook.endpoint.get-secret",
    tag = TAG,
    summary = "Get Operational Webhook Endpoint Secret",
    description = "The signing secret of an operational webhook endpoint.",
    params(EndpointPath),
    responses((status = 200, body = EndpointSecretOut), Errors, Unavailable)
)]
pub async fn get_secret(
    State(state): State<AppState>,
    ApiPath(endpoint_id): ApiPath<String>,
) -> ApiResult<Json<EndpointSecretOut>> {
    endpoint::secret::get(State(state), ApiPath((app(), endpoint_id))).await
}

/// `POST …/{endpoint_id}/secret/rotate`.
#[utoipa::path(
    post,
    path = "/api/v1/operational-webhook/endpoint/{endpoint_id}/secret/rotate",
    operation_id = "v1.operational-webhook.endpoint.rotate-secret",
    tag = TAG,
    summary = "Rotate Operational Webhook Endpoint Secret",
    description = "Rotates the signing secret of an operational webhook endpoint, as the \
                   endpoint route does (204, or 200 with the new secret to Svix SDKs 2.x).",
    params(EndpointPath, IdempotencyKey),
    request_body(content = EndpointSecretRotateIn, description = "May be empty, which counts as `{}`."),
    responses(
        (status = 200, description = "Rotated; the new secret", body = EndpointSecretOut),
        (status = 204, description = "Rotated"),
        BadRequest, Errors, PayloadTooLarge, Unavailable
    )
)]
pub async fn rotate_secret(
    State(state): State<AppState>,
    ApiPath(endpoint_id): ApiPath<String>,
    headers: HeaderMap,
    body: ApiJsonOrEmpty<EndpointSecretRotateIn>,
) -> ApiResult<Response> {
    endpoint::secret::rotate(State(state), ApiPath((app(), endpoint_id)), headers, body).await
}

/// `GET …/{endpoint_id}/headers`.
#[utoipa::path(
    get,
    path = "/api/v1/operational-webhook/endpoint/{endpoint_id}/headers",
    operation_id = "v1.operational-webhook.endpoint.get-headers",
    tag = TAG,
    summary = "Get Operational Webhook Endpoint Headers",
    description = "The custom headers of an operational webhook endpoint (credential-bearing \
                   ones by name only).",
    params(EndpointPath),
    responses((status = 200, body = EndpointHeadersOut), Errors, Unavailable)
)]
pub async fn get_headers(
    State(state): State<AppState>,
    ApiPath(endpoint_id): ApiPath<String>,
) -> ApiResult<Json<EndpointHeadersOut>> {
    endpoint::headers::get(State(state), ApiPath((app(), endpoint_id))).await
}

/// `PUT …/{endpoint_id}/headers`: 204.
#[utoipa::path(
    put,
    path = "/api/v1/operational-webhook/endpoint/{endpoint_id}/headers",
    operation_id = "v1.operational-webhook.endpoint.update-headers",
    tag = TAG,
    summary = "Set Operational Webhook Endpoint Headers",
    description = "Replaces the custom headers of an operational webhook endpoint.",
    params(EndpointPath),
    request_body = EndpointHeadersIn,
    responses((status = 204, description = "Replaced"), Errors, PayloadTooLarge, Unavailable)
)]
pub async fn update_headers(
    State(state): State<AppState>,
    ApiPath(endpoint_id): ApiPath<String>,
    body: ApiJson<EndpointHeadersIn>,
) -> ApiResult<StatusCode> {
    endpoint::headers::update(State(state), ApiPath((app(), endpoint_id)), body).await
}
