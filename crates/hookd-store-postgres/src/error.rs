//! Translation of PostgreSQL and sqlx errors into [`StoreError`], so callers can tell a taken
//! key (their request's fault), an unavailable database (worth retrying later) and a bug apart.
//!
//! This module must not flatten an error into a string: the source error travels inside the
//! `StoreError` for logs, and only `Conflict` carries text (the name of the key).

use hookd_core::store::StoreError;
use sqlx::error::ErrorKind;

/// SQLSTATE classes (the first two characters) that mean "not now" rather than "never":
/// `08` connection exceptions, `53` insufficient resources (disk full, out of memory, too many
/// connections), `57` operator intervention (`admin_shutdown`, `crash_shutdown`,
/// `cannot_connect_now`, and `query_canceled` by a statement timeout), and `58` system errors
/// (an I/O error reading or writing a data file).
const TRANSIENT_CLASSES: [&str; 4] = ["08", "53", "57", "58"];

/// Single SQLSTATEs outside those classes that a retry can also cure: a serialization failure
/// (`40001`) and a deadlock victim (`40P01`) lost a race another transaction won; a lock that
/// could not be taken in time (`55P03`); and a write sent to a server that has just become a
/// read-only standby during a failover (`25006`).
const TRANSIENT_CODES: [&str; 4] = ["40001", "40P01", "55P03", "25006"];

/// Whether a SQLSTATE means the database is unavailable for now.
fn is_transient(code: &str) -> bool {
    TRANSIENT_CODES.contains(&code)
        || code
            .get(..2)
            .is_some_and(|class| TRANSIENT_CLASSES.contains(&class))
}

/// Maps an sqlx error to the store's error kinds.
pub(crate) fn map(err: sqlx::Error) -> StoreError {
    match &err {
        sqlx::Error::Database(db) => {
            if db.kind() == ErrorKind::UniqueViolation {
                let key = db.constraint().map_or("unique", conflict_key);
                return StoreError::Conflict(key.to_owned());
            }
            if db.kind() == ErrorKind::ForeignKeyViolation {
                // The parent row (an application, message or endpoint) does not exist: for
                // the caller that is the same as looking it up and not finding it.
                return StoreError::NotFound;
            }
            if db.code().is_some_and(|code| is_transient(&code)) {
                StoreError::Unavailable(Box::new(err))
            } else {
                StoreError::Other(Box::new(err))
            }
        }
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => StoreError::Unavailable(Box::new(err)),
        _ => StoreError::Other(Box::new(err)),
    }
}

pub(crate) use hookd_store_sql::corrupt;

/// Names the key behind a unique constraint in the API's terms, with the same names as the
/// SQLite store. The constraint names are fixed by the migrations; an unknown one is passed
/// through rather than guessed at.
fn conflict_key(constraint: &str) -> &str {
    match constraint {
        "applications_uid_key" | "endpoints_app_uid_key" => "uid",
        "messages_app_event_id_key" => "eventId",
        "event_types_pkey" => "name",
        "tokens_hash_key" => "token",
        "applications_pkey" | "endpoints_pkey" | "messages_pkey" | "attempts_pkey"
        | "tokens_pkey" => "id",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use sqlx::{ConnectOptions, Executor};

    use super::*;
    use crate::testing::TestDatabase;

    #[tokio::test]
    async fn real_errors_map_to_their_kinds() {
        let db = TestDatabase::create().await;
        let mut conn = db.options().connect().await.unwrap();
        conn.execute(
            "CREATE TABLE applications (id TEXT PRIMARY KEY, uid TEXT, \
               CONSTRAINT applications_uid_key UNIQUE (uid)); \
             CREATE TABLE endpoints (id TEXT PRIMARY KEY, \
               app_id TEXT NOT NULL REFERENCES applications (id)); \
             INSERT INTO applications VALUES ('app_1', 'acme');",
        )
        .await
        .unwrap();

        let dup = conn
            .execute("INSERT INTO applications VALUES ('app_2', 'acme')")
            .await
            .unwrap_err();
        assert!(matches!(map(dup), StoreError::Conflict(key) if key == "uid"));

        let orphan = conn
            .execute("INSERT INTO endpoints VALUES ('ep_1', 'app_missing')")
            .await
            .unwrap_err();
        assert!(matches!(map(orphan), StoreError::NotFound));

        let bug = conn
            .execute("SELECT nonsense FROM nowhere")
            .await
            .unwrap_err();
        assert!(matches!(map(bug), StoreError::Other(_)));

        // An administrator (or a shutdown) ends the session: FATAL 57P01 admin_shutdown.
        let ended = conn
            .execute("SELECT pg_terminate_backend(pg_backend_pid())")
            .await
            .unwrap_err();
        let mapped = map(ended);
        assert!(matches!(mapped, StoreError::Unavailable(_)), "{mapped:?}");
        assert!(
            std::error::Error::source(&mapped).is_some(),
            "the source error is kept"
        );
    }

    #[test]
    fn transient_codes_are_recognised() {
        for code in [
            "08006", "53100", "53300", "57P01", "57014", "58030", "40P01",
        ] {
            assert!(is_transient(code), "{code}");
        }
        for code in ["23505", "42601", "XX000", "22P02"] {
            assert!(!is_transient(code), "{code}");
        }
    }

    #[test]
    fn constraint_names_map_to_the_api_key() {
        assert_eq!(conflict_key("applications_uid_key"), "uid");
        assert_eq!(conflict_key("endpoints_app_uid_key"), "uid");
        assert_eq!(conflict_key("messages_app_event_id_key"), "eventId");
        assert_eq!(conflict_key("event_types_pkey"), "name");
        assert_eq!(conflict_key("tokens_hash_key"), "token");
        assert_eq!(conflict_key("attempts_pkey"), "id");
        assert_eq!(conflict_key("something_else"), "something_else");
    }
}
