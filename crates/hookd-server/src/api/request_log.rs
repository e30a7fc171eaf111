//! One log line and one count per API request, for operators: the method, the route as registered (its
//! template, `/api/v1/app/{app_id}/msg`, so that no id or other input reaches the log and the
//! set of values stays bounded), the status, how long the answer took, and the id of the token
//! that authenticated it (never the token's text). Written at `request_log_level`, after the
//! answer, from outside every other layer, so 401s, 413s and 429s are logged too; the same
//! method, route and status label the request metrics ([`crate::telemetry::api_answered`]).
//!
//! This module must not log a path, a query, a header or a body.

use std::time::Instant;

use axum::{
    extract::{MatchedPath, Request, State},
    middleware::Next,
    response::Response,
};
use hookd_core::id::TokenId;
use tracing::Level;

use crate::AppState;

/// The route of a request that matched none: a constant, as the path itself is input.
const UNMATCHED: &str = "unmatched";

/// The id of the token a request was authenticated with, left in the response's extensions
/// (never on the wire) by [`crate::auth::require_token`] for this log.
#[derive(Debug, Clone)]
pub struct AuthenticatedAs(pub TokenId);

pub(super) async fn log_request(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    // The matched path is shared (an `Arc<str>` inside): holding it costs no copy.
    let matched = req.extensions().get::<MatchedPath>().cloned();
    let route = matched.as_ref().map_or(UNMATCHED, MatchedPath::as_str);
    let response = next.run(req).await;
    let status = response.status().as_u16();
    let took = started.elapsed();
    if let Some(exporter) = &state.exporter {
        exporter.api_answered(&method, route, status, took);
    }
    let Some(level) = state.config.request_log_level else {
        return response;
    };
    let duration_ms = took.as_secs_f64() * 1000.0;
    let token_id = response
        .extensions()
        .get::<AuthenticatedAs>()
        .map(|t| t.0.to_string());
    let token_id = token_id.as_deref().unwrap_or("-");
    // `tracing`'s macros take their level as a constant.
    macro_rules! line {
        ($level:expr) => {
            tracing::event!(
                target: "hookd::request",
                $level,
                method = %method,
                route,
                status,
                duration_ms,
                token_id,
                "request"
            )
        };
    }
    match level {
        Level::ERROR => line!(Level::ERROR),
        Level::WARN => line!(Level::WARN),
        Level::INFO => line!(Level::INFO),
        Level::DEBUG => line!(Level::DEBUG),
        _ => line!(Level::TRACE),
    }
    response
}
