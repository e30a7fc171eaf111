//! Cases for retention: expiring message payloads and pruning old attempts, each in bounded
//! batches, oldest first, leaving everything else (other messages, deliveries, their states
//! and attempt counts) as it was.
//!
//! These cases must not sleep: expiry is decided by the times the cases pass, read from the
//! fixture's clock.

use std::sync::Arc;

use chrono::Duration;
use hookd_core::{
    delivery::{DeliveryState, Transition},
    model::Message,
    store::{AttemptFilter, Store},
    Timestamp,
};

use crate::{
    check::{everything, existing_delivery},
    fixture::{Fixture, CLAIM_ALL},
};

/// The stored payload of `msg`.
async fn payload(store: &dyn Store, msg: &Message) -> Option<String> {
    store
        .get_message(&msg.app_id, msg.id.as_str())
        .await
        .expect("get_message")
        .expect("the message exists")
        .payload
}

/// Payloads whose time has come are removed, earliest expiry first and at most `limit` per
/// call; the count tells the caller when to stop. Messages kept forever, expiring later or
/// already expunged are left alone, and so are the messages' other fields and deliveries.
pub async fn payloads_expire_in_bounded_batches(store: Arc<dyn Store>) {
    let mut fx = Fixture::new();
    let app = fx.create_app(&*store).await;
    let ep = fx.create_endpoint(&*store, &app.id).await;
    let start = fx.now();
    // Published in an order unlike their expiry, so that "earliest first" is the store's doing.
    let publish = |fx: &mut Fixture, expires: Option<Duration>| {
        let mut msg = fx.message(&app.id, "a");
        msg.payload_expires_at = expires.map(|d| start + d);
        msg
    };
    let third = publish(&mut fx, Some(Duration::days(3)));
    let first = publish(&mut fx, Some(Duration::days(1)));
    let kept = publish(&mut fx, None);
    let second = publish(&mut fx, Some(Duration::days(2)));
    let later = publish(&mut fx, Some(Duration::days(10)));
    let expunged = publish(&mut fx, Some(Duration::days(1)));
    for msg in [&third, &first, &kept, &second, &later, &expunged] {
        store.create_message(msg, None).await.unwrap();
    }
    assert!(store
        .expunge_message_content(&app.id, &expunged.id)
        .await
        .unwrap());
    assert_eq!(
        store.get_message(&app.id, kept.id.as_str()).await.unwrap(),
        Some(kept.clone()),
        "the expiry reads back as written"
    );

    assert_eq!(
        store.expire_payloads(start, 10).await.unwrap(),
        0,
        "nothing has expired yet"
    );
    let now = start + Duration::days(3);
    assert_eq!(store.expire_payloads(now, 2).await.unwrap(), 2);
    assert_eq!(payload(&*store, &first).await, None);
    assert_eq!(payload(&*store, &second).await, None);
    assert!(
        payload(&*store, &third).await.is_some(),
        "the latest expiry waits for the next batch"
    );
    assert_eq!(store.expire_payloads(now, 2).await.unwrap(), 1);
    assert_eq!(store.expire_payloads(now, 2).await.unwrap(), 0);
    assert_eq!(payload(&*store, &third).await, None);
    assert_eq!(payload(&*store, &kept).await, kept.payload);
    assert_eq!(payload(&*store, &later).await, later.payload);

    let read = store
        .get_message(&app.id, first.id.as_str())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        read,
        Message {
            payload: None,
            ..first.clone()
        },
        "only the payload goes"
    );
    let d = existing_delivery(&*store, &app.id, &first.id, &ep.id).await;
    assert_eq!(d.state, DeliveryState::Pending, "the delivery is untouched");
}

/// Attempts created before the cut-off are deleted, oldest first and at most `limit` per
/// call; an attempt created exactly at the cut-off stays. Deliveries keep their states and
/// attempt counts.
pub async fn attempts_pruned_in_bounded_batches(store: Arc<dyn Store>) {
    let mut fx = Fixture::new();
    let app = fx.create_app(&*store).await;
    let ep = fx.create_endpoint(&*store, &app.id).await;
    let mut attempts = Vec::new();
    let mut msgs = Vec::new();
    for _ in 0..5 {
        let msg = fx.publish(&*store, &app.id, "a").await;
        let claimed = fx.claim(&*store, CLAIM_ALL).await.remove(0);
        let (attempt, held) = fx
            .attempt_and_complete(&*store, &claimed, 500, Transition::Exhausted)
            .await;
        assert!(held);
        attempts.push(attempt);
        msgs.push(msg);
        fx.advance(Duration::days(1));
    }
    let remaining = |store: Arc<dyn Store>| {
        let (app, ep) = (app.id.clone(), ep.id.clone());
        async move {
            store
                .list_attempts_by_endpoint(&app, &ep, &AttemptFilter::default(), &everything())
                .await
                .unwrap()
                .data
        }
    };
    let cutoff: Timestamp = attempts[3].created_at;
    assert_eq!(store.prune_attempts(cutoff, 2).await.unwrap(), 2);
    assert_eq!(remaining(store.clone()).await, attempts[2..].to_vec());
    assert_eq!(store.prune_attempts(cutoff, 2).await.unwrap(), 1);
    assert_eq!(store.prune_attempts(cutoff, 2).await.unwrap(), 0);
    assert_eq!(
        remaining(store.clone()).await,
        attempts[3..].to_vec(),
        "the attempt at the cut-off and later ones stay"
    );
    for msg in &msgs {
        let d = existing_delivery(&*store, &app.id, &msg.id, &ep.id).await;
        assert_eq!(d.state, DeliveryState::Exhausted);
        assert_eq!(d.attempts, 1, "the count survives its records");
    }
}
