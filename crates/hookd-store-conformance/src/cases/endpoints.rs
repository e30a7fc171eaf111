//! Cases for endpoints: round trips of every field, lookups scoped to their application,
//! uid conflicts, cascading deletes and pagination.
//!
//! These cases must not assume an order among endpoints created in the same millisecond: the
//! fixture ticks the clock before every id it generates.

use std::{collections::BTreeMap, sync::Arc};

use chrono::Duration;
use hookd_core::{
    delivery::Transition,
    model::{EndpointStats, OldSecret},
    store::{AttemptFilter, DeliveryFilter, Store, StoreError},
};

use crate::{
    check::{assert_pagination, everything},
    fixture::{Fixture, CLAIM_ALL},
};

/// An endpoint reads back exactly as written (filters, headers, old secrets included), by id
/// and by uid, and updates and deletes report what they found.
pub async fn endpoint_crud_round_trip(store: Arc<dyn Store>) {
    let mut fx = Fixture::new();
    let app = fx.create_app(&*store).await;
    let ep = fx
        .create_endpoint_with(&*store, &app.id, |ep| {
            ep.throttle_rate = Some(10);
            ep.event_types = Some(vec!["invoice.paid".into(), "invoice.void".into()]);
            ep.channels = Some(vec!["eu".into()]);
        })
        .await;
    assert_eq!(
        store.get_endpoint(&app.id, ep.id.as_str()).await.unwrap(),
        Some(ep.clone())
    );
    let uid = ep.uid.clone().unwrap();
    assert_eq!(
        store.get_endpoint(&app.id, &uid).await.unwrap(),
        Some(ep.clone())
    );
    assert_eq!(store.get_endpoint(&app.id, "ep_nope").await.unwrap(), None);

    let mut changed = ep.clone();
    changed.uid = None;
    changed.url = "https://elsewhere.example/".into();
    changed.description = String::new();
    changed.disabled = true;
    changed.throttle_rate = None;
    changed.event_types = None;
    changed.channels = Some(vec!["us".into(), "eu".into()]);
    changed.metadata.clear();
    changed.headers = BTreeMap::from([("Authorization".into(), "Bearer x".into())]);
    changed.old_secrets.push(OldSecret {
        key: changed.secret.clone(),
        expires_at: fx.now() + Duration::hours(1),
    });
    changed.secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into();
    changed.updated_at = fx.tick();
    store.update_endpoint(&changed).await.unwrap();
    assert_eq!(
        store.get_endpoint(&app.id, ep.id.as_str()).await.unwrap(),
        Some(changed.clone())
    );
    assert_eq!(store.get_endpoint(&app.id, &uid).await.unwrap(), None);

    assert!(store.delete_endpoint(&app.id, &ep.id).await.unwrap());
    assert!(!store.delete_endpoint(&app.id, &ep.id).await.unwrap());
    assert_eq!(
        store.get_endpoint(&app.id, ep.id.as_str()).await.unwrap(),
        None
    );
    assert!(matches!(
        store.update_endpoint(&changed).await,
        Err(StoreError::NotFound)
    ));
}

