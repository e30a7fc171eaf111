//! The delivery queue: claiming due deliveries under a lease, completing them, and the
//! operator's resend and recover. Every state change here is a guarded `UPDATE` inside a write
//! transaction, so two workers can never both own a delivery and a worker whose lease was taken
//! over cannot overwrite its successor's result.
//!
//! This module must not decide where a delivery goes after an attempt: the worker computes the
//! [`hookd_core::delivery::Transition`] and this module only applies it under the guard.

use std::collections::HashMap;

use hookd_core::{
    delivery::{DeliveryState, TriggerType},
    id::{AppId, EndpointId, MsgId},
    store::{health_changes, ClaimRequest, Claimed, Completion, Outcome, StoreError, StoreResult},
    Timestamp,
};
use sqlx::{Row, SqliteConnection};

use crate::{
    codec::{self, ms, ms_ceil, to_json, DELIVERY_COLUMNS, ENDPOINT_COLUMNS, MESSAGE_COLUMNS},
    error, SqliteStore,
};

/// Picks the deliveries a claim takes, oldest due first: claimable ones whose time has come,
/// and claimed ones whose lease ran out (due at their expiry). Each arm walks its own partial
/// index in order and stops after `limit` rows, so a claim costs the same with a backlog of a
/// million due deliveries as with ten. The state names are literals, not parameters, because
/// SQLite only uses a partial index when it can see that the query implies the index's
/// `WHERE`; they must match `DeliveryState::as_str` and the migration (a test checks the former).
const PICK_DUE_SQL: &str = "\
    SELECT rid FROM ( \
      SELECT rid, due FROM ( \
        SELECT rowid AS rid, next_attempt_at AS due FROM deliveries \
        WHERE state IN ('pending', 'retry_scheduled') AND next_attempt_at <= ?1 \
        ORDER BY next_attempt_at LIMIT ?2) \
      UNION ALL \
      SELECT rid, due FROM ( \
        SELECT rowid AS rid, lease_expires_at AS due FROM deliveries \
        WHERE state = 'claimed' AND lease_expires_at <= ?1 \
        ORDER BY lease_expires_at LIMIT ?2) \
    ) ORDER BY due, rid LIMIT ?2";

/// The earliest moment a claim could find work: the first due claimable delivery or the first
/// lease to expire. Literal states for the partial indexes, as in [`PICK_DUE_SQL`].
const NEXT_DUE_SQL: &str = "\
    SELECT MIN(due) FROM ( \
      SELECT MIN(next_attempt_at) AS due FROM deliveries \
      WHERE state IN ('pending', 'retry_scheduled') \
      UNION ALL \
      SELECT MIN(lease_expires_at) AS due FROM deliveries WHERE state = 'claimed')";

/// The guard every completion carries: the delivery is still claimed under this lease.
const LEASE_GUARD: &str =
    "WHERE msg_id = ? AND endpoint_id = ? AND state = 'claimed' AND lease_token = ?";

