//! Health checks need no token.

use axum::http::Method;

use hookd_store_postgres::testing::CutProxy;

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

/// The database going away (PostgreSQL behind a proxy the test cuts) is a 503 that names no
/// detail of the failure, for the health check and for any request; the process's own ping
/// still answers, and requests succeed again once the database is back.
#[tokio::test]
async fn a_storage_outage_is_503_without_details() {
    let proxy = CutProxy::start().await;
    let h = Harness::on_postgres_behind(&proxy).await;
    h.app("a").await;
    proxy.cut();
    let r = h
        .raw(Method::GET, "/api/v1/health", None, None, &[])
        .await
        .expect(503);
    assert_eq!(r.code(), "service_unavailable");
    let r = h.get("/api/v1/app/a").await.expect(503);
    assert_eq!(r.code(), "service_unavailable");
    let body = String::from_utf8_lossy(&r.body).to_lowercase();
    for detail in [
        "127.0.0.1",
        &proxy.addr().port().to_string(),
        "pool",
        "refused",
        "io",
    ] {
        assert!(!body.contains(detail), "{detail:?} leaked: {body}");
    }
    h.raw(Method::GET, "/api/v1/health/ping", None, None, &[])
        .await
        .expect(204);

    proxy.restore();
    h.get("/api/v1/app/a").await.expect(200);
}

/// A storage bug (here a table that is gone from under the store) is a 500 that names no
/// detail of it.
#[tokio::test]
async fn a_storage_bug_is_500_without_details() {
    use sqlx::Connection;
    let h = Harness::new().await;
    h.app("a").await;
    let url = format!("sqlite://{}", h.sqlite_path().display());
    let mut side = sqlx::SqliteConnection::connect(&url).await.unwrap();
    sqlx::query("ALTER TABLE applications RENAME TO applications_gone")
        .execute(&mut side)
        .await
        .unwrap();
    let r = h.get("/api/v1/app/a").await.expect(500);
    assert_eq!(r.code(), "server_error");
    let body = String::from_utf8_lossy(&r.body);
    assert!(!body.contains("applications"), "{body}");
    assert!(!body.contains("no such table"), "{body}");
}

/// The probes take no query parameter, and say so by name rather than ignoring one.
#[tokio::test]
async fn the_probes_refuse_query_parameters_by_name() {
    let h = Harness::new().await;
    for path in ["/healthz", "/readyz"] {
        h.raw(Method::GET, path, None, None, &[]).await.expect(200);
        let r = h
            .raw(Method::GET, &format!("{path}?verbose=1"), None, None, &[])
            .await
            .expect(422);
        assert_eq!(
            r.json["detail"][0]["loc"],
            serde_json::json!(["query", "verbose"]),
            "{path}"
        );
    }
}
