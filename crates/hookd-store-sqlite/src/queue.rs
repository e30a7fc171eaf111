//! The delivery queue: claiming due deliveries under a lease, completing them, and the
//! operator's resend and recover. Every state change here is a guarded `UPDATE` inside a write
//! transaction, so two workers can never both own a delivery and a worker whose lease was taken
//! over cannot overwrite its successor's result.
//!
//! This module must not decide where a delivery goes after an attempt: the worker computes the
//! [`hookd_core::delivery::Transition`] and this module only applies it under the guard.

use std::collections::{HashMap, HashSet};

use hookd_core::{
    delivery::{DeliveryState, TriggerType},
    id::{AppId, EndpointId, MsgId},
    model::Attempt,
    plan::{completions, CompletionPlan, StateChange},
    store::{health_changes, ClaimRequest, Claimed, Completion, Outcome, StoreError, StoreResult},
    Timestamp,
};
use sqlx::{Row, SqliteConnection};

use crate::{
    codec::{
        self, ms, ms_ceil, request_columns, to_json, DELIVERY_COLUMNS, ENDPOINT_COLUMNS,
        MESSAGE_COLUMNS,
    },
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

/// Applies a batch's state changes in one statement, from a JSON array of
/// `[msg id, endpoint id, lease token, state, next attempt (ms or null), attempted (0/1),
/// now (ms)]`, each under the lease guard, and returns the deliveries it changed (whose
/// completions held their lease). A delivery may appear only once: the statement is run once
/// per round of a [`CompletionPlan`].
const COMPLETE_SQL: &str = "\
    UPDATE deliveries AS d SET state = c.state, next_attempt_at = c.next, \
        attempts = d.attempts + c.attempted, \
        trigger_type = CASE WHEN c.attempted = 1 THEN ?2 ELSE d.trigger_type END, \
        lease_token = NULL, lease_owner = NULL, lease_expires_at = NULL, updated_at = c.now \
    FROM (SELECT value ->> 0 AS msg_id, value ->> 1 AS endpoint_id, value ->> 2 AS lease_token, \
                 value ->> 3 AS state, value ->> 4 AS next, value ->> 5 AS attempted, \
                 value ->> 6 AS now \
          FROM json_each(?1)) AS c \
    WHERE d.msg_id = c.msg_id AND d.endpoint_id = c.endpoint_id \
      AND d.state = 'claimed' AND d.lease_token = c.lease_token \
    RETURNING msg_id, endpoint_id";

/// Records a batch's attempts in one statement, from a JSON array of
/// `[id, msg id, endpoint id, app id, url, status, response status code, response, duration
/// ms, trigger type, created at ms, request headers (JSON text), request body kind, request
/// body, next attempt ms, retry-after]` (request headers, body kind and body as
/// [`request_columns`] gives them). The attempt is a fact about what the receiver saw, so it is
/// recorded even when the lease was lost. It is skipped only if the delivery itself is gone
/// (its endpoint or message was deleted meanwhile): there is nothing left to attach it to, and
/// inserting it would break the batch on a foreign key. A worker that reports the same
/// completion twice (it retried after an error it could not attribute) must not fail the whole
/// batch either, so a known attempt id is ignored: the first report already recorded it. A
/// request body to store (one that was not the payload itself) is stored as removed when the
/// message's payload is gone by now: an expunge or expiry that ran while the request was in
/// flight could not remove it, and must not miss it.
const ATTEMPTS_SQL: &str = "\
    INSERT INTO attempts (id, msg_id, endpoint_id, app_id, url, status, \
        response_status_code, response, response_duration_ms, trigger_type, created_at, \
        request_headers, request_body_kind, request_body, next_attempt_at, retry_after) \
    SELECT a.value ->> 0, a.value ->> 1, a.value ->> 2, a.value ->> 3, a.value ->> 4, \
        a.value ->> 5, a.value ->> 6, a.value ->> 7, a.value ->> 8, a.value ->> 9, \
        a.value ->> 10, a.value ->> 11, \
        CASE WHEN a.gone THEN 'removed' ELSE a.value ->> 12 END, \
        CASE WHEN a.gone THEN NULL ELSE a.value ->> 13 END, a.value ->> 14, a.value ->> 15 \
    FROM (SELECT j.value AS value, j.value ->> 13 IS NOT NULL AND NOT EXISTS ( \
            SELECT 1 FROM messages WHERE id = j.value ->> 1 AND payload IS NOT NULL) AS gone \
          FROM json_each(?1) AS j) AS a \
    WHERE EXISTS (SELECT 1 FROM deliveries \
        WHERE msg_id = a.value ->> 1 AND endpoint_id = a.value ->> 2) \
    ON CONFLICT (id) DO NOTHING";

/// One row of [`COMPLETE_SQL`]'s JSON.
type CompleteRow<'a> = (&'a str, &'a str, &'a str, &'a str, Option<i64>, u8, i64);

/// One completion as a row of [`COMPLETE_SQL`]'s JSON.
fn complete_row(c: &Completion) -> CompleteRow<'_> {
    let change = StateChange::of(&c.outcome);
    (
        c.msg_id.as_str(),
        c.endpoint_id.as_str(),
        &c.lease_token,
        change.state.as_str(),
        change.next_attempt_at.map(ms),
        u8::from(change.attempted),
        ms(c.now),
    )
}

