//! Cases for API tokens and the store's health check.
//!
//! These cases must not handle token text beyond hashing it, as the store never sees it.

use std::sync::Arc;

use chrono::Duration;
use hookd_core::{model::TokenScope, store::Store};

use crate::fixture::Fixture;

/// `ping` answers on a healthy store.
pub async fn ping_answers(store: Arc<dyn Store>) {
    store.ping().await.expect("ping");
}

/// Tokens of both scopes round-trip by hash; deleting one reports whether it existed and
/// leaves the others alone.
pub async fn token_round_trip(store: Arc<dyn Store>) {
    let mut fx = Fixture::new();
    let app = fx.create_app(&*store).await;
    let admin = fx.token(TokenScope::Admin);
    let mut scoped = fx.token(TokenScope::App(app.id.clone()));
    scoped.expires_at = Some(fx.now() + Duration::days(30));
    store
        .insert_token(&admin)
        .await
        .expect("insert admin token");
    store.insert_token(&scoped).await.expect("insert app token");

    assert_eq!(
        store.token_by_hash(&admin.hash).await.unwrap(),
        Some(admin.clone())
    );
    assert_eq!(
        store.token_by_hash(&scoped.hash).await.unwrap(),
        Some(scoped.clone())
    );
    assert_eq!(store.token_by_hash("no-such-hash").await.unwrap(), None);

    assert!(store.delete_token(&admin.id).await.unwrap());
    assert!(
        !store.delete_token(&admin.id).await.unwrap(),
        "second delete finds nothing"
    );
    assert_eq!(store.token_by_hash(&admin.hash).await.unwrap(), None);
    assert_eq!(
        store.token_by_hash(&scoped.hash).await.unwrap(),
        Some(scoped)
    );
}

/// The first admin token is stored and later ones are not; application tokens do not count
/// as admin tokens.
pub async fn admin_token_inserted_only_if_none(store: Arc<dyn Store>) {
    let mut fx = Fixture::new();
    let app = fx.create_app(&*store).await;
    let scoped = fx.token(TokenScope::App(app.id.clone()));
    store.insert_token(&scoped).await.unwrap();

    let first = fx.token(TokenScope::Admin);
    let second = fx.token(TokenScope::Admin);
    assert!(store.insert_admin_token_if_none(&first).await.unwrap());
    assert!(!store.insert_admin_token_if_none(&second).await.unwrap());
    assert_eq!(store.token_by_hash(&first.hash).await.unwrap(), Some(first));
    assert_eq!(store.token_by_hash(&second.hash).await.unwrap(), None);
}

/// Concurrent first starts create exactly one admin token between them.
pub async fn admin_token_inserted_once_under_concurrency(store: Arc<dyn Store>) {
    const CONTENDERS: usize = 8;
    let mut fx = Fixture::new();
    let tokens: Vec<_> = (0..CONTENDERS)
        .map(|_| fx.token(TokenScope::Admin))
        .collect();
    let tasks: Vec<_> = tokens
        .iter()
        .cloned()
        .map(|token| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.insert_admin_token_if_none(&token).await })
        })
        .collect();
    let mut winners = 0;
    for task in tasks {
        if task
            .await
            .expect("task")
            .expect("insert_admin_token_if_none")
        {
            winners += 1;
        }
    }
    assert_eq!(
        winners, 1,
        "exactly one concurrent first start stores its token"
    );
    let mut found = 0;
    for token in &tokens {
        if store.token_by_hash(&token.hash).await.unwrap().is_some() {
            found += 1;
        }
    }
    assert_eq!(found, 1);
}
