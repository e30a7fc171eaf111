//! The delivery queue: claiming due deliveries under a lease, completing them, and the
//! operator's resend and recover, for any number of workers in any number of processes.
//!
//! A claim is one statement: it picks due rows with `FOR UPDATE SKIP LOCKED` (so concurrent
//! claimers pass over each other's rows instead of queueing behind them), moves them to
//! `claimed` under the new lease and returns them joined with their messages and endpoints.
//! Completing a batch is [`crate::complete`]'s.
//!
//! This module must not decide where a delivery goes after an attempt: the worker computes the
//! [`hookd_core::delivery::Transition`] and this module only applies it under the guard.

use hookd_core::{
    delivery::{DeliveryState, TriggerType},
    id::{AppId, EndpointId, MsgId},
    store::{ClaimRequest, Claimed, StoreError, StoreResult},
    Timestamp,
};
use sqlx::PgConnection;

use crate::{
    codec::{self, ms, ms_ceil, DELIVERY_COLUMNS, ENDPOINT_COLUMNS, MESSAGE_COLUMNS},
    error, notify, PgStore,
};

/// Claims up to `$2` due deliveries at time `$1` under lease `$3`, owner `$4`, expiring `$5`.
///
/// Each of the two sources walks its own partial index in due order and stops after `$2`
/// rows it could lock: claimable deliveries whose time has come (`due`), and claimed ones
/// whose lease ran out (`expired`, due at their expiry). So a claim reads a handful of index
/// entries whether the table holds ten deliveries or ten million, and the backlog of due work
/// does not matter either. Rows another claimer has locked are skipped, not waited for; a row
/// another claimer changed after this statement's snapshot is re-checked against the `WHERE`
/// once locked, and dropped if it no longer qualifies, so no delivery is handed out twice.
/// Both sources are locked before the merge picks the oldest `$2`; the few locked rows it
/// leaves out are released when the statement ends, a moment later.
///
/// The update finds each picked row by its `ctid` (a TID scan), which the row lock taken by
/// `FOR UPDATE` keeps valid until the transaction ends. Joining on `(msg_id, endpoint_id)`
/// instead let the planner, on a table without statistics, pick a generic plan that read
/// every delivery of the endpoint per claimed row (claims of 128 took 0.5–1.4 s on a fresh
/// database; found by bench/run.py's growth runs), and pooled connections kept that plan.
///
/// The state names are literals, not parameters, because PostgreSQL only uses a partial index
/// when it can prove from the query text that the query implies the index's `WHERE`; they
/// must match `DeliveryState::as_str` and the migration (a test checks the former). The
/// `MATERIALIZED` keeps each locking source a separate step, as written.
const CLAIM_SQL: &str = "\
    WITH due AS MATERIALIZED ( \
        SELECT ctid AS row_id, msg_id, endpoint_id, next_attempt_at AS due_at FROM deliveries \
        WHERE state IN ('pending', 'retry_scheduled') AND next_attempt_at <= $1 \
        ORDER BY next_attempt_at LIMIT $2 \
        FOR UPDATE SKIP LOCKED), \
    expired AS MATERIALIZED ( \
        SELECT ctid AS row_id, msg_id, endpoint_id, lease_expires_at AS due_at FROM deliveries \
        WHERE state = 'claimed' AND lease_expires_at <= $1 \
        ORDER BY lease_expires_at LIMIT $2 \
        FOR UPDATE SKIP LOCKED), \
    picked AS ( \
        SELECT row_id, msg_id, endpoint_id, due_at FROM due \
        UNION ALL \
        SELECT row_id, msg_id, endpoint_id, due_at FROM expired \
        ORDER BY due_at, msg_id, endpoint_id LIMIT $2), \
    claimed AS ( \
        UPDATE deliveries d SET state = 'claimed', lease_token = $3, lease_owner = $4, \
            lease_expires_at = $5, updated_at = $1 \
        FROM picked p WHERE d.ctid = p.row_id \
        RETURNING d.*, p.due_at) ";

/// The earliest moment a claim could find work: the first due claimable delivery or the first
/// lease to expire. Each `MIN` reads one end of a partial index; `LEAST` ignores a NULL side.
/// Literal states for the partial indexes, as in [`CLAIM_SQL`].
const NEXT_DUE_SQL: &str = "\
    SELECT LEAST( \
      (SELECT MIN(next_attempt_at) FROM deliveries \
       WHERE state IN ('pending', 'retry_scheduled')), \
      (SELECT MIN(lease_expires_at) FROM deliveries WHERE state = 'claimed'))";

