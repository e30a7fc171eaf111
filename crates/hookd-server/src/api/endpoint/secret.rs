//! The signing secret of an endpoint: `GET …/secret` and `POST …/secret/rotate`.
//!
//! Rotation keeps the previous secret in `old_secrets` until `now + gracePeriodSeconds`
//! (default 24 h, at most 7 days), and the worker signs with every unexpired secret, so a
//! receiver that still holds the old secret keeps verifying during the switch. Old and new may
//! be of different kinds (HMAC and ed25519): each signs in its own scheme. A rotation without a
//! `key` generates one of the kind the endpoint has now, so that its receivers' verification
//! code keeps working (Svix generates one of the server's default kind instead); a `key` of the
//! other kind switches the endpoint's kind.
//!
//! `GET …/secret` (and rotate's answer) shows what receivers verify with: the `whsec_` secret of
//! an HMAC endpoint, the `whpk_` public key of an ed25519 one, whose `whsk_` secret key is
//! never shown again once given.
//!
//! # What rotate answers
//! The document (and Svix's server) answer 204 without a body, and Svix's 1.x SDKs insist on it:
//! the Python SDK 1.24.0's generated `v1_endpoint_rotate_secret` raises `UnexpectedStatus` for
//! anything but 204, and the 1.x JavaScript SDK does the same. Newer SDKs want the new secret
//! back: the Python SDK 2.9.1's `rotate_secret` accepts any 2xx and then parses the body as
//! `EndpointSecretOut`, which fails on an empty 204. No single response satisfies both, so the
//! answer depends on the caller, who identifies itself: every Svix SDK sends
//! `User-Agent: svix-libs/<version>/<language>`. An SDK of major version 2 or later gets
//! `200 {"key": "whsec_…"}` (every 2.x accepts it: those that return nothing ignore the body);
//! any other caller gets the documented 204, unless it asks for the body with
//! `Prefer: return=representation` (RFC 7240). This module must not sign anything.

use axum::{
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use chrono::Duration;
use hookd_core::{model::OldSecret, signing::EndpointSecret};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{generate_secret, parse_secret};
use crate::{
    api::{
        client::svix_sdk_major,
        extract::{ApiJsonOrEmpty, ApiPath},
        load_app, load_endpoint,
        schema::{
            AppPath, BadRequest, EndpointPath, Errors, IdempotencyKey, PayloadTooLarge, SecretText,
            Unavailable,
        },
        wire::Checks,
    },
    error::{ApiError, ApiResult, ValidationItem},
    AppState,
};

/// How long a rotated-out secret keeps signing when the caller does not say: Svix's 24 hours.
const DEFAULT_GRACE_SECONDS: u32 = 86_400;
/// The longest grace period Svix allows: 7 days.
const MAX_GRACE_SECONDS: u32 = 604_800;
/// Svix refuses a rotation that would keep more than this many old secrets alive, so that a
/// loop of rotations cannot make every delivery carry dozens of signatures.
const MAX_OLD_SECRETS: usize = 10;
/// The first SDK major version that expects the new secret in the answer.
const FIRST_SDK_MAJOR_WITH_BODY: u64 = 2;

/// Svix's `EndpointSecretRotateIn`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[serde(deny_unknown_fields)]
pub struct EndpointSecretRotateIn {
    /// The new secret. If `null` is passed, a secret of the endpoint's current kind is
    /// automatically generated. Format: `base64` encoded random bytes (24 to 75 of them)
    /// optionally prefixed with `whsec_` (HMAC), or `whsk_` and the base64 of a 64-byte
    /// ed25519 secret key (seed, then public key).
    #[serde(default)]
    #[schema(value_type = Option<SecretText>)]
    key: Option<String>,
    /// How long the old secret keeps signing, in seconds: 0 (immediate expiry) to 7 days. The
    /// default is 24 hours.
    #[serde(default, deserialize_with = "hookd_core::integral::optional")]
    #[schema(minimum = 0, maximum = 604800, default = 86400)]
    grace_period_seconds: Option<u32>,
}

/// Svix's `EndpointSecretOut`.
#[derive(Debug, Serialize, ToSchema)]
pub struct EndpointSecretOut {
    /// What receivers verify with: the `whsec_` secret (base64-encoded random bytes) of an
    /// HMAC endpoint, or the `whpk_` ed25519 public key of an endpoint whose secret is `whsk_`.
    #[schema(
        pattern = r"^(whsec_|whpk_)?[a-zA-Z0-9+/=]{32,100}$",
        example = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"
    )]
    key: String,
}

/// Whether the caller wants the new secret in the answer (see the module docs).
fn wants_body(headers: &HeaderMap) -> bool {
    let prefers = headers
        .get_all("prefer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|p| p.trim().eq_ignore_ascii_case("return=representation"));
    prefers || svix_sdk_major(headers).is_some_and(|major| major >= FIRST_SDK_MAJOR_WITH_BODY)
}

/// `GET …/secret`.
#[utoipa::path(
    get,
    path = "/api/v1/app/{app_id}/endpoint/{endpoint_id}/secret",
    operation_id = "v1.endpoint.get-secret",
    tag = "Endpoint",
    summary = "Get Endpoint Secret",
    description = "Get the endpoint's signing secret.\n\nThis is used to verify the \
                   authenticity of the webhook. For more information please refer to [the \
                   consuming webhooks docs](https://docs.svix.com/consuming-webhooks/).",
    params(AppPath, EndpointPath),
    responses((status = 200, body = EndpointSecretOut), Errors, Unavailable)
)]
pub async fn get(
    State(state): State<AppState>,
    ApiPath((app_id, endpoint_id)): ApiPath<(String, String)>,
) -> ApiResult<Json<EndpointSecretOut>> {
    let app = load_app(&state, &app_id).await?;
    let ep = load_endpoint(&state, &app, &endpoint_id).await?;
    Ok(Json(EndpointSecretOut {
        key: shown(&ep.secret)?,
    }))
}

