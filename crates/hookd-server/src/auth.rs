//! Authentication and authorization of API requests, in one middleware that runs before every
//! handler except the health checks.
//!
//! A request carries `Authorization: Bearer <token>`. Only the SHA-256 of a token is stored, so
//! the text is hashed and looked up; an unknown or expired token is refused with 401. What the
//! token may reach follows from its [`TokenScope`]:
//! - [`TokenScope::Admin`] reaches every route.
//! - [`TokenScope::App`] (portal tokens, `appsk_…`) reaches the routes under
//!   `/api/v1/app/{app_id}/…` whose `{app_id}` (an id or a uid) resolves to its own application,
//!   `POST /api/v1/auth/logout`, and the *read* routes of the event-type catalogue, as far as its
//!   [`hookd_core::portal::PortalScope`] (read-only, capabilities) grants what the route needs:
//!   the table is [`crate::access`]. Everything else (other applications, listing or creating
//!   applications, writing event types, minting or expiring portal tokens) is refused with 403.
//!
//! The decision is taken on the route *template* (axum's [`MatchedPath`]), never on the raw URL,
//! so that no spelling of a path can slip past it. This module must not look at request bodies,
//! and handlers must not repeat these checks: the authenticated [`Caller`] is handed to them in
//! the request's extensions.

use axum::{
    extract::{FromRequestParts, MatchedPath, RawPathParams, Request, State},
    http::{header::AUTHORIZATION, request::Parts, HeaderMap, Method},
    middleware::Next,
    response::{IntoResponse, Response},
};
use hookd_core::model::{EventType, Token, TokenScope};

use crate::{
    access::{app_token_access, AppTokenAccess},
    error::{ApiError, ApiResult},
    AppState,
};

/// Svix's wording for a token that does not authenticate.
const BAD_CREDENTIALS: &str = "Incorrect authentication credentials.";

/// The authenticated caller of a request, available to handlers as `Extension<Caller>`.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The token the request presented.
    pub token: Token,
}

impl Caller {
    /// Whether the caller may see an event type: admin tokens see all; an application token
    /// not one gated by feature flags it holds none of.
    pub fn sees_event_type(&self, et: &EventType) -> bool {
        self.token.scope == TokenScope::Admin || self.token.portal.sees_flags(&et.feature_flags)
    }
}

/// Finds the token of a request, refusing missing, unknown and expired ones.
pub async fn authenticate(state: &AppState, headers: &HeaderMap) -> ApiResult<Token> {
    let header = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            ApiError::Unauthorized("Missing the 'Authorization: Bearer <token>' header.".into())
        })?;
    let text = header
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|token| !token.is_empty())
        .ok_or_else(|| {
            ApiError::Unauthorized("The Authorization header must be 'Bearer <token>'.".into())
        })?;
    let hash = hookd_core::token::hash_text(text);
    let token = state
        .lookups
        .token(state.directory.as_ref(), &hash)
        .await?
        .ok_or_else(|| ApiError::Unauthorized(BAD_CREDENTIALS.into()))?;
    let now = state.clock.now();
    if token.expires_at.is_some_and(|at| at <= now) {
        return Err(ApiError::Unauthorized(BAD_CREDENTIALS.into()));
    }
    Ok(token)
}

/// The raw `{app_id}` of the matched route, if it has one.
async fn path_app_id(state: &AppState, parts: &mut Parts) -> Option<String> {
    let params = RawPathParams::from_request_parts(parts, state).await.ok()?;
    params
        .iter()
        .find(|(name, _)| *name == "app_id")
        .map(|(_, value)| value.to_owned())
}

/// Checks that the token may use the matched route.
async fn authorize(state: &AppState, parts: &mut Parts, token: &Token) -> ApiResult<()> {
    let TokenScope::App(own_app) = &token.scope else {
        // An operator's admin token reads everything and changes nothing.
        if token.is_operator() && !matches!(parts.method, Method::GET | Method::HEAD) {
            return Err(ApiError::Forbidden(
                "This token is an operator's, which may read but not change anything.".into(),
            ));
        }
        return Ok(());
    };
    let route = parts
        .extensions
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_default();
    let denied = || ApiError::Forbidden("Insufficient access for the given operation.".into());
    match app_token_access(&parts.method, &route) {
        AppTokenAccess::Allowed => Ok(()),
        AppTokenAccess::Granted(need) if token.portal.grants(need) => Ok(()),
        AppTokenAccess::Granted(_) | AppTokenAccess::AdminOnly => Err(denied()),
        AppTokenAccess::OwnApplication(need) => {
            // The scope is checked first: it needs no lookup, and a refusal for scope says
            // nothing about whether the application exists.
            if !token.portal.grants(need) {
                return Err(denied());
            }
            let Some(wanted) = path_app_id(state, parts).await else {
                return Err(denied());
            };
            // An app token learns nothing about other applications: a foreign app and a missing
            // one are refused alike.
            match state.lookups.app(state.directory.as_ref(), &wanted).await? {
                Some(app) if &app.id == own_app => Ok(()),
                _ => Err(denied()),
            }
        }
    }
}

/// Counts the request against its token's and its application's rate limits. The application
/// is the one the route's `{app_id}` resolves to (so an id and a uid share one budget); an
/// application token's requests count against its own application everywhere.
async fn rate_limit(state: &AppState, parts: &mut Parts, token: &Token) -> ApiResult<()> {
    let app_id = match &token.scope {
        TokenScope::App(own) => Some(own.to_string()),
        TokenScope::Admin => {
            match path_app_id(state, parts).await {
                // An unknown application is the handler's 404 to give; it has no budget.
                Some(wanted) => state
                    .lookups
                    .app(state.directory.as_ref(), &wanted)
                    .await?
                    .map(|app| app.id.to_string()),
                None => None,
            }
        }
    };
    state.limits.check_request(&token.hash, app_id.as_deref())
}

/// The middleware: authenticates, authorizes, applies the rate limits, and hands the [`Caller`] on.
pub async fn require_token(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let token = match authenticate(&state, &parts.headers).await {
        Ok(token) => token,
        Err(e) => return e.into_response(),
    };
    let id = token.id.clone();
    // A refusal of an authenticated token still names it, for the request log and the audit.
    let refused = |e: ApiError| {
        let mut response = e.into_response();
        response
            .extensions_mut()
            .insert(crate::api::request_log::AuthenticatedAs(id.clone()));
        response
    };
    if let Err(e) = authorize(&state, &mut parts, &token).await {
        return refused(e);
    }
    if let Err(e) = rate_limit(&state, &mut parts, &token).await {
        return refused(e);
    }
    parts.extensions.insert(Caller { token });
    let mut response = next.run(Request::from_parts(parts, body)).await;
    response
        .extensions_mut()
        .insert(crate::api::request_log::AuthenticatedAs(id));
    response
}
