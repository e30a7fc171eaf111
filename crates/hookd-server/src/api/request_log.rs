//! One log line and one count per API request, for operators: the method, the route as registered (its
//! template, `/api/v1/app/{app_id}/msg`, so that no id or other input reaches the log and the
//! set of values stays bounded), the status, how long the answer took, and the id of the token
//! that authenticated it (never the token's text). Written at `request_log_level`, after the
//! answer, from outside every other layer, so 401s, 413s and 429s are logged too; the same
//! method, route and status label the request metrics ([`crate::telemetry::api_answered`]).
//!
//! Changes made with a token (every write but, unless `audit_messages`, a publish) are
//! recorded in the audit log here too, with the path (which object) and the client's
//! address, before the answer goes out.
//!
//! This module must not log a path, a query, a header or a body (the audit log, which only
//! admins read, keeps the path).

use std::{net::SocketAddr, time::Instant};

use axum::{
    extract::{ConnectInfo, MatchedPath, Request, State},
    http::Method,
    middleware::Next,
    response::Response,
};
use hookd_core::{
    id::{AuditId, Monotonic, TokenId},
    store::AuditEntry,
};
use tracing::Level;

use crate::AppState;

/// The route of a request that matched none: a constant, as the path itself is input.
const UNMATCHED: &str = "unmatched";

/// This process's audit ids, in the order its changes were answered.
static AUDIT_ORDER: Monotonic = Monotonic::new();

/// The longest path an audit entry keeps: ids and names are bounded far below it.
const MAX_AUDIT_PATH: usize = 1024;

/// Whether an answered request changes something worth an audit entry: every write method,
/// except publishing a message unless `audit_messages` says so.
fn audited(state: &AppState, method: &Method, route: &str) -> bool {
    let writes = matches!(
        *method,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    );
    let publishes = *method == Method::POST && route == "/api/v1/app/{app_id}/msg";
    writes && (!publishes || state.config.audit_messages)
}

/// `text` cut to at most `max` bytes, on a character boundary.
fn truncated(text: &str, max: usize) -> String {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

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
    // What an audit entry needs from the request, taken only for the requests audited.
    let audit = audited(&state, &method, route).then(|| {
        let client = req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.to_string());
        (truncated(req.uri().path(), MAX_AUDIT_PATH), client)
    });
    let response = next.run(req).await;
    let status = response.status().as_u16();
    let took = started.elapsed();
    if let Some(exporter) = &state.exporter {
        exporter.api_answered(&method, route, status, took);
    }
    // Only what a token did is audited: an unauthenticated request changed nothing.
    if let (Some((path, client)), Some(caller)) =
        (audit, response.extensions().get::<AuthenticatedAs>())
    {
        let now = state.clock.now();
        let entry = AuditEntry {
            id: AuditId::generate_after(&AUDIT_ORDER, now, &mut rand::thread_rng()),
            at: now,
            token_id: caller.0.clone(),
            method: method.to_string(),
            route: route.to_owned(),
            path,
            status,
            client,
        };
        // The change is made; failing to record it must not undo the answer. Logged.
        if let Err(e) = state.audit.record_audit(std::slice::from_ref(&entry)).await {
            tracing::warn!(error = %e, route, "recording a change in the audit log failed");
        }
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
