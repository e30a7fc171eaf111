//! How the PostgreSQL store writes and reads the values [`hookd_store_sql`] leaves to each
//! database: documents as JSONB, name lists as `TEXT[]`, integers of their columns' widths,
//! and the [`Columns`] that its entity decoders read PostgreSQL rows through. Column lists,
//! stored times and the decoders themselves are shared with the SQLite store, and re-exported
//! here for this crate's modules. This module must not run queries.

use hookd_core::{
    model::{Delivery, Endpoint, Message, OldSecret},
    store::StoreResult,
    Timestamp,
};
use hookd_store_sql::{corrupt, Columns, StoredOldSecret};
pub(crate) use hookd_store_sql::{
    ms, ms_ceil, old_secrets_from_json, ts, DELIVERY_COLUMNS, ENDPOINT_COLUMNS, MESSAGE_COLUMNS,
};
use serde::de::DeserializeOwned;
use sqlx::{postgres::PgRow, types::Json, Column, Row, TypeInfo};

use crate::error;

/// Old secrets as a JSONB parameter.
pub(crate) fn old_secrets_json(secrets: &[OldSecret]) -> Json<Vec<StoredOldSecret>> {
    Json(hookd_store_sql::stored_old_secrets(secrets))
}

/// A document that does not fit its type, reported as a corrupt row rather than a decoding
/// bug, like every other value this code never writes.
fn from_value<T: DeserializeOwned>(value: serde_json::Value, column: &str) -> StoreResult<T> {
    serde_json::from_value(value).map_err(|e| corrupt(format!("{column}: {e}")))
}

/// A PostgreSQL row as [`Columns`]: integers of whatever width the column has (`SMALLINT`
/// statuses, `INTEGER` counts and rates, `BIGINT` times), JSON as JSONB, name lists as
/// `TEXT[]`.
pub(crate) struct Pg<'r>(pub(crate) &'r PgRow);

impl Pg<'_> {
    fn get<'r, T>(&'r self, column: &str) -> StoreResult<T>
    where
        T: sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
    {
        self.0.try_get(column).map_err(error::map)
    }

    /// The column's width in bytes, from its declared type; sqlx decodes each width only
    /// into the Rust type of that width.
    fn int_width(&self, column: &str) -> StoreResult<u8> {
        let col = self.0.try_column(column).map_err(error::map)?;
        match col.type_info().name() {
            "INT2" => Ok(2),
            "INT4" => Ok(4),
            "INT8" => Ok(8),
            other => Err(corrupt(format!("{column}: {other} is not an integer"))),
        }
    }
}

impl Columns for Pg<'_> {
    fn text(&self, column: &str) -> StoreResult<String> {
        self.get(column)
    }
    fn opt_text(&self, column: &str) -> StoreResult<Option<String>> {
        self.get(column)
    }
    fn int(&self, column: &str) -> StoreResult<i64> {
        self.opt_int(column)?
            .ok_or_else(|| corrupt(format!("{column} is NULL")))
    }
    fn opt_int(&self, column: &str) -> StoreResult<Option<i64>> {
        Ok(match self.int_width(column)? {
            2 => self.get::<Option<i16>>(column)?.map(i64::from),
            4 => self.get::<Option<i32>>(column)?.map(i64::from),
            _ => self.get::<Option<i64>>(column)?,
        })
    }
    fn boolean(&self, column: &str) -> StoreResult<bool> {
        self.get(column)
    }
    fn json<T: DeserializeOwned>(&self, column: &str) -> StoreResult<T> {
        from_value(self.get::<Json<serde_json::Value>>(column)?.0, column)
    }
    fn opt_json<T: DeserializeOwned>(&self, column: &str) -> StoreResult<Option<T>> {
        self.get::<Option<Json<serde_json::Value>>>(column)?
            .map(|value| from_value(value.0, column))
            .transpose()
    }
    fn names(&self, column: &str) -> StoreResult<Option<Vec<String>>> {
        self.get(column)
    }
}

/// Decodes an endpoint selected with [`ENDPOINT_COLUMNS`].
pub(crate) fn endpoint(row: &PgRow) -> StoreResult<Endpoint> {
    hookd_store_sql::endpoint(&Pg(row))
}

