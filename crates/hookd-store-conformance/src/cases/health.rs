//! Cases for endpoint health: `failing_since` as completions move it (in batch order, only for
//! completions that held their lease), the guarded disabling of an endpoint that has failed
//! for too long, and the reset when an endpoint is enabled or disabled.
//!
//! These cases must not sleep: attempts are dated by the fixture's clock, which the cases
//! move.

use std::sync::Arc;

use chrono::Duration;
use hookd_core::{
    delivery::Transition,
    id::{AppId, EndpointId},
    model::{Endpoint, Message},
    store::{Claimed, Outcome, Store},
    Timestamp,
};

use crate::fixture::{Fixture, CLAIM_ALL, LEASE};

/// The endpoint as the store has it now.
async fn stored(store: &dyn Store, ep: &Endpoint) -> Endpoint {
    store
        .get_endpoint(&ep.app_id, ep.id.as_str())
        .await
        .expect("get_endpoint")
        .expect("the endpoint exists")
}

/// Publishes a message to `ep` alone and claims its delivery.
async fn claim_one(fx: &mut Fixture, store: &dyn Store, ep: &Endpoint) -> (Message, Claimed) {
    let msg = fx.message(&ep.app_id, "a");
    assert_eq!(
        store.create_message(&msg, Some(&ep.id)).await.unwrap(),
        1,
        "one delivery"
    );
    let mut claimed = fx.claim(store, CLAIM_ALL).await;
    assert_eq!(claimed.len(), 1, "only the new delivery is due");
    (msg, claimed.remove(0))
}

/// Completes `claimed` with an attempt answered with `code`; returns the attempt's time.
async fn attempt(fx: &mut Fixture, store: &dyn Store, claimed: &Claimed, code: i16) -> Timestamp {
    let transition = if (200..300).contains(&code) {
        Transition::Succeeded
    } else {
        Transition::Exhausted
    };
    let (attempt, _) = fx
        .attempt_and_complete(store, claimed, code, transition)
        .await;
    attempt.created_at
}

/// Completes one delivery to `ep` per code in one batch, in that order; returns the attempts'
/// times.
async fn complete_batch(
    fx: &mut Fixture,
    store: &dyn Store,
    ep: &Endpoint,
    codes: &[i16],
) -> Vec<Timestamp> {
    let mut claims = Vec::new();
    for _ in codes {
        claims.push(claim_one(fx, store, ep).await.1);
    }
    let mut batch = Vec::new();
    let mut times = Vec::new();
    for (c, code) in claims.iter().zip(codes) {
        let attempt = fx.attempt(c, *code);
        times.push(attempt.created_at);
        let transition = if (200..300).contains(code) {
            Transition::Succeeded
        } else {
            Transition::Exhausted
        };
        batch.push(fx.completion(
            c,
            Outcome::Attempted {
                attempt,
                transition,
            },
        ));
    }
    let held = store.complete(&batch).await.expect("complete");
    assert!(held.iter().all(|h| *h), "every completion holds its lease");
    times
}

/// A failed attempt starts the failing period at its own time and later failures keep that
/// start; a success ends it; only the endpoint attempted changes; a completion that lost its
/// lease changes nothing; within one batch, attempts apply in batch order.
pub async fn endpoint_health_follows_held_attempts(store: Arc<dyn Store>) {
    let mut fx = Fixture::new();
    let app = fx.create_app(&*store).await;
    let ep = fx.create_endpoint(&*store, &app.id).await;
    let bystander = fx.create_endpoint(&*store, &app.id).await;
    assert_eq!(
        stored(&*store, &ep).await.failing_since,
        None,
        "new is healthy"
    );

    let (_, c) = claim_one(&mut fx, &*store, &ep).await;
    let first_failure = attempt(&mut fx, &*store, &c, 500).await;
    assert_eq!(
        stored(&*store, &ep).await.failing_since,
        Some(first_failure)
    );
    assert_eq!(stored(&*store, &bystander).await.failing_since, None);

    fx.advance(Duration::hours(1));
    let (_, c) = claim_one(&mut fx, &*store, &ep).await;
    attempt(&mut fx, &*store, &c, 0).await;
    assert_eq!(
        stored(&*store, &ep).await.failing_since,
        Some(first_failure),
        "a later failure keeps the start"
    );
    assert_eq!(
        c.endpoint.failing_since,
        Some(first_failure),
        "a claim hands out the endpoint's health with it"
    );

    // A success whose lease was taken over is a fact about the receiver, but not the
    // holder's report: the endpoint stays failing until the holder reports.
    let (_, stale) = claim_one(&mut fx, &*store, &ep).await;
    fx.advance(LEASE);
    let fresh = fx.claim(&*store, CLAIM_ALL).await.remove(0);
    let (_, held) = fx
        .attempt_and_complete(&*store, &stale, 200, Transition::Succeeded)
        .await;
    assert!(!held);
    assert_eq!(
        stored(&*store, &ep).await.failing_since,
        Some(first_failure)
    );
    attempt(&mut fx, &*store, &fresh, 200).await;
    assert_eq!(
        stored(&*store, &ep).await.failing_since,
        None,
        "a success ends it"
    );

    // One batch: failure then success ends healthy; success then failure starts anew at the
    // failure; failures while already failing keep the start.
    complete_batch(&mut fx, &*store, &ep, &[500, 200]).await;
    assert_eq!(stored(&*store, &ep).await.failing_since, None);
    let times = complete_batch(&mut fx, &*store, &ep, &[200, 503]).await;
    assert_eq!(stored(&*store, &ep).await.failing_since, Some(times[1]));
    complete_batch(&mut fx, &*store, &ep, &[0, 500]).await;
    assert_eq!(stored(&*store, &ep).await.failing_since, Some(times[1]));
    assert_eq!(stored(&*store, &bystander).await.failing_since, None);
}

