//! The API's one error type, [`ApiError`], and how it becomes an HTTP response in Svix's shapes:
//! `{code, detail}` for most errors and `{detail: [{loc, msg, type}]}` for validation errors
//! (422), so that every Svix SDK raises the exception it expects.
//!
//! Error policy: anything the caller can fix is a 4xx with a precise message; a storage outage is
//! a 503 the caller may retry; anything else is a 500 whose detail is generic. The source of a
//! 5xx is logged here, once, with `tracing` and is never sent to the caller (it may name tables,
//! files or queries). This module must not decide *when* an error happens, only how it looks.

use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use hookd_core::{store::StoreError, validate::Violation};
use serde::Serialize;

/// Svix's detail for an unknown id, which its SDKs show as is.
pub const NOT_FOUND_DETAIL: &str = "Entity not found";

/// One item of a 422 answer, as Svix and FastAPI shape it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = ValidationErrorItem)]
pub struct ValidationItem {
    /// Where: `["body", "url"]`, `["query", "limit"]`, `["path", "app_id"]`.
    pub loc: Vec<String>,
    /// What is wrong, for a person.
    pub msg: String,
    /// A machine-readable kind such as `value_error`.
    #[serde(rename = "type")]
    pub kind: String,
}

impl ValidationItem {
    /// A `value_error` at `loc`.
    pub fn value(loc: &[&str], msg: impl Into<String>) -> Self {
        Self {
            loc: loc.iter().map(|s| (*s).to_owned()).collect(),
            msg: msg.into(),
            kind: "value_error".into(),
        }
    }
}

/// The `type` of a 422 item for a name hookd does not know: a body field, a query parameter or
/// an option. Such a name is refused rather than ignored, so that nothing a client sends is
/// silently dropped.
pub const UNKNOWN_NAME_KIND: &str = "value_error.unknown";

impl ValidationItem {
    /// A name hookd does not know at `loc` (which ends with the name): `what` says what kind of
    /// name (`"field"`, `"query parameter"`), `known` lists the ones accepted there.
    pub fn unknown(loc: &[&str], what: &str, known: &str) -> Self {
        let msg = if known.is_empty() {
            format!("unknown {what}: hookd does not accept it here (none are accepted)")
        } else {
            format!("unknown {what}: hookd does not accept it here; accepted are: {known}")
        };
        Self {
            loc: loc.iter().map(|s| (*s).to_owned()).collect(),
            msg,
            kind: UNKNOWN_NAME_KIND.into(),
        }
    }
}

impl From<Violation> for ValidationItem {
    fn from(v: Violation) -> Self {
        Self {
            loc: v.loc,
            msg: v.msg,
            kind: v.kind,
        }
    }
}

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No token, an unknown token or an expired one (401).
    #[error("authentication failed: {0}")]
    Unauthorized(String),
    /// The token is valid but may not reach this resource (403).
    #[error("insufficient access: {0}")]
    Forbidden(String),
    /// The addressed entity does not exist (404).
    #[error("not found: {0}")]
    NotFound(String),
    /// A unique key is taken or the request collides with another (409).
    #[error("conflict ({code}): {detail}")]
    Conflict {
        /// Svix's code, usually `conflict`.
        code: String,
        /// What collided.
        detail: String,
    },
    /// A request Svix answers with 400 (e.g. `invalid_range`, `missing_payload`).
    #[error("bad request ({code}): {detail}")]
    BadRequest {
        /// Svix's code.
        code: String,
        /// What is wrong.
        detail: String,
    },
    /// The input does not validate (422).
    #[error("validation failed: {0:?}")]
    Validation(Vec<ValidationItem>),
    /// The body exceeds the configured limit (413).
    #[error("payload too large")]
    PayloadTooLarge,
    /// A rate limit refused the request (429); the caller may retry after `retry_after`.
    #[error("rate limited: {detail}")]
    TooManyRequests {
        /// Which limit, for a person (never a token or another tenant's name).
        detail: String,
        /// When a retry can succeed, sent as `Retry-After` (whole seconds, rounded up).
        retry_after: std::time::Duration,
    },
    /// A route of a Svix family hookd does not serve (501); the text names the family.
    #[error("not implemented: {0}")]
    NotImplemented(String),
    /// The storage cannot be reached; worth retrying later (503).
    #[error("storage unavailable")]
    Unavailable(#[source] StoreError),
    /// A bug or corruption (500).
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Shorthand for handler results.
pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// The 404 every unknown id gets.
    pub fn not_found() -> Self {
        Self::NotFound(NOT_FOUND_DETAIL.into())
    }

    /// A 409 with Svix's generic code.
    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::Conflict {
            code: "conflict".into(),
            detail: detail.into(),
        }
    }

    /// A 400 with `code`.
    pub fn bad_request(code: &str, detail: impl Into<String>) -> Self {
        Self::BadRequest {
            code: code.into(),
            detail: detail.into(),
        }
    }

    /// A 422 with one `value_error` at `loc`.
    pub fn invalid(loc: &[&str], msg: impl Into<String>) -> Self {
        Self::Validation(vec![ValidationItem::value(loc, msg)])
    }

    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::NotImplemented(_) => StatusCode::NOT_IMPLEMENTED,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::not_found(),
            // The store's text names the key ("uid", "eventId", …); it carries no internals.
            StoreError::Conflict(what) => Self::conflict(format!("{what} already exists")),
            e @ StoreError::Unavailable(_) => Self::Unavailable(e),
            e @ StoreError::Other(_) => Self::Internal(Box::new(e)),
        }
    }
}

