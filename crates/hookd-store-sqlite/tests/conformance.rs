//! Runs the store conformance suite against `SqliteStore`, each case on a fresh database file
//! in its own temporary directory (kept alive by the harness until the case ends).
//!
//! This file must not add or adapt cases: the suite runs unchanged against every store.

use std::sync::Arc;

use hookd_store_conformance::TestStore;
use hookd_store_sqlite::SqliteStore;

/// Opens an empty store in a new temporary directory. The database sits in a subdirectory
/// that does not exist yet, so every run also checks that `open` creates it.
async fn fresh_store() -> TestStore {
    let dir = tempfile::TempDir::new().expect("temporary directory");
    let store = SqliteStore::open(&dir.path().join("data").join("hookd.db"))
        .await
        .expect("open store");
    TestStore::new(Arc::new(store), dir)
}

hookd_store_conformance::conformance_tests!(fresh_store);
