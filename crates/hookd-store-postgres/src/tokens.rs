//! API tokens, whose queries are shared ([`hookd_store_sql::queries::tokens`]); what is
//! PostgreSQL's own is the lock under which the first admin token is inserted.
//!
//! This module must not see token text.

use hookd_core::{model::Token, store::StoreResult};
use hookd_store_sql::queries::tokens::admin_if_none_insert;

use crate::{error, run::bound, PgStore};
pub(crate) use hookd_store_sql::queries::tokens::{
    by_hash, delete, expire_app, insert, list_admin,
};

/// The transaction-level advisory lock that serialises [`insert_admin_if_none`] across every
/// connection and process on the database: "hookd" in ASCII, then 1 for "the first admin
/// token". Advisory locks are per database, so only hookd processes sharing this database
/// contend for it, and they hold it for two statements.
const ADMIN_TOKEN_LOCK: i64 = 0x686f_6f6b_6400_0001;

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
    let (sql, args) = admin_if_none_insert(token).into_parts();
    let done = bound(&sql, args)?
        .execute(&mut *tx)
        .await
        .map_err(error::map)?;
    tx.commit().await.map_err(error::map)?;
    Ok(done.rows_affected() == 1)
}