impl From<Violation> for ApiError {
    fn from(v: Violation) -> Self {
        Self::Validation(vec![v.into()])
    }
}

/// Svix's `HttpErrorOut`: the body of every error but validation errors.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = HttpErrorOut)]
pub struct StandardBody<'a> {
    /// A machine-readable code such as `not_found` or `conflict`.
    code: &'a str,
    /// What went wrong, for a person.
    detail: &'a str,
}

/// Svix's `HTTPValidationError`: the body of a 422.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = HTTPValidationError)]
pub struct ValidationBody<'a> {
    /// Every violation of the request.
    #[schema(value_type = Vec<ValidationItem>)]
    detail: &'a [ValidationItem],
}

/// What a 503 suggests as `Retry-After`: a database failover or restart typically takes
/// seconds, and clients that come back sooner only add load to a recovering server.
pub const UNAVAILABLE_RETRY_AFTER: std::time::Duration = std::time::Duration::from_secs(2);

/// Adds `Retry-After` in whole seconds, rounded up and at least 1, so that a client never
/// reads "0" and retries in a tight loop.
fn with_retry_after(mut response: Response, after: std::time::Duration) -> Response {
    let secs = after.as_secs() + u64::from(after.subsec_nanos() > 0);
    response.headers_mut().insert(
        axum::http::header::RETRY_AFTER,
        axum::http::HeaderValue::from(secs.max(1)),
    );
    response
}

/// Writes the full error chain of a 5xx to the log; the caller only sees a generic detail.
fn log_server_error(err: &ApiError) {
    let mut chain = String::new();
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        chain.push_str(": ");
        chain.push_str(&s.to_string());
        source = s.source();
    }
    tracing::error!(error = %err, chain = %chain, "request failed on the server side");
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let standard = |code: &str, detail: &str| {
            (status, Json(StandardBody { code, detail })).into_response()
        };
        match &self {
            Self::Unauthorized(detail) => standard("authentication_failed", detail),
            Self::Forbidden(detail) => standard("insufficient_access", detail),
            Self::NotFound(detail) => standard("not_found", detail),
            Self::Conflict { code, detail } | Self::BadRequest { code, detail } => {
                standard(code, detail)
            }
            Self::Validation(items) => {
                (status, Json(ValidationBody { detail: items })).into_response()
            }
            Self::PayloadTooLarge => standard("payload_too_large", "Request payload is too large."),
            Self::TooManyRequests {
                detail,
                retry_after,
            } => with_retry_after(standard("rate_limited", detail), *retry_after),
            Self::NotImplemented(detail) => standard("not_implemented", detail),
            Self::Unavailable(_) => {
                log_server_error(&self);
                with_retry_after(
                    standard(
                        "service_unavailable",
                        "The storage is temporarily unavailable; please retry later.",
                    ),
                    UNAVAILABLE_RETRY_AFTER,
                )
            }
            Self::Internal(_) => {
                log_server_error(&self);
                standard("server_error", "Internal Server Error")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_errors_map_to_statuses_without_leaking() {
        let e: ApiError = StoreError::Other("table x is corrupt".into()).into();
        assert_eq!(e.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let e: ApiError = StoreError::Unavailable("disk full".into()).into();
        assert_eq!(e.status(), StatusCode::SERVICE_UNAVAILABLE);
        let e: ApiError = StoreError::NotFound.into();
        assert_eq!(e.status(), StatusCode::NOT_FOUND);
        let e: ApiError = StoreError::Conflict("uid".into()).into();
        assert_eq!(e.status(), StatusCode::CONFLICT);
    }
}
