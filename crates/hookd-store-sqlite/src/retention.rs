//! Retention: removing expired message payloads and old attempts, a bounded batch per call.
//!
//! Each statement picks at most `limit` rows along an index in the order they expire and
//! changes only those, so a call costs the same with a million expired rows as with ten and
//! holds SQLite's one writer only briefly; the caller (the server's maintenance job) pauses
//! between batches so that the delivery queue's writes get their turn. This module must not
//! touch the delivery queue, nor decide how long anything is kept: the caller passes the
//! cut-off times.

use hookd_core::{store::StoreResult, Timestamp};

use crate::{
    codec::{ms, to_json},
    error,
    messages::REMOVE_SENT_BODIES_SQL,
    SqliteStore,
};

/// Clears the payloads of the messages whose payload expired first, returning their ids. The
/// inner `SELECT` walks `messages_payload_expiry`, whose `WHERE payload IS NOT NULL` the query
/// repeats literally so that SQLite can use the partial index; cleared rows leave the index,
/// so the next batch starts where this one ended.
pub(crate) const EXPIRE_PAYLOADS_SQL: &str = "\
    UPDATE messages SET payload = NULL WHERE rowid IN ( \
      SELECT rowid FROM messages \
      WHERE payload IS NOT NULL AND payload_expires_at <= ?1 \
      ORDER BY payload_expires_at LIMIT ?2) \
    RETURNING id";

/// Deletes the oldest attempts, walking `attempts_by_created_at`.
pub(crate) const PRUNE_ATTEMPTS_SQL: &str = "\
    DELETE FROM attempts WHERE rowid IN ( \
      SELECT rowid FROM attempts WHERE created_at < ?1 ORDER BY created_at LIMIT ?2)";

pub(crate) async fn expire_payloads(
    store: &SqliteStore,
    now: Timestamp,
    limit: u32,
) -> StoreResult<u64> {
    // One transaction: the request bodies that attempts recorded from these payloads (through
    // an envelope) expire with them, as an expunge removes them.
    let mut tx = store.begin_write().await?;
    let expired: Vec<String> = sqlx::query_scalar(EXPIRE_PAYLOADS_SQL)
        .bind(ms(now))
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await
        .map_err(error::map)?;
    if !expired.is_empty() {
        sqlx::query(REMOVE_SENT_BODIES_SQL)
            .bind(to_json(&expired)?)
            .execute(&mut *tx)
            .await
            .map_err(error::map)?;
    }
    tx.commit().await.map_err(error::map)?;
    Ok(expired.len() as u64)
}

pub(crate) async fn prune_attempts(
    store: &SqliteStore,
    before: Timestamp,
    limit: u32,
) -> StoreResult<u64> {
    let done = sqlx::query(PRUNE_ATTEMPTS_SQL)
        .bind(ms(before))
        .bind(i64::from(limit))
        .execute(&store.write)
        .await
        .map_err(error::map)?;
    Ok(done.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plan of `sql` (with its parameters bound to plausible values), one detail a line.
    async fn plan(store: &SqliteStore, sql: &str) -> String {
        let rows: Vec<(i64, i64, i64, String)> =
            sqlx::query_as(&format!("EXPLAIN QUERY PLAN {sql}"))
                .bind(1_000_i64)
                .bind(1_000_i64)
                .fetch_all(&store.read)
                .await
                .unwrap();
        rows.into_iter().map(|r| r.3).collect::<Vec<_>>().join("\n")
    }

    /// Rows of history in the timing: messages with a payload, and attempts, the oldest
    /// [`FULL_BODIES`] of them with a full 16 KiB response body.
    const HISTORY: i64 = 50_000;
    /// Attempts with a full body: two batches' worth.
    const FULL_BODIES: i64 = 2_000;
    /// The server's batch size.
    const BATCH: u32 = 1_000;

    /// Each batch reads its rows through an index, never by scanning the table: the cost of a
    /// batch must not grow with the history. Also reports how long a batch of the server's
    /// size takes on a history of [`HISTORY`] rows (a figure in the README; not asserted).
    #[tokio::test]
    async fn retention_batches_walk_indexes_not_tables() {
        let dir = tempfile::TempDir::new().unwrap();
        let store = SqliteStore::open(&dir.path().join("hookd.db"))
            .await
            .unwrap();
        sqlx::raw_sql(&format!(
            "INSERT INTO applications VALUES ('app_1', NULL, 'a', NULL, '{{}}', 0, 0); \
             INSERT INTO endpoints (id, app_id, url, description, disabled, metadata, headers, \
               secret, old_secrets, created_at, updated_at) \
               VALUES ('ep_1', 'app_1', 'https://x', '', 0, '{{}}', '{{}}', 's', '[]', 0, 0); \
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {HISTORY}) \
             INSERT INTO messages (id, app_id, event_type, payload, payload_expires_at, \
               created_at) \
               SELECT printf('msg_%08d', i), 'app_1', 'a', printf('{{\"p\":\"%.1000c\"}}', 'x'), \
                 i, i FROM n; \
             INSERT INTO attempts (id, msg_id, endpoint_id, app_id, url, status, \
               response_status_code, response, response_duration_ms, trigger_type, created_at) \
               SELECT printf('atmpt_%08d', rowid), id, 'ep_1', 'app_1', 'https://x', 2, 500, \
                 CASE WHEN rowid <= {FULL_BODIES} THEN printf('%.16384c', 'x') ELSE 'ok' END, \
                 1, 'scheduled', created_at FROM messages;"
        ))
        .execute(&store.write)
        .await
        .unwrap();
        for (sql, index) in [
            (EXPIRE_PAYLOADS_SQL, "messages_payload_expiry"),
            (PRUNE_ATTEMPTS_SQL, "attempts_by_created_at"),
        ] {
            let plan = plan(&store, sql).await;
            assert!(plan.contains(index), "{plan}");
            assert!(
                plan.lines().all(|step| !step.starts_with("SCAN")),
                "no step reads a whole table: {plan}"
            );
        }
        // The request bodies of the expired payloads' attempts are found through
        // `attempts_msg`, by the ids the expiry returned.
        let rows: Vec<(i64, i64, i64, String)> =
            sqlx::query_as(&format!("EXPLAIN QUERY PLAN {REMOVE_SENT_BODIES_SQL}"))
                .bind(r#"["msg_00000001"]"#)
                .fetch_all(&store.read)
                .await
                .unwrap();
        let plan = rows.into_iter().map(|r| r.3).collect::<Vec<_>>().join("\n");
        assert!(plan.contains("attempts_msg"), "{plan}");
        assert!(!plan.contains("SCAN attempts"), "{plan}");
        let at = |ms: i64| crate::codec::ts(ms).unwrap();
        let started = std::time::Instant::now();
        assert_eq!(
            expire_payloads(&store, at(HISTORY), BATCH).await.unwrap(),
            u64::from(BATCH)
        );
        let payloads = started.elapsed();
        let started = std::time::Instant::now();
        assert_eq!(
            prune_attempts(&store, at(HISTORY), BATCH).await.unwrap(),
            u64::from(BATCH)
        );
        let attempts = started.elapsed();
        eprintln!(
            "SQLite, {HISTORY} rows: one batch of {BATCH} expired payloads took {payloads:?}, \
             of {BATCH} attempts with 16 KiB bodies {attempts:?}"
        );
    }
}
