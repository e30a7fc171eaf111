//! Cases for applications: round trips, lookup precedence, uid conflicts, cascading deletes
//! and pagination.
//!
//! These cases must not expect data they did not create: each gets a fresh, empty store
//! (`apps_paginate` counts every application in it).

use std::sync::Arc;

use hookd_core::{
    delivery::Transition,
    model::{Metadata, TokenScope},
    store::{AppFilter, AttemptFilter, DeliveryFilter, MessageFilter, Store, StoreError},
};

use crate::{
    check::{assert_pagination, everything},
    fixture::{Fixture, CLAIM_ALL},
};

/// An application reads back exactly as written, by id and by uid, and updates and deletes
/// report what they found.
pub async fn app_crud_round_trip(store: Arc<dyn Store>) {
    let mut fx = Fixture::new();
    let app = fx.create_app(&*store).await;
    assert_eq!(
        store.get_app(app.id.as_str()).await.unwrap(),
        Some(app.clone())
    );
    let uid = app.uid.clone().unwrap();
    assert_eq!(store.get_app(&uid).await.unwrap(), Some(app.clone()));
    assert_eq!(store.get_app("app_doesnotexist").await.unwrap(), None);

    let mut changed = app.clone();
    changed.uid = Some("renamed".into());
    changed.name = "Renamed".into();
    changed.throttle_rate = None;
    changed.metadata = Metadata::from([("a".into(), "1".into()), ("b".into(), "2".into())]);
    changed.updated_at = fx.tick();
    store.update_app(&changed).await.expect("update_app");
    assert_eq!(
        store.get_app(app.id.as_str()).await.unwrap(),
        Some(changed.clone())
    );
    assert_eq!(
        store.get_app("renamed").await.unwrap(),
        Some(changed.clone())
    );
    assert_eq!(
        store.get_app(&uid).await.unwrap(),
        None,
        "the old uid is released"
    );

    let mut no_uid = changed.clone();
    no_uid.uid = None;
    store.update_app(&no_uid).await.unwrap();
    assert_eq!(store.get_app(app.id.as_str()).await.unwrap(), Some(no_uid));

    assert!(store.delete_app(&app.id).await.unwrap());
    assert!(!store.delete_app(&app.id).await.unwrap());
    assert_eq!(store.get_app(app.id.as_str()).await.unwrap(), None);
    assert!(matches!(
        store.update_app(&changed).await,
        Err(StoreError::NotFound)
    ));
}

/// A uid equal to another application's id never shadows that id.
pub async fn app_id_takes_precedence_over_uid(store: Arc<dyn Store>) {
    let mut fx = Fixture::new();
    let first = fx.create_app(&*store).await;
    let mut impostor = fx.app();
    impostor.uid = Some(first.id.to_string());
    store.create_app(&impostor).await.unwrap();
    assert_eq!(store.get_app(first.id.as_str()).await.unwrap(), Some(first));
    assert_eq!(
        store.get_app(impostor.id.as_str()).await.unwrap(),
        Some(impostor)
    );
}

