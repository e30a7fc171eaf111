//! Migrations that move stored data, checked from a database as the previous migration left
//! it. This file must not test the `Store` contract; the conformance suite does.

use hookd_core::{portal::PortalScope, store::Directory};
use hookd_store_postgres::{testing::TestDatabase, PgStore};
use sqlx::{ConnectOptions, Connection};

/// Migration 0006 keeps what was stored before it: an event type's single feature flag becomes
/// its one flag, and tokens keep the default scope (every capability, not read-only).
#[tokio::test]
async fn migration_0006_carries_flags_and_tokens_over() {
    let db = TestDatabase::create().await;
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
        let mut conn = db.options().connect().await.unwrap();
        before.run(&mut conn).await.unwrap();
        for statement in [
            "INSERT INTO event_types (name, description, archived, deprecated, feature_flag, \
             created_at, updated_at, options) VALUES ('beta.type', 'd', FALSE, FALSE, 'beta', \
             1, 1, '{}'), ('open.type', 'd', FALSE, FALSE, NULL, 1, 1, '{}')",
            "INSERT INTO tokens (id, hash, app_id, name, created_at, expires_at) \
             VALUES ('key_1', 'h1', NULL, 'admin', 1, NULL)",
        ] {
            sqlx::query(statement).execute(&mut conn).await.unwrap();
        }
        conn.close().await.unwrap();
    }
    let store = PgStore::connect(&db.url()).await.unwrap();
    let beta = store.get_event_type("beta.type").await.unwrap().unwrap();
    assert_eq!(beta.feature_flags, ["beta".to_owned()].into());
    let open = store.get_event_type("open.type").await.unwrap().unwrap();
    assert!(open.feature_flags.is_empty());
    let token = store.token_by_hash("h1").await.unwrap().unwrap();
    assert_eq!(token.portal, PortalScope::default());
}
