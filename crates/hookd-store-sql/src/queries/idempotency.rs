//! `Idempotency-Key` records after their reservation (which each store makes in a
//! transaction of its own): the stored response, the release of a reservation, pruning.
//!
//! This module must not compare request fingerprints or decide what a repeated request gets.

use hookd_core::{model::StoredResponse, store::StoreResult, Timestamp};

use crate::{ms, Database, Statement};

pub async fn finish(db: &impl Database, key: &str, response: &StoredResponse) -> StoreResult<()> {
    db.write(
        Statement::new(
            "UPDATE idempotency_keys SET response_status = $1, response_body = $2 WHERE key = $3",
        )
        .bind(i64::from(response.status))
        .bind(&response.body)
        .bind(key),
    )
    .await?;
    Ok(())
}

/// Only a reservation is released; a completed record stays, so a late abandon (after some
/// other path already stored the response) cannot make the key reusable.
pub async fn abandon(db: &impl Database, key: &str) -> StoreResult<()> {
    db.write(
        Statement::new("DELETE FROM idempotency_keys WHERE key = $1 AND response_status IS NULL")
            .bind(key),
    )
    .await?;
    Ok(())
}

pub async fn prune(db: &impl Database, before: Timestamp) -> StoreResult<u64> {
    db.write(Statement::new("DELETE FROM idempotency_keys WHERE created_at < $1").bind(ms(before)))
        .await
}
