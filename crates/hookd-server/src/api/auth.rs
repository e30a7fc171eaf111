//! The Authentication resource: `POST /api/v1/auth/app-portal-access/{app_id}` (mint an
//! application-scoped portal token with Svix's `AppPortalAccessIn` scope), its deprecated twin
//! `POST /api/v1/auth/dashboard-access/{app_id}`, `POST /api/v1/auth/app/{app_id}/expire-all`
//! (expire an application's portal tokens, or some sessions' of them) and
//! `POST /api/v1/auth/logout` (revoke the caller's own application token).
//!
//! Portal tokens are `appsk_…` texts of which only the hash is stored, scoped with
//! [`TokenScope::App`] to one application, carrying a [`PortalScope`], and expiring after their
//! `expiry` (default `config.portal_token_ttl`, Svix's seven days). Their text appears exactly
//! once, in the answer that mints them. This module must not decide what a token may reach;
//! `crate::auth` and `crate::access` do.

use std::collections::BTreeSet;

use axum::{extract::State, http::StatusCode, Extension, Json};
use chrono::Duration;
use hookd_core::{
    id::{AppId, TokenId},
    model::{Token, TokenScope},
    portal::{Capability, PortalScope},
    token::{generate_text, hash_text, APP_TOKEN_PREFIX},
    validate,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    application::ApplicationIn,
    extract::{ApiJsonOrEmpty, ApiPath},
    load_app,
    message::app_or_create,
    schema::{
        AppPath, BadRequest, Errors, FeatureFlag, IdempotencyKey, PayloadTooLarge, SessionId,
        Unavailable,
    },
    wire::Checks,
};
use crate::{
    auth::Caller,
    error::{ApiError, ApiResult, ValidationItem},
    AppState,
};

/// The name portal tokens carry, for operators reading the token table.
const PORTAL_TOKEN_NAME: &str = "app-portal-access";

/// Svix's bounds on a portal token's `expiry`: one hour to seven days, in seconds.
const MIN_PORTAL_EXPIRY_SECS: i64 = 3600;
/// See [`MIN_PORTAL_EXPIRY_SECS`]; also Svix's default, which `config.portal_token_ttl` keeps.
const MAX_PORTAL_EXPIRY_SECS: i64 = 7 * 24 * 3600;
/// Svix lets a portal token carry at most 25 feature flags.
const MAX_PORTAL_FEATURE_FLAGS: usize = 25;
/// Svix's bound on `expire-all`'s delay: at most three days, in seconds.
const MAX_EXPIRE_ALL_DELAY_SECS: i64 = 3 * 24 * 3600;
/// Svix's bound on how many sessions one `expire-all` may name.
const MAX_EXPIRE_ALL_SESSIONS: usize = 1000;

/// Svix's `AppPortalAccessIn`; every field is honoured. `readOnly` narrows the capabilities:
/// a read-only token keeps only `ViewBase` and `ViewEndpointSecret` of those it was given.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[serde(deny_unknown_fields)]
pub struct AppPortalAccessIn {
    /// Optionally creates a new application alongside the token.
    ///
    /// If the application id or uid that is used in the path already exists, this argument is
    /// ignored.
    #[serde(default)]
    application: Option<ApplicationIn>,
    /// The set of feature flags the created token will have access to (no duplicates): event
    /// types gated by one of them become visible to it.
    #[serde(default)]
    #[schema(value_type = Option<Vec<FeatureFlag>>, max_items = 25, example = json!(["cool-new-feature"]))]
    feature_flags: Option<Vec<String>>,
    /// Whether the portal is read-only: every route that changes something answers 403 to the
    /// token (logging out excepted), whatever its capabilities.
    #[serde(default)]
    read_only: Option<bool>,
    /// The capabilities of the token (`ViewBase` is required); all of them when absent.
    /// `ViewBase`: read everything but the endpoint secret. `ViewEndpointSecret`: read the
    /// secret. `ManageEndpointSecret`: rotate and read it. `ManageTransformations`: change
    /// transformations (hookd has none to change). `CreateAttempts`: resend, recover, replay,
    /// send examples and tests. `ManageEndpoint`: create, change and delete endpoints, secrets
    /// included. Writes no capability names (publishing messages, expunging content) need all.
    #[serde(default)]
    #[schema(value_type = Option<Vec<AppPortalCapability>>, example = json!(["ViewBase", "ViewEndpointSecret"]))]
    capabilities: Option<Vec<String>>,
    /// How long the token is valid for, in seconds: 3600 (1 hour) to 604800 (7 days, the
    /// default).
    #[serde(default, deserialize_with = "hookd_core::integral::optional")]
    #[schema(minimum = 3600, maximum = 604800, default = 604800)]
    expiry: Option<i64>,
    /// A session id stored with the token, so that `expire-all` can expire this session only.
    #[serde(default)]
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"^[a-zA-Z0-9@_-]+$",
        example = "user_1FB8"
    )]
    session_id: Option<String>,
}