pub(crate) async fn claim_due(
    store: &PgStore,
    req: &ClaimRequest<'_>,
) -> StoreResult<Vec<Claimed>> {
    if req.limit == 0 {
        return Ok(Vec::new());
    }
    let rows = sqlx::query(&format!(
        "{CLAIM_SQL} SELECT {DELIVERY_COLUMNS}, {MESSAGE_COLUMNS}, {ENDPOINT_COLUMNS} \
         FROM claimed d JOIN messages m ON m.id = d.msg_id \
         JOIN endpoints e ON e.id = d.endpoint_id \
         ORDER BY d.due_at, d.msg_id, d.endpoint_id"
    ))
    .bind(ms(req.now))
    .bind(i64::from(req.limit))
    .bind(req.lease_token)
    .bind(req.owner)
    .bind(ms(req.now + req.lease))
    .fetch_all(&store.pool)
    .await
    .map_err(error::map)?;
    rows.iter()
        .map(|row| {
            let (lease_token, lease_expires_at) = codec::lease(row)?
                .ok_or_else(|| error::corrupt("claimed delivery without a lease"))?;
            Ok(Claimed {
                delivery: codec::delivery(row)?,
                message: codec::message(row)?,
                endpoint: codec::endpoint(row)?,
                lease_token,
                lease_expires_at,
            })
        })
        .collect()
}

/// Resending also clears a live lease: the worker holding it finds its completion void (its
/// attempt is still recorded), and the manual attempt goes ahead as the operator asked. The
/// existence of both the message and the endpoint in the application is checked by the same
/// statement that writes, so there is no window between check and write; a parent deleted
/// concurrently fails the foreign key, which is reported as `NotFound` too.
pub(crate) async fn resend(
    store: &PgStore,
    app: &AppId,
    msg: &MsgId,
    endpoint: &EndpointId,
    now: Timestamp,
) -> StoreResult<()> {
    let mut tx = store.begin().await?;
    let done = sqlx::query(
        "INSERT INTO deliveries (msg_id, endpoint_id, app_id, state, attempts, next_attempt_at, \
         trigger_type, created_at, updated_at) \
         SELECT m.id, e.id, m.app_id, $4, 0, $5, $6, $5, $5 \
         FROM messages m JOIN endpoints e ON e.app_id = m.app_id \
         WHERE m.app_id = $1 AND m.id = $2 AND e.id = $3 \
         ON CONFLICT (msg_id, endpoint_id) DO UPDATE SET state = EXCLUDED.state, \
         next_attempt_at = EXCLUDED.next_attempt_at, trigger_type = EXCLUDED.trigger_type, \
         lease_token = NULL, lease_owner = NULL, lease_expires_at = NULL, \
         updated_at = EXCLUDED.updated_at",
    )
    .bind(app.as_str())
    .bind(msg.as_str())
    .bind(endpoint.as_str())
    .bind(DeliveryState::Pending.as_str())
    .bind(ms(now))
    .bind(TriggerType::Manual.as_str())
    .execute(&mut *tx)
    .await
    .map_err(error::map)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    notify::work_available(&mut tx, store).await?;
    tx.commit().await.map_err(error::map)?;
    Ok(())
}

