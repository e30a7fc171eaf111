//! Cases for the delivery queue: claiming under a lease, resend, recover, `next_due_at`,
//! concurrent claims and releasing a lost claim. Completing is in `completion`, a publish's
//! own claim in `publish_claims`, an endpoint's statistics in `deliveries`.
//!
//! These cases must not sleep: leases expire and retries come due by moving the fixture's
//! clock and passing `now` to the store.

use std::{collections::HashSet, sync::Arc};

use chrono::Duration;
use hookd_core::{
    delivery::{DeliveryState, Transition, TriggerType},
    store::{ClaimRequest, Claimed, QueueDepth, Store, StoreError},
};

use crate::{
    check::{delivery, existing_delivery},
    fixture::{Fixture, CLAIM_ALL, LEASE},
};

/// Only due deliveries are claimed, oldest due first, at most `limit` at a time, each with
/// its message, endpoint and the new lease; the read side then reports them as claimed.
pub async fn claim_takes_due_oldest_first_up_to_limit(store: Arc<dyn Store>) {
    let mut fx = Fixture::new();
    let app = fx.create_app(&*store).await;
    let ep = fx.create_endpoint(&*store, &app.id).await;
    let mut msgs = Vec::new();
    for _ in 0..4 {
        msgs.push(fx.publish(&*store, &app.id, "a").await);
    }
    let mut future = fx.message(&app.id, "a");
    future.created_at = fx.now() + Duration::minutes(10);
    store.create_message(&future, None).await.unwrap();

    assert!(store
        .claim_due(&fx.claim_request("unused", 0))
        .await
        .unwrap()
        .is_empty());

    let req = fx.claim_request("lease-a", 3);
    let claimed = store.claim_due(&req).await.unwrap();
    let got: Vec<_> = claimed.iter().map(|c| c.message.id.clone()).collect();
    let want: Vec<_> = msgs[..3].iter().map(|m| m.id.clone()).collect();
    assert_eq!(got, want, "the three oldest due, oldest first");
    for (c, m) in claimed.iter().zip(&msgs) {
        assert_eq!(&c.message, m);
        assert_eq!(c.endpoint, ep);
        assert_eq!(c.lease_token, "lease-a");
        assert_eq!(c.lease_expires_at, req.now + LEASE);
        assert_eq!(c.delivery.msg_id, m.id);
        assert_eq!(c.delivery.endpoint_id, ep.id);
        assert_eq!(c.delivery.app_id, app.id);
        assert_eq!(c.delivery.state, DeliveryState::Claimed);
        assert_eq!(c.delivery.attempts, 0);
        assert_eq!(c.delivery.trigger, TriggerType::Scheduled);
        let read = existing_delivery(&*store, &app.id, &m.id, &ep.id).await;
        assert_eq!(read.state, DeliveryState::Claimed);
    }

    let rest = fx.claim(&*store, 3).await;
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].message.id, msgs[3].id);
    assert!(
        fx.claim(&*store, 3).await.is_empty(),
        "the future message is not due"
    );

    // Finish the claimed ones, so that their leases cannot expire into the next claim.
    for c in claimed.iter().chain(&rest) {
        fx.attempt_and_complete(&*store, c, 200, Transition::Succeeded)
            .await;
    }
    fx.advance(Duration::minutes(10));
    let later = fx.claim(&*store, 3).await;
    assert_eq!(later.len(), 1);
    assert_eq!(later[0].message, future);
}

