//! Cases for the read side of deliveries: an endpoint's deliveries with their messages (with
//! status and message filters) and a message's deliveries with their endpoints.
//!
//! These cases must not move deliveries except through claims and completions, so the states
//! they list are states the queue can really reach.

use std::sync::Arc;

use chrono::Duration;
use hookd_core::{
    delivery::{DeliveryState, MessageStatus, Transition},
    model::EndpointStats,
    store::{DeliveryFilter, MessageFilter, Outcome, Store},
};

use crate::{
    check::{assert_pagination, everything},
    fixture::{Fixture, CLAIM_ALL},
};

/// An endpoint's deliveries list by message id with their messages, filtered by Svix status
/// (exhausted and canceled both count as `Fail`, retries as `Pending`, claimed as `Sending`)
/// and by message filters.
pub async fn endpoint_deliveries_list_and_filter(store: Arc<dyn Store>) {
    let mut fx = Fixture::new();
    let app = fx.create_app(&*store).await;
    let ep = fx.create_endpoint(&*store, &app.id).await;
    let noise = fx.create_endpoint(&*store, &app.id).await;
    let mut msgs = Vec::new();
    for event_type in ["a", "b", "a", "a", "b", "a"] {
        msgs.push(fx.publish(&*store, &app.id, event_type).await);
    }
    let claimed = fx.claim(&*store, CLAIM_ALL).await;
    assert_eq!(claimed.len(), 12);
    let later = fx.now() + Duration::hours(1);
    for c in &claimed {
        if c.endpoint.id == noise.id {
            fx.attempt_and_complete(&*store, c, 200, Transition::Succeeded)
                .await;
            continue;
        }
        let i = msgs.iter().position(|m| m.id == c.message.id).unwrap();
        match i {
            0 => assert!(
                fx.attempt_and_complete(&*store, c, 200, Transition::Succeeded)
                    .await
                    .1
            ),
            1 => assert!(
                fx.attempt_and_complete(&*store, c, 500, Transition::Exhausted)
                    .await
                    .1
            ),
            2 => {
                let retry = Transition::RetryAt(later);
                assert!(fx.attempt_and_complete(&*store, c, 503, retry).await.1)
            }
            3 => {
                let done = store.complete(&[fx.completion(c, Outcome::Canceled)]).await;
                assert_eq!(done.unwrap(), vec![true]);
            }
            4 => {} // Left claimed: "sending".
            _ => {
                let deferred = Outcome::Deferred { until: later };
                let done = store.complete(&[fx.completion(c, deferred)]).await;
                assert_eq!(done.unwrap(), vec![true]);
            }
        }
    }
    let expected_states = [
        DeliveryState::Succeeded,
        DeliveryState::Exhausted,
        DeliveryState::RetryScheduled,
        DeliveryState::Canceled,
        DeliveryState::Claimed,
        DeliveryState::Pending,
    ];

    let all = store
        .list_endpoint_deliveries(&app.id, &ep.id, &DeliveryFilter::default(), &everything())
        .await
        .unwrap();
    assert_eq!(all.data.len(), msgs.len());
    for ((m, d), (expected_msg, state)) in all.data.iter().zip(msgs.iter().zip(expected_states)) {
        assert_eq!(m, expected_msg);
        assert_eq!(d.msg_id, m.id);
        assert_eq!(d.endpoint_id, ep.id);
        assert_eq!(d.state, state, "delivery of message {}", m.id);
    }

    let filtered = |filter: DeliveryFilter| {
        let store = Arc::clone(&store);
        let app_id = app.id.clone();
        let ep_id = ep.id.clone();
        async move {
            store
                .list_endpoint_deliveries(&app_id, &ep_id, &filter, &everything())
                .await
                .unwrap()
                .data
                .into_iter()
                .map(|(m, _)| m.id)
                .collect::<Vec<_>>()
        }
    };
    let ids = |idx: &[usize]| idx.iter().map(|&i| msgs[i].id.clone()).collect::<Vec<_>>();
    let by_status = |status| DeliveryFilter {
        status: Some(status),
        ..Default::default()
    };
    assert_eq!(filtered(by_status(MessageStatus::Success)).await, ids(&[0]));
    assert_eq!(filtered(by_status(MessageStatus::Fail)).await, ids(&[1, 3]));
    assert_eq!(
        filtered(by_status(MessageStatus::Pending)).await,
        ids(&[2, 5])
    );
    assert_eq!(filtered(by_status(MessageStatus::Sending)).await, ids(&[4]));
    let type_b = DeliveryFilter {
        message: MessageFilter {
            event_types: Some(vec!["b".into()]),
            ..Default::default()
        },
        status: None,
    };
    assert_eq!(filtered(type_b).await, ids(&[1, 4]));
    let failed_a = DeliveryFilter {
        message: MessageFilter {
            event_types: Some(vec!["a".into()]),
            ..Default::default()
        },
        status: Some(MessageStatus::Fail),
    };
    assert_eq!(filtered(failed_a).await, ids(&[3]));
    let after = DeliveryFilter {
        message: MessageFilter {
            after: Some(msgs[3].created_at),
            ..Default::default()
        },
        status: None,
    };
    assert_eq!(filtered(after).await, ids(&[4, 5]));

    let keys: Vec<String> = msgs.iter().map(|m| m.id.to_string()).collect();
    let (app_id, ep_id) = (app.id.clone(), ep.id.clone());
    assert_pagination(
        "endpoint deliveries",
        &keys,
        |q| {
            let store = Arc::clone(&store);
            let (app_id, ep_id) = (app_id.clone(), ep_id.clone());
            async move {
                store
                    .list_endpoint_deliveries(&app_id, &ep_id, &DeliveryFilter::default(), &q)
                    .await
            }
        },
        |(m, _)| m.id.to_string(),
    )
    .await;
}

/// A message's deliveries list by endpoint id with their endpoints, and only that message's.
pub async fn message_deliveries_list(store: Arc<dyn Store>) {
    let mut fx = Fixture::new();
    let app = fx.create_app(&*store).await;
    let mut endpoints = Vec::new();
    for _ in 0..7 {
        endpoints.push(fx.create_endpoint(&*store, &app.id).await);
    }
    let msg = fx.publish(&*store, &app.id, "a").await;
    fx.publish(&*store, &app.id, "a").await;

    let page = store
        .list_message_deliveries(&app.id, &msg.id, &everything())
        .await
        .unwrap();
    assert_eq!(page.data.len(), endpoints.len());
    for ((ep, d), expected) in page.data.iter().zip(&endpoints) {
        assert_eq!(ep, expected);
        assert_eq!(d.endpoint_id, ep.id);
        assert_eq!(d.msg_id, msg.id);
    }
    let other = fx.create_app(&*store).await;
    assert!(store
        .list_message_deliveries(&other.id, &msg.id, &everything())
        .await
        .unwrap()
        .data
        .is_empty());

    let keys: Vec<String> = endpoints.iter().map(|e| e.id.to_string()).collect();
    let (app_id, msg_id) = (app.id.clone(), msg.id.clone());
    assert_pagination(
        "message deliveries",
        &keys,
        |q| {
            let store = Arc::clone(&store);
            let (app_id, msg_id) = (app_id.clone(), msg_id.clone());
            async move { store.list_message_deliveries(&app_id, &msg_id, &q).await }
        },
        |(e, _)| e.id.to_string(),
    )
    .await;
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
