//! Cases for a publish that claims its own new deliveries as it writes them
//! (`Queue::create_messages` with a claim).
//!
//! These cases must not sleep: time comes from the fixture's clock.

use std::{collections::HashSet, sync::Arc};

use hookd_core::{
    delivery::{DeliveryState, Transition},
    store::Store,
};

use crate::{
    check::existing_delivery,
    fixture::{Fixture, CLAIM_ALL, LEASE},
};

/// A publish batch may claim up to its limit of the deliveries it writes: those come back
/// exactly as `claim_due` would have returned them (with the endpoint's secret readable) and
/// are ordinary claims from then on (completed under their lease, taken over once it expires,
/// released by its token); the rest stay due for an ordinary claim.
pub async fn publish_claims_up_to_its_limit_as_it_writes(store: Arc<dyn Store>) {
    let mut fx = Fixture::new();
    let app = fx.create_app(&*store).await;
    let first = fx.create_endpoint(&*store, &app.id).await;
    let second = fx.create_endpoint(&*store, &app.id).await;
    let batch = vec![fx.message(&app.id, "a"), fx.message(&app.id, "a")];
    let token = fx.lease_token();
    let claim = fx.claim_request(&token, 3);
    let created = store.create_messages(&batch, Some(&claim)).await.unwrap();
    assert_eq!(created.results.len(), 2);
    assert!(created.results.iter().all(|r| r.as_ref().ok() == Some(&2)));
    assert_eq!(created.claimed.len(), 3, "claimed up to the limit");

    // Each claimed one is what claim_due returns for it: compare with the read side.
    let mut pairs = HashSet::new();
    for c in &created.claimed {
        assert_eq!(c.lease_token, token);
        assert_eq!(c.lease_expires_at, claim.now + LEASE);
        assert_eq!(c.delivery.state, DeliveryState::Claimed);
        assert_eq!(c.delivery.attempts, 0);
        let msg = batch.iter().find(|m| m.id == c.message.id).unwrap();
        assert_eq!(&c.message, msg);
        let ep = [&first, &second]
            .into_iter()
            .find(|e| e.id == c.endpoint.id)
            .unwrap();
        assert_eq!(&c.endpoint, ep, "the endpoint as written, secret readable");
        let stored = existing_delivery(&*store, &app.id, &c.message.id, &c.endpoint.id).await;
        assert_eq!(stored, c.delivery);
        pairs.insert((c.message.id.clone(), c.endpoint.id.clone()));
    }
    assert_eq!(pairs.len(), 3, "three different deliveries");

    // The fourth is due for an ordinary claim; the claimed three are not.
    let rest = fx.claim(&*store, CLAIM_ALL).await;
    assert_eq!(rest.len(), 1);
    assert!(!pairs.contains(&(rest[0].message.id.clone(), rest[0].endpoint.id.clone())));

    // One completes under the publish's lease.
    let done = &created.claimed[0];
    let (_, held) = fx
        .attempt_and_complete(&*store, done, 200, Transition::Succeeded)
        .await;
    assert!(held);
    // Another is released by the token (a publish whose answer was lost).
    let released = &created.claimed[1];
    let now = fx.now();
    assert_eq!(store.release_claims(&token, now).await.unwrap(), 2);
    let d = existing_delivery(
        &*store,
        &app.id,
        &released.message.id,
        &released.endpoint.id,
    )
    .await;
    assert_eq!(
        (d.state, d.next_attempt_at),
        (DeliveryState::Pending, Some(now))
    );
    let again = fx.claim(&*store, CLAIM_ALL).await;
    assert_eq!(
        again.len(),
        2,
        "the two released ones, not the completed one"
    );
    assert!(again
        .iter()
        .all(|c| c.message.id != done.message.id || c.endpoint.id != done.endpoint.id));
}

/// Without a claim, or with a claim of nothing, a batch claims nothing.
pub async fn publish_without_a_claim_leaves_every_delivery_due(store: Arc<dyn Store>) {
    let mut fx = Fixture::new();
    let app = fx.create_app(&*store).await;
    fx.create_endpoint(&*store, &app.id).await;
    let created = store
        .create_messages(&[fx.message(&app.id, "a")], None)
        .await
        .unwrap();
    assert!(created.claimed.is_empty());
    let token = fx.lease_token();
    let created = store
        .create_messages(
            &[fx.message(&app.id, "a")],
            Some(&fx.claim_request(&token, 0)),
        )
        .await
        .unwrap();
    assert!(created.claimed.is_empty());
    assert_eq!(fx.claim(&*store, CLAIM_ALL).await.len(), 2);
}
