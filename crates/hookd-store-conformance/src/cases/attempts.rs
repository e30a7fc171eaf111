//! Cases for attempts: what a completion records (the request sent included), the attempt
//! lists by endpoint and by message with every filter, single lookups, expunging, and
//! pagination.
//!
//! These cases must not fabricate attempts behind the queue's back: every attempt is recorded
//! through a real claim and completion, as a worker would.

use std::sync::Arc;

use chrono::Duration;
use hookd_core::{
    delivery::{MessageStatus, Transition},
    model::{Attempt, Message, SentBody, SentRequest},
    store::{AttemptFilter, MessageFilter, Outcome, Store},
};

use crate::{
    check::{assert_pagination, everything},
    fixture::{Fixture, CLAIM_ALL},
};

/// Attempts list by endpoint and by message, filtered by status, status code class (0 is "no
/// response"), endpoint, the message's type and channel, and the attempt's own time; each
/// reads back exactly as recorded, and its response can be expunged.
pub async fn attempt_lists_and_filters(store: Arc<dyn Store>) {
    let mut fx = Fixture::new();
    let app = fx.create_app(&*store).await;
    let ep1 = fx.create_endpoint(&*store, &app.id).await;
    let ep2 = fx.create_endpoint(&*store, &app.id).await;
    let mut m1 = fx.message(&app.id, "a");
    m1.channels = Some(vec!["x".into()]);
    store.create_message(&m1, None).await.unwrap();
    let m2 = fx.publish(&*store, &app.id, "b").await;

    // Round 1: (m1, ep1) 200, (m1, ep2) 500, (m2, ep1) no response, (m2, ep2) 404.
    // Round 2, an hour later: (m1, ep2) 503, (m2, ep1) 204, (m2, ep2) 410.
    let code = |round: u8, msg: &str, ep: &str| -> i16 {
        match (round, msg, ep) {
            (1, "m1", "ep1") => 200,
            (1, "m1", "ep2") => 500,
            (1, "m2", "ep1") => 0,
            (1, "m2", "ep2") => 404,
            (2, "m1", "ep2") => 503,
            (2, "m2", "ep1") => 204,
            _ => 410,
        }
    };
    let mut attempts: Vec<Attempt> = Vec::new();
    for round in [1u8, 2] {
        let claimed = fx.claim(&*store, CLAIM_ALL).await;
        assert_eq!(claimed.len(), if round == 1 { 4 } else { 3 });
        for c in &claimed {
            let msg = if c.message.id == m1.id { "m1" } else { "m2" };
            let ep = if c.endpoint.id == ep1.id {
                "ep1"
            } else {
                "ep2"
            };
            let status_code = code(round, msg, ep);
            let transition = match (round, (200..300).contains(&status_code)) {
                (_, true) => Transition::Succeeded,
                (1, false) => Transition::RetryAt(fx.now() + Duration::hours(1)),
                _ => Transition::Exhausted,
            };
            let (attempt, held) = fx
                .attempt_and_complete(&*store, c, status_code, transition)
                .await;
            assert!(held);
            attempts.push(attempt);
        }
        fx.advance(Duration::hours(2));
    }
    attempts.sort_by(|a, b| a.id.cmp(&b.id));
    let round1_end = attempts[3].created_at;
    let round2_start = attempts[4].created_at;

    let by_endpoint = |ep: &hookd_core::id::EndpointId, filter: AttemptFilter| {
        let store = Arc::clone(&store);
        let (app_id, ep) = (app.id.clone(), ep.clone());
        async move {
            store
                .list_attempts_by_endpoint(&app_id, &ep, &filter, &everything())
                .await
                .unwrap()
                .data
        }
    };
    let by_msg = |msg: &hookd_core::id::MsgId, filter: AttemptFilter| {
        let store = Arc::clone(&store);
        let (app_id, msg) = (app.id.clone(), msg.clone());
        async move {
            store
                .list_attempts_by_msg(&app_id, &msg, &filter, &everything())
                .await
                .unwrap()
                .data
        }
    };
    let codes = |list: Vec<Attempt>| {
        list.iter()
            .map(|a| a.response_status_code)
            .collect::<Vec<_>>()
    };
    let expect = |pred: &dyn Fn(&Attempt) -> bool| {
        attempts
            .iter()
            .filter(|a| pred(a))
            .cloned()
            .collect::<Vec<_>>()
    };

    // Unfiltered lists return the attempts exactly as recorded, in id order.
    assert_eq!(
        by_endpoint(&ep1.id, AttemptFilter::default()).await,
        expect(&|a| a.endpoint_id == ep1.id)
    );
    assert_eq!(
        by_msg(&m2.id, AttemptFilter::default()).await,
        expect(&|a| a.msg_id == m2.id)
    );

    let status = |s| AttemptFilter {
        status: Some(s),
        ..Default::default()
    };
    assert_eq!(
        codes(by_endpoint(&ep1.id, status(MessageStatus::Success)).await),
        vec![200, 204]
    );
    assert_eq!(
        codes(by_endpoint(&ep1.id, status(MessageStatus::Fail)).await),
        vec![0]
    );

    let class = |c| AttemptFilter {
        status_code_class: Some(c),
        ..Default::default()
    };
    assert_eq!(codes(by_endpoint(&ep1.id, class(0)).await), vec![0]);
    assert_eq!(
        codes(by_endpoint(&ep1.id, class(200)).await),
        vec![200, 204]
    );
    assert_eq!(codes(by_msg(&m1.id, class(500)).await), vec![500, 503]);
    assert_eq!(
        codes(by_endpoint(&ep2.id, class(400)).await),
        vec![404, 410]
    );
    assert!(by_endpoint(&ep2.id, class(300)).await.is_empty());

    let to_ep2 = AttemptFilter {
        endpoint_id: Some(ep2.id.clone()),
        ..Default::default()
    };
    assert_eq!(codes(by_msg(&m1.id, to_ep2).await), vec![500, 503]);

    let msg_filter = |message| AttemptFilter {
        message,
        ..Default::default()
    };
    let type_b = MessageFilter {
        event_types: Some(vec!["b".into()]),
        ..Default::default()
    };
    assert_eq!(
        codes(by_endpoint(&ep1.id, msg_filter(type_b)).await),
        vec![0, 204]
    );
    let channel_x = MessageFilter {
        channel: Some("x".into()),
        ..Default::default()
    };
    assert_eq!(
        codes(by_endpoint(&ep2.id, msg_filter(channel_x)).await),
        vec![500, 503]
    );
    let after_round1 = MessageFilter {
        after: Some(round1_end),
        ..Default::default()
    };
    assert_eq!(
        codes(by_endpoint(&ep2.id, msg_filter(after_round1)).await),
        vec![503, 410]
    );
    let before_round2 = MessageFilter {
        before: Some(round2_start),
        ..Default::default()
    };
    assert_eq!(
        codes(by_endpoint(&ep2.id, msg_filter(before_round2)).await),
        vec![500, 404]
    );

    // Single lookups are scoped to the message and the application.
    let one = attempts[0].clone();
    assert_eq!(
        store
            .get_attempt(&app.id, &one.msg_id, &one.id)
            .await
            .unwrap(),
        Some(one.clone())
    );
    let wrong_msg = if one.msg_id == m1.id { &m2.id } else { &m1.id };
    assert_eq!(
        store
            .get_attempt(&app.id, wrong_msg, &one.id)
            .await
            .unwrap(),
        None
    );
    let other = fx.create_app(&*store).await;
    assert_eq!(
        store
            .get_attempt(&other.id, &one.msg_id, &one.id)
            .await
            .unwrap(),
        None
    );

    assert!(!store
        .expunge_attempt_content(&other.id, &one.msg_id, &one.id)
        .await
        .unwrap());
    assert!(store
        .expunge_attempt_content(&app.id, &one.msg_id, &one.id)
        .await
        .unwrap());
    assert_eq!(
        store
            .get_attempt(&app.id, &one.msg_id, &one.id)
            .await
            .unwrap(),
        Some(Attempt {
            response: None,
            request: one.request.clone().map(|r| SentRequest {
                body: SentBody::Removed,
                ..r
            }),
            ..one.clone()
        })
    );
    let ghost = fx.attempt_id();
    assert!(!store
        .expunge_attempt_content(&app.id, &one.msg_id, &ghost)
        .await
        .unwrap());
}

