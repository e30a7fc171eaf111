//! Health checks need no token.

use axum::http::Method;

use crate::common::Harness;

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