/// A live lease keeps a delivery from being claimed again; once it expires, the delivery is
/// claimed again under a new token, and only the new token can complete it.
pub async fn claim_respects_lease_until_it_expires(store: Arc<dyn Store>) {
    let mut fx = Fixture::new();
    let app = fx.create_app(&*store).await;
    fx.create_endpoint(&*store, &app.id).await;
    fx.publish(&*store, &app.id, "a").await;

    let first = fx.claim(&*store, CLAIM_ALL).await;
    assert_eq!(first.len(), 1);
    fx.advance(LEASE - Duration::milliseconds(1));
    assert!(
        fx.claim(&*store, CLAIM_ALL).await.is_empty(),
        "lease still live"
    );
    fx.advance(Duration::milliseconds(1));
    let second = fx.claim(&*store, CLAIM_ALL).await;
    assert_eq!(second.len(), 1, "an expired lease is claimable");
    assert_ne!(second[0].lease_token, first[0].lease_token);
    assert_eq!(second[0].lease_expires_at, fx.now() + LEASE);
    assert_eq!(second[0].delivery.attempts, 0);
    assert_eq!(second[0].delivery.state, DeliveryState::Claimed);
    assert!(
        fx.claim(&*store, CLAIM_ALL).await.is_empty(),
        "the new lease is live"
    );

    let (_, held) = fx
        .attempt_and_complete(&*store, &second[0], 200, Transition::Succeeded)
        .await;
    assert!(held);
    fx.advance(LEASE * 4);
    assert!(
        fx.claim(&*store, CLAIM_ALL).await.is_empty(),
        "a completed delivery holds no lease to expire"
    );
}

/// Resend makes a delivery in any state due now as a manual attempt (keeping its attempt
/// count), creates it if the message never went to that endpoint, voids a live lease, and is
/// `NotFound` unless both the message and the endpoint exist in the application.
pub async fn resend_makes_delivery_due_now(store: Arc<dyn Store>) {
    let mut fx = Fixture::new();
    let app = fx.create_app(&*store).await;
    let ep = fx.create_endpoint(&*store, &app.id).await;
    let filtered = fx
        .create_endpoint_with(&*store, &app.id, |e| e.event_types = Some(vec!["b".into()]))
        .await;
    let msg = fx.publish(&*store, &app.id, "a").await;
    let c = fx.claim(&*store, CLAIM_ALL).await.remove(0);
    fx.attempt_and_complete(&*store, &c, 500, Transition::Exhausted)
        .await;

    fx.advance(Duration::minutes(1));
    let now = fx.now();
    store.resend(&app.id, &msg.id, &ep.id, now).await.unwrap();
    let d = existing_delivery(&*store, &app.id, &msg.id, &ep.id).await;
    assert_eq!(d.state, DeliveryState::Pending);
    assert_eq!(d.trigger, TriggerType::Manual);
    assert_eq!(d.next_attempt_at, Some(now));
    assert_eq!(d.attempts, 1);

    let c = fx.claim(&*store, CLAIM_ALL).await.remove(0);
    assert_eq!(c.delivery.trigger, TriggerType::Manual);
    let (attempt, held) = fx
        .attempt_and_complete(&*store, &c, 200, Transition::Succeeded)
        .await;
    assert!(held);
    assert_eq!(attempt.trigger_type, TriggerType::Manual);
    let d = existing_delivery(&*store, &app.id, &msg.id, &ep.id).await;
    assert_eq!(d.state, DeliveryState::Succeeded);
    assert_eq!(d.attempts, 2);
    assert_eq!(
        d.trigger,
        TriggerType::Scheduled,
        "the next attempt would be scheduled"
    );

    // A delivery that never existed is created.
    assert!(delivery(&*store, &app.id, &msg.id, &filtered.id)
        .await
        .is_none());
    store
        .resend(&app.id, &msg.id, &filtered.id, fx.now())
        .await
        .unwrap();
    let created = existing_delivery(&*store, &app.id, &msg.id, &filtered.id).await;
    assert_eq!(created.state, DeliveryState::Pending);
    assert_eq!(created.trigger, TriggerType::Manual);
    assert_eq!(created.attempts, 0);
    assert_eq!(created.next_attempt_at, Some(fx.now()));
    assert_eq!(created.app_id, app.id);

    // Resending a claimed delivery voids the holder's lease.
    let holder = fx.claim(&*store, CLAIM_ALL).await.remove(0);
    store
        .resend(&app.id, &msg.id, &filtered.id, fx.now())
        .await
        .unwrap();
    let (_, held) = fx
        .attempt_and_complete(&*store, &holder, 200, Transition::Succeeded)
        .await;
    assert!(!held);
    let d = existing_delivery(&*store, &app.id, &msg.id, &filtered.id).await;
    assert_eq!(d.state, DeliveryState::Pending);
    assert_eq!(fx.claim(&*store, CLAIM_ALL).await.len(), 1);

    // NotFound unless both exist in this application.
    let other = fx.create_app(&*store).await;
    let foreign_ep = fx.create_endpoint(&*store, &other.id).await;
    let foreign_msg = fx.publish(&*store, &other.id, "a").await;
    let ghost_msg = fx.msg_id();
    let ghost_ep = fx.endpoint_id();
    let now = fx.now();
    for (app_id, msg_id, ep_id) in [
        (&app.id, &ghost_msg, &ep.id),
        (&app.id, &msg.id, &ghost_ep),
        (&other.id, &msg.id, &ep.id),
        (&app.id, &msg.id, &foreign_ep.id),
        (&app.id, &foreign_msg.id, &ep.id),
    ] {
        assert!(
            matches!(
                store.resend(app_id, msg_id, ep_id, now).await,
                Err(StoreError::NotFound)
            ),
            "resend({app_id}, {msg_id}, {ep_id})"
        );
    }
}