/// Svix's `AppPortalCapability`, for the document: the body is read as names and checked
/// against `hookd_core::portal::Capability`, so that an unknown one is a 422 naming it.
#[derive(ToSchema)]
#[allow(dead_code)]
pub enum AppPortalCapability {
    ViewBase,
    ViewEndpointSecret,
    ManageEndpointSecret,
    ManageTransformations,
    CreateAttempts,
    ManageEndpoint,
}

impl AppPortalAccessIn {
    /// Checks every field, reporting all violations at once, and returns the token's scope and
    /// lifetime (`None`: the configured default).
    fn scope(&self) -> ApiResult<(PortalScope, Option<i64>)> {
        let mut checks = Checks::default();
        if let Some(app) = &self.application {
            if let Err(ApiError::Validation(items)) = app.validate(&["body", "application"]) {
                items.into_iter().for_each(|i| checks.push(i));
            }
        }
        // A set, as Svix's lists are: a repeated flag is one flag.
        let flags = super::wire::dedupe(self.feature_flags.clone().unwrap_or_default());
        checks.check(validate::feature_flags(
            &["body", "featureFlags"],
            &flags,
            Some(MAX_PORTAL_FEATURE_FLAGS),
        ));
        let capabilities = self.capabilities.as_ref().map(|names| {
            let loc = ["body", "capabilities"];
            let mut set = BTreeSet::new();
            for name in names {
                match Capability::parse(name) {
                    Some(c) => {
                        set.insert(c);
                    }
                    None => checks.push(ValidationItem::value(
                        &loc,
                        format!(
                            "unknown capability {name:?}; the capabilities are {}",
                            Capability::ALL.map(Capability::as_str).join(", ")
                        ),
                    )),
                }
            }
            if !set.contains(&Capability::ViewBase) {
                checks.push(ValidationItem::value(&loc, "must include ViewBase"));
            }
            set
        });
        if let Some(expiry) = self.expiry {
            if !(MIN_PORTAL_EXPIRY_SECS..=MAX_PORTAL_EXPIRY_SECS).contains(&expiry) {
                checks.push(ValidationItem::value(
                    &["body", "expiry"],
                    format!(
                        "must be between {MIN_PORTAL_EXPIRY_SECS} and {MAX_PORTAL_EXPIRY_SECS} \
                         seconds"
                    ),
                ));
            }
        }
        if let Some(session) = &self.session_id {
            checks.check(validate::session_id(&["body", "sessionId"], session));
        }
        checks.finish()?;
        Ok((
            PortalScope {
                read_only: self.read_only.unwrap_or(false),
                capabilities,
                feature_flags: flags.into_iter().collect(),
                session_id: self.session_id.clone(),
            },
            self.expiry,
        ))
    }
}

/// Svix's `AppPortalAccessOut` (and the deprecated `DashboardAccessOut`, of the same shape).
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
    let (scope, expiry) = input.scope()?;
    let app = app_or_create(&state, &app_id, input.application).await?;
    mint(&state, app.id, scope, expiry).await.map(Json)
}

/// Stores a new portal token for `app` and answers its text and URL.
async fn mint(
    state: &AppState,
    app: AppId,
    scope: PortalScope,
    expiry_secs: Option<i64>,
) -> ApiResult<AppPortalAccessOut> {
    let now = state.clock.now();
    let ttl = match expiry_secs {
        Some(secs) => Duration::seconds(secs),
        None => Duration::from_std(state.config.portal_token_ttl)
            .map_err(|e| ApiError::Internal(Box::new(e)))?,
    };
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
        scope: TokenScope::App(app),
        name: PORTAL_TOKEN_NAME.into(),
        created_at: now,
        expires_at: Some(now + ttl),
        portal: scope,
    };
    state.directory.insert_token(&token).await?;
    let base = state.config.public_url.trim_end_matches('/');
    Ok(AppPortalAccessOut {
        url: format!("{base}/portal#key={text}"),
        token: text,
    })
}

