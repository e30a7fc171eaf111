//! hookd's HTTP API: the 41 operations of Svix's open-source v1 API, so that every Svix SDK
//! works against hookd unchanged.
//!
//! # Shape
//! [`router`] builds one axum `Router` with one module per resource (as the Svix server is laid
//! out): [`application`], [`event_type`], [`endpoint`] (with its sub-resources), [`message`],
//! [`attempt`], [`auth`] and [`health`]. Every request passes, outermost first:
//! 1. the body limit ([`limit_body`]): a body over `config.max_body_bytes` is a 413 before
//!    anything reads it further;
//! 2. authentication and authorization ([`crate::auth::require_token`]), on every route but the
//!    health checks;
//! 3. `Idempotency-Key` handling ([`crate::idempotency::idempotency`]) for POSTs;
//! 4. the handler, which parses its input with the extractors of [`extract`] into wire types,
//!    validates them into domain types, calls the store, and maps the result back to wire
//!    types.
//!
//! [`service`] wraps the router so that a trailing slash is tolerated (`/api/v1/app/` is
//! `/api/v1/app`); the path is normalized *before* routing, which is why it wraps from outside.
//! [`serve`] runs that service on a listener.
//!
//! **API Boundary:** wire types (`*In`, `*Out`, camelCase as in Svix's document) exist only in
//! this module; domain types from `hookd_core::model` never serialize themselves. Handlers must
//! not hold anything across an await that makes them `!Send`, and must not deliver webhooks:
//! they write to the store and wake the workers.

pub mod application;
pub mod attempt;
pub mod auth;
pub mod client;
pub mod console;
pub mod endpoint;
pub mod event_type;
pub mod extract;
pub mod health;
pub mod message;
pub mod operational;
pub mod options;
pub mod wire;

use std::future::Future;