/// Recover makes the endpoint's exhausted deliveries created in `[since, until)` due now as
/// manual attempts, and nothing else.
pub async fn recover_window(store: Arc<dyn Store>) {
    let mut fx = Fixture::new();
    let app = fx.create_app(&*store).await;
    let ep = fx.create_endpoint(&*store, &app.id).await;
    let bystander = fx.create_endpoint(&*store, &app.id).await;
    let mut msgs = Vec::new();
    for _ in 0..5 {
        fx.advance(Duration::minutes(1));
        msgs.push(fx.publish(&*store, &app.id, "a").await);
    }
    // msgs[2] succeeds on `ep`; everything else is exhausted everywhere.
    for c in fx.claim(&*store, CLAIM_ALL).await {
        let transition = if c.message.id == msgs[2].id && c.endpoint.id == ep.id {
            Transition::Succeeded
        } else {
            Transition::Exhausted
        };
        fx.attempt_and_complete(&*store, &c, 500, transition).await;
    }
    fx.advance(Duration::hours(1));
    let now = fx.now();

    let recovered = store
        .recover(
            &app.id,
            &ep.id,
            msgs[1].created_at,
            Some(msgs[4].created_at),
            now,
        )
        .await
        .unwrap();
    assert_eq!(
        recovered, 2,
        "msgs[1] and msgs[3]; msgs[2] succeeded, msgs[4] is at `until`"
    );
    for (i, m) in msgs.iter().enumerate() {
        let d = existing_delivery(&*store, &app.id, &m.id, &ep.id).await;
        let expected = match i {
            1 | 3 => DeliveryState::Pending,
            2 => DeliveryState::Succeeded,
            _ => DeliveryState::Exhausted,
        };
        assert_eq!(d.state, expected, "msgs[{i}]");
        if expected == DeliveryState::Pending {
            assert_eq!(d.trigger, TriggerType::Manual);
            assert_eq!(d.next_attempt_at, Some(now));
        }
        let other = existing_delivery(&*store, &app.id, &m.id, &bystander.id).await;
        assert_eq!(
            other.state,
            DeliveryState::Exhausted,
            "other endpoints are untouched"
        );
    }

    let rest = store
        .recover(&app.id, &ep.id, msgs[0].created_at, None, now)
        .await
        .unwrap();
    assert_eq!(rest, 2, "msgs[0] and msgs[4]");
    assert_eq!(
        store
            .recover(&app.id, &ep.id, msgs[0].created_at, None, now)
            .await
            .unwrap(),
        0
    );
    let elsewhere = fx.create_app(&*store).await;
    assert_eq!(
        store
            .recover(&elsewhere.id, &bystander.id, msgs[0].created_at, None, now)
            .await
            .unwrap(),
        0,
        "recover is scoped to the application"
    );
    assert_eq!(fx.claim(&*store, CLAIM_ALL).await.len(), 4);
}

