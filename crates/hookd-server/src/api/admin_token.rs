//! hookd's operator tokens, outside Svix's API under `/api/v1/hookd/token`: admin tokens with a
//! name, a role and an optional expiry, listed, minted and revoked by an administrator.
//!
//! - `GET /api/v1/hookd/token`: every admin token (never its text).
//! - `POST /api/v1/hookd/token`: mints one; its text is in this answer only.
//! - `DELETE /api/v1/hookd/token/{token_id}`: revokes one (not the one asking).
//!
//! A role is `admin` (everything) or `operator` (reads everything, changes nothing: the
//! authorization layer refuses its writes, see `crate::auth`). Application tokens never reach
//! these routes (the access table leaves them to admin tokens). This module must not let a
//! token revoke itself: that would lock its holder out with no way back but the CLI.

use axum::{extract::State, http::StatusCode, Extension, Json};
use hookd_core::{
    id::TokenId,
    model::{Token, TokenScope},
    portal::PortalScope,
    token::{generate_text, hash_text, ADMIN_TOKEN_PREFIX},
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{
    extract::{path_key, ApiJson, ApiPath},
    schema::{BadRequest, Errors, IdempotencyKey, PayloadTooLarge, Unavailable},
    wire::{ts, Checks},
};
use crate::{
    auth::Caller,
    error::{ApiError, ApiResult, ValidationItem},
    AppState,
};

/// The longest a token's name may be, as an endpoint's description.
const MAX_NAME_CHARS: usize = 256;

/// The shortest expiry (a minute: shorter is a typo) and the longest (ten years: beyond it,
/// mint one that never expires).
pub const MIN_EXPIRY_SECS: i64 = 60;
/// See [`MIN_EXPIRY_SECS`].
pub const MAX_EXPIRY_SECS: i64 = 10 * 365 * 24 * 3600;

/// What an admin token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything.
    Admin,
    /// Read everything, change nothing.
    Operator,
}

impl Role {
    fn of(token: &Token) -> Role {
        if token.is_operator() {
            Role::Operator
        } else {
            Role::Admin
        }
    }
}

/// An admin token as listed: never its text.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdminTokenOut {
    /// The token's id.
    #[schema(example = "tok_0357lMKL1aAakJe8IKdg4b")]
    id: String,
    /// What it is for.
    name: String,
    /// What it may do.
    role: Role,
    /// When it was minted.
    #[schema(format = DateTime)]
    created_at: String,
    /// When it stops working; `null` for never.
    #[schema(format = DateTime)]
    expires_at: Option<String>,
}

impl From<&Token> for AdminTokenOut {
    fn from(t: &Token) -> Self {
        AdminTokenOut {
            id: t.id.to_string(),
            name: t.name.clone(),
            role: Role::of(t),
            created_at: ts(t.created_at),
            expires_at: t.expires_at.map(ts),
        }
    }
}

/// The admin tokens.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminTokenList {
    data: Vec<AdminTokenOut>,
}

/// A new admin token.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AdminTokenIn {
    /// What it is for, for whoever reads the list later.
    #[schema(min_length = 1, max_length = 256, example = "on-call dashboard")]
    name: String,
    /// What it may do; `admin` when absent.
    #[serde(default)]
    role: Option<Role>,
    /// Seconds until it stops working (60 to 315360000); never when absent.
    #[serde(default, deserialize_with = "hookd_core::integral::optional")]
    #[schema(minimum = 60, maximum = 315360000)]
    expires_in_secs: Option<i64>,
}

/// A new admin token, with its text, shown only here.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdminTokenCreated {
    #[serde(flatten)]
    token: AdminTokenOut,
    /// The token's text: `Authorization: Bearer <token>`. Not stored; shown only here.
    #[schema(example = "hk_kV3ts5tKPNJN4Dl25cMTfUNdmabxbX0O")]
    text: String,
}

/// The path of one admin token.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct TokenPath {
    /// The token's id.
    #[param(
        min_length = 1,
        max_length = 256,
        pattern = r"^[a-zA-Z0-9\-_.]+$",
        example = "tok_0357lMKL1aAakJe8IKdg4b"
    )]
    token_id: String,
}

