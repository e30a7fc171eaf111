//! Cases for shared rate limits (`throttle_take`) and the chart counts (`attempt_buckets`).
//!
//! These cases must not sleep: the limiter is asked at explicit instants.

use std::sync::Arc;

use chrono::Duration;
use hookd_core::{
    delivery::Transition,
    store::{BucketQuery, Store},
};

use crate::fixture::{Fixture, CLAIM_ALL};

/// At 2 per second, two requests go at once, the third waits exactly 500 ms, and a second
/// store handle on the same database sees the same state (the limit is shared).
pub async fn throttle_paces_and_is_shared(store: Arc<dyn Store>) {
    let fx = Fixture::new();
    let now = fx.now();
    assert_eq!(store.throttle_take("ep_a", 2, now).await.unwrap(), Ok(()));
    assert_eq!(store.throttle_take("ep_a", 2, now).await.unwrap(), Ok(()));
    let wait = store
        .throttle_take("ep_a", 2, now)
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(wait - now, Duration::milliseconds(500));
    // A refusal takes nothing: asking again at the same instant gives the same answer.
    assert_eq!(
        store.throttle_take("ep_a", 2, now).await.unwrap(),
        Err(wait)
    );
    let shared = store.clone();
    assert_eq!(shared.throttle_take("ep_a", 2, wait).await.unwrap(), Ok(()));
    assert!(store.throttle_take("ep_a", 2, wait).await.unwrap().is_err());
}

/// Limits with different keys do not share slots.
pub async fn throttle_keys_are_independent(store: Arc<dyn Store>) {
    let fx = Fixture::new();
    let now = fx.now();
    assert_eq!(store.throttle_take("ep_a", 1, now).await.unwrap(), Ok(()));
    assert!(store.throttle_take("ep_a", 1, now).await.unwrap().is_err());
    assert_eq!(store.throttle_take("ep_b", 1, now).await.unwrap(), Ok(()));
}

/// Attempts are counted per bucket, outcome and duration bin, oldest bucket first, filtered
/// by application and endpoint and bounded by `[since, until)`.
pub async fn attempt_buckets_count_by_time_outcome_and_duration(store: Arc<dyn Store>) {
    let mut fx = Fixture::new();
    let app = fx.create_app(&*store).await;
    let ep = fx.create_endpoint(&*store, &app.id).await;
    let other_app = fx.create_app(&*store).await;
    let other_ep = fx.create_endpoint(&*store, &other_app.id).await;
    let start = fx.now();
    for _ in 0..3 {
        fx.publish(&*store, &app.id, "a").await;
    }
    fx.publish(&*store, &other_app.id, "a").await;
    let claimed = fx.claim(&*store, CLAIM_ALL).await;
    assert_eq!(claimed.len(), 4);
    for (i, c) in claimed.iter().enumerate() {
        let code = if i == 0 { 500 } else { 200 };
        let transition = if code == 200 {
            Transition::Succeeded
        } else {
            Transition::Exhausted
        };
        let (_, held) = fx.attempt_and_complete(&*store, c, code, transition).await;
        assert!(held);
    }
    let until = fx.now() + Duration::seconds(1);
    let all = store
        .attempt_buckets(&BucketQuery {
            app: None,
            endpoint: None,
            since: start,
            until,
            bucket_secs: 3600,
        })
        .await
        .unwrap();
    let total: i64 = all.iter().map(|b| b.success + b.fail).sum();
    assert_eq!(total, 4);
    assert_eq!(all.iter().map(|b| b.fail).sum::<i64>(), 1);
    // The fixture's attempts take 42 ms: bin "<= 50 ms".
    let bin = hookd_core::model::AttemptBucket::bin_of(42);
    assert_eq!(all.iter().map(|b| b.duration_bins[bin]).sum::<i64>(), 4);
    assert!(
        all.windows(2).all(|w| w[0].start < w[1].start),
        "oldest bucket first"
    );

    let mine = store
        .attempt_buckets(&BucketQuery {
            app: Some(app.id.clone()),
            endpoint: Some(ep.id.clone()),
            since: start,
            until,
            bucket_secs: 60,
        })
        .await
        .unwrap();
    assert_eq!(mine.iter().map(|b| b.success + b.fail).sum::<i64>(), 3);
    let theirs = store
        .attempt_buckets(&BucketQuery {
            app: Some(other_app.id.clone()),
            endpoint: Some(other_ep.id.clone()),
            since: start,
            until,
            bucket_secs: 60,
        })
        .await
        .unwrap();
    assert_eq!(theirs.iter().map(|b| b.success + b.fail).sum::<i64>(), 1);
    let none = store
        .attempt_buckets(&BucketQuery {
            app: None,
            endpoint: None,
            since: until,
            until: until + Duration::hours(1),
            bucket_secs: 60,
        })
        .await
        .unwrap();
    assert!(none.is_empty());
}
