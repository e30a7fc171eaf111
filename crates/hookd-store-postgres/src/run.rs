//! How this store runs the statements that [`hookd_store_sql::queries`] writes once for both
//! SQL stores: each [`Arg`] bound the way PostgreSQL keeps it (documents as JSONB, name lists
//! as `TEXT[]`), on the store's pool.
//!
//! This module must not hold SQL of its own beyond the dialect's spelling of
//! [`Database::holds_name`].

use hookd_core::store::StoreResult;
use hookd_store_sql::{corrupt, Arg, Columns, Database, Statement};
use serde_json::value::RawValue;
use sqlx::{
    postgres::{PgArguments, PgRow},
    query::Query,
    types::Json,
    Postgres,
};

use crate::{codec, error, PgStore};

/// `sql` with `args` bound, to run on the pool or inside a transaction.
pub(crate) fn bound<'q>(
    sql: &'q str,
    args: Vec<Arg<'q>>,
) -> StoreResult<Query<'q, Postgres, PgArguments>> {
    let mut query = sqlx::query(sql);
    for arg in args {
        query = match arg {
            Arg::Text(text) => query.bind(text),
            Arg::Int(n) => query.bind(n),
            Arg::Bool(b) => query.bind(b),
            Arg::Json(text) => query.bind(text.map(jsonb).transpose()?),
            Arg::Names(names) => query.bind(names),
        };
    }
    Ok(query)
}

/// Serialized JSON as a JSONB parameter, passed through as written.
fn jsonb(text: String) -> StoreResult<Json<Box<RawValue>>> {
    RawValue::from_string(text)
        .map(Json)
        .map_err(|e| corrupt(format!("document to store: {e}")))
}

impl Database for PgStore {
    type Row = PgRow;

    fn columns(row: &PgRow) -> impl Columns + '_ {
        codec::Pg(row)
    }

    fn holds_name(list_column: &str, placeholder: &str) -> String {
        format!("{placeholder} = ANY ({list_column})")
    }

    async fn write(&self, statement: Statement<'_>) -> StoreResult<u64> {
        let (sql, args) = statement.into_parts();
        let done = bound(&sql, args)?
            .execute(&self.pool)
            .await
            .map_err(error::map)?;
        Ok(done.rows_affected())
    }

    async fn read_optional(&self, statement: Statement<'_>) -> StoreResult<Option<PgRow>> {
        let (sql, args) = statement.into_parts();
        bound(&sql, args)?
            .fetch_optional(&self.pool)
            .await
            .map_err(error::map)
    }

    async fn read_all(&self, statement: Statement<'_>) -> StoreResult<Vec<PgRow>> {
        let (sql, args) = statement.into_parts();
        bound(&sql, args)?
            .fetch_all(&self.pool)
            .await
            .map_err(error::map)
    }
}
