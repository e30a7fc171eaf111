//! How the SQLite store writes and reads the values [`hookd_store_sql`] leaves to each
//! database: structured fields and name lists as JSON text, and the [`Columns`] that its
//! entity decoders read SQLite rows through. Column lists, stored times and the decoders
//! themselves are shared with the PostgreSQL store, and re-exported here for this crate's
//! modules. This module must not run queries.

use hookd_core::{
    model::{Delivery, Endpoint, Message, OldSecret, SentRequest},
    store::{StoreError, StoreResult},
    Timestamp,
};
use hookd_store_sql::{corrupt, Columns};
pub(crate) use hookd_store_sql::{
    ms, ms_ceil, old_secrets_from_json, ts, DELIVERY_COLUMNS, ENDPOINT_COLUMNS, MESSAGE_COLUMNS,
};
use serde::{de::DeserializeOwned, Serialize};
use sqlx::{sqlite::SqliteRow, Row};

use crate::error;

/// A value as JSON text.
pub(crate) fn to_json<T: Serialize + ?Sized>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Other(Box::new(e)))
}

/// JSON text back as a value.
fn from_json<T: DeserializeOwned>(text: &str, what: &str) -> StoreResult<T> {
    serde_json::from_str(text).map_err(|e| corrupt(format!("{what}: {e}")))
}

/// Old secrets as JSON text.
pub(crate) fn old_secrets_json(secrets: &[OldSecret]) -> StoreResult<String> {
    to_json(&hookd_store_sql::stored_old_secrets(secrets))
}

/// An optional list as JSON text, `NULL` when absent (absent means "all", not "none").
pub(crate) fn opt_list_json(list: Option<&Vec<String>>) -> StoreResult<Option<String>> {
    list.map(to_json).transpose()
}

/// A recorded request as its three columns: the headers as JSON text, the body's kind, and
/// the body's text for the kinds that keep one; all `NULL` when nothing was recorded.
pub(crate) type RequestColumns<'a> = (Option<String>, Option<&'static str>, Option<&'a str>);

/// The columns of `request`.
pub(crate) fn request_columns(request: Option<&SentRequest>) -> StoreResult<RequestColumns<'_>> {
    let Some(r) = request else {
        return Ok((None, None, None));
    };
    Ok((
        Some(to_json(&r.headers)?),
        Some(r.body.kind()),
        r.body.text(),
    ))
}

/// An SQLite row as [`Columns`]: integers are INTEGER (64 bits), JSON and name lists are
/// JSON text.
pub(crate) struct Sqlite<'r>(pub(crate) &'r SqliteRow);

impl Sqlite<'_> {
    fn get<'r, T>(&'r self, column: &str) -> StoreResult<T>
    where
        T: sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>,
    {
        self.0.try_get(column).map_err(error::map)
    }
}

impl Columns for Sqlite<'_> {
    fn text(&self, column: &str) -> StoreResult<String> {
        self.get(column)
    }
    fn opt_text(&self, column: &str) -> StoreResult<Option<String>> {
        self.get(column)
    }
    fn int(&self, column: &str) -> StoreResult<i64> {
        self.get(column)
    }
    fn opt_int(&self, column: &str) -> StoreResult<Option<i64>> {
        self.get(column)
    }
    fn boolean(&self, column: &str) -> StoreResult<bool> {
        self.get(column)
    }
    fn json<T: DeserializeOwned>(&self, column: &str) -> StoreResult<T> {
        from_json(&self.get::<String>(column)?, column)
    }
    fn opt_json<T: DeserializeOwned>(&self, column: &str) -> StoreResult<Option<T>> {
        self.get::<Option<String>>(column)?
            .map(|text| from_json(&text, column))
            .transpose()
    }
    fn names(&self, column: &str) -> StoreResult<Option<Vec<String>>> {
        self.opt_json(column)
    }
}

/// Decodes an endpoint selected with [`ENDPOINT_COLUMNS`].
pub(crate) fn endpoint(row: &SqliteRow) -> StoreResult<Endpoint> {
    hookd_store_sql::endpoint(&Sqlite(row))
}

/// Decodes a message selected with [`MESSAGE_COLUMNS`].
pub(crate) fn message(row: &SqliteRow) -> StoreResult<Message> {
    hookd_store_sql::message(&Sqlite(row))
}

/// Decodes a delivery selected with [`DELIVERY_COLUMNS`].
pub(crate) fn delivery(row: &SqliteRow) -> StoreResult<Delivery> {
    hookd_store_sql::delivery(&Sqlite(row))
}

/// Decodes the lease of a delivery selected with [`DELIVERY_COLUMNS`]; `None` if it has none.
pub(crate) fn lease(row: &SqliteRow) -> StoreResult<Option<(String, Timestamp)>> {
    hookd_store_sql::lease(&Sqlite(row))
}

#[cfg(test)]
mod tests {
    use hookd_core::{
        id::{AppId, AttemptId, MsgId},
        model::SentBody,
    };

    use super::*;

    /// Attempts recorded under migration 0004 (headers and envelope in one JSON document)
    /// read back after 0005: one sent as published keeps its headers, with the payload as its
    /// body; one that went through an envelope cannot say which bytes it sent, so it counts
    /// as unrecorded; one without a record stays without.
    #[tokio::test]
    async fn requests_recorded_before_0005_are_carried_over() {
        use hookd_core::store::History;
        use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

        let dir = tempfile::TempDir::new().unwrap();
        let path = dir.path().join("hookd.db");
        let mut up_to_0004 = sqlx::migrate!("./migrations");
        up_to_0004.migrations = up_to_0004
            .migrations
            .iter()
            .filter(|m| m.version <= 4)
            .cloned()
            .collect::<Vec<_>>()
            .into();
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(
                SqliteConnectOptions::new()
                    .filename(&path)
                    .create_if_missing(true),
            )
            .await
            .unwrap();
        up_to_0004.run(&pool).await.unwrap();
        sqlx::raw_sql(
            r#"INSERT INTO applications VALUES ('app_1', NULL, 'a', NULL, '{}', 0, 0);
               INSERT INTO endpoints (id, app_id, url, description, disabled, metadata, headers,
                 secret, old_secrets, created_at, updated_at)
                 VALUES ('ep_1', 'app_1', 'https://x', '', 0, '{}', '{}', 's', '[]', 0, 0);
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
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;

        let store = crate::SqliteStore::open(&path).await.unwrap();
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
