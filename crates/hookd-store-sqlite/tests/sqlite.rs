//! Behaviour specific to the SQLite store, beyond the shared conformance suite: opening and
//! reopening files, WAL mode, and the single-writer design under concurrent load.
//!
//! This file must not test the `Store` contract itself; that belongs in the shared suite.

use hookd_core::store::Directory;

use std::{str::FromStr, sync::Arc};

use hookd_core::{
    clock::{Clock, ManualClock},
    id::AppId,
    model::{Application, Metadata},
    store::Store,
};
use hookd_store_sqlite::{SqliteError, SqliteStore};
use rand::{rngs::StdRng, SeedableRng};
use sqlx::{sqlite::SqliteConnectOptions, ConnectOptions, Connection};

fn app(clock: &ManualClock, rng: &mut StdRng) -> Application {
    clock.advance(chrono::Duration::milliseconds(1));
    let now = clock.now();
    Application {
        id: AppId::generate(now, rng),
        uid: None,
        name: "app".into(),
        throttle_rate: None,
        metadata: Metadata::new(),
        created_at: now,
        updated_at: now,
    }
}

/// A raw connection to the store's file, beside the store's own pools.
async fn raw(path: &std::path::Path) -> sqlx::SqliteConnection {
    SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
        .unwrap()
        .connect()
        .await
        .unwrap()
}

#[tokio::test]
async fn open_creates_directories_and_data_survives_reopen() {
    let dir = tempfile::TempDir::new().unwrap();
    let path = dir.path().join("a").join("b").join("hookd.db");
    let clock = ManualClock::at_epoch();
    let mut rng = StdRng::seed_from_u64(1);
    let created = app(&clock, &mut rng);
    {
        let store = SqliteStore::open(&path).await.unwrap();
        store.create_app(&created).await.unwrap();
        store.close().await;
    }
    // Reopening applies no migration twice and finds the committed data.
    let store = SqliteStore::open(&path).await.unwrap();
    assert_eq!(
        store.get_app(created.id.as_str()).await.unwrap(),
        Some(created)
    );
}

#[tokio::test]
async fn database_is_in_wal_mode_with_foreign_keys() {
    let dir = tempfile::TempDir::new().unwrap();
    let path = dir.path().join("hookd.db");
    let _store = SqliteStore::open(&path).await.unwrap();
    let mut conn = raw(&path).await;
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    let violations: Vec<(String,)> = sqlx::query_as("PRAGMA foreign_key_check")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    assert!(violations.is_empty());
}

#[tokio::test]
async fn open_reports_an_unusable_directory() {
    let dir = tempfile::TempDir::new().unwrap();
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, b"not a directory").unwrap();
    let err = SqliteStore::open(&blocker.join("hookd.db"))
        .await
        .unwrap_err();
    assert!(matches!(err, SqliteError::CreateDir { .. }), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_queue_instead_of_failing() {
    const WRITERS: usize = 64;
    let dir = tempfile::TempDir::new().unwrap();
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::open(&dir.path().join("hookd.db"))
            .await
            .unwrap(),
    );
    let clock = ManualClock::at_epoch();
    let mut rng = StdRng::seed_from_u64(2);
    let apps: Vec<_> = (0..WRITERS).map(|_| app(&clock, &mut rng)).collect();
    let tasks: Vec<_> = apps
        .iter()
        .cloned()
        .map(|a| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.create_app(&a).await })
        })
        .collect();
    for task in tasks {
        task.await
            .unwrap()
            .expect("every concurrent write succeeds");
    }
    for a in &apps {
        assert!(store.get_app(a.id.as_str()).await.unwrap().is_some());
    }
}

#[tokio::test]
async fn reads_proceed_while_another_writer_holds_the_lock() {
    let dir = tempfile::TempDir::new().unwrap();
    let path = dir.path().join("hookd.db");
    let store = SqliteStore::open(&path).await.unwrap();
    let clock = ManualClock::at_epoch();
    let mut rng = StdRng::seed_from_u64(3);
    let a = app(&clock, &mut rng);
    store.create_app(&a).await.unwrap();

    // Another process's writer holds the write lock with an uncommitted change.
    let mut other = raw(&path).await;
    let mut tx = other.begin().await.unwrap();
    sqlx::query("UPDATE applications SET name = 'uncommitted'")
        .execute(&mut *tx)
        .await
        .unwrap();

    // WAL readers neither wait for it nor see its change.
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(1),
        store.get_app(a.id.as_str()),
    )
    .await
    .expect("a read does not wait for the writer")
    .unwrap();
    assert_eq!(read, Some(a));
    tx.rollback().await.unwrap();
}

