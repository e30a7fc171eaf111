//! hookd's HTTP API: the 41 operations of Svix's open-source v1 API, so that every Svix SDK
//! works against hookd unchanged.
//!
//! # Shape
//! [`router`] builds one axum `Router` with one module per resource (as the Svix server is laid
//! out): [`application`], [`event_type`], [`endpoint`] (with its sub-resources), [`message`],
//! [`attempt`], [`auth`] and [`health`]. Every request passes, outermost first:
//! 0. the request log ([`request_log`]), which writes one line per answer;
//! 1. the failed-authentication guard ([`crate::ratelimit::fail_guard`]): a client address that
//!    failed authentication too often is refused with 429 before anything else;
//! 2. the body limit ([`limit_body`]): a body over `config.max_body_bytes` is a 413 before
//!    anything reads it further;
//! 3. authentication, authorization and the per-token and per-application rate limits
//!    ([`crate::auth::require_token`]), on every route but the health checks;
//! 4. the query's names ([`declared`]): a query parameter the operation does not document is a
//!    422 naming it;
//! 5. `Idempotency-Key` handling ([`crate::idempotency::idempotency`]) for writes;
//! 6. the handler, which parses its input with the extractors of [`extract`] into wire types,
//!    validates them into domain types, calls the store, and maps the result back to wire
//!    types.
//!
//! Every route under `/api/v1` is registered through `utoipa_axum` from a handler annotated
//! with `#[utoipa::path]` (see [`routes`]), so the OpenAPI document ([`openapi`], served at
//! `GET /api/v1/openapi.json`) is generated from the same registrations the router serves and
//! cannot miss a route; [`schema`] holds what no single wire type owns.
//!
//! [`service`] wraps the router so that a trailing slash is tolerated (`/api/v1/app/` is
//! `/api/v1/app`); the path is normalized *before* routing, which is why it wraps from outside.
//! [`serve`] runs that service on a listener.
//!
//! **API Boundary:** wire types (`*In`, `*Out`, camelCase as in Svix's document) exist only in
//! this module; domain types from `hookd_core::model` never serialize themselves. Handlers must
//! not hold anything across an await that makes them `!Send`, and must not deliver webhooks:
//! they write to the store and wake the workers.

pub mod admin_token;
pub mod application;
pub mod attempt;
pub mod attempt_deprecated;
pub mod audit;
pub mod auth;
pub mod background_task;
pub mod client;
pub mod console;
pub mod declared;
mod doc_rules;
pub mod endpoint;
pub mod environment;
pub mod event_type;
pub mod event_type_import;
pub mod extract;
pub mod health;
pub mod message;
pub mod message_bulk;
pub mod message_extras;
pub mod openapi;
pub mod operational;
pub mod operational_webhook;
pub mod options;
pub mod request_log;
pub mod schema;
pub mod stats;
pub mod unsupported;
pub mod wire;

use std::future::Future;

use axum::{
    body::Body,
    extract::{Request, State},
    http::header::CONTENT_LENGTH,
    middleware::{from_fn, from_fn_with_state, Next},
    response::{IntoResponse, Response},
    Router,
};
use hookd_core::{
    model::{Application, Endpoint, Message},
    page::{ListQuery, Order, Page, MAX_LIMIT},
};
use tower::Layer as _;
use tower_http::normalize_path::{NormalizePath, NormalizePathLayer};
use utoipa::OpenApi as _;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    error::{ApiError, ApiResult},
    AppState,
};

