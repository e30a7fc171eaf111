//! Translation of SQLite and sqlx errors into [`StoreError`], so callers can tell a taken key
//! (their request's fault), an unavailable database (worth retrying later) and a bug apart.
//!
//! This module must not flatten an error into a string: the source error travels inside the
//! `StoreError` for logs, and only `Conflict` carries text (the name of the key).

use hookd_core::store::StoreError;
use sqlx::error::ErrorKind;

/// SQLite's primary result codes that mean "not now" rather than "never": the database is
/// locked by another connection (`SQLITE_BUSY`, `SQLITE_LOCKED`), the disk failed
/// (`SQLITE_IOERR`), is full (`SQLITE_FULL`), or the file cannot be opened (`SQLITE_CANTOPEN`).
/// Extended codes carry the primary code in their low byte.
const TRANSIENT_PRIMARY_CODES: [i64; 5] = [5, 6, 10, 13, 14];

/// Maps an sqlx error to the store's error kinds.
pub(crate) fn map(err: sqlx::Error) -> StoreError {
    match &err {
        sqlx::Error::Database(db) => {
            if db.kind() == ErrorKind::UniqueViolation {
                return StoreError::Conflict(conflict_key(db.message()).to_owned());
            }
            if db.kind() == ErrorKind::ForeignKeyViolation {
                // The parent row (an application, message or endpoint) does not exist: for
                // the caller that is the same as looking it up and not finding it.
                return StoreError::NotFound;
            }
            let transient = db
                .code()
                .and_then(|c| c.parse::<i64>().ok())
                .is_some_and(|code| TRANSIENT_PRIMARY_CODES.contains(&(code & 0xff)));
            if transient {
                StoreError::Unavailable(Box::new(err))
            } else {
                StoreError::Other(Box::new(err))
            }
        }
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => StoreError::Unavailable(Box::new(err)),
        _ => StoreError::Other(Box::new(err)),
    }
}

pub(crate) use hookd_store_sql::corrupt;

/// Names the key behind SQLite's "UNIQUE constraint failed: table.col, table.col" message in
/// the API's terms. The message format is stable across SQLite versions; an unknown message
/// is passed through rather than guessed at.
fn conflict_key(message: &str) -> &str {
    let columns = message
        .split_once("failed: ")
        .map_or(message, |(_, cols)| cols);
    match columns {
        "applications.uid" | "endpoints.app_id, endpoints.uid" => "uid",
        "messages.app_id, messages.event_id" => "eventId",
        "event_types.name" => "name",
        "tokens.hash" => "token",
        "applications.id" | "endpoints.id" | "messages.id" | "attempts.id" | "tokens.id" => "id",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use sqlx::{sqlite::SqliteConnectOptions, ConnectOptions, Connection};

    use super::*;

    async fn connect(path: &std::path::Path) -> sqlx::SqliteConnection {
        SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .busy_timeout(Duration::ZERO)
            .connect()
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn real_errors_map_to_their_kinds() {
        let dir = tempfile::TempDir::new().unwrap();
        let path = dir.path().join("t.db");
        let mut a = connect(&path).await;
        sqlx::query(
            "CREATE TABLE applications (id TEXT PRIMARY KEY, uid TEXT UNIQUE); \
             CREATE TABLE endpoints (id TEXT PRIMARY KEY, \
               app_id TEXT NOT NULL REFERENCES applications (id));",
        )
        .execute(&mut a)
        .await
        .unwrap();
        sqlx::query("INSERT INTO applications VALUES ('app_1', 'acme')")
            .execute(&mut a)
            .await
            .unwrap();

        let dup = sqlx::query("INSERT INTO applications VALUES ('app_2', 'acme')")
            .execute(&mut a)
            .await
            .unwrap_err();
        assert!(matches!(map(dup), StoreError::Conflict(key) if key == "uid"));

        let orphan = sqlx::query("INSERT INTO endpoints VALUES ('ep_1', 'app_missing')")
            .execute(&mut a)
            .await
            .unwrap_err();
        assert!(matches!(map(orphan), StoreError::NotFound));

        let bug = sqlx::query("SELECT nonsense FROM nowhere")
            .execute(&mut a)
            .await
            .unwrap_err();
        assert!(matches!(map(bug), StoreError::Other(_)));

        // Another connection holds the write lock, and we do not wait: SQLITE_BUSY.
        let mut b = connect(&path).await;
        let _held = a.begin_with("BEGIN IMMEDIATE").await.unwrap();
        let busy = b.begin_with("BEGIN IMMEDIATE").await.unwrap_err();
        let mapped = map(busy);
        assert!(matches!(mapped, StoreError::Unavailable(_)), "{mapped:?}");
    }

    #[test]
    fn conflict_messages_name_the_api_key() {
        assert_eq!(
            conflict_key("UNIQUE constraint failed: applications.uid"),
            "uid"
        );
        assert_eq!(
            conflict_key("UNIQUE constraint failed: messages.app_id, messages.event_id"),
            "eventId"
        );
        assert_eq!(conflict_key("something else"), "something else");
    }
}