/// The shared sealing case (`hookd_store_conformance::sealing`) on one SQLite file reopened
/// under different keys.
#[tokio::test]
async fn secrets_are_sealed_at_rest_and_rotated() {
    let dir = tempfile::TempDir::new().unwrap();
    let path = dir.path().join("hookd.db");
    hookd_store_conformance::sealing::secrets_sealed_at_rest_and_rotated(
        |sealer| {
            let path = path.clone();
            async move {
                let store = SqliteStore::open(&path).await.unwrap().with_sealer(sealer);
                Arc::new(store) as Arc<dyn Store>
            }
        },
        || {
            let path = path.clone();
            async move {
                let mut conn = raw(&path).await;
                let rows: Vec<(String, String)> =
                    sqlx::query_as("SELECT secret, old_secrets FROM endpoints")
                        .fetch_all(&mut conn)
                        .await
                        .unwrap();
                secret_texts(rows)
            }
        },
    )
    .await;
}

/// Each stored secret text: the current secret, and each old secret's `key` in the JSON list.
fn secret_texts(rows: Vec<(String, String)>) -> Vec<String> {
    let mut out = vec![];
    for (secret, old) in rows {
        out.push(secret);
        let old: Vec<serde_json::Value> = serde_json::from_str(&old).unwrap();
        out.extend(old.iter().map(|o| o["key"].as_str().unwrap().to_owned()));
    }
    out
}

/// The WAL reaches the database file through the background checkpoints, long before the
/// writer's own threshold: writes land in the main file while the store is open and idle.
#[tokio::test]
async fn the_wal_is_checkpointed_in_the_background() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hookd.db");
    let store = SqliteStore::open(&path).await.unwrap();
    let clock = ManualClock::at_epoch();
    let mut rng = StdRng::seed_from_u64(7);
    let mut checkpoints = store.checkpoints();
    let file_len = || std::fs::metadata(&path).unwrap().len();
    // Let a first checkpoint take whatever the migrations left in the WAL.
    let seen = *checkpoints.borrow_and_update();
    checkpoints.wait_for(|n| *n > seen).await.unwrap();
    let before = file_len();

    // 2 MB in 20 transactions: about 540 WAL frames, below even SQLite's default threshold
    // (1,000) for a checkpoint by the writer, so only the background can move them.
    for _ in 0..20 {
        let mut a = app(&clock, &mut rng);
        a.name = "x".repeat(100_000);
        store.create_app(&a).await.unwrap();
    }
    // A checkpoint that starts after the last commit copies it all.
    let seen = *checkpoints.borrow_and_update();
    checkpoints.wait_for(|n| *n > seen + 1).await.unwrap();
    assert!(
        file_len() >= before + 2_000_000,
        "database file grew from {before} to {} bytes",
        file_len()
    );
    store.close().await;
}

/// Migration 0006 keeps what was stored before it: an event type's single feature flag becomes
/// its one flag, and tokens keep the default scope (every capability, not read-only).
#[tokio::test]
async fn migration_0006_carries_flags_and_tokens_over() {
    let dir = tempfile::TempDir::new().unwrap();
    let path = dir.path().join("hookd.db");
    std::fs::File::create(&path).unwrap();
    {
        let mut before = sqlx::migrate::Migrator::new(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/migrations"
        )))
        .await
        .unwrap();
        let kept: Vec<_> = before
            .migrations
            .iter()
            .filter(|m| m.version < 6)
            .cloned()
            .collect();
        assert_eq!(kept.len(), 5);
        before.migrations = kept.into();
        let mut conn = raw(&path).await;
        before.run(&mut conn).await.unwrap();
        for statement in [
            "INSERT INTO event_types (name, description, archived, deprecated, feature_flag, \
             created_at, updated_at, options) VALUES ('beta.type', 'd', 0, 0, 'beta', 1, 1, '{}'), \
             ('open.type', 'd', 0, 0, NULL, 1, 1, '{}')",
            "INSERT INTO tokens (id, hash, app_id, name, created_at, expires_at) \
             VALUES ('key_1', 'h1', NULL, 'admin', 1, NULL)",
        ] {
            sqlx::query(statement).execute(&mut conn).await.unwrap();
        }
        conn.close().await.unwrap();
    }
    let store = SqliteStore::open(&path).await.unwrap();
    let beta = store.get_event_type("beta.type").await.unwrap().unwrap();
    assert_eq!(beta.feature_flags, ["beta".to_owned()].into());
    let open = store.get_event_type("open.type").await.unwrap().unwrap();
    assert!(open.feature_flags.is_empty());
    let token = store.token_by_hash("h1").await.unwrap().unwrap();
    assert_eq!(token.portal, hookd_core::portal::PortalScope::default());
}