/// `next_due_at` is the earliest due time of any claimable delivery or expiry of any lease.
pub async fn next_due_at_tracks_queue(store: Arc<dyn Store>) {
    let mut fx = Fixture::new();
    assert_eq!(store.next_due_at().await.unwrap(), None, "empty queue");
    let app = fx.create_app(&*store).await;
    fx.create_endpoint(&*store, &app.id).await;
    let m0 = fx.publish(&*store, &app.id, "a").await;
    let mut m1 = fx.message(&app.id, "a");
    m1.created_at = fx.now() + Duration::minutes(10);
    store.create_message(&m1, None).await.unwrap();
    assert_eq!(store.next_due_at().await.unwrap(), Some(m0.created_at));

    fx.advance(Duration::seconds(1));
    let c0 = fx.claim(&*store, CLAIM_ALL).await.remove(0);
    assert_eq!(c0.message.id, m0.id);
    assert_eq!(
        store.next_due_at().await.unwrap(),
        Some(c0.lease_expires_at),
        "the lease expires before the future message is due"
    );

    let retry_at = fx.now() + Duration::minutes(20);
    fx.attempt_and_complete(&*store, &c0, 500, Transition::RetryAt(retry_at))
        .await;
    assert_eq!(store.next_due_at().await.unwrap(), Some(m1.created_at));

    fx.advance(Duration::minutes(10));
    let c1 = fx.claim(&*store, CLAIM_ALL).await.remove(0);
    assert_eq!(
        store.next_due_at().await.unwrap(),
        Some(c1.lease_expires_at)
    );
    fx.attempt_and_complete(&*store, &c1, 200, Transition::Succeeded)
        .await;
    assert_eq!(store.next_due_at().await.unwrap(), Some(retry_at));

    fx.advance(Duration::minutes(10));
    let c0 = fx.claim(&*store, CLAIM_ALL).await.remove(0);
    fx.attempt_and_complete(&*store, &c0, 500, Transition::Exhausted)
        .await;
    assert_eq!(
        store.next_due_at().await.unwrap(),
        None,
        "nothing left to do"
    );
}

/// Workers claiming at the same time from a shared store never receive the same delivery
/// twice, and between them drain the queue.
pub async fn concurrent_claims_never_overlap(store: Arc<dyn Store>) {
    const MESSAGES: usize = 30;
    const WORKERS: usize = 6;
    const BATCH: u32 = 4;
    let mut fx = Fixture::new();
    let app = fx.create_app(&*store).await;
    fx.create_endpoint(&*store, &app.id).await;
    fx.create_endpoint(&*store, &app.id).await;
    for _ in 0..MESSAGES {
        fx.publish(&*store, &app.id, "a").await;
    }
    let now = fx.now();
    let workers: Vec<_> = (0..WORKERS)
        .map(|w| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let owner = format!("worker-{w}");
                let mut got: Vec<Claimed> = Vec::new();
                for round in 0.. {
                    let token = format!("lease-{w}-{round}");
                    let req = ClaimRequest {
                        owner: &owner,
                        lease_token: &token,
                        now,
                        lease: LEASE,
                        limit: BATCH,
                    };
                    let batch = store.claim_due(&req).await.expect("claim_due");
                    if batch.is_empty() {
                        break;
                    }
                    assert!(batch.iter().all(|c| c.lease_token == token));
                    got.extend(batch);
                    tokio::task::yield_now().await;
                }
                got
            })
        })
        .collect();
    let mut seen = HashSet::new();
    let mut total = 0;
    for worker in futures::future::join_all(workers).await {
        for c in worker.expect("worker task") {
            total += 1;
            assert!(
                seen.insert((c.delivery.msg_id.clone(), c.delivery.endpoint_id.clone())),
                "delivery of {} to {} claimed twice",
                c.delivery.msg_id,
                c.delivery.endpoint_id
            );
        }
    }
    assert_eq!(total, MESSAGES * 2);
}