/// `POST /api/v1/auth/dashboard-access/{app_id}`: Svix's deprecated form of
/// `app-portal-access` with no body: a token of the default scope.
#[utoipa::path(
    post,
    path = "/api/v1/auth/dashboard-access/{app_id}",
    operation_id = "v1.authentication.dashboard-access",
    tag = "Authentication",
    summary = "Dashboard Access",
    description = "Deprecated: use `app-portal-access` instead. A portal token of the default \
                   scope (every capability, no feature flags, the default expiry) for an \
                   existing application.",
    params(AppPath, IdempotencyKey),
    responses((status = 200, body = AppPortalAccessOut), BadRequest, Errors, Unavailable)
)]
#[deprecated = "Svix's deprecated route; app_portal_access is its successor"]
pub async fn dashboard_access(
    State(state): State<AppState>,
    ApiPath(app_id): ApiPath<String>,
) -> ApiResult<Json<AppPortalAccessOut>> {
    let app = load_app(&state, &app_id).await?;
    mint(&state, app.id, PortalScope::default(), None)
        .await
        .map(Json)
}

/// Svix's `ApplicationTokenExpireIn`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[serde(deny_unknown_fields)]
pub struct ApplicationTokenExpireIn {
    /// How many seconds until the tokens expire: 0 (at once, the default) to 259200 (3 days).
    /// A token that would expire sooner anyway keeps its own expiry.
    #[serde(default, deserialize_with = "hookd_core::integral::optional")]
    #[schema(minimum = 0, maximum = 259200, example = 60)]
    expiry: Option<i64>,
    /// Only the tokens minted with one of these session ids expire; all the application's
    /// tokens when absent or empty.
    #[serde(default)]
    #[schema(value_type = Option<Vec<SessionId>>, max_items = 1000)]
    session_ids: Option<Vec<String>>,
}

/// `POST /api/v1/auth/app/{app_id}/expire-all`: 204 once the application's tokens (or those of
/// the named sessions) expire after `expiry` seconds.
#[utoipa::path(
    post,
    path = "/api/v1/auth/app/{app_id}/expire-all",
    operation_id = "v1.authentication.expire-all",
    tag = "Authentication",
    summary = "Expire All",
    description = "Expire all of the tokens associated with a specific application.",
    params(AppPath, IdempotencyKey),
    request_body(content = ApplicationTokenExpireIn, description = "May be empty, which counts as `{}`."),
    responses((status = 204, description = "The tokens expire as asked"), BadRequest, Errors, PayloadTooLarge, Unavailable)
)]
pub async fn expire_all(
    State(state): State<AppState>,
    ApiPath(app_id): ApiPath<String>,
    ApiJsonOrEmpty(input): ApiJsonOrEmpty<ApplicationTokenExpireIn>,
) -> ApiResult<StatusCode> {
    let mut checks = Checks::default();
    let delay = input.expiry.unwrap_or(0);
    if !(0..=MAX_EXPIRE_ALL_DELAY_SECS).contains(&delay) {
        checks.push(ValidationItem::value(
            &["body", "expiry"],
            format!("must be between 0 and {MAX_EXPIRE_ALL_DELAY_SECS} seconds"),
        ));
    }
    let sessions = input.session_ids.unwrap_or_default();
    if sessions.len() > MAX_EXPIRE_ALL_SESSIONS {
        checks.push(ValidationItem::value(
            &["body", "sessionIds"],
            format!("must contain at most {MAX_EXPIRE_ALL_SESSIONS} session ids"),
        ));
    }
    for id in &sessions {
        checks.check(validate::session_id(&["body", "sessionIds"], id));
    }
    checks.finish()?;
    let app = load_app(&state, &app_id).await?;
    let at = state.clock.now() + Duration::seconds(delay);
    let only = (!sessions.is_empty()).then_some(sessions.as_slice());
    state.directory.expire_app_tokens(&app.id, only, at).await?;
    // This process forgets the application's tokens at once; others within the cache's TTL.
    state.lookups.forget_app_tokens(&app.id);
    Ok(StatusCode::NO_CONTENT)
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
    state.directory.delete_token(&caller.token.id).await?;
    state.lookups.forget_token(&caller.token.hash);
    Ok(StatusCode::NO_CONTENT)
}