/// One attempt as a row of [`ATTEMPTS_SQL`]'s JSON.
fn attempt_row(attempt: &Attempt) -> StoreResult<serde_json::Value> {
    let (headers, kind, body) = request_columns(attempt.request.as_ref())?;
    Ok(serde_json::json!([
        attempt.id.as_str(),
        attempt.msg_id.as_str(),
        attempt.endpoint_id.as_str(),
        attempt.app_id.as_str(),
        attempt.url,
        i64::from(attempt.status.code()),
        i64::from(attempt.response_status_code),
        attempt.response,
        attempt.response_duration_ms,
        attempt.trigger_type.as_str(),
        ms(attempt.created_at),
        headers,
        kind,
        body,
        attempt.next_attempt_at.map(ms),
        attempt.retry_after,
    ]))
}

/// Writes a batch of completions in one transaction, as [`hookd_core::plan::completions`]
/// plans it. The common case, each delivery once in the batch, costs three statements
/// whatever the batch size (state changes, attempts, health), because every statement on
/// SQLite's one write connection is a hand-off to its thread and back, which is most of a
/// completion's cost (ARCHITECTURE, "Where the time goes"). A delivery completed under two
/// leases in one batch adds a statement for the second round.
pub(crate) async fn complete(store: &SqliteStore, batch: &[Completion]) -> StoreResult<Vec<bool>> {
    if batch.is_empty() {
        return Ok(Vec::new());
    }
    let plan = completions(batch);
    let rounds = plan
        .rounds
        .iter()
        .map(|round| {
            to_json(
                &round
                    .iter()
                    .map(|&i| complete_row(&batch[i]))
                    .collect::<Vec<_>>(),
            )
        })
        .collect::<StoreResult<Vec<_>>>()?;
    let attempts = plan
        .attempts
        .iter()
        .filter_map(|&i| match &batch[i].outcome {
            Outcome::Attempted { attempt, .. } => Some(attempt_row(attempt)),
            _ => None,
        })
        .collect::<StoreResult<Vec<_>>>()?;
    let mut tx = store.begin_write().await?;
    let mut changed = Vec::with_capacity(batch.len());
    for (round, json) in plan.rounds.iter().zip(rounds) {
        let rows: HashSet<(String, String)> = sqlx::query_as(COMPLETE_SQL)
            .bind(json)
            .bind(TriggerType::Scheduled.as_str())
            .fetch_all(&mut *tx)
            .await
            .map_err(error::map)?
            .into_iter()
            .collect();
        // A round names each delivery once, so a changed delivery is its completion's.
        changed.extend(round.iter().copied().filter(|&i| {
            let c = &batch[i];
            rows.contains(&(c.msg_id.to_string(), c.endpoint_id.to_string()))
        }));
    }
    if !attempts.is_empty() {
        sqlx::query(ATTEMPTS_SQL)
            .bind(to_json(&attempts)?)
            .execute(&mut *tx)
            .await
            .map_err(error::map)?;
    }
    let held = CompletionPlan::held(batch.len(), changed);
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

/// Releases what a lost claim may hold (see `Queue::release_claims`): its deliveries are due
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
        let guard = format!("d.state = '{}'", DeliveryState::Claimed.as_str());
        assert!(
            COMPLETE_SQL.contains(&guard),
            "the completion guard's literal state"
        );
    }
}
