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
    error, SqliteStore,
};
pub(crate) use hookd_store_sql::queries::endpoints::{create, delete, get, list, update};

/// The read and the change share one write transaction (SQLite has one writer), so of several
/// callers racing to disable the same endpoint, exactly one changes the row and gets its
/// failing-since time back.
pub(crate) async fn disable_failing(
    store: &SqliteStore,
    app: &AppId,
    id: &EndpointId,
    failing_before: Timestamp,
    now: Timestamp,
) -> StoreResult<Option<Timestamp>> {
    let mut tx = store.begin_write().await?;
    let since: Option<i64> = sqlx::query_scalar(
        "SELECT failing_since FROM endpoints \
         WHERE app_id = ? AND id = ? AND disabled = 0 AND failing_since <= ?",
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
        "UPDATE endpoints SET disabled = 1, failing_since = NULL, updated_at = ? \
         WHERE app_id = ? AND id = ?",
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
    store: &SqliteStore,
    after: Option<&EndpointId>,
    limit: u32,
) -> StoreResult<ResealBatch> {
    let Some(sealer) = store.sealer.as_deref() else {
        return Ok(ResealBatch::default());
    };
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT id, secret, old_secrets FROM endpoints WHERE id > ? ORDER BY id LIMIT ?",
    )
    .bind(after.map_or("", |id| id.as_str()))
    .bind(i64::from(limit.max(1)))
    .fetch_all(&store.read)
    .await
    .map_err(error::map)?;
    let mut batch = ResealBatch::default();
    for (id, secret, old_json) in rows {
        let old = codec::old_secrets_from_json(&old_json)?;
        // The thread-local generator must not live across the await below.
        let resealed = sealer.reseal(&id, &secret, &old, &mut rand::thread_rng())?;
        if let Some((new_secret, new_old)) = resealed {
            let written = sqlx::query(
                "UPDATE endpoints SET secret = ?, old_secrets = ? \
                 WHERE id = ? AND secret = ? AND old_secrets = ?",
            )
            .bind(&new_secret)
            .bind(old_secrets_json(&new_old)?)
            .bind(&id)
            .bind(&secret)
            .bind(&old_json)
            .execute(&store.write)
            .await
            .map_err(error::map)?;
            batch.resealed += written.rows_affected();
        }
        batch.examined += 1;
        batch.last = Some(EndpointId::from_trusted(id.clone()));
    }
    Ok(batch)
}
