//! Shared rate-limit state (the GCRA of `hookd_core::throttle`, one row per limit) and the
//! attempt counts behind the dashboard's charts.
//!
//! This module must not decide whether a request may go: it loads the limiter's state, lets
//! `hookd_core::throttle::Gcra` decide, and stores the result in the same write transaction.

use hookd_core::{
    model::{AttemptBucket, DURATION_BIN_UPPER_MS},
    store::{BucketQuery, StoreResult},
    throttle::Gcra,
    Timestamp,
};
use sqlx::{QueryBuilder, Row, Sqlite};

use crate::{
    codec::{ms, ts},
    error, SqliteStore,
};

pub(crate) async fn throttle_take(
    store: &SqliteStore,
    key: &str,
    per_second: u16,
    now: Timestamp,
) -> StoreResult<Result<(), Timestamp>> {
    let mut tx = store.begin_write().await?;
    let tat: Option<i64> = sqlx::query_scalar("SELECT tat FROM rate_limits WHERE key = ?")
        .bind(key)
        .fetch_optional(&mut *tx)
        .await
        .map_err(error::map)?;
    let mut gcra = Gcra::resume(tat.map(ts).transpose()?);
    let decision = gcra.check(now, per_second);
    if decision.is_ok() {
        let next = gcra.state().map(ms);
        sqlx::query("INSERT INTO rate_limits (key, tat) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET tat = ?2")
            .bind(key)
            .bind(next)
            .execute(&mut *tx)
            .await
            .map_err(error::map)?;
    }
    tx.commit().await.map_err(error::map)?;
    Ok(decision)
}

/// The SQL expression of an attempt's duration bin, from [`DURATION_BIN_UPPER_MS`].
fn bin_case() -> String {
    let mut sql = String::from("CASE");
    for (i, upper) in DURATION_BIN_UPPER_MS
        .iter()
        .enumerate()
        .take(DURATION_BIN_UPPER_MS.len() - 1)
    {
        sql.push_str(&format!(" WHEN response_duration_ms <= {upper} THEN {i}"));
    }
    sql.push_str(&format!(" ELSE {} END", DURATION_BIN_UPPER_MS.len() - 1));
    sql
}

pub(crate) async fn attempt_buckets(
    store: &SqliteStore,
    q: &BucketQuery,
) -> StoreResult<Vec<AttemptBucket>> {
    let width = i64::from(q.bucket_secs.max(1)) * 1000;
    let mut sql = QueryBuilder::<Sqlite>::new("SELECT (created_at / ");
    sql.push_bind(width)
        .push(") * ")
        .push_bind(width)
        .push(" AS bucket, status, ")
        .push(bin_case())
        .push(" AS bin, COUNT(*) AS n FROM attempts WHERE created_at >= ")
        .push_bind(ms(q.since))
        .push(" AND created_at < ")
        .push_bind(ms(q.until));
    if let Some(app) = &q.app {
        sql.push(" AND app_id = ").push_bind(app.as_str());
    }
    if let Some(ep) = &q.endpoint {
        sql.push(" AND endpoint_id = ").push_bind(ep.as_str());
    }
    sql.push(" GROUP BY bucket, status, bin ORDER BY bucket");
    let rows = sql
        .build()
        .fetch_all(&store.read)
        .await
        .map_err(error::map)?;
    let mut counts = Vec::with_capacity(rows.len());
    for row in rows {
        let start: i64 = row.try_get("bucket").map_err(error::map)?;
        let status: i64 = row.try_get("status").map_err(error::map)?;
        let bin: i64 = row.try_get("bin").map_err(error::map)?;
        let n: i64 = row.try_get("n").map_err(error::map)?;
        // Attempt status 0 is success; everything else recorded is a failure.
        counts.push((ts(start)?, status == 0, bin, n));
    }
    Ok(AttemptBucket::fold(counts))
}