pub(crate) async fn claim_due(
    store: &SqliteStore,
    req: &ClaimRequest<'_>,
) -> StoreResult<Vec<Claimed>> {
    if req.limit == 0 {
        return Ok(Vec::new());
    }
    let now = ms(req.now);
    let expires_at = req.now + req.lease;
    let mut tx = store.begin_write().await?;
    let picked: Vec<i64> = sqlx::query_scalar(PICK_DUE_SQL)
        .bind(now)
        .bind(i64::from(req.limit))
        .fetch_all(&mut *tx)
        .await
        .map_err(error::map)?;
    if picked.is_empty() {
        // Nothing to do; dropping the transaction rolls it back without a commit to sync.
        return Ok(Vec::new());
    }
    // Row ids travel as one JSON array parameter, so the statement text does not depend on
    // the batch size and stays in the prepared statement cache.
    let picked_json = to_json(&picked)?;
    sqlx::query(
        "UPDATE deliveries SET state = 'claimed', lease_token = ?, lease_owner = ?, \
         lease_expires_at = ?, updated_at = ? \
         WHERE rowid IN (SELECT value FROM json_each(?))",
    )
    .bind(req.lease_token)
    .bind(req.owner)
    .bind(ms(expires_at))
    .bind(now)
    .bind(&picked_json)
    .execute(&mut *tx)
    .await
    .map_err(error::map)?;
    let rows = sqlx::query(&format!(
        "SELECT d.rowid AS rid, {DELIVERY_COLUMNS}, {MESSAGE_COLUMNS}, {ENDPOINT_COLUMNS} \
         FROM deliveries d JOIN messages m ON m.id = d.msg_id \
         JOIN endpoints e ON e.id = d.endpoint_id \
         WHERE d.rowid IN (SELECT value FROM json_each(?))"
    ))
    .bind(&picked_json)
    .fetch_all(&mut *tx)
    .await
    .map_err(error::map)?;
    tx.commit().await.map_err(error::map)?;

    let order: HashMap<i64, usize> = picked.iter().enumerate().map(|(i, r)| (*r, i)).collect();
    let mut claimed = Vec::with_capacity(rows.len());
    for row in &rows {
        let rid: i64 = row.try_get("rid").map_err(error::map)?;
        let (lease_token, lease_expires_at) =
            codec::lease(row)?.ok_or_else(|| error::corrupt("claimed delivery without a lease"))?;
        claimed.push((
            order.get(&rid).copied().unwrap_or(usize::MAX),
            Claimed {
                delivery: codec::delivery(row)?,
                message: codec::message(row)?,
                endpoint: codec::endpoint(row)?,
                lease_token,
                lease_expires_at,
            },
        ));
    }
    claimed.sort_by_key(|(i, _)| *i);
    Ok(claimed.into_iter().map(|(_, c)| c).collect())
}

/// Moves the health of the endpoints a batch attempted, from a JSON array of
/// `[endpoint id, reset (0 or 1), since (ms or null)]` (see [`health_changes`]): a reset sets
/// the failing period to `since` (none, or the first failure after the batch's last
/// success); otherwise it starts at `since` unless it had already started. One statement per
/// batch, and only rows whose value really changes are written, so a healthy endpoint's
/// successes cost no write.
const HEALTH_SQL: &str = "\
    UPDATE endpoints AS e SET failing_since = \
        CASE WHEN h.reset THEN h.since ELSE COALESCE(e.failing_since, h.since) END \
    FROM (SELECT value ->> 0 AS id, value ->> 1 AS reset, value ->> 2 AS since \
          FROM json_each(?)) AS h \
    WHERE e.id = h.id AND e.failing_since IS NOT \
        (CASE WHEN h.reset THEN h.since ELSE COALESCE(e.failing_since, h.since) END)";

