//! Cases for the delivery queue: claiming under a lease, completing (every outcome, stale
//! leases, vanished endpoints), resend, recover, statistics, `next_due_at`, and concurrent
//! claims.
//!
//! These cases must not sleep: leases expire and retries come due by moving the fixture's
//! clock and passing `now` to the store.

use std::{collections::HashSet, sync::Arc};

use chrono::Duration;
use hookd_core::{
    delivery::{DeliveryState, Transition, TriggerType},
    model::EndpointStats,
    store::{AttemptFilter, ClaimRequest, Claimed, Outcome, Store, StoreError},
};

use crate::{
    check::{delivery, everything, existing_delivery},
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

/// One batch applies success, a scheduled retry and exhaustion, counting each attempt,
/// clearing the lease and recording the attempts; the retry comes due at its time.
pub async fn complete_applies_transitions(store: Arc<dyn Store>) {
    let mut fx = Fixture::new();
    let app = fx.create_app(&*store).await;
    let ep = fx.create_endpoint(&*store, &app.id).await;
    let msgs = [
        fx.publish(&*store, &app.id, "a").await,
        fx.publish(&*store, &app.id, "a").await,
        fx.publish(&*store, &app.id, "a").await,
    ];
    let claimed = fx.claim(&*store, CLAIM_ALL).await;
    assert_eq!(claimed.len(), 3);
    let retry_at = fx.now() + Duration::seconds(5);
    let plan = [
        (200, Transition::Succeeded),
        (500, Transition::RetryAt(retry_at)),
        (0, Transition::Exhausted),
    ];
    let mut attempts = Vec::new();
    let mut batch = Vec::new();
    for (c, (code, transition)) in claimed.iter().zip(plan) {
        let attempt = fx.attempt(c, code);
        attempts.push(attempt.clone());
        batch.push(fx.completion(
            c,
            Outcome::Attempted {
                attempt,
                transition,
            },
        ));
    }
    assert_eq!(
        store.complete(&batch).await.unwrap(),
        vec![true, true, true]
    );

    let expected = [
        (DeliveryState::Succeeded, None),
        (DeliveryState::RetryScheduled, Some(retry_at)),
        (DeliveryState::Exhausted, None),
    ];
    for ((m, (state, next)), completion) in msgs.iter().zip(expected).zip(&batch) {
        let d = existing_delivery(&*store, &app.id, &m.id, &ep.id).await;
        assert_eq!(d.state, state);
        assert_eq!(d.attempts, 1);
        assert_eq!(d.next_attempt_at, next);
        assert_eq!(d.trigger, TriggerType::Scheduled);
        assert_eq!(d.updated_at, completion.now);
    }
    let recorded = store
        .list_attempts_by_endpoint(&app.id, &ep.id, &AttemptFilter::default(), &everything())
        .await
        .unwrap();
    assert_eq!(recorded.data, attempts);

    assert!(
        fx.claim(&*store, CLAIM_ALL).await.is_empty(),
        "the retry is not due yet"
    );
    fx.advance(Duration::seconds(5));
    let retry = fx.claim(&*store, CLAIM_ALL).await;
    assert_eq!(retry.len(), 1);
    assert_eq!(retry[0].message.id, msgs[1].id);
    assert_eq!(retry[0].delivery.attempts, 1);
}

/// A completion whose lease was taken over returns false and leaves the delivery as its new
/// holder left it, but its attempt is still recorded; a completion with a token that never
/// held the lease changes nothing.
pub async fn stale_completion_records_attempt_only(store: Arc<dyn Store>) {
    let mut fx = Fixture::new();
    let app = fx.create_app(&*store).await;
    let ep = fx.create_endpoint(&*store, &app.id).await;
    let msg = fx.publish(&*store, &app.id, "a").await;

    let old = fx.claim(&*store, CLAIM_ALL).await.remove(0);
    fx.advance(LEASE);
    let new = fx.claim(&*store, CLAIM_ALL).await.remove(0);
    let (fresh, held) = fx
        .attempt_and_complete(&*store, &new, 200, Transition::Succeeded)
        .await;
    assert!(held);
    let (late, held) = fx
        .attempt_and_complete(&*store, &old, 500, Transition::Exhausted)
        .await;
    assert!(!held, "the old holder lost its lease");

    let d = existing_delivery(&*store, &app.id, &msg.id, &ep.id).await;
    assert_eq!(d.state, DeliveryState::Succeeded);
    assert_eq!(d.attempts, 1, "only the holder's attempt counts");
    let recorded = store
        .list_attempts_by_msg(&app.id, &msg.id, &AttemptFilter::default(), &everything())
        .await
        .unwrap();
    assert_eq!(recorded.data, vec![fresh, late], "both attempts are facts");

    let other = fx.publish(&*store, &app.id, "a").await;
    let claimed = fx.claim(&*store, CLAIM_ALL).await.remove(0);
    let mut forged = claimed.clone();
    forged.lease_token = "not-the-token".into();
    let (_, held) = fx
        .attempt_and_complete(&*store, &forged, 200, Transition::Succeeded)
        .await;
    assert!(!held);
    let d = existing_delivery(&*store, &app.id, &other.id, &ep.id).await;
    assert_eq!(d.state, DeliveryState::Claimed);
    assert_eq!(d.attempts, 0);
    let (_, held) = fx
        .attempt_and_complete(&*store, &claimed, 200, Transition::Succeeded)
        .await;
    assert!(held, "the real holder still completes");
}

/// A worker that reports the same completion twice (say, after an error it could not tell
/// apart from a failed commit) gets `false` the second time, and the attempt is recorded once.
pub async fn repeated_completion_is_harmless(store: Arc<dyn Store>) {
    let mut fx = Fixture::new();
    let app = fx.create_app(&*store).await;
    let ep = fx.create_endpoint(&*store, &app.id).await;
    let msg = fx.publish(&*store, &app.id, "a").await;
    let claimed = fx.claim(&*store, CLAIM_ALL).await.remove(0);
    let attempt = fx.attempt(&claimed, 503);
    let completion = fx.completion(
        &claimed,
        Outcome::Attempted {
            attempt: attempt.clone(),
            transition: Transition::RetryAt(fx.now() + Duration::seconds(5)),
        },
    );
    assert_eq!(
        store
            .complete(std::slice::from_ref(&completion))
            .await
            .unwrap(),
        vec![true]
    );
    assert_eq!(store.complete(&[completion]).await.unwrap(), vec![false]);
    let d = existing_delivery(&*store, &app.id, &msg.id, &ep.id).await;
    assert_eq!(d.attempts, 1);
    assert_eq!(d.state, DeliveryState::RetryScheduled);
    let recorded = store
        .list_attempts_by_msg(&app.id, &msg.id, &AttemptFilter::default(), &everything())
        .await
        .unwrap();
    assert_eq!(recorded.data, vec![attempt]);
    assert!(
        store.complete(&[]).await.unwrap().is_empty(),
        "an empty batch is fine"
    );
}

/// `Deferred` puts a delivery back to pending until the given time without counting an
/// attempt (keeping a manual trigger manual); `Canceled` ends it for good.
pub async fn complete_deferred_and_canceled(store: Arc<dyn Store>) {
    let mut fx = Fixture::new();
    let app = fx.create_app(&*store).await;
    let ep = fx.create_endpoint(&*store, &app.id).await;
    let m0 = fx.publish(&*store, &app.id, "a").await;
    let m1 = fx.publish(&*store, &app.id, "a").await;
    let claimed = fx.claim(&*store, CLAIM_ALL).await;
    let until = fx.now() + Duration::seconds(10);
    let batch = [
        fx.completion(&claimed[0], Outcome::Deferred { until }),
        fx.completion(&claimed[1], Outcome::Canceled),
    ];
    assert_eq!(store.complete(&batch).await.unwrap(), vec![true, true]);

    let d0 = existing_delivery(&*store, &app.id, &m0.id, &ep.id).await;
    assert_eq!(d0.state, DeliveryState::Pending);
    assert_eq!(d0.attempts, 0);
    assert_eq!(d0.next_attempt_at, Some(until));
    assert_eq!(d0.trigger, TriggerType::Scheduled);
    let d1 = existing_delivery(&*store, &app.id, &m1.id, &ep.id).await;
    assert_eq!(d1.state, DeliveryState::Canceled);
    assert_eq!(d1.next_attempt_at, None);
    assert!(store
        .list_attempts_by_endpoint(&app.id, &ep.id, &AttemptFilter::default(), &everything())
        .await
        .unwrap()
        .data
        .is_empty());

    fx.advance(Duration::seconds(10) - Duration::milliseconds(2));
    assert!(fx.claim(&*store, CLAIM_ALL).await.is_empty());
    fx.advance(Duration::milliseconds(2));
    let again = fx.claim(&*store, CLAIM_ALL).await;
    assert_eq!(again.len(), 1, "only the deferred one comes back");
    assert_eq!(again[0].message.id, m0.id);

    // A manual attempt that is deferred is still a manual attempt when it comes back.
    store
        .resend(&app.id, &m1.id, &ep.id, fx.now())
        .await
        .unwrap();
    let manual = fx.claim(&*store, CLAIM_ALL).await;
    assert_eq!(manual.len(), 1);
    let until = fx.now() + Duration::seconds(1);
    let done = store
        .complete(&[fx.completion(&manual[0], Outcome::Deferred { until })])
        .await;
    assert_eq!(done.unwrap(), vec![true]);
    fx.advance(Duration::seconds(1));
    let back = fx.claim(&*store, CLAIM_ALL).await;
    assert_eq!(back.len(), 1);
    assert_eq!(back[0].delivery.trigger, TriggerType::Manual);
}

/// Completing a delivery whose endpoint was deleted meanwhile is not an error: it reports the
/// lease as lost, records nothing, and the rest of the batch still applies.
pub async fn complete_after_endpoint_deleted(store: Arc<dyn Store>) {
    let mut fx = Fixture::new();
    let app = fx.create_app(&*store).await;
    let doomed = fx.create_endpoint(&*store, &app.id).await;
    let kept = fx.create_endpoint(&*store, &app.id).await;
    let msg = fx.publish(&*store, &app.id, "a").await;
    let mut claimed = fx.claim(&*store, CLAIM_ALL).await;
    claimed.sort_by_key(|c| c.endpoint.id != doomed.id);
    assert!(store.delete_endpoint(&app.id, &doomed.id).await.unwrap());

    let batch: Vec<_> = claimed
        .iter()
        .map(|c| {
            let attempt = fx.attempt(c, 200);
            fx.completion(
                c,
                Outcome::Attempted {
                    attempt,
                    transition: Transition::Succeeded,
                },
            )
        })
        .collect();
    assert_eq!(store.complete(&batch).await.unwrap(), vec![false, true]);
    let recorded = store
        .list_attempts_by_msg(&app.id, &msg.id, &AttemptFilter::default(), &everything())
        .await
        .unwrap();
    assert_eq!(recorded.data.len(), 1);
    assert_eq!(recorded.data[0].endpoint_id, kept.id);
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

/// Statistics count an endpoint's deliveries created in `[since, until)` by Svix status, with
/// canceled deliveries counted on their own.
pub async fn endpoint_stats_count_by_status(store: Arc<dyn Store>) {
    let mut fx = Fixture::new();
    let app = fx.create_app(&*store).await;
    let ep = fx.create_endpoint(&*store, &app.id).await;
    let noise = fx.create_endpoint(&*store, &app.id).await;
    let mut msgs = Vec::new();
    for _ in 0..7 {
        fx.advance(Duration::minutes(1));
        msgs.push(fx.publish(&*store, &app.id, "a").await);
    }
    let later = fx.now() + Duration::hours(1);
    for c in fx.claim(&*store, CLAIM_ALL).await {
        if c.endpoint.id == noise.id {
            fx.attempt_and_complete(&*store, &c, 200, Transition::Succeeded)
                .await;
            continue;
        }
        let i = msgs.iter().position(|m| m.id == c.message.id).unwrap();
        let outcome = match i {
            0 | 1 => {
                fx.attempt_and_complete(&*store, &c, 200, Transition::Succeeded)
                    .await;
                continue;
            }
            2 => {
                fx.attempt_and_complete(&*store, &c, 500, Transition::Exhausted)
                    .await;
                continue;
            }
            3 => Outcome::Canceled,
            4 => continue, // Left claimed.
            5 => Outcome::Deferred { until: later },
            _ => {
                let retry = Transition::RetryAt(later);
                fx.attempt_and_complete(&*store, &c, 500, retry).await;
                continue;
            }
        };
        assert_eq!(
            store.complete(&[fx.completion(&c, outcome)]).await.unwrap(),
            vec![true]
        );
    }
    fx.advance(Duration::minutes(1));
    let fresh = fx.publish(&*store, &app.id, "a").await;

    let all = store
        .endpoint_stats(&app.id, &ep.id, None, None)
        .await
        .unwrap();
    assert_eq!(
        all,
        EndpointStats {
            success: 2,
            fail: 1,
            pending: 3,
            sending: 1,
            canceled: 1,
        }
    );
    let window = store
        .endpoint_stats(
            &app.id,
            &ep.id,
            Some(msgs[2].created_at),
            Some(msgs[5].created_at),
        )
        .await
        .unwrap();
    assert_eq!(
        window,
        EndpointStats {
            fail: 1,
            canceled: 1,
            sending: 1,
            ..Default::default()
        }
    );
    let since = store
        .endpoint_stats(&app.id, &ep.id, Some(fresh.created_at), None)
        .await
        .unwrap();
    assert_eq!(
        since,
        EndpointStats {
            pending: 1,
            ..Default::default()
        }
    );
    let ghost = fx.endpoint_id();
    assert_eq!(
        store
            .endpoint_stats(&app.id, &ghost, None, None)
            .await
            .unwrap(),
        EndpointStats::default()
    );
    let other = fx.create_app(&*store).await;
    assert_eq!(
        store
            .endpoint_stats(&other.id, &ep.id, None, None)
            .await
            .unwrap(),
        EndpointStats::default()
    );
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

/// One batch may carry a delivery twice (a report retried after an unclear error, or a stale
/// claim's report beside the new claim's): each is judged by its own lease, in batch order,
/// as if it came alone, and the other deliveries of the batch are unaffected.
pub async fn batch_with_a_delivery_twice_judges_each_by_its_lease(store: Arc<dyn Store>) {
    let mut fx = Fixture::new();
    let app = fx.create_app(&*store).await;
    let ep = fx.create_endpoint(&*store, &app.id).await;
    let twice = fx.publish(&*store, &app.id, "a").await;
    let once = fx.publish(&*store, &app.id, "a").await;
    let stale = fx.claim(&*store, CLAIM_ALL).await;
    assert_eq!(stale.len(), 2);
    let stale_twice = stale
        .iter()
        .find(|c| c.message.id == twice.id)
        .unwrap()
        .clone();
    let claimed_once = stale
        .iter()
        .find(|c| c.message.id == once.id)
        .unwrap()
        .clone();
    // The lease on `twice` expires and it is claimed again under a new token.
    fx.advance(LEASE + Duration::seconds(1));
    let token = fx.lease_token();
    let mut req = fx.claim_request(&token, CLAIM_ALL);
    req.lease = Duration::hours(1);
    let fresh = store.claim_due(&req).await.unwrap();
    let fresh_twice = fresh
        .iter()
        .find(|c| c.message.id == twice.id)
        .unwrap()
        .clone();

    let stale_attempt = fx.attempt(&stale_twice, 500);
    let fresh_attempt = fx.attempt(&fresh_twice, 200);
    let once_attempt = fx.attempt(&claimed_once, 200);
    let batch = vec![
        fx.completion(
            &stale_twice,
            Outcome::Attempted {
                attempt: stale_attempt.clone(),
                transition: Transition::RetryAt(fx.now() + Duration::seconds(5)),
            },
        ),
        fx.completion(
            &fresh_twice,
            Outcome::Attempted {
                attempt: fresh_attempt.clone(),
                transition: Transition::Succeeded,
            },
        ),
        fx.completion(
            &claimed_once,
            Outcome::Attempted {
                attempt: once_attempt.clone(),
                transition: Transition::Succeeded,
            },
        ),
    ];
    let held = store.complete(&batch).await.unwrap();
    // `once` may or may not still be held, depending on whether the second claim took it
    // over too (its lease expired as well); `twice` is decided by the tokens.
    assert!(!held[0], "the stale report lost its lease");
    assert!(held[1], "the fresh report holds it");
    let d = existing_delivery(&*store, &app.id, &twice.id, &ep.id).await;
    assert_eq!(d.state, DeliveryState::Succeeded);
    assert_eq!(d.attempts, 1, "only the held report moves the delivery");
    let recorded = store
        .list_attempts_by_msg(&app.id, &twice.id, &AttemptFilter::default(), &everything())
        .await
        .unwrap();
    assert_eq!(
        recorded.data.len(),
        2,
        "both attempts happened and are recorded"
    );
    let d = existing_delivery(&*store, &app.id, &once.id, &ep.id).await;
    assert_eq!(d.state == DeliveryState::Succeeded, held[2]);
}

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
