//! The audit log's rows: written in batches, listed by id (which sorts by time), pruned by age
//! in bounded batches along `audit_log_at`.
//!
//! This module must not decide what is audited.

use hookd_core::{
    id::{AuditId, TokenId},
    page::{ListQuery, Page},
    store::{AuditEntry, StoreResult},
    Timestamp,
};

use crate::{corrupt, ms, queries::page::push_page, ts, Columns, Database, Statement};

const COLUMNS: &str = "id, at, token_id, method, route, path, status, client";

fn decode(row: &impl Columns) -> StoreResult<AuditEntry> {
    let status = row.int("status")?;
    Ok(AuditEntry {
        id: AuditId::from_trusted(row.text("id")?),
        at: ts(row.int("at")?)?,
        token_id: TokenId::from_trusted(row.text("token_id")?),
        method: row.text("method")?,
        route: row.text("route")?,
        path: row.text("path")?,
        status: u16::try_from(status).map_err(|_| corrupt(format!("audit status {status}")))?,
        client: row.opt_text("client")?,
    })
}

/// Rows per statement: eight values each, far below either database's limit on values.
const ROWS_PER_STATEMENT: usize = 500;

pub async fn record(db: &impl Database, entries: &[AuditEntry]) -> StoreResult<()> {
    for chunk in entries.chunks(ROWS_PER_STATEMENT) {
        let mut st = Statement::new(format!("INSERT INTO audit_log ({COLUMNS}) VALUES "));
        for (i, e) in chunk.iter().enumerate() {
            if i > 0 {
                st.push(", ");
            }
            st.push("(");
            st.push_bind(e.id.as_str());
            for arg in [
                int_arg(ms(e.at)),
                e.token_id.as_str().into(),
                e.method.as_str().into(),
                e.route.as_str().into(),
                e.path.as_str().into(),
                int_arg(i64::from(e.status)),
                e.client.as_deref().into(),
            ] {
                st.push(", ").push_bind(arg);
            }
            st.push(")");
        }
        db.write(st).await?;
    }
    Ok(())
}

/// An integer as a value, for the row's list of them.
fn int_arg(n: i64) -> crate::Arg<'static> {
    n.into()
}

pub async fn list<D: Database>(db: &D, query: &ListQuery) -> StoreResult<Page<AuditEntry>> {
    let mut st = Statement::new(format!("SELECT {COLUMNS} FROM audit_log WHERE TRUE"));
    push_page(&mut st, "id", query);
    let entries = db
        .read_all(st)
        .await?
        .iter()
        .map(|r| decode(&D::columns(r)))
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Page::assemble(entries, query, |e| e.id.to_string()))
}

/// The oldest first, up to `limit`, so each call costs the same however long the log is.
pub async fn prune(db: &impl Database, before: Timestamp, limit: u32) -> StoreResult<u64> {
    db.write(
        Statement::new(
            "DELETE FROM audit_log WHERE id IN \
             (SELECT id FROM audit_log WHERE at < $1 ORDER BY at LIMIT $2)",
        )
        .bind(ms(before))
        .bind(i64::from(limit)),
    )
    .await
}
