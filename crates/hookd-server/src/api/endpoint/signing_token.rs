//! `GET /api/v1/app/{app_id}/endpoint/{endpoint_id}/signing-token` (hookd's extension): the
//! token that the endpoint's `signingToken` scheme sends verbatim in its header, for the
//! receiver to compare against (Postscript's "Get Webhook Signing Token").
//!
//! Endpoint reads never show the token; this is the one place it can be read, and it is as
//! well guarded as the endpoint's Standard Webhooks secret (`GET …/secret`): any token that may
//! read the endpoint may read it. This module must not change the endpoint.

use axum::{extract::State, Json};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{
    api::{
        extract::ApiPath,
        load_app, load_endpoint,
        schema::{AppPath, EndpointPath, Errors, Unavailable},
    },
    error::{ApiError, ApiResult},
    AppState,
};

/// The answer.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SigningTokenOut {
    /// The header the token is sent in.
    header: String,
    /// The token.
    token: String,
}

/// `GET …/signing-token`: 200, or 404 when the endpoint has no `signingToken` scheme.
#[utoipa::path(
    get,
    path = "/api/v1/app/{app_id}/endpoint/{endpoint_id}/signing-token",
    operation_id = "hookd.endpoint.get-signing-token",
    tag = "Endpoint",
    summary = "Get Endpoint Signing Token",
    description = "hookd's extension: the token that the endpoint's `signingToken` \
                   authentication scheme sends verbatim, for the receiver to compare against. \
                   404 when the endpoint has no such scheme.",
    params(AppPath, EndpointPath),
    responses((status = 200, body = SigningTokenOut), Errors, Unavailable)
)]
pub async fn get(
    State(state): State<AppState>,
    ApiPath((app_id, endpoint_id)): ApiPath<(String, String)>,
) -> ApiResult<Json<SigningTokenOut>> {
    let app = load_app(&state, &app_id).await?;
    let ep = load_endpoint(&state, &app, &endpoint_id).await?;
    let (header, token) = ep.options.signing_token().ok_or_else(|| {
        ApiError::NotFound("This endpoint has no signingToken authentication scheme.".into())
    })?;
    Ok(Json(SigningTokenOut {
        header: header.to_owned(),
        token: token.to_owned(),
    }))
}
