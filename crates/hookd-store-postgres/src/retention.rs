//! Retention: removing expired message payloads and old attempts, a bounded batch per call.
//!
//! Each statement picks at most `limit` rows along an index in the order they expire, locking
//! them with `SKIP LOCKED` so that the maintenance jobs of several processes sharing the
//! database split the work instead of queueing behind each other, and changes only those,
//! found again by primary key. The picked ids travel as an array (`= ANY (ARRAY(…))`) rather
//! than an `IN (subquery)`, which the planner may turn into a hash join over the whole table.
//! A call costs the same with a million expired rows as with ten; the caller (the server's
//! maintenance job) pauses between batches. This module must not touch the delivery queue,
//! nor decide how long anything is kept: the caller passes the cut-off times.

use hookd_core::{store::StoreResult, Timestamp};

use crate::{codec::ms, error, PgStore};

/// Clears the payloads of the messages whose payload expired first, and counts them. The
/// inner `SELECT` walks `messages_payload_expiry`, whose `WHERE payload IS NOT NULL` it
/// repeats literally so that the planner can use the partial index; cleared rows leave the
/// index (once vacuumed; until then the index scan skips them as dead), so the next batch
/// starts where this one ended. The same statement removes the request bodies that attempts
/// recorded from these payloads (through an envelope), found along `attempts_msg`, as an
/// expunge does.
pub(crate) const EXPIRE_PAYLOADS_SQL: &str = "\
    WITH gone AS ( \
      UPDATE messages SET payload = NULL WHERE id = ANY (ARRAY( \
        SELECT id FROM messages \
        WHERE payload IS NOT NULL AND payload_expires_at <= $1 \
        ORDER BY payload_expires_at LIMIT $2 \
        FOR NO KEY UPDATE SKIP LOCKED)) \
      RETURNING id), \
    bodies AS ( \
      UPDATE attempts SET request_body = NULL, request_body_kind = 'removed' \
      WHERE msg_id = ANY (ARRAY(SELECT id FROM gone)) AND request_body IS NOT NULL) \
    SELECT count(*) FROM gone";

/// Deletes the oldest attempts, walking `attempts_by_created_at`.
pub(crate) const PRUNE_ATTEMPTS_SQL: &str = "\
    DELETE FROM attempts WHERE id = ANY (ARRAY( \
      SELECT id FROM attempts WHERE created_at < $1 ORDER BY created_at LIMIT $2 \
      FOR UPDATE SKIP LOCKED))";

pub(crate) async fn expire_payloads(
    store: &PgStore,
    now: Timestamp,
    limit: u32,
) -> StoreResult<u64> {
    let expired: i64 = sqlx::query_scalar(EXPIRE_PAYLOADS_SQL)
        .bind(ms(now))
        .bind(i64::from(limit))
        .fetch_one(&store.pool)
        .await
        .map_err(error::map)?;
    Ok(u64::try_from(expired).unwrap_or_default())
}

pub(crate) async fn prune_attempts(
    store: &PgStore,
    before: Timestamp,
    limit: u32,
) -> StoreResult<u64> {
    let done = sqlx::query(PRUNE_ATTEMPTS_SQL)
        .bind(ms(before))
        .bind(i64::from(limit))
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

    /// Rows of history in the plan test: enough that the planner would rather scan than use
    /// an index if the index did not fit the query.
    const HISTORY: i64 = 50_000;
    /// The batch size the plans are checked with: the server's.
    const BATCH: i64 = 1_000;
    /// Attempts with a full 16 KiB response body, the oldest: two batches' worth.
    const FULL_BODIES: i64 = 2_000;

    /// Each batch reads its rows through an index, never by scanning the table, however long
    /// the history: with most payloads already expired and most attempts recent, a scan would
    /// read everything to find a thousand rows. Also reports how long a batch of the server's
    /// size takes (a figure in the README; not asserted).
    #[tokio::test]
    async fn retention_batches_walk_indexes_not_tables() {
        let db = TestDatabase::create().await;
        let store = PgStore::connect_with(db.options()).await.unwrap();
        let mut conn = db.options().connect().await.unwrap();
        conn.execute(
            format!(
                "INSERT INTO applications VALUES ('app_1', NULL, 'a', NULL, '{{}}', 0, 0); \
                 INSERT INTO endpoints (id, app_id, url, description, disabled, metadata, \
                   headers, secret, old_secrets, created_at, updated_at) \
                   VALUES ('ep_1', 'app_1', 'https://x', '', false, '{{}}', '{{}}', 's', '[]', 0, 0); \
                 INSERT INTO messages (id, app_id, event_type, payload, payload_expires_at, created_at) \
                   SELECT 'msg_' || lpad(i::text, 8, '0'), 'app_1', 'a', \
                     CASE WHEN i % 10 = 0 THEN '{{\"p\":\"' || repeat('x', 1000) || '\"}}' END, \
                     i + 1000, i \
                   FROM generate_series(1, {HISTORY}) AS i; \
                 INSERT INTO attempts (id, msg_id, endpoint_id, app_id, url, status, \
                   response_status_code, response, response_duration_ms, trigger_type, created_at) \
                   SELECT 'atmpt_' || lpad(i::text, 8, '0'), 'msg_' || lpad(i::text, 8, '0'), \
                     'ep_1', 'app_1', 'https://x', 2, 500, \
                     CASE WHEN i <= {FULL_BODIES} THEN repeat('x', 16384) ELSE 'ok' END, \
                     1, 'scheduled', i \
                   FROM generate_series(1, {HISTORY}) AS i; \
                 ANALYZE;"
            )
            .as_str(),
        )
        .await
        .unwrap();
        for (sql, index, table) in [
            (EXPIRE_PAYLOADS_SQL, "messages_payload_expiry", "messages"),
            (PRUNE_ATTEMPTS_SQL, "attempts_by_created_at", "attempts"),
        ] {
            let plan: String = sqlx::query_scalar::<_, String>(&format!("EXPLAIN {sql}"))
                .bind(HISTORY / 10)
                .bind(BATCH)
                .fetch_all(&mut conn)
                .await
                .unwrap()
                .join("\n");
            assert!(plan.contains(index), "{plan}");
            assert!(plan.contains(&format!("{table}_pkey")), "{plan}");
            assert!(!plan.contains(&format!("Seq Scan on {table}")), "{plan}");
        }
        let plan: String =
            sqlx::query_scalar::<_, String>(&format!("EXPLAIN {EXPIRE_PAYLOADS_SQL}"))
                .bind(HISTORY / 10)
                .bind(BATCH)
                .fetch_all(&mut conn)
                .await
                .unwrap()
                .join("\n");
        assert!(
            plan.contains("attempts_msg"),
            "request bodies by message: {plan}"
        );
        assert!(!plan.contains("Seq Scan on attempts"), "{plan}");
        let at = |ms: i64| crate::codec::ts(ms).unwrap();
        let batch = u32::try_from(BATCH).unwrap();
        let started = std::time::Instant::now();
        let expired = expire_payloads(&store, at(HISTORY + 1000), batch)
            .await
            .unwrap();
        let payloads = started.elapsed();
        let started = std::time::Instant::now();
        let pruned = prune_attempts(&store, at(HISTORY), batch).await.unwrap();
        let attempts = started.elapsed();
        assert_eq!((expired, pruned), (BATCH as u64, BATCH as u64));
        eprintln!(
            "PostgreSQL, {HISTORY} rows: one batch of {BATCH} expired payloads took \
             {payloads:?}, of {BATCH} attempts with 16 KiB bodies {attempts:?}"
        );
    }
}
