//! Keeping the single write connection usable after a write fails: the check the write pool
//! runs on every connection it gets back, which retires a connection that a failure left inside
//! a transaction so that the pool opens a fresh one in its place.
//!
//! Why it is needed: when a statement or a `COMMIT` fails because the disk is full (or on some
//! I/O errors), SQLite may roll the transaction back by itself. The `ROLLBACK` that sqlx then
//! sends for the dropped transaction fails ("no transaction is active"), and sqlx, which counts
//! transaction depth itself, goes on believing the connection is inside a transaction. Every
//! later `BEGIN` on it is refused ("attempted to call begin_with at non-zero transaction
//! depth") and every write fails until the process restarts, long after the disk has space
//! again. A fresh connection has no such memory.
//!
//! This module must not retire a connection that is healthy (the write connection keeps its
//! prepared statements warm), nor write anything itself.

use sqlx::{Connection, SqliteConnection};

/// Whether a write connection that was just released can go back to the pool. `Ok(false)`
/// makes the pool close it and open another on the next acquire.
pub(crate) async fn reusable(conn: &mut SqliteConnection) -> Result<bool, sqlx::Error> {
    // A dropped transaction queues its rollback on the connection's worker without waiting
    // for it; the ping queues behind that rollback, so once it answers, the depth read below
    // is the one the rollback left, not the one before it.
    conn.ping().await?;
    if conn.is_in_transaction() {
        tracing::warn!(
            "a failed write left the SQLite write connection inside a transaction; \
             replacing the connection"
        );
        return Ok(false);
    }
    Ok(true)
}