/// Disabling a failing endpoint is guarded: only an enabled endpoint failing since the given
/// time or earlier is disabled, once, with its failing period cleared and its `updated_at`
/// set; the caller learns since when it had been failing.
pub async fn failing_endpoint_is_disabled_once(store: Arc<dyn Store>) {
    let mut fx = Fixture::new();
    let app = fx.create_app(&*store).await;
    let ep = fx.create_endpoint(&*store, &app.id).await;
    let healthy = fx.create_endpoint(&*store, &app.id).await;
    let (_, c) = claim_one(&mut fx, &*store, &ep).await;
    let since = attempt(&mut fx, &*store, &c, 500).await;
    fx.advance(Duration::days(5));
    let now = fx.now();

    let disable = |id: EndpointId, app: AppId, before: Timestamp| {
        let store = store.clone();
        async move {
            store
                .disable_failing_endpoint(&app, &id, before, now)
                .await
                .unwrap()
        }
    };
    assert_eq!(
        disable(
            ep.id.clone(),
            app.id.clone(),
            since - Duration::milliseconds(1)
        )
        .await,
        None,
        "failing only since later than asked"
    );
    assert!(!stored(&*store, &ep).await.disabled);
    assert_eq!(disable(healthy.id.clone(), app.id.clone(), now).await, None);
    assert_eq!(disable(fx.endpoint_id(), app.id.clone(), now).await, None);
    let other_app = fx.create_app(&*store).await;
    assert_eq!(
        disable(ep.id.clone(), other_app.id.clone(), now).await,
        None,
        "scoped to its application"
    );

    assert_eq!(
        disable(ep.id.clone(), app.id.clone(), since).await,
        Some(since)
    );
    let after = stored(&*store, &ep).await;
    assert!(after.disabled);
    assert_eq!(after.failing_since, None);
    assert_eq!(after.updated_at, now);
    assert_eq!(
        disable(ep.id.clone(), app.id.clone(), now).await,
        None,
        "only once"
    );
    assert!(!stored(&*store, &healthy).await.disabled);
}

/// Enabling or disabling an endpoint resets its health, so a re-enabled endpoint is not
/// disabled again by its first failure; any other update keeps it, and creating an endpoint
/// never sets it.
pub async fn toggling_an_endpoint_resets_its_health(store: Arc<dyn Store>) {
    let mut fx = Fixture::new();
    let app = fx.create_app(&*store).await;
    let ep = fx
        .create_endpoint_with(&*store, &app.id, |ep| {
            ep.failing_since = Some(ep.created_at);
        })
        .await;
    assert_eq!(
        stored(&*store, &ep).await.failing_since,
        None,
        "creating never sets it"
    );

    let (_, c) = claim_one(&mut fx, &*store, &ep).await;
    let since = attempt(&mut fx, &*store, &c, 500).await;
    let mut changed = stored(&*store, &ep).await;
    changed.description = "renamed".into();
    changed.failing_since = None;
    changed.updated_at = fx.tick();
    store.update_endpoint(&changed).await.unwrap();
    assert_eq!(
        stored(&*store, &ep).await.failing_since,
        Some(since),
        "an update that does not toggle keeps it (and cannot write it)"
    );

    changed.disabled = true;
    changed.failing_since = Some(since);
    changed.updated_at = fx.tick();
    store.update_endpoint(&changed).await.unwrap();
    assert_eq!(stored(&*store, &ep).await.failing_since, None, "disabling");

    // An attempt already under way when the endpoint was disabled still reports its failure.
    changed.disabled = false;
    changed.updated_at = fx.tick();
    store.update_endpoint(&changed).await.unwrap();
    let (_, c) = claim_one(&mut fx, &*store, &ep).await;
    changed.disabled = true;
    changed.updated_at = fx.tick();
    store.update_endpoint(&changed).await.unwrap();
    let late = attempt(&mut fx, &*store, &c, 500).await;
    assert_eq!(stored(&*store, &ep).await.failing_since, Some(late));
    changed.disabled = false;
    changed.updated_at = fx.tick();
    store.update_endpoint(&changed).await.unwrap();
    assert_eq!(
        stored(&*store, &ep).await.failing_since,
        None,
        "re-enabling starts healthy"
    );
}

/// Workers in several processes may all see the same endpoint fail for too long at once;
/// exactly one of them disables it (and so publishes `endpoint.disabled`).
pub async fn failing_endpoint_is_disabled_once_under_concurrency(store: Arc<dyn Store>) {
    /// Racing callers: more than the test runtime's threads, so that some truly overlap.
    const RACERS: usize = 8;
    let mut fx = Fixture::new();
    let app = fx.create_app(&*store).await;
    let ep = fx.create_endpoint(&*store, &app.id).await;
    let (_, c) = claim_one(&mut fx, &*store, &ep).await;
    let since = attempt(&mut fx, &*store, &c, 500).await;
    fx.advance(Duration::days(5));
    let now = fx.now();
    let mut tasks = Vec::new();
    for _ in 0..RACERS {
        let store = store.clone();
        let (app, id) = (app.id.clone(), ep.id.clone());
        tasks.push(tokio::spawn(async move {
            store
                .disable_failing_endpoint(&app, &id, now, now)
                .await
                .unwrap()
        }));
    }
    let mut winners = Vec::new();
    for t in tasks {
        if let Some(s) = t.await.unwrap() {
            winners.push(s);
        }
    }
    assert_eq!(winners, vec![since]);
    assert!(stored(&*store, &ep).await.disabled);
}
