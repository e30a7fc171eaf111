//! Health checks need no token.

use axum::http::Method;

use crate::common::{Harness, StoreMode};

#[tokio::test]
async fn health_answers_without_a_token() {
    let h = Harness::new().await;
    let r = h
        .raw(Method::GET, "/api/v1/health", None, None, &[])
        .await
        .expect(204);
    assert!(r.body.is_empty());
    h.raw(Method::GET, "/api/v1/health/ping", None, None, &[])
        .await
        .expect(204);
    h.raw(Method::HEAD, "/api/v1/health", None, None, &[])
        .await
        .expect(204);
    h.raw(Method::GET, "/api/v1/health/", None, None, &[])
        .await
        .expect(204);
}

#[tokio::test]
async fn a_storage_outage_is_503_and_a_storage_bug_is_500_without_details() {
    let (h, store) = Harness::with_flaky_store().await;
    h.app("a").await;
    store.set(StoreMode::Unavailable);
    let r = h
        .raw(Method::GET, "/api/v1/health", None, None, &[])
        .await
        .expect(503);
    assert_eq!(r.code(), "service_unavailable");
    let r = h.get("/api/v1/app/a").await.expect(503);
    assert!(!String::from_utf8_lossy(&r.body).contains("/secret/path"));
    // The process itself is still up.
    h.raw(Method::GET, "/api/v1/health/ping", None, None, &[])
        .await
        .expect(204);

    store.set(StoreMode::Broken);
    let r = h.get("/api/v1/app/a").await.expect(500);
    assert_eq!(r.code(), "server_error");
    assert!(!String::from_utf8_lossy(&r.body).contains("internal_table"));

    store.set(StoreMode::Up);
    h.get("/api/v1/app/a").await.expect(200);
}