/// Decodes a message selected with [`MESSAGE_COLUMNS`].
pub(crate) fn message(row: &PgRow) -> StoreResult<Message> {
    hookd_store_sql::message(&Pg(row))
}

/// Decodes a delivery selected with [`DELIVERY_COLUMNS`].
pub(crate) fn delivery(row: &PgRow) -> StoreResult<Delivery> {
    hookd_store_sql::delivery(&Pg(row))
}

/// Decodes the lease of a delivery selected with [`DELIVERY_COLUMNS`]; `None` if it has none.
pub(crate) fn lease(row: &PgRow) -> StoreResult<Option<(String, Timestamp)>> {
    hookd_store_sql::lease(&Pg(row))
}

#[cfg(test)]
mod tests {
    use hookd_core::{
        id::{AppId, AttemptId, MsgId},
        model::{SentBody, SentRequest},
    };

    /// Attempts recorded under migration 0004 (headers and envelope in one JSON document)
    /// read back after 0005: one sent as published keeps its headers, with the payload as its
    /// body; one that went through an envelope cannot say which bytes it sent, so it counts
    /// as unrecorded; one without a record stays without.
    #[tokio::test]
    async fn requests_recorded_before_0005_are_carried_over() {
        use hookd_core::store::History;
        use sqlx::{ConnectOptions, Executor};

        let db = crate::testing::TestDatabase::create().await;
        let mut up_to_0004 = sqlx::migrate!("./migrations");
        up_to_0004.migrations = up_to_0004
            .migrations
            .iter()
            .filter(|m| m.version <= 4)
            .cloned()
            .collect::<Vec<_>>()
            .into();
        let mut conn = db.options().connect().await.unwrap();
        up_to_0004.run(&mut conn).await.unwrap();
        conn.execute(
            r#"INSERT INTO applications VALUES ('app_1', NULL, 'a', NULL, '{}', 0, 0);
               INSERT INTO endpoints (id, app_id, url, description, disabled, metadata, headers,
                 secret, old_secrets, created_at, updated_at)
                 VALUES ('ep_1', 'app_1', 'https://x', '', false, '{}', '{}', 's', '[]', 0, 0);
               INSERT INTO messages (id, app_id, event_type, payload, created_at)
                 VALUES ('msg_1', 'app_1', 'a', '{"a":1}', 0);
               INSERT INTO attempts (id, msg_id, endpoint_id, app_id, url, status,
                 response_status_code, response, response_duration_ms, trigger_type,
                 created_at, request)
                 VALUES
                 ('atmpt_1', 'msg_1', 'ep_1', 'app_1', 'https://x', 0, 200, '', 1, 'scheduled',
                  1, '{"headers":[["webhook-id","msg_1"],["x-key","••••••"]]}'),
                 ('atmpt_2', 'msg_1', 'ep_1', 'app_1', 'https://x', 0, 200, '', 1, 'scheduled',
                  2, '{"headers":[["webhook-id","msg_1"]],"envelope":{"template":{}}}'),
                 ('atmpt_3', 'msg_1', 'ep_1', 'app_1', 'https://x', 0, 200, '', 1, 'scheduled',
                  3, NULL);"#,
        )
        .await
        .unwrap();
        drop(conn);

        let store = crate::PgStore::connect_with(db.options()).await.unwrap();
        let (app, msg) = (AppId::from_trusted("app_1"), MsgId::from_trusted("msg_1"));
        let request = |id: &'static str| {
            let store = store.clone();
            let (app, msg) = (app.clone(), msg.clone());
            async move {
                store
                    .get_attempt(&app, &msg, &AttemptId::from_trusted(id))
                    .await
                    .unwrap()
                    .unwrap()
                    .request
            }
        };
        assert_eq!(
            request("atmpt_1").await,
            Some(SentRequest {
                headers: vec![
                    ("webhook-id".into(), "msg_1".into()),
                    ("x-key".into(), "••••••".into()),
                ],
                body: SentBody::Payload,
            })
        );
        assert_eq!(request("atmpt_2").await, None);
        assert_eq!(request("atmpt_3").await, None);
        store.close().await;
    }
}
