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
use sqlx::QueryBuilder;

use crate::{
    codec::{self, ms, TOKEN_COLUMNS},
    error, SqliteStore,
};

/// The application a token is scoped to, `None` for an admin token.
fn scope_app(token: &Token) -> Option<&str> {
    match &token.scope {
        TokenScope::Admin => None,
        TokenScope::App(app) => Some(app.as_str()),
    }
}

pub(crate) async fn insert(store: &SqliteStore, token: &Token) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO tokens (id, hash, app_id, name, created_at, expires_at, read_only, \
         capabilities, feature_flags, session_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(token.id.as_str())
    .bind(&token.hash)
    .bind(scope_app(token))
    .bind(&token.name)
    .bind(ms(token.created_at))
    .bind(token.expires_at.map(ms))
    .bind(token.portal.read_only)
    .bind(codec::capabilities_json(&token.portal)?)
    .bind(codec::to_json(&token.portal.feature_flags)?)
    .bind(token.portal.session_id.as_deref())
    .execute(&store.write)
    .await
    .map_err(error::map)?;
    Ok(())
}

/// One statement, so the existence check and the insert cannot be split by another writer:
/// two hookd processes starting on a fresh database create one admin token between them.
pub(crate) async fn insert_admin_if_none(store: &SqliteStore, token: &Token) -> StoreResult<bool> {
    let done = sqlx::query(
        "INSERT INTO tokens (id, hash, app_id, name, created_at, expires_at) \
         SELECT ?, ?, NULL, ?, ?, ? \
         WHERE NOT EXISTS (SELECT 1 FROM tokens WHERE app_id IS NULL)",
    )
    .bind(token.id.as_str())
    .bind(&token.hash)
    .bind(&token.name)
    .bind(ms(token.created_at))
    .bind(token.expires_at.map(ms))
    .execute(&store.write)
    .await
    .map_err(error::map)?;
    Ok(done.rows_affected() == 1)
}

pub(crate) async fn by_hash(store: &SqliteStore, hash: &str) -> StoreResult<Option<Token>> {
    let row = sqlx::query(&format!(
        "SELECT {TOKEN_COLUMNS} FROM tokens t WHERE t.hash = ?"
    ))
    .bind(hash)
    .fetch_optional(&store.read)
    .await
    .map_err(error::map)?;
    row.as_ref().map(codec::token).transpose()
}

pub(crate) async fn delete(store: &SqliteStore, id: &TokenId) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM tokens WHERE id = ?")
        .bind(id.as_str())
        .execute(&store.write)
        .await
        .map_err(error::map)?;
    Ok(done.rows_affected() > 0)
}

/// One statement: `MIN` keeps an earlier expiry, and a token that never expired takes `at`.
pub(crate) async fn expire_app(
    store: &SqliteStore,
    app: &AppId,
    session_ids: Option<&[String]>,
    at: Timestamp,
) -> StoreResult<u64> {
    let at = ms(at);
    let mut qb = QueryBuilder::new("UPDATE tokens SET expires_at = MIN(COALESCE(expires_at, ");
    qb.push_bind(at)
        .push("), ")
        .push_bind(at)
        .push(") WHERE app_id = ")
        .push_bind(app.as_str());
    if let Some(ids) = session_ids.filter(|ids| !ids.is_empty()) {
        qb.push(" AND session_id IN (");
        let mut list = qb.separated(", ");
        for id in ids {
            list.push_bind(id);
        }
        list.push_unseparated(")");
    }
    let done = qb.build().execute(&store.write).await.map_err(error::map)?;
    Ok(done.rows_affected())
}
