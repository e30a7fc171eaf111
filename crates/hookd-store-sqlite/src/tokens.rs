//! API tokens: stored by the hash of their text, never the text itself.
//!
//! This module must not see token text or decide whether a token is still valid (expiry is
//! checked by the caller, which knows the time).

use hookd_core::{
    id::TokenId,
    model::{Token, TokenScope},
    store::StoreResult,
};

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
        "INSERT INTO tokens (id, hash, app_id, name, created_at, expires_at) \
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(token.id.as_str())
    .bind(&token.hash)
    .bind(scope_app(token))
    .bind(&token.name)
    .bind(ms(token.created_at))
    .bind(token.expires_at.map(ms))
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