/// Endpoint lookups, updates and deletes only see the endpoint's own application; uids are
/// unique per application; an id beats an equal uid.
pub async fn endpoint_lookup_is_scoped_to_app(store: Arc<dyn Store>) {
    let mut fx = Fixture::new();
    let a = fx.create_app(&*store).await;
    let b = fx.create_app(&*store).await;
    let ep_a = fx
        .create_endpoint_with(&*store, &a.id, |e| e.uid = Some("main".into()))
        .await;
    let ep_b = fx
        .create_endpoint_with(&*store, &b.id, |e| e.uid = Some("main".into()))
        .await;
    assert_eq!(
        store.get_endpoint(&a.id, "main").await.unwrap(),
        Some(ep_a.clone())
    );
    assert_eq!(
        store.get_endpoint(&b.id, "main").await.unwrap(),
        Some(ep_b.clone())
    );
    assert_eq!(
        store.get_endpoint(&b.id, ep_a.id.as_str()).await.unwrap(),
        None
    );

    let mut dup = fx.endpoint(&a.id);
    dup.uid = Some("main".into());
    assert!(matches!(
        store.create_endpoint(&dup).await,
        Err(StoreError::Conflict(_))
    ));

    let impostor = fx
        .create_endpoint_with(&*store, &a.id, |e| e.uid = Some(ep_a.id.to_string()))
        .await;
    assert_eq!(
        store.get_endpoint(&a.id, ep_a.id.as_str()).await.unwrap(),
        Some(ep_a.clone())
    );

    let mut renamed = impostor.clone();
    renamed.uid = Some("main".into());
    assert!(matches!(
        store.update_endpoint(&renamed).await,
        Err(StoreError::Conflict(_))
    ));

    let mut moved = ep_a.clone();
    moved.app_id = b.id.clone();
    assert!(matches!(
        store.update_endpoint(&moved).await,
        Err(StoreError::NotFound)
    ));
    assert!(!store.delete_endpoint(&b.id, &ep_a.id).await.unwrap());
    assert_eq!(
        store.get_endpoint(&a.id, ep_a.id.as_str()).await.unwrap(),
        Some(ep_a)
    );
}

/// Deleting an endpoint removes its deliveries and attempts, and leaves the message and the
/// other endpoints' deliveries and attempts alone.
pub async fn endpoint_delete_cascades(store: Arc<dyn Store>) {
    let mut fx = Fixture::new();
    let app = fx.create_app(&*store).await;
    let doomed = fx.create_endpoint(&*store, &app.id).await;
    let kept = fx.create_endpoint(&*store, &app.id).await;
    let msg = fx.publish(&*store, &app.id, "invoice.paid").await;
    let claimed = fx.claim(&*store, CLAIM_ALL).await;
    assert_eq!(claimed.len(), 2);
    for c in &claimed {
        fx.attempt_and_complete(&*store, c, 200, Transition::Succeeded)
            .await;
    }

    assert!(store.delete_endpoint(&app.id, &doomed.id).await.unwrap());

    assert!(store
        .get_message(&app.id, msg.id.as_str())
        .await
        .unwrap()
        .is_some());
    let deliveries = store
        .list_message_deliveries(&app.id, &msg.id, &everything())
        .await
        .unwrap();
    let endpoints: Vec<_> = deliveries.data.iter().map(|(e, _)| e.id.clone()).collect();
    assert_eq!(endpoints, vec![kept.id.clone()]);
    let attempts = store
        .list_attempts_by_msg(&app.id, &msg.id, &AttemptFilter::default(), &everything())
        .await
        .unwrap();
    assert_eq!(attempts.data.len(), 1);
    assert_eq!(attempts.data[0].endpoint_id, kept.id);
    assert!(store
        .list_attempts_by_endpoint(
            &app.id,
            &doomed.id,
            &AttemptFilter::default(),
            &everything()
        )
        .await
        .unwrap()
        .data
        .is_empty());
    assert!(store
        .list_endpoint_deliveries(
            &app.id,
            &doomed.id,
            &DeliveryFilter::default(),
            &everything()
        )
        .await
        .unwrap()
        .data
        .is_empty());
    assert_eq!(
        store
            .endpoint_stats(&app.id, &doomed.id, None, None)
            .await
            .unwrap(),
        EndpointStats::default()
    );
}

/// An application's endpoints page by id, and only its own are listed.
pub async fn endpoints_paginate(store: Arc<dyn Store>) {
    let mut fx = Fixture::new();
    let app = fx.create_app(&*store).await;
    let other = fx.create_app(&*store).await;
    let mut ids = Vec::new();
    for i in 0..7 {
        ids.push(fx.create_endpoint(&*store, &app.id).await.id.to_string());
        if i % 2 == 0 {
            fx.create_endpoint(&*store, &other.id).await;
        }
    }
    let app_id = app.id.clone();
    assert_pagination(
        "endpoints",
        &ids,
        |q| {
            let store = Arc::clone(&store);
            let app_id = app_id.clone();
            async move { store.list_endpoints(&app_id, &q).await }
        },
        |e| e.id.to_string(),
    )
    .await;
}
