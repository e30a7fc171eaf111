//! API tokens, whose queries are shared ([`hookd_store_sql::queries::tokens`]); what is
//! SQLite's own is how the first admin token is inserted.
//!
//! This module must not see token text.

use hookd_core::{model::Token, store::StoreResult};
use hookd_store_sql::{queries::tokens::admin_if_none_insert, Database};

use crate::SqliteStore;
pub(crate) use hookd_store_sql::queries::tokens::{
    by_hash, delete, expire_app, insert, list_admin,
};

/// One statement on the single writer, so the existence check and the insert cannot be split
/// by another writer: two hookd processes starting on a fresh database create one admin token
/// between them.
pub(crate) async fn insert_admin_if_none(store: &SqliteStore, token: &Token) -> StoreResult<bool> {
    Ok(store.write(admin_if_none_insert(token)).await? == 1)
}
