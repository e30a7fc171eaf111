//! API tokens: stored by the hash of their text, never the text itself.
//!
//! This module must not see token text or decide whether a token is still valid (expiry is
//! checked by the caller, which knows the time).

use hookd_core::{
    id::{AppId, TokenId},
    model::{Token, TokenScope},
    store::StoreResult,
    Timestamp,
};

use crate::{decode, ms, Arg, Database, Statement, TOKEN_COLUMNS};

/// The application a token is scoped to, `None` for an admin token.
fn scope_app(token: &Token) -> Option<&str> {
    match &token.scope {
        TokenScope::Admin => None,
        TokenScope::App(app) => Some(app.as_str()),
    }
}

pub async fn insert(db: &impl Database, token: &Token) -> StoreResult<()> {
    let capabilities = token
        .portal
        .capabilities
        .as_ref()
        .map(|caps| caps.iter().map(|c| c.as_str().into()).collect());
    db.write(
        Statement::new(
            "INSERT INTO tokens (id, hash, app_id, name, created_at, expires_at, read_only, \
             capabilities, feature_flags, session_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(token.id.as_str())
        .bind(&token.hash)
        .bind(scope_app(token))
        .bind(&token.name)
        .bind(ms(token.created_at))
        .bind(token.expires_at.map(ms))
        .bind(token.portal.read_only)
        .bind(Arg::Names(capabilities))
        .bind(Arg::names(
            token.portal.feature_flags.iter().map(String::as_str),
        ))
        .bind(token.portal.session_id.as_deref()),
    )
    .await?;
    Ok(())
}

/// The insert of `token` as an admin token unless one exists, which changes one row or none.
/// One statement, so on SQLite (one writer) the check and the insert cannot be split; a store
/// whose transactions can interleave runs it under a lock of its own.
pub fn admin_if_none_insert(token: &Token) -> Statement<'_> {
    Statement::new(
        "INSERT INTO tokens (id, hash, app_id, name, created_at, expires_at) \
         SELECT $1, $2, NULL, $3, $4, $5 \
         WHERE NOT EXISTS (SELECT 1 FROM tokens WHERE app_id IS NULL)",
    )
    .bind(token.id.as_str())
    .bind(&token.hash)
    .bind(&token.name)
    .bind(ms(token.created_at))
    .bind(token.expires_at.map(ms))
}

pub async fn by_hash<D: Database>(db: &D, hash: &str) -> StoreResult<Option<Token>> {
    let row = db
        .read_optional(
            Statement::new(format!(
                "SELECT {TOKEN_COLUMNS} FROM tokens t WHERE t.hash = $1"
            ))
            .bind(hash),
        )
        .await?;
    row.as_ref()
        .map(|r| decode::token(&D::columns(r)))
        .transpose()
}

pub async fn list_admin<D: Database>(db: &D) -> StoreResult<Vec<Token>> {
    db.read_all(Statement::new(format!(
        "SELECT {TOKEN_COLUMNS} FROM tokens t WHERE t.app_id IS NULL ORDER BY t.id"
    )))
    .await?
    .iter()
    .map(|r| decode::token(&D::columns(r)))
    .collect()
}

pub async fn delete(db: &impl Database, id: &TokenId) -> StoreResult<bool> {
    let changed = db
        .write(Statement::new("DELETE FROM tokens WHERE id = $1").bind(id.as_str()))
        .await?;
    Ok(changed > 0)
}

/// One statement: an earlier expiry is kept, and a token that never expired takes `at`.
pub async fn expire_app(
    db: &impl Database,
    app: &AppId,
    session_ids: Option<&[String]>,
    at: Timestamp,
) -> StoreResult<u64> {
    let mut st = Statement::new(
        "UPDATE tokens SET expires_at = \
         CASE WHEN expires_at IS NOT NULL AND expires_at < $1 THEN expires_at ELSE $1 END \
         WHERE app_id = $2",
    )
    .bind(ms(at))
    .bind(app.as_str());
    if let Some(ids) = session_ids.filter(|ids| !ids.is_empty()) {
        st.push(" AND session_id IN ").push_list(ids);
    }
    db.write(st).await
}
