//! Endpoints: an application's webhook receivers, unique by uid within their application.
//!
//! This module must not decide which endpoints a message goes to (that is
//! [`hookd_core::model::Endpoint::accepts`]), nor remove an endpoint's deliveries and attempts
//! by hand: the schema's cascades do that atomically.

use hookd_core::{
    id::{AppId, EndpointId},
    store::{ResealBatch, StoreResult},
    Timestamp,
};

use crate::{
    codec::{self, ms, old_secrets_json},
    error, PgStore,
};
pub(crate) use hookd_store_sql::queries::endpoints::{create, delete, get, list, update};

/// The row is locked by the read that checks it, so of several callers (in any number of
/// processes) racing to disable the same endpoint, the first changes it and the others,
/// re-reading the row once the lock is theirs, find it disabled and get `None`.
pub(crate) async fn disable_failing(
    store: &PgStore,
    app: &AppId,
    id: &EndpointId,
    failing_before: Timestamp,
    now: Timestamp,
) -> StoreResult<Option<Timestamp>> {
    let mut tx = store.begin().await?;
    let since: Option<i64> = sqlx::query_scalar(
        "SELECT failing_since FROM endpoints \
         WHERE app_id = $1 AND id = $2 AND NOT disabled AND failing_since <= $3 \
         FOR NO KEY UPDATE",
    )
    .bind(app.as_str())
    .bind(id.as_str())
    .bind(ms(failing_before))
    .fetch_optional(&mut *tx)
    .await
    .map_err(error::map)?;
    let Some(since) = since else {
        // Nothing to change; dropping the transaction rolls it back.
        return Ok(None);
    };
    sqlx::query(
        "UPDATE endpoints SET disabled = TRUE, failing_since = NULL, updated_at = $1 \
         WHERE app_id = $2 AND id = $3",
    )
    .bind(ms(now))
    .bind(app.as_str())
    .bind(id.as_str())
    .execute(&mut *tx)
    .await
    .map_err(error::map)?;
    tx.commit().await.map_err(error::map)?;
    codec::ts(since).map(Some)
}

/// Reseals one batch of endpoints' secrets (see `Directory::reseal_endpoint_secrets`). Each row is
/// read, resealed in memory and written back only if its secret columns are unchanged, so a
/// rotation that lands in between wins and is resealed by the next run instead.
pub(crate) async fn reseal(
    store: &PgStore,
    after: Option<&EndpointId>,
    limit: u32,
) -> StoreResult<ResealBatch> {
    let Some(sealer) = store.sealer.as_deref() else {
        return Ok(ResealBatch::default());
    };
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT id, secret, old_secrets::text FROM endpoints WHERE id > $1 ORDER BY id LIMIT $2",
    )
    .bind(after.map_or("", |id| id.as_str()))
    .bind(i64::from(limit.max(1)))
    .fetch_all(&store.pool)
    .await
    .map_err(error::map)?;
    let mut batch = ResealBatch::default();
    for (id, secret, old_json) in rows {
        let old = codec::old_secrets_from_json(&old_json)?;
        // The thread-local generator must not live across the await below.
        let resealed = sealer.reseal(&id, &secret, &old, &mut rand::thread_rng())?;
        if let Some((new_secret, new_old)) = resealed {
            let written = sqlx::query(
                "UPDATE endpoints SET secret = $1, old_secrets = $2 \
                 WHERE id = $3 AND secret = $4 AND old_secrets = $5::jsonb",
            )
            .bind(&new_secret)
            .bind(old_secrets_json(&new_old))
            .bind(&id)
            .bind(&secret)
            .bind(&old_json)
            .execute(&store.pool)
            .await
            .map_err(error::map)?;
            batch.resealed += written.rows_affected();
        }
        batch.examined += 1;
        batch.last = Some(EndpointId::from_trusted(id.clone()));
    }
    Ok(batch)
}