/// A taken uid is a `Conflict` on create and on update; applications without a uid never
/// conflict with each other.
pub async fn app_uid_conflicts(store: Arc<dyn Store>) {
    let mut fx = Fixture::new();
    let mut first = fx.app();
    first.uid = Some("acme".into());
    store.create_app(&first).await.unwrap();

    let mut dup = fx.app();
    dup.uid = Some("acme".into());
    assert!(matches!(
        store.create_app(&dup).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.get_app("acme").await.unwrap(), Some(first.clone()));
    assert_eq!(store.get_app(dup.id.as_str()).await.unwrap(), None);

    let mut a = fx.app();
    a.uid = None;
    let mut b = fx.app();
    b.uid = None;
    store.create_app(&a).await.unwrap();
    store.create_app(&b).await.expect("two apps without uid");

    b.uid = Some("acme".into());
    assert!(matches!(
        store.update_app(&b).await,
        Err(StoreError::Conflict(_))
    ));
    b.uid = None;
    assert_eq!(store.get_app(b.id.as_str()).await.unwrap(), Some(b));
}

/// Deleting an application removes its endpoints, messages, deliveries, attempts and
/// application tokens, and nothing of any other application.
pub async fn app_delete_cascades(store: Arc<dyn Store>) {
    let mut fx = Fixture::new();
    let doomed = fx.create_app(&*store).await;
    let kept = fx.create_app(&*store).await;
    let mut endpoints = Vec::new();
    let mut messages = Vec::new();
    let mut tokens = Vec::new();
    for app in [&doomed, &kept] {
        endpoints.push(fx.create_endpoint(&*store, &app.id).await);
        messages.push(fx.publish(&*store, &app.id, "invoice.paid").await);
        let token = fx.token(TokenScope::App(app.id.clone()));
        store.insert_token(&token).await.unwrap();
        tokens.push(token);
    }
    let claimed = fx.claim(&*store, CLAIM_ALL).await;
    assert_eq!(claimed.len(), 2);
    for c in &claimed {
        fx.attempt_and_complete(&*store, c, 500, Transition::RetryAt(fx.now()))
            .await;
    }

    assert!(store.delete_app(&doomed.id).await.unwrap());

    assert_eq!(store.get_app(doomed.id.as_str()).await.unwrap(), None);
    assert_eq!(
        store
            .get_endpoint(&doomed.id, endpoints[0].id.as_str())
            .await
            .unwrap(),
        None
    );
    assert!(store
        .list_endpoints(&doomed.id, &everything())
        .await
        .unwrap()
        .data
        .is_empty());
    assert_eq!(
        store
            .get_message(&doomed.id, messages[0].id.as_str())
            .await
            .unwrap(),
        None
    );
    assert!(store
        .list_messages(&doomed.id, &MessageFilter::default(), &everything())
        .await
        .unwrap()
        .data
        .is_empty());
    assert!(store
        .list_message_deliveries(&doomed.id, &messages[0].id, &everything())
        .await
        .unwrap()
        .data
        .is_empty());
    assert!(store
        .list_endpoint_deliveries(
            &doomed.id,
            &endpoints[0].id,
            &DeliveryFilter::default(),
            &everything()
        )
        .await
        .unwrap()
        .data
        .is_empty());
    assert!(store
        .list_attempts_by_msg(
            &doomed.id,
            &messages[0].id,
            &AttemptFilter::default(),
            &everything()
        )
        .await
        .unwrap()
        .data
        .is_empty());
    assert_eq!(store.token_by_hash(&tokens[0].hash).await.unwrap(), None);

    // The other application is untouched, and only its delivery is left in the queue.
    assert!(store.get_app(kept.id.as_str()).await.unwrap().is_some());
    assert!(store
        .get_endpoint(&kept.id, endpoints[1].id.as_str())
        .await
        .unwrap()
        .is_some());
    assert_eq!(
        store
            .list_attempts_by_msg(
                &kept.id,
                &messages[1].id,
                &AttemptFilter::default(),
                &everything()
            )
            .await
            .unwrap()
            .data
            .len(),
        1
    );
    assert!(store
        .token_by_hash(&tokens[1].hash)
        .await
        .unwrap()
        .is_some());
    let requeued = fx.claim(&*store, CLAIM_ALL).await;
    assert_eq!(requeued.len(), 1);
    assert_eq!(requeued[0].message.id, messages[1].id);
}

/// Applications page by id, forwards and backwards, in both orders.
pub async fn apps_paginate(store: Arc<dyn Store>) {
    let mut fx = Fixture::new();
    let empty = store
        .list_apps(&AppFilter::default(), &everything())
        .await
        .unwrap();
    assert!(empty.data.is_empty() && empty.done && empty.iterator.is_none());
    let mut ids = Vec::new();
    for _ in 0..7 {
        ids.push(fx.create_app(&*store).await.id.to_string());
    }
    assert_pagination(
        "apps",
        &ids,
        |q| {
            let store = Arc::clone(&store);
            async move { store.list_apps(&AppFilter::default(), &q).await }
        },
        |a| a.id.to_string(),
    )
    .await;
}
