//! Cases for `Idempotency-Key` records.
//!
//! These cases must not read the clock: every `now` and cutoff is computed from the fixture's.

use std::sync::Arc;

use chrono::Duration;
use hookd_core::{
    model::StoredResponse,
    store::{IdempotencyBegin, Store},
};

use crate::fixture::Fixture;

/// How long the cases keep a record alive: anything created before `now - RETENTION` counts
/// as expired.
const RETENTION: Duration = Duration::hours(24);

/// A free key is reserved; while reserved, later requests see `InProgress`; once finished,
/// they see `Completed` with the first request's fingerprint and response; abandoning a
/// reservation frees the key, but abandoning a finished key changes nothing.
pub async fn idempotency_lifecycle(store: Arc<dyn Store>) {
    let fx = Fixture::new();
    let now = fx.now();
    let cutoff = now - RETENTION;
    assert_eq!(
        store
            .idempotency_begin("k1", "hash-1", now, cutoff)
            .await
            .unwrap(),
        IdempotencyBegin::Started
    );
    assert_eq!(
        store
            .idempotency_begin("k1", "hash-2", now, cutoff)
            .await
            .unwrap(),
        IdempotencyBegin::InProgress
    );
    let response = StoredResponse {
        status: 202,
        body: r#"{"id":"msg_x"}"#.into(),
    };
    store.idempotency_finish("k1", &response).await.unwrap();
    let completed = IdempotencyBegin::Completed {
        request_hash: "hash-1".into(),
        response: response.clone(),
    };
    assert_eq!(
        store
            .idempotency_begin("k1", "hash-2", now, cutoff)
            .await
            .unwrap(),
        completed
    );
    store.idempotency_abandon("k1").await.unwrap();
    assert_eq!(
        store
            .idempotency_begin("k1", "hash-1", now, cutoff)
            .await
            .unwrap(),
        completed,
        "a finished key is not released by abandon"
    );

    let empty = StoredResponse {
        status: 204,
        body: String::new(),
    };
    assert_eq!(
        store
            .idempotency_begin("k2", "h", now, cutoff)
            .await
            .unwrap(),
        IdempotencyBegin::Started
    );
    store.idempotency_abandon("k2").await.unwrap();
    assert_eq!(
        store
            .idempotency_begin("k2", "h2", now, cutoff)
            .await
            .unwrap(),
        IdempotencyBegin::Started,
        "an abandoned key is free again"
    );
    store.idempotency_finish("k2", &empty).await.unwrap();
    assert_eq!(
        store
            .idempotency_begin("k2", "h3", now, cutoff)
            .await
            .unwrap(),
        IdempotencyBegin::Completed {
            request_hash: "h2".into(),
            response: empty,
        }
    );
    store.idempotency_abandon("never-used").await.unwrap();
}

/// Records created before `expired_before` count as absent and are replaced by the new
/// request; pruning deletes records created before the cutoff and reports how many.
pub async fn idempotency_expiry_and_prune(store: Arc<dyn Store>) {
    let fx = Fixture::new();
    let t0 = fx.now();
    let begin = |key: &'static str, hash: &'static str, at, expired_before| {
        let store = Arc::clone(&store);
        async move {
            store
                .idempotency_begin(key, hash, at, expired_before)
                .await
                .unwrap()
        }
    };
    assert_eq!(
        begin("busy", "h1", t0, t0 - RETENTION).await,
        IdempotencyBegin::Started
    );
    assert_eq!(
        begin("done", "h1", t0, t0 - RETENTION).await,
        IdempotencyBegin::Started
    );
    let response = StoredResponse {
        status: 200,
        body: "{}".into(),
    };
    store.idempotency_finish("done", &response).await.unwrap();

    let t1 = t0 + RETENTION;
    assert_eq!(
        begin("busy", "h2", t1, t0).await,
        IdempotencyBegin::InProgress,
        "created exactly at the cutoff is still live"
    );
    assert!(matches!(
        begin("done", "h2", t1, t0).await,
        IdempotencyBegin::Completed { .. }
    ));
    let t2 = t1 + Duration::milliseconds(1);
    let cutoff = t2 - RETENTION;
    assert_eq!(
        begin("busy", "h2", t2, cutoff).await,
        IdempotencyBegin::Started
    );
    assert_eq!(
        begin("done", "h2", t2, cutoff).await,
        IdempotencyBegin::Started
    );
    assert_eq!(
        begin("done", "h3", t2, cutoff).await,
        IdempotencyBegin::InProgress,
        "the replacement is a fresh reservation"
    );

    // Prune: three records created at t2, t3 and t4.
    let t3 = t2 + Duration::minutes(1);
    let t4 = t3 + Duration::minutes(1);
    assert_eq!(
        begin("late", "h", t3, t3 - RETENTION).await,
        IdempotencyBegin::Started
    );
    assert_eq!(
        begin("latest", "h", t4, t4 - RETENTION).await,
        IdempotencyBegin::Started
    );
    assert_eq!(
        store.idempotency_prune(t2).await.unwrap(),
        0,
        "strictly before"
    );
    assert_eq!(store.idempotency_prune(t4).await.unwrap(), 3);
    assert_eq!(store.idempotency_prune(t4).await.unwrap(), 0);
    assert_eq!(
        begin("busy", "h9", t4, t4 - RETENTION).await,
        IdempotencyBegin::Started,
        "a pruned key is free"
    );
    assert_eq!(
        begin("latest", "h9", t4, t4 - RETENTION).await,
        IdempotencyBegin::InProgress,
        "an unpruned key is kept"
    );
}
