//! Endpoints: an application's webhook receivers, unique by uid within their application.
//!
//! This module must not decide which endpoints a message goes to (that is
//! [`hookd_core::model::Endpoint::accepts`]), nor remove an endpoint's deliveries and attempts
//! by hand: the schema's cascades do that atomically.

use hookd_core::{
    id::{AppId, EndpointId},
    model::Endpoint,
    page::{ListQuery, Page},
    store::{ResealBatch, StoreError, StoreResult},
    Timestamp,
};
use sqlx::{types::Json, QueryBuilder};

use crate::{
    codec::{self, ms, old_secrets_json, rate, ENDPOINT_COLUMNS},
    error, list, PgStore,
};

pub(crate) async fn create(store: &PgStore, ep: &Endpoint) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO endpoints (id, app_id, uid, url, description, disabled, throttle_rate, \
         event_types, channels, metadata, headers, secret, old_secrets, created_at, updated_at, \
         options) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
    )
    .bind(ep.id.as_str())
    .bind(ep.app_id.as_str())
    .bind(ep.uid.as_deref())
    .bind(&ep.url)
    .bind(&ep.description)
    .bind(ep.disabled)
    .bind(rate(ep.throttle_rate))
    .bind(ep.event_types.as_deref())
    .bind(ep.channels.as_deref())
    .bind(Json(&ep.metadata))
    .bind(Json(&ep.headers))
    .bind(&ep.secret)
    .bind(old_secrets_json(&ep.old_secrets))
    .bind(ms(ep.created_at))
    .bind(ms(ep.updated_at))
    .bind(Json(&ep.options))
    .execute(&store.pool)
    .await
    .map_err(error::map)?;
    Ok(())
}

/// The id is tried first and wins over a uid equal to it, as for applications.
pub(crate) async fn get(
    store: &PgStore,
    app: &AppId,
    id_or_uid: &str,
) -> StoreResult<Option<Endpoint>> {
    let row = sqlx::query(&format!(
        "SELECT {ENDPOINT_COLUMNS} FROM endpoints e \
         WHERE e.app_id = $1 AND (e.id = $2 OR e.uid = $2) \
         ORDER BY e.id = $2 DESC LIMIT 1"
    ))
    .bind(app.as_str())
    .bind(id_or_uid)
    .fetch_optional(&store.pool)
    .await
    .map_err(error::map)?;
    row.as_ref().map(codec::endpoint).transpose()
}

pub(crate) async fn list(
    store: &PgStore,
    app: &AppId,
    query: &ListQuery,
) -> StoreResult<Page<Endpoint>> {
    let mut qb = QueryBuilder::new(format!(
        "SELECT {ENDPOINT_COLUMNS} FROM endpoints e WHERE e.app_id = "
    ));
    qb.push_bind(app.as_str());
    list::push_page(&mut qb, "e.id", query);
    let rows = qb
        .build()
        .fetch_all(&store.pool)
        .await
        .map_err(error::map)?;
    let eps = rows
        .iter()
        .map(codec::endpoint)
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Page::assemble(eps, query, |e| e.id.to_string()))
}

pub(crate) async fn update(store: &PgStore, ep: &Endpoint) -> StoreResult<()> {
    let done = sqlx::query(
        "UPDATE endpoints SET uid = $1, url = $2, description = $3, disabled = $4, \
         failing_since = CASE WHEN disabled = $4 THEN failing_since END, throttle_rate = $5, event_types = $6, channels = $7, metadata = $8, headers = $9, \
         secret = $10, old_secrets = $11, updated_at = $12, options = $13 \
         WHERE app_id = $14 AND id = $15",
    )
    .bind(ep.uid.as_deref())
    .bind(&ep.url)
    .bind(&ep.description)
    .bind(ep.disabled)
    .bind(rate(ep.throttle_rate))
    .bind(ep.event_types.as_deref())
    .bind(ep.channels.as_deref())
    .bind(Json(&ep.metadata))
    .bind(Json(&ep.headers))
    .bind(&ep.secret)
    .bind(old_secrets_json(&ep.old_secrets))
    .bind(ms(ep.updated_at))
    .bind(Json(&ep.options))
    .bind(ep.app_id.as_str())
    .bind(ep.id.as_str())
    .execute(&store.pool)
    .await
    .map_err(error::map)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

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

pub(crate) async fn delete(store: &PgStore, app: &AppId, id: &EndpointId) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM endpoints WHERE app_id = $1 AND id = $2")
        .bind(app.as_str())
        .bind(id.as_str())
        .execute(&store.pool)
        .await
        .map_err(error::map)?;
    Ok(done.rows_affected() > 0)
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