/// Makes the matching exhausted deliveries due now, inside `tx`; returns how many.
async fn recover_in(
    tx: &mut PgConnection,
    app: &AppId,
    endpoint: &EndpointId,
    since: Timestamp,
    until: Option<Timestamp>,
    now: Timestamp,
) -> StoreResult<u64> {
    let done = sqlx::query(
        "UPDATE deliveries SET state = $1, next_attempt_at = $2, trigger_type = $3, \
         lease_token = NULL, lease_owner = NULL, lease_expires_at = NULL, updated_at = $2 \
         WHERE app_id = $4 AND endpoint_id = $5 AND state = $6 \
         AND created_at >= $7 AND created_at < $8",
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
    .execute(&mut *tx)
    .await
    .map_err(error::map)?;
    Ok(done.rows_affected())
}

pub(crate) async fn recover(
    store: &PgStore,
    app: &AppId,
    endpoint: &EndpointId,
    since: Timestamp,
    until: Option<Timestamp>,
    now: Timestamp,
) -> StoreResult<u64> {
    let mut tx = store.begin().await?;
    let recovered = recover_in(&mut tx, app, endpoint, since, until, now).await?;
    if recovered > 0 {
        notify::work_available(&mut tx, store).await?;
    }
    tx.commit().await.map_err(error::map)?;
    Ok(recovered)
}

pub(crate) async fn next_due_at(store: &PgStore) -> StoreResult<Option<Timestamp>> {
    let due: Option<i64> = sqlx::query_scalar(NEXT_DUE_SQL)
        .fetch_one(&store.pool)
        .await
        .map_err(error::map)?;
    due.map(codec::ts).transpose()
}

/// Releases what a lost claim may hold (see `Queue::release_claims`): its deliveries are due
/// again now, with no attempt counted.
pub(crate) async fn release_claims(
    store: &PgStore,
    lease_token: &str,
    now: Timestamp,
) -> StoreResult<u64> {
    let done = sqlx::query(
        "UPDATE deliveries SET state = $1, next_attempt_at = $2, lease_token = NULL, \
         lease_owner = NULL, lease_expires_at = NULL, updated_at = $2 \
         WHERE state = $3 AND lease_token = $4",
    )
    .bind(DeliveryState::Pending.as_str())
    .bind(ms(now))
    .bind(DeliveryState::Claimed.as_str())
    .bind(lease_token)
    .execute(&store.pool)
    .await
    .map_err(error::map)?;
    Ok(done.rows_affected())
}

#[cfg(test)]
mod tests {
    use sqlx::{ConnectOptions, Executor};

    use super::*;
    use crate::testing::TestDatabase;

    /// Finished deliveries in the history of the plan test: enough that a sequential scan or
    /// a full index would cost far more than the queue's partial indexes.
    const HISTORY: i64 = 50_000;

    #[tokio::test]
    async fn claims_read_only_the_queue_indexes_however_long_the_history() {
        let db = TestDatabase::create().await;
        let store = PgStore::connect_with(db.options()).await.unwrap();
        let mut conn = db.options().connect().await.unwrap();
        conn.execute(
            format!(
                "INSERT INTO applications VALUES ('app_1', NULL, 'a', NULL, '{{}}', 0, 0); \
                 INSERT INTO endpoints (id, app_id, url, description, disabled, metadata, \
                   headers, secret, old_secrets, created_at, updated_at) \
                   VALUES ('ep_1', 'app_1', 'https://x', '', false, '{{}}', '{{}}', 's', '[]', 0, 0); \
                 INSERT INTO messages (id, app_id, event_type, created_at) \
                   SELECT 'msg_' || lpad(i::text, 8, '0'), 'app_1', 'a', i \
                   FROM generate_series(1, {HISTORY}) AS i; \
                 INSERT INTO deliveries (msg_id, endpoint_id, app_id, state, attempts, \
                   trigger_type, created_at, updated_at) \
                   SELECT id, 'ep_1', 'app_1', \
                     CASE WHEN created_at % 1000 = 0 THEN 'pending' ELSE 'succeeded' END, \
                     1, 'scheduled', created_at, created_at FROM messages; \
                 UPDATE deliveries SET next_attempt_at = created_at WHERE state = 'pending'; \
                 ANALYZE;"
            )
            .as_str(),
        )
        .await
        .unwrap();
        let plan: String = sqlx::query_scalar::<_, String>(&format!(
            "EXPLAIN {CLAIM_SQL} SELECT d.msg_id FROM claimed d"
        ))
        .bind(HISTORY)
        .bind(10_i64)
        .bind("lease")
        .bind("owner")
        .bind(HISTORY + 30_000)
        .fetch_all(&mut conn)
        .await
        .unwrap()
        .join("\n");
        assert!(plan.contains("deliveries_due"), "{plan}");
        assert!(plan.contains("deliveries_leases"), "{plan}");
        assert!(!plan.contains("Seq Scan on deliveries"), "{plan}");

        // And the claim itself takes the oldest due ones.
        let req = ClaimRequest {
            owner: "o",
            lease_token: "t",
            now: codec::ts(HISTORY).unwrap(),
            lease: chrono::Duration::seconds(30),
            limit: 3,
        };
        let claimed = claim_due(&store, &req).await.unwrap();
        let ids: Vec<&str> = claimed.iter().map(|c| c.message.id.as_str()).collect();
        assert_eq!(ids, ["msg_00001000", "msg_00002000", "msg_00003000"]);
    }

    #[test]
    fn literal_state_names_match_the_state_machine() {
        for (state, text) in [
            (DeliveryState::Pending, "'pending'"),
            (DeliveryState::RetryScheduled, "'retry_scheduled'"),
            (DeliveryState::Claimed, "'claimed'"),
        ] {
            assert_eq!(format!("'{}'", state.as_str()), text);
            assert!(CLAIM_SQL.contains(text) && NEXT_DUE_SQL.contains(text));
        }
        let guard = format!("d.state = '{}'", DeliveryState::Claimed.as_str());
        assert!(
            crate::complete::COMPLETE_SQL.contains(&guard),
            "the completion guard's literal state"
        );
    }
}
