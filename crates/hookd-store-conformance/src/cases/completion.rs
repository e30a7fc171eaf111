//! Cases for completing claimed deliveries: every outcome, stale leases, repeated reports,
//! a delivery twice in one batch, vanished endpoints.
//!
//! These cases must not sleep: leases expire and retries come due by moving the fixture's
//! clock and passing `now` to the store.

use std::sync::Arc;

use chrono::Duration;
use hookd_core::{
    delivery::{DeliveryState, Transition, TriggerType},
    store::{AttemptFilter, Outcome, Store},
};

use crate::{
    check::{everything, existing_delivery},
    fixture::{Fixture, CLAIM_ALL, LEASE},
};

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