/// A claim whose answer was lost can be released by its token: its deliveries are due again
/// at once, with no attempt counted; other claims are untouched.
pub async fn lost_claims_are_released_by_token(store: Arc<dyn Store>) {
    let mut fx = Fixture::new();
    let app = fx.create_app(&*store).await;
    let ep = fx.create_endpoint(&*store, &app.id).await;
    let lost_msg = fx.publish(&*store, &app.id, "a").await;
    let lost_token = fx.lease_token();
    let lost = store
        .claim_due(&fx.claim_request(&lost_token, 1))
        .await
        .unwrap();
    assert_eq!(lost.len(), 1);
    let kept_msg = fx.publish(&*store, &app.id, "a").await;
    let kept = fx.claim(&*store, CLAIM_ALL).await;
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].message.id, kept_msg.id);

    fx.advance(Duration::seconds(1));
    let now = fx.now();
    assert_eq!(store.release_claims(&lost_token, now).await.unwrap(), 1);
    let d = existing_delivery(&*store, &app.id, &lost_msg.id, &ep.id).await;
    assert_eq!(d.state, DeliveryState::Pending);
    assert_eq!(d.next_attempt_at, Some(now));
    assert_eq!(d.attempts, 0);
    let d = existing_delivery(&*store, &app.id, &kept_msg.id, &ep.id).await;
    assert_eq!(
        d.state,
        DeliveryState::Claimed,
        "another claim is untouched"
    );
    // Releasing again, or an unknown token, changes nothing.
    assert_eq!(store.release_claims(&lost_token, now).await.unwrap(), 0);
    assert_eq!(store.release_claims("lease-unknown", now).await.unwrap(), 0);
    // The released delivery is claimable at once, long before the lost lease would expire.
    let again = fx.claim(&*store, CLAIM_ALL).await;
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].message.id, lost_msg.id);
}

/// The queue's depth counts what is not finished by state, and its oldest due time is the
/// earliest `next_attempt_at` of what is due by the time asked about: a claimed delivery, a
/// future one and a finished one never count as late.
pub async fn depth_counts_live_deliveries_and_the_oldest_due(store: Arc<dyn Store>) {
    let mut fx = Fixture::new();
    assert_eq!(
        store.depth(fx.now()).await.unwrap(),
        QueueDepth::default(),
        "empty queue"
    );
    let app = fx.create_app(&*store).await;
    fx.create_endpoint(&*store, &app.id).await;
    let done = fx.publish(&*store, &app.id, "a").await;
    let retried = fx.publish(&*store, &app.id, "a").await;
    let held = fx.publish(&*store, &app.id, "a").await;
    let waiting = fx.publish(&*store, &app.id, "a").await;
    let mut future = fx.message(&app.id, "a");
    future.created_at = fx.now() + Duration::minutes(10);
    store.create_message(&future, None).await.unwrap();

    fx.advance(Duration::seconds(1));
    let claimed = fx.claim(&*store, 3).await;
    let ids: Vec<_> = claimed.iter().map(|c| c.message.id.clone()).collect();
    assert_eq!(ids, [done.id.clone(), retried.id.clone(), held.id.clone()]);
    fx.attempt_and_complete(&*store, &claimed[0], 200, Transition::Succeeded)
        .await;
    let retry_at = fx.now() + Duration::minutes(5);
    fx.attempt_and_complete(&*store, &claimed[1], 500, Transition::RetryAt(retry_at))
        .await;

    let now = fx.now();
    assert_eq!(
        store.depth(now).await.unwrap(),
        QueueDepth {
            pending: 2,
            claimed: 1,
            retry_scheduled: 1,
            oldest_due_at: Some(waiting.created_at),
        },
        "the waiting message is due and the oldest; the future one and the retry are not due"
    );
    // Twenty minutes on, the retry (due at +5 min) is older than the future message (+10 min),
    // but the waiting one is older still.
    let later = now + Duration::minutes(20);
    assert_eq!(
        store.depth(later).await.unwrap().oldest_due_at,
        Some(waiting.created_at)
    );
    let rest = fx.claim(&*store, CLAIM_ALL).await;
    assert_eq!(rest.len(), 1, "only the waiting message is due now");
    assert_eq!(
        store.depth(later).await.unwrap(),
        QueueDepth {
            pending: 1,
            claimed: 2,
            retry_scheduled: 1,
            oldest_due_at: Some(retry_at),
        }
    );
}