/// The routes that need a token, without their middleware: Svix's resources and hookd's
/// extensions of them. Each `routes!` group is one path; `utoipa_axum` registers every handler
/// with the methods of its `#[utoipa::path]` and adds that operation to the document, so a
/// route here is always a documented route. Deprecated handlers are allowed: they are Svix's
/// deprecated routes, served (and marked deprecated in the document) on purpose.
#[allow(deprecated)]
fn authenticated_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(application::list, application::create))
        .routes(routes!(
            application::get,
            application::upsert,
            application::patch,
            application::delete
        ))
        .routes(routes!(event_type::list, event_type::create))
        .routes(routes!(
            event_type::get,
            event_type::upsert,
            event_type::patch,
            event_type::delete
        ))
        .routes(routes!(event_type_import::import_openapi))
        .routes(routes!(endpoint::list, endpoint::create))
        .routes(routes!(
            endpoint::get,
            endpoint::upsert,
            endpoint::patch,
            endpoint::delete
        ))
        .routes(routes!(
            endpoint::headers::get,
            endpoint::headers::update,
            endpoint::headers::patch
        ))
        .routes(routes!(endpoint::secret::get))
        .routes(routes!(endpoint::secret::rotate))
        .routes(routes!(endpoint::recovery::recover))
        .routes(routes!(endpoint::replay::bulk_replay))
        .routes(routes!(endpoint::replay::replay_missing))
        .routes(routes!(endpoint::example::send_example))
        .routes(routes!(endpoint::signing_token::get))
        .routes(routes!(endpoint::test_send::test))
        .routes(routes!(endpoint::bulk_resend::bulk_resend))
        .routes(routes!(endpoint::stats::stats))
        .routes(routes!(endpoint::attempt_stats::attempt_stats))
        .routes(routes!(attempt::list_attempted_messages))
        .routes(routes!(message::list, message::create))
        .routes(routes!(message::get))
        .routes(routes!(message::expunge_content))
        .routes(routes!(message_bulk::precheck))
        .routes(routes!(message_bulk::bulk_expunge))
        .routes(routes!(message_bulk::expunge_all_contents))
        .routes(routes!(attempt_deprecated::list_by_msg))
        .routes(routes!(attempt_deprecated::list_by_msg_and_endpoint))
        .routes(routes!(attempt::get))
        .routes(routes!(attempt::get_request))
        .routes(routes!(attempt::expunge_content))
        .routes(routes!(attempt::list_attempted_destinations))
        .routes(routes!(attempt::resend))
        .routes(routes!(attempt::list_by_endpoint))
        .routes(routes!(attempt::list_by_msg))
        .routes(routes!(auth::app_portal_access))
        .routes(routes!(auth::dashboard_access))
        .routes(routes!(auth::expire_all))
        .routes(routes!(auth::logout))
        .routes(routes!(stats::aggregate_app_stats))
        .routes(routes!(stats::aggregate_event_types_route))
        .routes(routes!(environment::export))
        .routes(routes!(environment::import))
        .routes(routes!(background_task::list))
        .routes(routes!(background_task::get))
        .routes(routes!(
            operational_webhook::list,
            operational_webhook::create
        ))
        .routes(routes!(
            operational_webhook::get,
            operational_webhook::upsert,
            operational_webhook::delete
        ))
        .routes(routes!(admin_token::list, admin_token::create))
        .routes(routes!(admin_token::delete))
        .routes(routes!(audit::list))
        .routes(routes!(operational_webhook::get_secret))
        .routes(routes!(operational_webhook::rotate_secret))
        .routes(routes!(
            operational_webhook::get_headers,
            operational_webhook::update_headers
        ))
}

/// The routes that take no token from the middleware: the health checks, this document, and
/// hookd's console routes, which authenticate and scope by themselves (see `console`).
fn open_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(health::health))
        .routes(routes!(health::ping))
        .routes(routes!(openapi::serve))
        .routes(routes!(console::session))
        .routes(routes!(console::attempt_stats))
}

/// Every route under `/api/v1` with the document's fixed parts: what [`openapi::document`]
/// describes. [`router`] serves exactly these routes (plus the web consoles' pages).
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::BaseDoc::openapi())
        .merge(authenticated_routes())
        .merge(open_routes())
}

