//! `POST /api/v1/auth/app-portal-access/{app_id}` (mint an application-scoped portal token) and
//! `POST /api/v1/auth/logout` (revoke the caller's own application token).
//!
//! Portal tokens are `appsk_…` texts of which only the hash is stored, scoped with
//! [`TokenScope::App`] to one application and expiring after `config.portal_token_ttl`. Their
//! text appears exactly once, in the answer that mints them. This module must not decide what a
//! token may reach; `crate::auth` does.

use axum::{extract::State, http::StatusCode, Extension, Json};
use chrono::Duration;
use hookd_core::{
    id::TokenId,
    model::{Token, TokenScope},
    token::{generate_text, hash_text, APP_TOKEN_PREFIX},
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    application::ApplicationIn,
    extract::{ApiJsonOrEmpty, ApiPath},
    message::app_or_create,
    schema::{AppPath, BadRequest, Errors, IdempotencyKey, PayloadTooLarge, Unavailable},
};
use crate::{
    auth::Caller,
    error::{ApiError, ApiResult},
    AppState,
};

/// The name portal tokens carry, for operators reading the token table.
const PORTAL_TOKEN_NAME: &str = "app-portal-access";

/// Svix's `AppPortalAccessIn`. `featureFlags` (and newer fields such as `expiry` or
/// `readOnly`) are accepted and ignored: hookd has no feature-flagged event types to hide.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[serde(deny_unknown_fields)]
pub struct AppPortalAccessIn {
    /// Optionally creates a new application alongside the token.
    ///
    /// If the application id or uid that is used in the path already exists, this argument is
    /// ignored.
    #[serde(default)]
    application: Option<ApplicationIn>,
    /// The set of feature flags the created token will have access to (accepted and ignored).
    #[serde(default)]
    #[allow(dead_code)]
    feature_flags: Option<Vec<String>>,
}

/// Svix's `AppPortalAccessOut`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppPortalAccessOut {
    /// The tenant portal's address with the token in its fragment (`{public_url}/portal#key=…`).
    #[schema(
        format = "uri",
        example = "http://127.0.0.1:8071/portal#key=appsk_kV3ts5tKPNJN4Dl25cMTfUNdmabxbX0O"
    )]
    url: String,
    /// The application-scoped token, shown only here.
    #[schema(example = "appsk_kV3ts5tKPNJN4Dl25cMTfUNdmabxbX0O")]
    token: String,
}

/// `POST /api/v1/auth/app-portal-access/{app_id}`: 200 with a new portal token and its URL.
#[utoipa::path(
    post,
    path = "/api/v1/auth/app-portal-access/{app_id}",
    operation_id = "v1.authentication.app-portal-access",
    tag = "Authentication",
    summary = "App Portal Access",
    description = "Use this function to get magic links (and authentication codes) for \
                   connecting your users to the tenant portal. The body may be empty.",
    params(AppPath, IdempotencyKey),
    request_body(content = AppPortalAccessIn, description = "May be empty, which counts as `{}`."),
    responses((status = 200, body = AppPortalAccessOut), BadRequest, Errors, PayloadTooLarge, Unavailable)
)]
pub async fn app_portal_access(
    State(state): State<AppState>,
    ApiPath(app_id): ApiPath<String>,
    ApiJsonOrEmpty(input): ApiJsonOrEmpty<AppPortalAccessIn>,
) -> ApiResult<Json<AppPortalAccessOut>> {
    if let Some(app) = &input.application {
        app.validate(&["body", "application"])?;
    }
    let app = app_or_create(&state, &app_id, input.application).await?;
    let now = state.clock.now();
    let ttl = Duration::from_std(state.config.portal_token_ttl)
        .map_err(|e| ApiError::Internal(Box::new(e)))?;
    let (id, text) = {
        let mut rng = rand::thread_rng();
        (
            TokenId::generate(now, &mut rng),
            generate_text(APP_TOKEN_PREFIX, &mut rng),
        )
    };
    let token = Token {
        id,
        hash: hash_text(&text),
        scope: TokenScope::App(app.id),
        name: PORTAL_TOKEN_NAME.into(),
        created_at: now,
        expires_at: Some(now + ttl),
    };
    state.store.insert_token(&token).await?;
    let base = state.config.public_url.trim_end_matches('/');
    Ok(Json(AppPortalAccessOut {
        url: format!("{base}/portal#key={text}"),
        token: text,
    }))
}

/// `POST /api/v1/auth/logout`: revokes the application token that makes the request. 204.
///
/// As Svix documents it, only application tokens can be logged out: revoking an admin token
/// through the API would lock the operator out, so that is refused with 403.
#[utoipa::path(
    post,
    path = "/api/v1/auth/logout",
    operation_id = "logout_api_v1_auth_logout__post",
    tag = "Authentication",
    summary = "Logout",
    description = "Logout an app token.\n\nTrying to log out other tokens (an admin token) \
                   fails with 403.",
    params(IdempotencyKey),
    responses((status = 204, description = "The token is revoked"), BadRequest, Errors, Unavailable)
)]
pub async fn logout(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> ApiResult<StatusCode> {
    if caller.token.scope == TokenScope::Admin {
        return Err(ApiError::Forbidden(
            "Only application tokens can be logged out; admin tokens are revoked by the operator."
                .into(),
        ));
    }
    state.store.delete_token(&caller.token.id).await?;
    state.lookups.forget_token(&caller.token.hash);
    Ok(StatusCode::NO_CONTENT)
}