/// Attempts page by id, by endpoint and by message.
pub async fn attempts_paginate(store: Arc<dyn Store>) {
    let mut fx = Fixture::new();
    let app = fx.create_app(&*store).await;
    let ep = fx.create_endpoint(&*store, &app.id).await;
    let msg = fx.publish(&*store, &app.id, "a").await;
    let mut ids = Vec::new();
    for _ in 0..7 {
        let claimed = fx.claim(&*store, CLAIM_ALL).await;
        assert_eq!(claimed.len(), 1);
        let (attempt, held) = fx
            .attempt_and_complete(&*store, &claimed[0], 500, Transition::Exhausted)
            .await;
        assert!(held);
        ids.push(attempt.id.to_string());
        store
            .resend(&app.id, &msg.id, &ep.id, fx.now())
            .await
            .unwrap();
    }
    let (app_id, ep_id, msg_id) = (app.id.clone(), ep.id.clone(), msg.id.clone());
    assert_pagination(
        "attempts by endpoint",
        &ids,
        |q| {
            let store = Arc::clone(&store);
            let (app_id, ep_id) = (app_id.clone(), ep_id.clone());
            async move {
                store
                    .list_attempts_by_endpoint(&app_id, &ep_id, &AttemptFilter::default(), &q)
                    .await
            }
        },
        |a| a.id.to_string(),
    )
    .await;
    assert_pagination(
        "attempts by message",
        &ids,
        |q| {
            let store = Arc::clone(&store);
            let (app_id, msg_id) = (app_id.clone(), msg_id.clone());
            async move {
                store
                    .list_attempts_by_msg(&app_id, &msg_id, &AttemptFilter::default(), &q)
                    .await
            }
        },
        |a| a.id.to_string(),
    )
    .await;
}