/// The API router, without trailing-slash tolerance (see [`service`]).
pub fn router(state: AppState) -> Router {
    let authenticated = authenticated_routes()
        // Layers added later run first: authentication, then the query's names (a caller
        // without a token learns nothing about them), then idempotency (which scopes keys by
        // the authenticated token).
        .route_layer(from_fn_with_state(
            state.clone(),
            crate::idempotency::idempotency,
        ))
        .route_layer(from_fn(declared::refuse_undeclared_query))
        .route_layer(from_fn_with_state(
            state.clone(),
            crate::auth::require_token,
        ));
    let open = open_routes().route_layer(from_fn(declared::refuse_undeclared_query));
    let (api, _document) = OpenApiRouter::new()
        .merge(authenticated)
        .merge(open)
        .split_for_parts();

    Router::new()
        .merge(api)
        .merge(crate::ui::router())
        .merge(
            health::probes()
                .merge(metrics_route(&state))
                .route_layer(from_fn(declared::refuse_every_query)),
        )
        .fallback(unknown_route)
        .layer(from_fn_with_state(state.clone(), limit_body))
        // A client that keeps failing authentication is refused before its body is even read.
        .layer(from_fn_with_state(
            state.clone(),
            crate::ratelimit::fail_guard,
        ))
        // Outermost: every answer is logged, the guards' refusals included.
        .layer(from_fn_with_state(state.clone(), request_log::log_request))
        .with_state(state)
}

/// `GET /metrics` on the API's listener, when metrics are exported there (not when they
/// have a listener of their own, `metrics_listen`).
fn metrics_route(state: &AppState) -> Router<AppState> {
    if state.exporter.is_some() && state.config.metrics_on_api {
        crate::telemetry::router()
    } else {
        Router::new()
    }
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
    // Connection info gives each request its client address, which the failed-authentication
    // limit is keyed by.
    axum::serve(
        listener,
        axum::ServiceExt::<Request>::into_make_service_with_connect_info::<std::net::SocketAddr>(
            service,
        ),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Marks, in the response's extensions (never on the wire), an answer that no route gave:
/// how the route-coverage test tells "no such route" from a handler's own 404.
#[derive(Debug, Clone, Copy)]
pub struct UnknownRoute;

/// Answers unknown routes in Svix's error shape: 501 naming the family for a route of a Svix
/// family hookd does not serve (see [`unsupported`]), else 404.
async fn unknown_route(uri: axum::http::Uri) -> Response {
    let error = match unsupported::family(uri.path()) {
        Some(family) => ApiError::NotImplemented(unsupported::detail(family)),
        None => ApiError::not_found(),
    };
    let mut response = error.into_response();
    response.extensions_mut().insert(UnknownRoute);
    response
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

/// Every item of a paged store listing, page after page (for the routes that work on all of
/// them: export, import, statistics).
pub(crate) async fn every<T, F, Fut>(mut fetch: F) -> ApiResult<Vec<T>>
where
    F: FnMut(ListQuery) -> Fut,
    Fut: Future<Output = hookd_core::store::StoreResult<Page<T>>>,
{
    let mut all = Vec::new();
    let mut query = ListQuery::first(MAX_LIMIT, Order::Ascending);
    loop {
        let page = fetch(query).await?;
        all.extend(page.data);
        match (page.done, page.iterator) {
            (false, Some(next)) => {
                query = ListQuery::from_params(
                    Some(u64::from(MAX_LIMIT)),
                    Some(&next),
                    Order::Ascending,
                )
            }
            _ => return Ok(all),
        }
    }
}

/// The application `id_or_uid` names, or 404.
pub(crate) async fn load_app(state: &AppState, id_or_uid: &str) -> ApiResult<Application> {
    extract::path_key("app_id", id_or_uid)?;
    state
        .lookups
        .app(state.directory.as_ref(), id_or_uid)
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
        .directory
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
        .messages
        .get_message(&app.id, id_or_event_id)
        .await?
        .ok_or_else(ApiError::not_found)
}