/// `GET /api/v1/hookd/token`.
#[utoipa::path(
    get,
    path = "/api/v1/hookd/token",
    operation_id = "hookd.token.list",
    tag = "hookd",
    summary = "List Admin Tokens",
    description = "hookd's extension: every admin token, with its role and expiry (never its text).",
    responses((status = 200, body = AdminTokenList), Errors, Unavailable)
)]
pub async fn list(State(state): State<AppState>) -> ApiResult<Json<AdminTokenList>> {
    let tokens = state.directory.list_admin_tokens().await?;
    Ok(Json(AdminTokenList {
        data: tokens.iter().map(AdminTokenOut::from).collect(),
    }))
}

/// `POST /api/v1/hookd/token`.
#[utoipa::path(
    post,
    path = "/api/v1/hookd/token",
    operation_id = "hookd.token.create",
    tag = "hookd",
    summary = "Create Admin Token",
    description = "hookd's extension: mints an admin token (`admin`) or an operator's read-only one \
                   (`operator`); its text is in this answer only.",
    params(IdempotencyKey),
    request_body = AdminTokenIn,
    responses((status = 201, body = AdminTokenCreated), BadRequest, Errors, PayloadTooLarge, Unavailable)
)]
pub async fn create(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<AdminTokenIn>,
) -> ApiResult<(StatusCode, Json<AdminTokenCreated>)> {
    let mut checks = Checks::default();
    let name = input.name.as_str();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        checks.push(ValidationItem::value(
            &["body", "name"],
            format!("must be 1 to {MAX_NAME_CHARS} characters"),
        ));
    }
    if let Some(secs) = input.expires_in_secs {
        if !(MIN_EXPIRY_SECS..=MAX_EXPIRY_SECS).contains(&secs) {
            checks.push(ValidationItem::value(
                &["body", "expiresInSecs"],
                format!("must be between {MIN_EXPIRY_SECS} and {MAX_EXPIRY_SECS} seconds"),
            ));
        }
    }
    checks.finish()?;
    let now = state.clock.now();
    // The generator is the thread's: it must not live across an await.
    let (text, id) = {
        let mut rng = rand::thread_rng();
        (
            generate_text(ADMIN_TOKEN_PREFIX, &mut rng),
            TokenId::generate(now, &mut rng),
        )
    };
    let token = Token {
        id,
        hash: hash_text(&text),
        scope: TokenScope::Admin,
        name: name.to_owned(),
        created_at: now,
        expires_at: input
            .expires_in_secs
            .map(|s| now + chrono::Duration::seconds(s)),
        portal: PortalScope {
            read_only: input.role == Some(Role::Operator),
            ..PortalScope::default()
        },
    };
    state.directory.insert_token(&token).await?;
    Ok((
        StatusCode::CREATED,
        Json(AdminTokenCreated {
            token: AdminTokenOut::from(&token),
            text,
        }),
    ))
}

/// `DELETE /api/v1/hookd/token/{token_id}`.
#[utoipa::path(
    delete,
    path = "/api/v1/hookd/token/{token_id}",
    operation_id = "hookd.token.delete",
    tag = "hookd",
    summary = "Revoke Admin Token",
    description = "hookd's extension: revokes an admin token; running servers stop accepting it \
                   within a second. A token cannot revoke itself (409).",
    params(TokenPath),
    responses((status = 204, description = "Revoked"), Errors, Unavailable)
)]
pub async fn delete(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(token_id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    path_key("token_id", &token_id)?;
    if caller.token.id.as_str() == token_id {
        return Err(ApiError::conflict(
            "a token cannot revoke itself: revoke it with another admin token, or with \
             `hookd token revoke`",
        ));
    }
    let tokens = state.directory.list_admin_tokens().await?;
    let Some(token) = tokens.iter().find(|t| t.id.as_str() == token_id) else {
        return Err(ApiError::not_found());
    };
    state.directory.delete_token(&token.id).await?;
    state.lookups.forget_token(&token.hash);
    Ok(StatusCode::NO_CONTENT)
}
