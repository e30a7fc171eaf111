//! `Idempotency-Key` records: a reservation while the first request runs, then its response.
//!
//! This module must not compare request fingerprints or decide what a repeated request gets;
//! it reports the stored state and the API decides.

use hookd_core::{
    model::StoredResponse,
    store::{IdempotencyBegin, StoreResult},
    Timestamp,
};
use sqlx::Row;

use crate::{codec::ms, error, PgStore};
pub(crate) use hookd_store_sql::queries::idempotency::{abandon, finish, prune};

/// One upsert reserves a free or expired key and reports that it did (`RETURNING` yields a row
/// only for an insert or a replacement). Two requests racing for the same new key are settled
/// by the primary key: the second one's insert waits for the first to commit and then takes
/// the conflict branch. A live record is not updated, but `ON CONFLICT DO UPDATE` still locks
/// it, so the read that follows in the same transaction sees exactly the state that kept us
/// from reserving it: no abandon or finish can slip in between.
pub(crate) async fn begin(
    store: &PgStore,
    key: &str,
    request_hash: &str,
    now: Timestamp,
    expired_before: Timestamp,
) -> StoreResult<IdempotencyBegin> {
    let mut tx = store.begin().await?;
    let reserved = sqlx::query(
        "INSERT INTO idempotency_keys (key, request_hash, response_status, response_body, \
         created_at) VALUES ($1, $2, NULL, NULL, $3) \
         ON CONFLICT (key) DO UPDATE SET request_hash = EXCLUDED.request_hash, \
         response_status = NULL, response_body = NULL, created_at = EXCLUDED.created_at \
         WHERE idempotency_keys.created_at < $4 \
         RETURNING 1",
    )
    .bind(key)
    .bind(request_hash)
    .bind(ms(now))
    .bind(ms(expired_before))
    .fetch_optional(&mut *tx)
    .await
    .map_err(error::map)?
    .is_some();
    let state = if reserved {
        IdempotencyBegin::Started
    } else {
        let row = sqlx::query(
            "SELECT request_hash, response_status, response_body FROM idempotency_keys \
             WHERE key = $1",
        )
        .bind(key)
        .fetch_one(&mut *tx)
        .await
        .map_err(error::map)?;
        let status: Option<i32> = row.try_get("response_status").map_err(error::map)?;
        match status {
            None => IdempotencyBegin::InProgress,
            Some(status) => IdempotencyBegin::Completed {
                request_hash: row.try_get("request_hash").map_err(error::map)?,
                response: StoredResponse {
                    status: u16::try_from(status).map_err(|_| {
                        error::corrupt(format!("idempotency response status {status}"))
                    })?,
                    body: row
                        .try_get::<Option<String>, _>("response_body")
                        .map_err(error::map)?
                        .unwrap_or_default(),
                },
            },
        }
    };
    tx.commit().await.map_err(error::map)?;
    Ok(state)
}
