//! `Idempotency-Key` support for every write (POST, PUT, PATCH, DELETE), as one middleware that
//! runs after authentication.
//!
//! A key is scoped by the caller's token id, the method and the request target (path and query),
//! so two callers, or one caller on two routes, can never collide. The request body's SHA-256 is
//! its fingerprint. Through [`Idempotency::idempotency_begin`](hookd_core::store::Store):
//! - a free (or expired) key is reserved, the request runs, and its response is stored if its
//!   status is below 500; a 5xx releases the key instead, so that a retry runs again;
//! - a completed key with the same fingerprint replays the stored status and body, and the
//!   handler does not run (so a retried publish never creates a second message);
//! - a completed key with another fingerprint, or a key whose first request is still running,
//!   is refused with 409.
//!
//! Svix's SDKs send an `auto_…` key with every POST, so this path is the common one; Svix's
//! document also gives the key to one PUT (`aggregate-event-types`), and a key sent with any
//! write is honoured rather than ignored. This module must not interpret bodies beyond hashing
//! them, and it must not run for reads (GET, HEAD, OPTIONS), which have no effect to repeat.

use axum::{
    body::Body,
    extract::{Request, State},
    http::{header::CONTENT_TYPE, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
    Extension,
};
use hookd_core::{model::StoredResponse, store::IdempotencyBegin};
use sha2::{Digest, Sha256};

use crate::{auth::Caller, error::ApiError, AppState};

/// The request header that carries the key.
pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";
/// A header set on replayed responses, so that a client (or a person with curl) can tell.
pub const REPLAYED_HEADER: &str = "idempotent-replayed";
/// Keys longer than this are refused: they would only bloat the store, and Svix's SDKs send
/// 41 characters.
const MAX_KEY_LEN: usize = 256;

fn hex_sha256(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        // A separator that cannot occur in a token id, method or path keeps the parts apart.
        hasher.update(part);
        hasher.update(b"\0");
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Rebuilds a response from its stored form.
fn replay(stored: StoredResponse) -> Response {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let mut response = if stored.body.is_empty() {
        status.into_response()
    } else {
        let mut r = (status, stored.body).into_response();
        r.headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        r
    };
    response
        .headers_mut()
        .insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
    response
}

/// The middleware. It expects the body to have been size-checked already.
pub async fn idempotency(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    req: Request,
    next: Next,
) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let Some(key) = req
        .headers()
        .get(IDEMPOTENCY_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
    else {
        return next.run(req).await;
    };
    if key.is_empty() || key.len() > MAX_KEY_LEN {
        return ApiError::bad_request(
            "invalid_idempotency_key",
            format!("The Idempotency-Key header must be 1 to {MAX_KEY_LEN} characters long."),
        )
        .into_response();
    }

    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(_) => return ApiError::PayloadTooLarge.into_response(),
    };
    let target = parts
        .uri
        .path_and_query()
        .map(|pq| pq.as_str())
        .unwrap_or("/");
    let scoped_key = hex_sha256(&[
        caller.token.id.as_str().as_bytes(),
        parts.method.as_str().as_bytes(),
        target.as_bytes(),
        key.as_bytes(),
    ]);
    let fingerprint = hex_sha256(&[&bytes]);

    let now = state.clock.now();
    let ttl =
        chrono::Duration::from_std(state.config.idempotency_ttl).unwrap_or(chrono::Duration::MAX);
    let expired_before = now
        .checked_sub_signed(ttl)
        .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC);
    let begun = state
        .idempotency
        .idempotency_begin(&scoped_key, &fingerprint, now, expired_before)
        .await;
    match begun {
        Err(e) => ApiError::from(e).into_response(),
        Ok(IdempotencyBegin::InProgress) => {
            ApiError::conflict("A request with this Idempotency-Key is still being processed.")
                .into_response()
        }
        Ok(IdempotencyBegin::Completed {
            request_hash,
            response,
        }) => {
            if request_hash == fingerprint {
                replay(response)
            } else {
                ApiError::conflict(
                    "This Idempotency-Key was already used with a different request body.",
                )
                .into_response()
            }
        }
        Ok(IdempotencyBegin::Started) => {
            let response = next
                .run(Request::from_parts(parts, Body::from(bytes)))
                .await;
            finish(&state, &scoped_key, response).await
        }
    }
}

/// Records (or releases) the key after the handler ran, and passes its response on.
async fn finish(state: &AppState, key: &str, response: Response) -> Response {
    let (parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "could not buffer a response for idempotency");
            if let Err(e) = state.idempotency.idempotency_abandon(key).await {
                tracing::warn!(error = %e, "could not release an idempotency key");
            }
            return ApiError::Internal(Box::new(e)).into_response();
        }
    };
    let text = std::str::from_utf8(&bytes).ok();
    let result = match text {
        Some(text) if parts.status.as_u16() < 500 => {
            let stored = StoredResponse {
                status: parts.status.as_u16(),
                body: text.to_owned(),
            };
            state.idempotency.idempotency_finish(key, &stored).await
        }
        // Server errors are worth retrying, and a non-UTF-8 body cannot be stored: either way
        // the key is released so that the next attempt runs afresh.
        _ => state.idempotency.idempotency_abandon(key).await,
    };
    if let Err(e) = result {
        // The operation itself succeeded or failed already; the caller gets its answer. A retry
        // with this key will see it in progress until the record expires.
        tracing::warn!(error = %e, "could not record an idempotency key's outcome");
    }
    Response::from_parts(parts, Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scoped_keys_differ_by_every_part() {
        let a = hex_sha256(&[b"tok_a", b"POST", b"/x", b"k"]);
        assert_ne!(a, hex_sha256(&[b"tok_b", b"POST", b"/x", b"k"]));
        assert_ne!(a, hex_sha256(&[b"tok_a", b"POST", b"/y", b"k"]));
        assert_ne!(a, hex_sha256(&[b"tok_a", b"POST", b"/x", b"j"]));
        // The separator keeps "ab"+"c" apart from "a"+"bc".
        assert_ne!(hex_sha256(&[b"ab", b"c"]), hex_sha256(&[b"a", b"bc"]));
        assert_eq!(a.len(), 64);
    }
}