/// Applies one completion inside the batch's transaction; true if it still held its lease.
async fn complete_one(tx: &mut SqliteConnection, c: &Completion) -> StoreResult<bool> {
    let now = ms(c.now);
    let changed = match &c.outcome {
        Outcome::Attempted {
            attempt,
            transition,
        } => {
            let changed = sqlx::query(&format!(
                "UPDATE deliveries SET state = ?, attempts = attempts + 1, next_attempt_at = ?, \
                 trigger_type = ?, lease_token = NULL, lease_owner = NULL, \
                 lease_expires_at = NULL, updated_at = ? {LEASE_GUARD}"
            ))
            .bind(transition.state().as_str())
            .bind(transition.next_attempt_at().map(ms))
            .bind(TriggerType::Scheduled.as_str())
            .bind(now)
            .bind(c.msg_id.as_str())
            .bind(c.endpoint_id.as_str())
            .bind(&c.lease_token)
            .execute(&mut *tx)
            .await
            .map_err(error::map)?
            .rows_affected();
            // The attempt is a fact about what the receiver saw, so it is recorded even when
            // the lease was lost. It is skipped only if the delivery itself is gone (its
            // endpoint or message was deleted meanwhile): there is nothing left to attach it
            // to, and inserting it would break the batch on a foreign key. A worker that
            // reports the same completion twice (it retried after an error it could not
            // attribute) must not fail the whole batch either, so a known attempt id is
            // ignored: the first report already recorded it.
            sqlx::query(
                "INSERT INTO attempts (id, msg_id, endpoint_id, app_id, url, status, \
                 response_status_code, response, response_duration_ms, trigger_type, created_at) \
                 SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11 WHERE EXISTS \
                 (SELECT 1 FROM deliveries WHERE msg_id = ?2 AND endpoint_id = ?3) \
                 ON CONFLICT (id) DO NOTHING",
            )
            .bind(attempt.id.as_str())
            .bind(attempt.msg_id.as_str())
            .bind(attempt.endpoint_id.as_str())
            .bind(attempt.app_id.as_str())
            .bind(&attempt.url)
            .bind(i64::from(attempt.status.code()))
            .bind(i64::from(attempt.response_status_code))
            .bind(attempt.response.as_deref())
            .bind(attempt.response_duration_ms)
            .bind(attempt.trigger_type.as_str())
            .bind(ms(attempt.created_at))
            .execute(&mut *tx)
            .await
            .map_err(error::map)?;
            changed
        }
        Outcome::Deferred { until } => sqlx::query(&format!(
            "UPDATE deliveries SET state = ?, next_attempt_at = ?, lease_token = NULL, \
             lease_owner = NULL, lease_expires_at = NULL, updated_at = ? {LEASE_GUARD}"
        ))
        .bind(DeliveryState::Pending.as_str())
        .bind(ms(*until))
        .bind(now)
        .bind(c.msg_id.as_str())
        .bind(c.endpoint_id.as_str())
        .bind(&c.lease_token)
        .execute(&mut *tx)
        .await
        .map_err(error::map)?
        .rows_affected(),
        Outcome::Canceled => sqlx::query(&format!(
            "UPDATE deliveries SET state = ?, next_attempt_at = NULL, lease_token = NULL, \
             lease_owner = NULL, lease_expires_at = NULL, updated_at = ? {LEASE_GUARD}"
        ))
        .bind(DeliveryState::Canceled.as_str())
        .bind(now)
        .bind(c.msg_id.as_str())
        .bind(c.endpoint_id.as_str())
        .bind(&c.lease_token)
        .execute(&mut *tx)
        .await
        .map_err(error::map)?
        .rows_affected(),
    };
    Ok(changed > 0)
}

pub(crate) async fn complete(store: &SqliteStore, batch: &[Completion]) -> StoreResult<Vec<bool>> {
    if batch.is_empty() {
        return Ok(Vec::new());
    }
    let mut tx = store.begin_write().await?;
    let mut held = Vec::with_capacity(batch.len());
    for c in batch {
        held.push(complete_one(&mut tx, c).await?);
    }
    let changes: Vec<(String, u8, Option<i64>)> = health_changes(batch, &held)
        .into_iter()
        .map(|h| {
            (
                h.endpoint_id.to_string(),
                u8::from(h.reset),
                h.since.map(ms),
            )
        })
        .collect();
    if !changes.is_empty() {
        sqlx::query(HEALTH_SQL)
            .bind(to_json(&changes)?)
            .execute(&mut *tx)
            .await
            .map_err(error::map)?;
    }
    tx.commit().await.map_err(error::map)?;
    Ok(held)
}

/// Whether `sql` (which takes an app id and one other id) finds a row, inside `tx`.
async fn exists(tx: &mut SqliteConnection, sql: &str, app: &AppId, id: &str) -> StoreResult<bool> {
    let row = sqlx::query(sql)
        .bind(app.as_str())
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(error::map)?;
    Ok(row.is_some())
}

