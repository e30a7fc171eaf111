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

use crate::{
    codec::{self, ms, TOKEN_COLUMNS},
    error, PgStore,
};

/// The transaction-level advisory lock that serialises [`insert_admin_if_none`] across every
/// connection and process on the database: "hookd" in ASCII, then 1 for "the first admin
/// token". Advisory locks are per database, so only hookd processes sharing this database
/// contend for it, and they hold it for two statements.
const ADMIN_TOKEN_LOCK: i64 = 0x686f_6f6b_6400_0001;

/// The application a token is scoped to, `None` for an admin token.
fn scope_app(token: &Token) -> Option<&str> {
    match &token.scope {
        TokenScope::Admin => None,
        TokenScope::App(app) => Some(app.as_str()),
    }
}

pub(crate) async fn insert(store: &PgStore, token: &Token) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO tokens (id, hash, app_id, name, created_at, expires_at, read_only, \
         capabilities, feature_flags, session_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(token.id.as_str())
    .bind(&token.hash)
    .bind(scope_app(token))
    .bind(&token.name)
    .bind(ms(token.created_at))
    .bind(token.expires_at.map(ms))
    .bind(token.portal.read_only)
    .bind(codec::capability_names(&token.portal))
    .bind(codec::name_list(&token.portal.feature_flags))
    .bind(token.portal.session_id.as_deref())
    .execute(&store.pool)
    .await
    .map_err(error::map)?;
    Ok(())
}

/// `INSERT … WHERE NOT EXISTS` alone is not enough here: under READ COMMITTED two
/// transactions can both see no admin token and both insert one, and no unique constraint can
/// stop them (several admin tokens may legitimately exist, made by `hookd token create`). So
/// the check and the insert run under a transaction-level advisory lock: the second starter
/// waits for the first to commit, and its `NOT EXISTS`, evaluated in a statement that starts
/// after the lock is granted, sees the first one's token.
pub(crate) async fn insert_admin_if_none(store: &PgStore, token: &Token) -> StoreResult<bool> {
    let mut tx = store.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(ADMIN_TOKEN_LOCK)
        .execute(&mut *tx)
        .await
        .map_err(error::map)?;
    let done = sqlx::query(
        "INSERT INTO tokens (id, hash, app_id, name, created_at, expires_at) \
         SELECT $1, $2, NULL, $3, $4, $5 \
         WHERE NOT EXISTS (SELECT 1 FROM tokens WHERE app_id IS NULL)",
    )
    .bind(token.id.as_str())
    .bind(&token.hash)
    .bind(&token.name)
    .bind(ms(token.created_at))
    .bind(token.expires_at.map(ms))
    .execute(&mut *tx)
    .await
    .map_err(error::map)?;
    tx.commit().await.map_err(error::map)?;
    Ok(done.rows_affected() == 1)
}

pub(crate) async fn by_hash(store: &PgStore, hash: &str) -> StoreResult<Option<Token>> {
    let row = sqlx::query(&format!(
        "SELECT {TOKEN_COLUMNS} FROM tokens t WHERE t.hash = $1"
    ))
    .bind(hash)
    .fetch_optional(&store.pool)
    .await
    .map_err(error::map)?;
    row.as_ref().map(codec::token).transpose()
}

pub(crate) async fn delete(store: &PgStore, id: &TokenId) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM tokens WHERE id = $1")
        .bind(id.as_str())
        .execute(&store.pool)
        .await
        .map_err(error::map)?;
    Ok(done.rows_affected() > 0)
}

/// One statement: `LEAST` keeps an earlier expiry, and a token that never expired takes `at`.
pub(crate) async fn expire_app(
    store: &PgStore,
    app: &AppId,
    session_ids: Option<&[String]>,
    at: Timestamp,
) -> StoreResult<u64> {
    let sessions = session_ids.filter(|ids| !ids.is_empty());
    let done = sqlx::query(
        "UPDATE tokens SET expires_at = LEAST(COALESCE(expires_at, $1), $1) \
         WHERE app_id = $2 AND ($3::TEXT[] IS NULL OR session_id = ANY($3))",
    )
    .bind(ms(at))
    .bind(app.as_str())
    .bind(sessions)
    .execute(&store.pool)
    .await
    .map_err(error::map)?;
    Ok(done.rows_affected())
}