/// The one attempt of `msg`.
async fn only_attempt(store: &dyn Store, msg: &Message) -> Attempt {
    let list = store
        .list_attempts_by_msg(
            &msg.app_id,
            &msg.id,
            &AttemptFilter::default(),
            &everything(),
        )
        .await
        .unwrap()
        .data;
    assert_eq!(list.len(), 1, "one attempt of {}", msg.id);
    list.into_iter().next().expect("one attempt")
}

/// The recorded request of the one attempt of each message in `msgs`, by message.
async fn requests(store: &dyn Store, msgs: &[Message]) -> Vec<Option<SentRequest>> {
    let mut out = Vec::new();
    for m in msgs {
        out.push(only_attempt(store, m).await.request);
    }
    out
}

/// The request an attempt recorded reads back exactly, whatever its body's shape: the payload
/// itself (not stored again), a body kept whole, one cut short, or no record at all. A body
/// holding payload data is removed by whatever removes the payload (expunging the message,
/// the payload's expiry, also for an attempt whose request was in flight when the payload
/// went), and expunging an attempt removes its body whatever its shape; the headers stay,
/// and nothing else changes, on that attempt or on others.
pub async fn attempt_requests_round_trip_and_lose_bodies_with_content(store: Arc<dyn Store>) {
    let mut fx = Fixture::new();
    let app = fx.create_app(&*store).await;
    fx.create_endpoint(&*store, &app.id).await;
    let start = fx.now();
    let headers = vec![
        ("webhook-id".to_owned(), "msg_x".to_owned()),
        (
            "x-partner-key".to_owned(),
            hookd_core::model::MASKED.to_owned(),
        ),
    ];
    // One message per body shape, each with one attempt; the fourth records no request, the
    // fifth is expunged while its request is in flight.
    let mut msgs = Vec::new();
    for _ in 0..5 {
        let mut msg = fx.message(&app.id, "a");
        msg.payload_expires_at = Some(start + Duration::days(1));
        store.create_message(&msg, None).await.unwrap();
        msgs.push(msg);
    }
    let payload = msgs[0].payload.clone().unwrap();
    let enveloped = format!("{{\"data\":{payload}}}");
    let bodies = [
        Some(SentBody::of(&payload, Some(&payload), 4)),
        Some(SentBody::of(&enveloped, Some(&payload), 1 << 16)),
        Some(SentBody::of(&enveloped, Some(&payload), 9)),
        None,
        Some(SentBody::of(&enveloped, Some(&payload), 1 << 16)),
    ];
    assert_eq!(bodies[0], Some(SentBody::Payload));
    assert!(matches!(
        &bodies[2],
        Some(SentBody::Recorded { text, truncated: true }) if text.len() == 9
    ));
    let mut claimed = fx.claim(&*store, CLAIM_ALL).await;
    claimed.sort_by(|a, b| a.message.id.cmp(&b.message.id));
    assert_eq!(claimed.len(), 5);
    let mut batch = Vec::new();
    let mut recorded = Vec::new();
    for (c, body) in claimed.iter().zip(&bodies) {
        let mut attempt = fx.attempt(c, 200);
        attempt.request = body.clone().map(|body| SentRequest {
            headers: headers.clone(),
            body,
        });
        recorded.push(attempt.request.clone());
        batch.push(fx.completion(
            c,
            Outcome::Attempted {
                attempt,
                transition: Transition::Succeeded,
            },
        ));
    }
    let in_flight = batch.pop().unwrap();
    assert_eq!(store.complete(&batch).await.unwrap(), vec![true; 4]);
    assert!(store
        .expunge_message_content(&app.id, &msgs[4].id)
        .await
        .unwrap());
    assert_eq!(store.complete(&[in_flight]).await.unwrap(), vec![true]);
    let removed = |r: &Option<SentRequest>| {
        r.clone().map(|r| SentRequest {
            body: SentBody::Removed,
            ..r
        })
    };
    let mut expected = recorded.clone();
    expected[4] = removed(&recorded[4]);
    assert_eq!(
        requests(&*store, &msgs).await,
        expected,
        "as recorded, but for the payload expunged meanwhile"
    );

    // Expunging one message removes its stored body only; the others keep theirs.
    assert!(store
        .expunge_message_content(&app.id, &msgs[1].id)
        .await
        .unwrap());
    expected[1] = removed(&recorded[1]);
    assert_eq!(requests(&*store, &msgs).await, expected, "message expunged");

    // The payloads' expiry removes the remaining stored body; a body that was the payload
    // itself is not stored, so its record stays as it was (readers find the payload gone).
    assert_eq!(
        store
            .expire_payloads(start + Duration::days(1), 100)
            .await
            .unwrap(),
        3
    );
    expected[2] = removed(&recorded[2]);
    assert_eq!(requests(&*store, &msgs).await, expected, "payloads expired");

    // Expunging an attempt removes its body whatever its shape, and its response.
    let first = only_attempt(&*store, &msgs[0]).await;
    assert!(store
        .expunge_attempt_content(&app.id, &first.msg_id, &first.id)
        .await
        .unwrap());
    expected[0] = removed(&recorded[0]);
    assert_eq!(requests(&*store, &msgs).await, expected, "attempt expunged");
    let unrecorded = only_attempt(&*store, &msgs[3]).await;
    assert!(store
        .expunge_attempt_content(&app.id, &unrecorded.msg_id, &unrecorded.id)
        .await
        .unwrap());
    assert_eq!(
        requests(&*store, &msgs).await[3],
        None,
        "an attempt that recorded no request still has none"
    );
}