/// What `GET …/secret` shows of a stored secret (see the module docs).
fn shown(stored: &str) -> ApiResult<String> {
    // Stored secrets were validated on the way in, so this only fails on a damaged row; the
    // stored text is then not echoed (it could be a secret key).
    EndpointSecret::parse(stored)
        .map(|s| s.to_verification_text())
        .map_err(|e| ApiError::Internal(Box::new(e)))
}

/// `POST …/secret/rotate`.
#[utoipa::path(
    post,
    path = "/api/v1/app/{app_id}/endpoint/{endpoint_id}/secret/rotate",
    operation_id = "v1.endpoint.rotate-secret",
    tag = "Endpoint",
    summary = "Rotate Endpoint Secret",
    description = "Rotates the endpoint's signing secret. The previous secret keeps signing \
                   beside the new one for the grace period. Answers 204 (Svix's answer), or \
                   200 with the new secret to Svix SDKs of major version 2 or later \
                   (`User-Agent: svix-libs/2…`) and to callers sending \
                   `Prefer: return=representation`. The body may be empty. At most 10 \
                   secrets may be in their grace period at once: another rotation is a 400 \
                   `limit_reached` until the oldest expires.",
    params(AppPath, EndpointPath, IdempotencyKey),
    request_body(content = EndpointSecretRotateIn, description = "May be empty, which counts as `{}`."),
    responses(
        (status = 200, description = "Rotated; the new secret (Svix SDKs 2.x and later, or `Prefer: return=representation`)", body = EndpointSecretOut),
        (status = 204, description = "Rotated"),
        BadRequest, Errors, PayloadTooLarge, Unavailable
    )
)]
pub async fn rotate(
    State(state): State<AppState>,
    ApiPath((app_id, endpoint_id)): ApiPath<(String, String)>,
    headers: HeaderMap,
    ApiJsonOrEmpty(input): ApiJsonOrEmpty<EndpointSecretRotateIn>,
) -> ApiResult<Response> {
    let mut checks = Checks::default();
    let grace = input.grace_period_seconds.unwrap_or(DEFAULT_GRACE_SECONDS);
    if grace > MAX_GRACE_SECONDS {
        checks.push(ValidationItem::value(
            &["body", "gracePeriodSeconds"],
            "Duration must be between 0 and 7 days",
        ));
    }
    let new_secret = input
        .key
        .as_deref()
        .and_then(|k| parse_secret(&mut checks, &["body", "key"], k));
    checks.finish()?;

    let app = load_app(&state, &app_id).await?;
    let mut ep = load_endpoint(&state, &app, &endpoint_id).await?;
    let now = state.clock.now();
    let expires_at = now + Duration::seconds(i64::from(grace));

    let mut old: Vec<OldSecret> = ep
        .old_secrets
        .into_iter()
        .filter(|s| s.expires_at > now)
        .collect();
    // A grace period of 0 retires the old secret at once, so it is not kept at all.
    if expires_at > now {
        old.push(OldSecret {
            key: ep.secret.clone(),
            expires_at,
        });
    }
    old.sort_by_key(|s| s.expires_at);
    if old.len() > MAX_OLD_SECRETS {
        let next = old
            .first()
            .map(|s| crate::api::wire::ts(s.expires_at))
            .unwrap_or_default();
        return Err(ApiError::bad_request(
            "limit_reached",
            format!(
                "You can only rotate a key {MAX_OLD_SECRETS} times; please wait for old keys \
                 to expire. Your next key expires at {next}."
            ),
        ));
    }
    ep.old_secrets = old;
    // A generated secret keeps the endpoint's kind; the server's default applies only if the
    // current secret cannot be read (it always can: it was validated when stored).
    let kind = EndpointSecret::parse(&ep.secret)
        .map(|s| s.kind())
        .unwrap_or(state.config.default_signature_type);
    ep.secret = new_secret.unwrap_or_else(|| generate_secret(kind));
    ep.updated_at = now;
    state.directory.update_endpoint(&ep).await?;

    if wants_body(&headers) {
        let key = shown(&ep.secret)?;
        Ok((StatusCode::OK, Json(EndpointSecretOut { key })).into_response())
    } else {
        Ok(StatusCode::NO_CONTENT.into_response())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn the_answer_follows_the_sdk_generation() {
        assert!(wants_body(&headers(&[(
            "user-agent",
            "svix-libs/2.9.1/python python/3.12.3 Linux/x86_64"
        )])));
        assert!(!wants_body(&headers(&[(
            "user-agent",
            "svix-libs/1.24.0/python"
        )])));
        assert!(!wants_body(&headers(&[("user-agent", "curl/8.5.0")])));
        assert!(!wants_body(&headers(&[])));
        assert!(wants_body(&headers(&[
            ("user-agent", "curl/8.5.0"),
            ("prefer", "respond-async, return=representation"),
        ])));
        assert!(wants_body(&headers(&[(
            "user-agent",
            "svix-libs/2.0.0-rc.1/go go/go1.22"
        )])));
    }
}