use axum::{
    body::Body,
    extract::{Request, State},
    http::header::CONTENT_LENGTH,
    middleware::{from_fn_with_state, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
    Router,
};
use hookd_core::model::{Application, Endpoint, Message};
use tower::Layer as _;
use tower_http::normalize_path::{NormalizePath, NormalizePathLayer};

use crate::{
    error::{ApiError, ApiResult},
    AppState,
};

/// The API router, without trailing-slash tolerance (see [`service`]).
pub fn router(state: AppState) -> Router {
    let authenticated = Router::new()
        .route(
            "/api/v1/app",
            get(application::list).post(application::create),
        )
        .route(
            "/api/v1/app/{app_id}",
            get(application::get)
                .put(application::upsert)
                .patch(application::patch)
                .delete(application::delete),
        )
        .route(
            "/api/v1/event-type",
            get(event_type::list).post(event_type::create),
        )
        .route(
            "/api/v1/event-type/{event_type_name}",
            get(event_type::get)
                .put(event_type::upsert)
                .patch(event_type::patch)
                .delete(event_type::delete),
        )
        .route(
            "/api/v1/app/{app_id}/endpoint",
            get(endpoint::list).post(endpoint::create),
        )
        .route(
            "/api/v1/app/{app_id}/endpoint/{endpoint_id}",
            get(endpoint::get)
                .put(endpoint::upsert)
                .patch(endpoint::patch)
                .delete(endpoint::delete),
        )
        .route(
            "/api/v1/app/{app_id}/endpoint/{endpoint_id}/headers",
            get(endpoint::headers::get)
                .put(endpoint::headers::update)
                .patch(endpoint::headers::patch),
        )
        .route(
            "/api/v1/app/{app_id}/endpoint/{endpoint_id}/secret",
            get(endpoint::secret::get),
        )
        .route(
            "/api/v1/app/{app_id}/endpoint/{endpoint_id}/secret/rotate",
            post(endpoint::secret::rotate),
        )
        .route(
            "/api/v1/app/{app_id}/endpoint/{endpoint_id}/recover",
            post(endpoint::recovery::recover),
        )
        .route(
            "/api/v1/app/{app_id}/endpoint/{endpoint_id}/send-example",
            post(endpoint::example::send_example),
        )
        .route(
            "/api/v1/app/{app_id}/endpoint/{endpoint_id}/signing-token",
            get(endpoint::signing_token::get),
        )
        .route(
            "/api/v1/app/{app_id}/endpoint/{endpoint_id}/test",
            post(endpoint::test_send::test),
        )
        .route(
            "/api/v1/app/{app_id}/endpoint/{endpoint_id}/bulk-resend",
            post(endpoint::bulk_resend::bulk_resend),
        )
        .route(
            "/api/v1/app/{app_id}/endpoint/{endpoint_id}/stats",
            get(endpoint::stats::stats),
        )
        .route(
            "/api/v1/app/{app_id}/endpoint/{endpoint_id}/msg",
            get(attempt::list_attempted_messages),
        )
        .route(
            "/api/v1/app/{app_id}/msg",
            get(message::list).post(message::create),
        )
        .route("/api/v1/app/{app_id}/msg/{msg_id}", get(message::get))
        .route(
            "/api/v1/app/{app_id}/msg/{msg_id}/content",
            axum::routing::delete(message::expunge_content),
        )
        .route(
            "/api/v1/app/{app_id}/msg/{msg_id}/attempt/{attempt_id}",
            get(attempt::get),
        )
        .route(
            "/api/v1/app/{app_id}/msg/{msg_id}/attempt/{attempt_id}/content",
            axum::routing::delete(attempt::expunge_content),
        )
        .route(
            "/api/v1/app/{app_id}/msg/{msg_id}/endpoint",
            get(attempt::list_attempted_destinations),
        )
        .route(
            "/api/v1/app/{app_id}/msg/{msg_id}/endpoint/{endpoint_id}/resend",
            post(attempt::resend),
        )
        .route(
            "/api/v1/app/{app_id}/attempt/endpoint/{endpoint_id}",
            get(attempt::list_by_endpoint),
        )
        .route(
            "/api/v1/app/{app_id}/attempt/msg/{msg_id}",
            get(attempt::list_by_msg),
        )
        .route(
            "/api/v1/auth/app-portal-access/{app_id}",
            post(auth::app_portal_access),
        )
        .route("/api/v1/auth/logout", post(auth::logout))
        // Layers added later run first: authentication, then idempotency (which scopes keys by
        // the authenticated token).
        .route_layer(from_fn_with_state(
            state.clone(),
            crate::idempotency::idempotency,
        ))
        .route_layer(from_fn_with_state(
            state.clone(),
            crate::auth::require_token,
        ));

    let open = Router::new()
        .route("/api/v1/health", get(health::health))
        .route("/api/v1/health/ping", get(health::ping))
        // hookd's console routes authenticate and scope by themselves (see `console`).
        .route("/api/v1/hookd/session", get(console::session))
        .route("/api/v1/hookd/stats/attempts", get(console::attempt_stats));

    Router::new()
        .merge(authenticated)
        .merge(open)
        .merge(crate::ui::router())
        .fallback(unknown_route)
        .layer(from_fn_with_state(state.clone(), limit_body))
        .with_state(state)
}

/// The router with trailing slashes trimmed before routing: what [`serve`] runs, and what
/// in-process tests should call.
pub fn service(state: AppState) -> NormalizePath<Router> {
    NormalizePathLayer::trim_trailing_slash().layer(router(state))
}

/// Serves the API on `listener` until `shutdown` completes, then finishes the requests in
/// flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let service = service(state);
    axum::serve(
        listener,
        axum::ServiceExt::<Request>::into_make_service(service),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Answers unknown routes in Svix's error shape.
async fn unknown_route() -> ApiError {
    ApiError::not_found()
}

/// Buffers the request body up to `config.max_body_bytes`, answering 413 beyond it, so that no
/// later stage (idempotency hashing, JSON parsing) can be made to hold more.
async fn limit_body(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let max = state.config.max_body_bytes;
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > max as u64) {
        return ApiError::PayloadTooLarge.into_response();
    }
    let (parts, body) = req.into_parts();
    match axum::body::to_bytes(body, max).await {
        Ok(bytes) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(_) => ApiError::PayloadTooLarge.into_response(),
    }
}

/// The application `id_or_uid` names, or 404.
pub(crate) async fn load_app(state: &AppState, id_or_uid: &str) -> ApiResult<Application> {
    extract::path_key("app_id", id_or_uid)?;
    state
        .store
        .get_app(id_or_uid)
        .await?
        .ok_or_else(ApiError::not_found)
}

/// The endpoint of `app` that `id_or_uid` names, or 404.
pub(crate) async fn load_endpoint(
    state: &AppState,
    app: &Application,
    id_or_uid: &str,
) -> ApiResult<Endpoint> {
    extract::path_key("endpoint_id", id_or_uid)?;
    state
        .store
        .get_endpoint(&app.id, id_or_uid)
        .await?
        .ok_or_else(ApiError::not_found)
}

/// The message of `app` that `id_or_event_id` names, or 404.
pub(crate) async fn load_message(
    state: &AppState,
    app: &Application,
    id_or_event_id: &str,
) -> ApiResult<Message> {
    extract::path_key("msg_id", id_or_event_id)?;
    state
        .store
        .get_message(&app.id, id_or_event_id)
        .await?
        .ok_or_else(ApiError::not_found)
}