/// What an attempt decided about the next one reads back as recorded, through lists and the
/// single lookup: the next attempt's time (millisecond precision) and the receiver's
/// `Retry-After` text, for a retried attempt; neither for a success or an attempt without them.
pub async fn attempt_retry_facts_round_trip(store: Arc<dyn Store>) {
    let mut fx = Fixture::new();
    let app = fx.create_app(&*store).await;
    fx.create_endpoint(&*store, &app.id).await;
    let msg = fx.publish(&*store, &app.id, "a").await;
    let claimed = fx.claim(&*store, CLAIM_ALL).await;
    assert_eq!(claimed.len(), 1);
    let due = fx.now() + Duration::milliseconds(9_123);
    let mut attempt = fx.attempt(&claimed[0], 429);
    attempt.next_attempt_at = Some(due);
    attempt.retry_after = Some("Wed, 21 Oct 2015 07:28:00 GMT".into());
    let completion = fx.completion(
        &claimed[0],
        Outcome::Attempted {
            attempt: attempt.clone(),
            transition: Transition::RetryAt(due),
        },
    );
    assert_eq!(store.complete(&[completion]).await.unwrap(), vec![true]);
    assert_eq!(only_attempt(&*store, &msg).await, attempt);
    let by_endpoint = store
        .list_attempts_by_endpoint(
            &app.id,
            &attempt.endpoint_id,
            &AttemptFilter::default(),
            &everything(),
        )
        .await
        .unwrap()
        .data;
    assert_eq!(by_endpoint, vec![attempt.clone()]);

    // The retry, a success, decides nothing more.
    fx.advance(Duration::seconds(10));
    let claimed = fx.claim(&*store, CLAIM_ALL).await;
    let (second, held) = fx
        .attempt_and_complete(&*store, &claimed[0], 200, Transition::Succeeded)
        .await;
    assert!(held);
    let read = store
        .get_attempt(&app.id, &msg.id, &second.id)
        .await
        .unwrap()
        .expect("recorded");
    assert_eq!((read.next_attempt_at, read.retry_after), (None, None));
}
