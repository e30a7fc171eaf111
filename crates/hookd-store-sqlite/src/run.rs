//! How this store runs the statements that [`hookd_store_sql::queries`] writes once for both
//! SQL stores: each [`Arg`] bound the way SQLite keeps it (documents and name lists as JSON
//! text, booleans as integers), changes on the single write connection, reads on the read
//! pool.
//!
//! This module must not hold SQL of its own beyond the dialect's spelling of
//! [`Database::holds_name`].

use std::borrow::Cow;

use hookd_core::store::{StoreError, StoreResult};
use hookd_store_sql::{Arg, Columns, Database, Statement};
use sqlx::{
    query::Query,
    sqlite::{SqliteArguments, SqliteRow},
    Sqlite,
};

use crate::{codec, error, SqliteStore};

/// `sql` with `args` bound, to run on any connection or transaction of this store.
pub(crate) fn bound<'q>(
    sql: &'q str,
    args: Vec<Arg<'q>>,
) -> StoreResult<Query<'q, Sqlite, SqliteArguments<'q>>> {
    let mut query = sqlx::query(sql);
    for arg in args {
        query = match arg {
            Arg::Text(text) => query.bind(text),
            Arg::Int(n) => query.bind(n),
            Arg::Bool(b) => query.bind(b),
            Arg::Json(text) => query.bind(text),
            Arg::Names(names) => query.bind(names.map(|n| json_list(&n)).transpose()?),
        };
    }
    Ok(query)
}

/// A list of names as JSON text.
fn json_list(names: &[Cow<'_, str>]) -> StoreResult<String> {
    serde_json::to_string(names).map_err(|e| StoreError::Other(Box::new(e)))
}

impl Database for SqliteStore {
    type Row = SqliteRow;

    fn columns(row: &SqliteRow) -> impl Columns + '_ {
        codec::Sqlite(row)
    }

    fn holds_name(list_column: &str, placeholder: &str) -> String {
        format!(
            "EXISTS (SELECT 1 FROM json_each({list_column}) WHERE json_each.value = {placeholder})"
        )
    }

    async fn write(&self, statement: Statement<'_>) -> StoreResult<u64> {
        let (sql, args) = statement.into_parts();
        let done = bound(&sql, args)?
            .execute(&self.write)
            .await
            .map_err(error::map)?;
        Ok(done.rows_affected())
    }

    async fn read_optional(&self, statement: Statement<'_>) -> StoreResult<Option<SqliteRow>> {
        let (sql, args) = statement.into_parts();
        bound(&sql, args)?
            .fetch_optional(&self.read)
            .await
            .map_err(error::map)
    }

    async fn read_all(&self, statement: Statement<'_>) -> StoreResult<Vec<SqliteRow>> {
        let (sql, args) = statement.into_parts();
        bound(&sql, args)?
            .fetch_all(&self.read)
            .await
            .map_err(error::map)
    }
}
