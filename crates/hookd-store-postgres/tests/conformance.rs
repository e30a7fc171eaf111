//! Runs the store conformance suite against `PgStore`, each case on a fresh database of its
//! own (created with a linguistic default collation, see `testing`), dropped when the case
//! ends.
//!
//! This file must not add or adapt cases: the suite runs unchanged against every store.

use std::sync::Arc;

use hookd_store_conformance::TestStore;
use hookd_store_postgres::{testing::TestDatabase, PgStore};

/// Connects a store to a new, empty database; the harness keeps the database until the case
/// has finished, then drops it.
async fn fresh_store() -> TestStore {
    let db = TestDatabase::create().await;
    let store = PgStore::connect(&db.url()).await.expect("connect store");
    TestStore::new(Arc::new(store), db)
}

hookd_store_conformance::conformance_tests!(fresh_store);