/// Resending also clears a live lease: the worker holding it finds its completion void (its
/// attempt is still recorded), and the manual attempt goes ahead as the operator asked.
pub(crate) async fn resend(
    store: &SqliteStore,
    app: &AppId,
    msg: &MsgId,
    endpoint: &EndpointId,
    now: Timestamp,
) -> StoreResult<()> {
    let mut tx = store.begin_write().await?;
    let msg_sql = "SELECT 1 FROM messages WHERE app_id = ? AND id = ?";
    let ep_sql = "SELECT 1 FROM endpoints WHERE app_id = ? AND id = ?";
    if !exists(&mut tx, msg_sql, app, msg.as_str()).await?
        || !exists(&mut tx, ep_sql, app, endpoint.as_str()).await?
    {
        return Err(StoreError::NotFound);
    }
    sqlx::query(
        "INSERT INTO deliveries (msg_id, endpoint_id, app_id, state, attempts, next_attempt_at, \
         trigger_type, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, 0, ?5, ?6, ?5, ?5) \
         ON CONFLICT (msg_id, endpoint_id) DO UPDATE SET state = excluded.state, \
         next_attempt_at = excluded.next_attempt_at, trigger_type = excluded.trigger_type, \
         lease_token = NULL, lease_owner = NULL, lease_expires_at = NULL, \
         updated_at = excluded.updated_at",
    )
    .bind(msg.as_str())
    .bind(endpoint.as_str())
    .bind(app.as_str())
    .bind(DeliveryState::Pending.as_str())
    .bind(ms(now))
    .bind(TriggerType::Manual.as_str())
    .execute(&mut *tx)
    .await
    .map_err(error::map)?;
    tx.commit().await.map_err(error::map)?;
    Ok(())
}

pub(crate) async fn recover(
    store: &SqliteStore,
    app: &AppId,
    endpoint: &EndpointId,
    since: Timestamp,
    until: Option<Timestamp>,
    now: Timestamp,
) -> StoreResult<u64> {
    let done = sqlx::query(
        "UPDATE deliveries SET state = ?1, next_attempt_at = ?2, trigger_type = ?3, \
         lease_token = NULL, lease_owner = NULL, lease_expires_at = NULL, updated_at = ?2 \
         WHERE app_id = ?4 AND endpoint_id = ?5 AND state = ?6 \
         AND created_at >= ?7 AND created_at < ?8",
    )
    .bind(DeliveryState::Pending.as_str())
    .bind(ms(now))
    .bind(TriggerType::Manual.as_str())
    .bind(app.as_str())
    .bind(endpoint.as_str())
    .bind(DeliveryState::Exhausted.as_str())
    .bind(ms_ceil(since))
    // An open end is bound as the largest time, keeping the index range on both ends.
    .bind(until.map_or(i64::MAX, ms_ceil))
    .execute(&store.write)
    .await
    .map_err(error::map)?;
    Ok(done.rows_affected())
}

pub(crate) async fn next_due_at(store: &SqliteStore) -> StoreResult<Option<Timestamp>> {
    let due: Option<i64> = sqlx::query_scalar(NEXT_DUE_SQL)
        .fetch_one(&store.read)
        .await
        .map_err(error::map)?;
    due.map(codec::ts).transpose()
}

/// Releases what a lost claim may hold (see `Store::release_claims`): its deliveries are due
/// again now, with no attempt counted.
pub(crate) async fn release_claims(
    store: &SqliteStore,
    lease_token: &str,
    now: Timestamp,
) -> StoreResult<u64> {
    let done = sqlx::query(
        "UPDATE deliveries SET state = ?1, next_attempt_at = ?2, lease_token = NULL, \
         lease_owner = NULL, lease_expires_at = NULL, updated_at = ?2 \
         WHERE state = ?3 AND lease_token = ?4",
    )
    .bind(DeliveryState::Pending.as_str())
    .bind(ms(now))
    .bind(DeliveryState::Claimed.as_str())
    .bind(lease_token)
    .execute(&store.write)
    .await
    .map_err(error::map)?;
    Ok(done.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_state_names_match_the_state_machine() {
        for (state, text) in [
            (DeliveryState::Pending, "'pending'"),
            (DeliveryState::RetryScheduled, "'retry_scheduled'"),
            (DeliveryState::Claimed, "'claimed'"),
        ] {
            assert_eq!(format!("'{}'", state.as_str()), text);
            assert!(PICK_DUE_SQL.contains(text) && NEXT_DUE_SQL.contains(text));
        }
        assert!(LEASE_GUARD.contains(DeliveryState::Claimed.as_str()));
    }
}
