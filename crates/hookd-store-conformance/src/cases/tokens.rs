//! Cases for API tokens and the store's health check.
//!
//! These cases must not handle token text beyond hashing it, as the store never sees it.

use std::sync::Arc;

use chrono::Duration;
use hookd_core::{
    model::TokenScope,
    portal::{Capability, PortalScope},
    store::Store,
};

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

/// An application token's portal scope (read-only, capabilities, feature flags, session) reads
/// back as written, and "no capabilities given" stays distinct from an explicit list.
pub async fn portal_scope_round_trips(store: Arc<dyn Store>) {
    let mut fx = Fixture::new();
    let app = fx.create_app(&*store).await;
    let mut narrowed = fx.token(TokenScope::App(app.id.clone()));
    narrowed.portal = PortalScope {
        read_only: true,
        capabilities: Some([Capability::ViewBase, Capability::CreateAttempts].into()),
        feature_flags: ["beta".to_owned(), "alpha".to_owned()].into(),
        session_id: Some("user_1".into()),
    };
    let mut listed = fx.token(TokenScope::App(app.id.clone()));
    listed.portal.capabilities = Some(Capability::ALL.into_iter().collect());
    let default = fx.token(TokenScope::App(app.id.clone()));
    for token in [&narrowed, &listed, &default] {
        store.insert_token(token).await.unwrap();
        assert_eq!(
            store.token_by_hash(&token.hash).await.unwrap().as_ref(),
            Some(token)
        );
    }
}

/// `expire_app_tokens` sets the expiry of one application's tokens (only the named sessions'
/// when a non-empty list is given), never lengthens a token's life, and leaves other
/// applications' and admin tokens alone.
pub async fn expire_app_tokens_shortens_only_and_by_session(store: Arc<dyn Store>) {
    let mut fx = Fixture::new();
    let app = fx.create_app(&*store).await;
    let other = fx.create_app(&*store).await;
    let at = fx.now() + Duration::hours(1);
    let token = |fx: &mut Fixture, app: &hookd_core::id::AppId, session: Option<&str>| {
        let mut t = fx.token(TokenScope::App(app.clone()));
        t.portal.session_id = session.map(str::to_owned);
        t
    };
    let mut never = token(&mut fx, &app.id, Some("s1"));
    let mut later = token(&mut fx, &app.id, Some("s2"));
    later.expires_at = Some(at + Duration::days(1));
    let mut sooner = token(&mut fx, &app.id, None);
    sooner.expires_at = Some(at - Duration::minutes(5));
    let foreign = token(&mut fx, &other.id, Some("s1"));
    let admin = fx.token(TokenScope::Admin);
    for t in [&never, &later, &sooner, &foreign, &admin] {
        store.insert_token(t).await.unwrap();
    }
    let expiry = |hash: String| {
        let store = Arc::clone(&store);
        async move {
            store
                .token_by_hash(&hash)
                .await
                .unwrap()
                .unwrap()
                .expires_at
        }
    };

    // By session: only s1 of this application.
    let sessions = ["s1".to_owned(), "nobody".to_owned()];
    assert_eq!(
        store
            .expire_app_tokens(&app.id, Some(&sessions), at)
            .await
            .unwrap(),
        1
    );
    never.expires_at = Some(at);
    assert_eq!(expiry(never.hash.clone()).await, Some(at));
    assert_eq!(expiry(later.hash.clone()).await, later.expires_at);
    assert_eq!(expiry(foreign.hash.clone()).await, None);

    // All of them (an empty list names no session, so it is no filter): a later expiry is
    // brought forward, an earlier one kept.
    assert_eq!(
        store
            .expire_app_tokens(&app.id, Some(&[]), at)
            .await
            .unwrap(),
        3
    );
    assert_eq!(expiry(later.hash.clone()).await, Some(at));
    assert_eq!(expiry(sooner.hash.clone()).await, sooner.expires_at);
    assert_eq!(expiry(foreign.hash.clone()).await, None);
    assert_eq!(expiry(admin.hash.clone()).await, None);
    assert_eq!(
        store.expire_app_tokens(&other.id, None, at).await.unwrap(),
        1
    );
    assert_eq!(expiry(foreign.hash.clone()).await, Some(at));
    assert_eq!(expiry(admin.hash.clone()).await, None);
}

/// The admin tokens are listed by id, an operator's (read-only) among them with its role and
/// expiry kept; application tokens are not listed.
pub async fn admin_tokens_are_listed_by_id(store: Arc<dyn Store>) {
    let mut fx = Fixture::new();
    assert!(store.list_admin_tokens().await.unwrap().is_empty());
    let app = fx.create_app(&*store).await;
    let admin = fx.token(TokenScope::Admin);
    let mut operator = fx.token(TokenScope::Admin);
    operator.portal.read_only = true;
    operator.expires_at = Some(fx.now() + Duration::days(7));
    let scoped = fx.token(TokenScope::App(app.id.clone()));
    for t in [&operator, &scoped, &admin] {
        store.insert_token(t).await.unwrap();
    }
    let mut want = vec![admin.clone(), operator.clone()];
    want.sort_by(|a, b| a.id.as_str().cmp(b.id.as_str()));
    let listed = store.list_admin_tokens().await.unwrap();
    assert_eq!(listed, want);
    assert!(listed.iter().any(hookd_core::model::Token::is_operator));
    store.delete_token(&operator.id).await.unwrap();
    assert_eq!(store.list_admin_tokens().await.unwrap(), vec![admin]);
}
