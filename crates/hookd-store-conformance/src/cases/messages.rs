//! Cases for messages: byte-exact payloads, lookups, `eventId` conflicts, fan-out to the
//! endpoints that accept a message, `only_endpoint`, list filters and pagination.
//!
//! These cases must not compare payloads as JSON values: the contract is the exact text.

use std::{collections::BTreeSet, sync::Arc};

use chrono::Duration;
use hookd_core::{
    delivery::{DeliveryState, TriggerType},
    id::{AppId, EndpointId, MsgId},
    model::Message,
    store::{MessageFilter, Store, StoreError},
};

use crate::{
    check::{assert_pagination, everything},
    fixture::Fixture,
};

/// A payload with unusual spacing, key order, escapes and non-ASCII text: stores must return
/// the publisher's bytes, not a re-serialization.
const ODD_PAYLOAD: &str =
    "{\"z\": 1,  \"a\" :[1, 2.50 ,3e2],\n\t\"s\":\"caf\u{e9} \\u00e9 \\\"q\\\"\", \"n\":null}";

/// The endpoints a message was fanned out to, as the read side lists them.
async fn targets(store: &dyn Store, app: &AppId, msg: &MsgId) -> BTreeSet<EndpointId> {
    store
        .list_message_deliveries(app, msg, &everything())
        .await
        .unwrap()
        .data
        .into_iter()
        .map(|(e, _)| e.id)
        .collect()
}

/// A message reads back byte for byte, by id and by `eventId`, only in its own application;
/// expunging removes the payload and nothing else.
pub async fn message_round_trip(store: Arc<dyn Store>) {
    let mut fx = Fixture::new();
    let app = fx.create_app(&*store).await;
    let other = fx.create_app(&*store).await;
    let mut msg = fx.message(&app.id, "invoice.paid");
    msg.payload = Some(ODD_PAYLOAD.to_owned());
    msg.event_id = Some("evt-1".into());
    msg.channels = Some(vec!["eu".into(), "vip".into()]);
    assert_eq!(
        store.create_message(&msg, None).await.unwrap(),
        0,
        "no endpoints yet"
    );

    assert_eq!(
        store.get_message(&app.id, msg.id.as_str()).await.unwrap(),
        Some(msg.clone())
    );
    assert_eq!(
        store.get_message(&app.id, "evt-1").await.unwrap(),
        Some(msg.clone())
    );
    assert_eq!(
        store.get_message(&other.id, msg.id.as_str()).await.unwrap(),
        None
    );
    assert_eq!(store.get_message(&other.id, "evt-1").await.unwrap(), None);

    assert!(!store
        .expunge_message_content(&other.id, &msg.id)
        .await
        .unwrap());
    assert!(store
        .expunge_message_content(&app.id, &msg.id)
        .await
        .unwrap());
    let expunged = store
        .get_message(&app.id, msg.id.as_str())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        expunged,
        Message {
            payload: None,
            ..msg.clone()
        }
    );
    let ghost = fx.msg_id();
    assert!(!store
        .expunge_message_content(&app.id, &ghost)
        .await
        .unwrap());
}

/// An id beats an equal `eventId`.
pub async fn message_id_takes_precedence_over_event_id(store: Arc<dyn Store>) {
    let mut fx = Fixture::new();
    let app = fx.create_app(&*store).await;
    let first = fx.publish(&*store, &app.id, "a").await;
    let mut impostor = fx.message(&app.id, "a");
    impostor.event_id = Some(first.id.to_string());
    store.create_message(&impostor, None).await.unwrap();
    assert_eq!(
        store.get_message(&app.id, first.id.as_str()).await.unwrap(),
        Some(first)
    );
    assert_eq!(
        store
            .get_message(&app.id, impostor.id.as_str())
            .await
            .unwrap(),
        Some(impostor)
    );
}

/// A taken `eventId` is a `Conflict` that writes nothing (no message, no deliveries); the
/// same `eventId` is free in another application, and messages without one never conflict.
pub async fn message_event_id_conflicts(store: Arc<dyn Store>) {
    let mut fx = Fixture::new();
    let app = fx.create_app(&*store).await;
    let other = fx.create_app(&*store).await;
    fx.create_endpoint(&*store, &app.id).await;
    let mut first = fx.message(&app.id, "a");
    first.event_id = Some("evt".into());
    assert_eq!(store.create_message(&first, None).await.unwrap(), 1);

    let mut dup = fx.message(&app.id, "a");
    dup.event_id = Some("evt".into());
    assert!(matches!(
        store.create_message(&dup, None).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        store.get_message(&app.id, dup.id.as_str()).await.unwrap(),
        None
    );
    assert!(targets(&*store, &app.id, &dup.id).await.is_empty());
    assert_eq!(
        fx.claim(&*store, 100).await.len(),
        1,
        "only the first message's delivery"
    );

    let mut elsewhere = fx.message(&other.id, "a");
    elsewhere.event_id = Some("evt".into());
    store.create_message(&elsewhere, None).await.unwrap();
    fx.publish(&*store, &app.id, "a").await;
    fx.publish(&*store, &app.id, "a").await;
}

/// A message goes to every enabled endpoint of its application whose event type and channel
/// filters accept it, each delivery pending, due at the message's creation, with no attempts.
pub async fn message_fans_out_to_accepting_endpoints(store: Arc<dyn Store>) {
    let mut fx = Fixture::new();
    let app = fx.create_app(&*store).await;
    let other = fx.create_app(&*store).await;
    let all = fx.create_endpoint(&*store, &app.id).await;
    let typed = fx
        .create_endpoint_with(&*store, &app.id, |e| {
            e.event_types = Some(vec!["invoice.paid".into(), "invoice.void".into()])
        })
        .await;
    let channeled = fx
        .create_endpoint_with(&*store, &app.id, |e| e.channels = Some(vec!["eu".into()]))
        .await;
    let both = fx
        .create_endpoint_with(&*store, &app.id, |e| {
            e.event_types = Some(vec!["invoice.paid".into()]);
            e.channels = Some(vec!["eu".into(), "us".into()]);
        })
        .await;
    fx.create_endpoint_with(&*store, &app.id, |e| e.disabled = true)
        .await;
    fx.create_endpoint(&*store, &other.id).await;

    // (event type, channels, the endpoints that must receive it)
    type Case<'a> = (&'a str, Option<Vec<&'a str>>, Vec<&'a EndpointId>);
    let cases: [Case<'_>; 4] = [
        ("invoice.paid", None, vec![&all.id, &typed.id]),
        (
            "invoice.paid",
            Some(vec!["eu"]),
            vec![&all.id, &typed.id, &channeled.id, &both.id],
        ),
        (
            "invoice.paid",
            Some(vec!["us", "asia"]),
            vec![&all.id, &typed.id, &both.id],
        ),
        (
            "user.created",
            Some(vec!["eu"]),
            vec![&all.id, &channeled.id],
        ),
    ];
    for (event_type, channels, expected) in cases {
        let mut msg = fx.message(&app.id, event_type);
        msg.channels = channels.map(|c| c.into_iter().map(String::from).collect());
        let created = store.create_message(&msg, None).await.unwrap();
        let expected: BTreeSet<EndpointId> = expected.into_iter().cloned().collect();
        assert_eq!(
            created as usize,
            expected.len(),
            "{event_type} {:?}",
            msg.channels
        );
        assert_eq!(targets(&*store, &app.id, &msg.id).await, expected);
        let page = store
            .list_message_deliveries(&app.id, &msg.id, &everything())
            .await
            .unwrap();
        for (ep, d) in page.data {
            assert_eq!(d.endpoint_id, ep.id);
            assert_eq!(d.msg_id, msg.id);
            assert_eq!(d.app_id, app.id);
            assert_eq!(d.state, DeliveryState::Pending);
            assert_eq!(d.attempts, 0);
            assert_eq!(d.trigger, TriggerType::Scheduled);
            assert_eq!(d.next_attempt_at, Some(msg.created_at));
            assert_eq!(d.created_at, msg.created_at);
        }
    }
}

/// With `only_endpoint`, the message goes to that endpoint whatever its filters, and to
/// nothing if it is disabled, belongs to another application or does not exist; the message
/// itself is stored either way.
pub async fn message_to_only_endpoint(store: Arc<dyn Store>) {
    let mut fx = Fixture::new();
    let app = fx.create_app(&*store).await;
    let other = fx.create_app(&*store).await;
    let picky = fx
        .create_endpoint_with(&*store, &app.id, |e| {
            e.event_types = Some(vec!["something.else".into()]);
            e.channels = Some(vec!["nowhere".into()]);
        })
        .await;
    fx.create_endpoint(&*store, &app.id).await;
    let disabled = fx
        .create_endpoint_with(&*store, &app.id, |e| e.disabled = true)
        .await;
    let foreign = fx.create_endpoint(&*store, &other.id).await;
    let missing = fx.endpoint_id();

    let msg = fx.message(&app.id, "webhook.example");
    assert_eq!(
        store.create_message(&msg, Some(&picky.id)).await.unwrap(),
        1
    );
    assert_eq!(
        targets(&*store, &app.id, &msg.id).await,
        BTreeSet::from([picky.id.clone()])
    );

    for only in [&disabled.id, &foreign.id, &missing] {
        let msg = fx.message(&app.id, "webhook.example");
        assert_eq!(
            store.create_message(&msg, Some(only)).await.unwrap(),
            0,
            "{only}"
        );
        assert!(targets(&*store, &app.id, &msg.id).await.is_empty());
        assert!(store
            .get_message(&app.id, msg.id.as_str())
            .await
            .unwrap()
            .is_some());
    }
}

/// An application's messages page by id, and only its own are listed.
pub async fn messages_paginate(store: Arc<dyn Store>) {
    let mut fx = Fixture::new();
    let app = fx.create_app(&*store).await;
    let other = fx.create_app(&*store).await;
    let mut ids = Vec::new();
    for _ in 0..7 {
        ids.push(fx.publish(&*store, &app.id, "a").await.id.to_string());
        fx.publish(&*store, &other.id, "a").await;
    }
    let app_id = app.id.clone();
    assert_pagination(
        "messages",
        &ids,
        |q| {
            let store = Arc::clone(&store);
            let app_id = app_id.clone();
            async move {
                store
                    .list_messages(&app_id, &MessageFilter::default(), &q)
                    .await
            }
        },
        |m| m.id.to_string(),
    )
    .await;
}

/// `before` and `after` are exclusive bounds on the creation time; `channel` keeps messages
/// published to that channel; `event_types` keeps messages of any listed type; filters
/// combine, and pagination works within a filter.
pub async fn message_list_filters(store: Arc<dyn Store>) {
    let mut fx = Fixture::new();
    let app = fx.create_app(&*store).await;
    let spec: [(&str, Option<&[&str]>); 6] = [
        ("a", None),
        ("b", Some(&["eu"])),
        ("a", Some(&["eu", "us"])),
        ("c", Some(&["us"])),
        ("b", None),
        ("a", Some(&["eu"])),
    ];
    let mut msgs = Vec::new();
    for (event_type, channels) in spec {
        fx.advance(Duration::minutes(1));
        let mut msg = fx.message(&app.id, event_type);
        msg.channels = channels.map(|c| c.iter().map(|s| s.to_string()).collect());
        store.create_message(&msg, None).await.unwrap();
        msgs.push(msg);
    }
    let list = |filter: MessageFilter| {
        let store = Arc::clone(&store);
        let app_id = app.id.clone();
        async move {
            store
                .list_messages(&app_id, &filter, &everything())
                .await
                .unwrap()
                .data
                .into_iter()
                .map(|m| m.id)
                .collect::<Vec<_>>()
        }
    };
    let ids = |idx: &[usize]| idx.iter().map(|&i| msgs[i].id.clone()).collect::<Vec<_>>();

    assert_eq!(
        list(MessageFilter::default()).await,
        ids(&[0, 1, 2, 3, 4, 5])
    );
    let before = MessageFilter {
        before: Some(msgs[2].created_at),
        ..Default::default()
    };
    assert_eq!(list(before).await, ids(&[0, 1]), "before is exclusive");
    let after = MessageFilter {
        after: Some(msgs[3].created_at),
        ..Default::default()
    };
    assert_eq!(list(after).await, ids(&[4, 5]), "after is exclusive");
    let window = MessageFilter {
        after: Some(msgs[0].created_at),
        before: Some(msgs[5].created_at),
        ..Default::default()
    };
    assert_eq!(list(window).await, ids(&[1, 2, 3, 4]));
    let eu = MessageFilter {
        channel: Some("eu".into()),
        ..Default::default()
    };
    assert_eq!(list(eu).await, ids(&[1, 2, 5]));
    let nowhere = MessageFilter {
        channel: Some("e".into()),
        ..Default::default()
    };
    assert!(
        list(nowhere).await.is_empty(),
        "channels match whole names only"
    );
    let types = MessageFilter {
        event_types: Some(vec!["b".into(), "c".into()]),
        ..Default::default()
    };
    assert_eq!(list(types).await, ids(&[1, 3, 4]));
    let combined = MessageFilter {
        channel: Some("us".into()),
        event_types: Some(vec!["a".into()]),
        after: Some(msgs[0].created_at),
        before: None,
        tag: None,
    };
    assert_eq!(list(combined).await, ids(&[2]));

    let ab_ids: Vec<String> = ids(&[0, 1, 2, 4, 5])
        .iter()
        .map(|i| i.to_string())
        .collect();
    let app_id = app.id.clone();
    assert_pagination(
        "messages of types a and b",
        &ab_ids,
        |q| {
            let store = Arc::clone(&store);
            let app_id = app_id.clone();
            let filter = MessageFilter {
                event_types: Some(vec!["a".into(), "b".into()]),
                ..Default::default()
            };
            async move { store.list_messages(&app_id, &filter, &q).await }
        },
        |m| m.id.to_string(),
    )
    .await;
}

/// A batch of messages (group commit) fans out exactly as single publishes do, across
/// applications; a taken `eventId`, whether taken before the batch or earlier in the same
/// batch, fails that message alone and leaves no trace of it.
pub async fn message_batch_fans_out_and_isolates_conflicts(store: Arc<dyn Store>) {
    let mut fx = Fixture::new();
    let app = fx.create_app(&*store).await;
    let other = fx.create_app(&*store).await;
    let all = fx.create_endpoint(&*store, &app.id).await;
    let typed = fx
        .create_endpoint_with(&*store, &app.id, |e| {
            e.event_types = Some(vec!["a.b".into()])
        })
        .await;
    fx.create_endpoint_with(&*store, &app.id, |e| e.disabled = true)
        .await;
    let theirs = fx.create_endpoint(&*store, &other.id).await;

    let mut taken = fx.message(&app.id, "a.b");
    taken.event_id = Some("evt-taken".into());
    store.create_message(&taken, None).await.unwrap();

    let first = fx.message(&app.id, "a.b");
    let mut duplicate_of_existing = fx.message(&app.id, "a.b");
    duplicate_of_existing.event_id = Some("evt-taken".into());
    let mut in_batch = fx.message(&app.id, "x.y");
    in_batch.event_id = Some("evt-batch".into());
    let mut duplicate_in_batch = fx.message(&app.id, "a.b");
    duplicate_in_batch.event_id = Some("evt-batch".into());
    let for_other = fx.message(&other.id, "a.b");
    let batch = vec![
        first.clone(),
        duplicate_of_existing.clone(),
        in_batch.clone(),
        duplicate_in_batch.clone(),
        for_other.clone(),
    ];

    let results = store.create_messages(&batch, None).await.unwrap().results;
    assert_eq!(results.len(), batch.len());
    assert_eq!(
        results[0].as_ref().unwrap(),
        &2,
        "to the catch-all and the typed endpoint"
    );
    assert!(
        matches!(results[1], Err(StoreError::Conflict(_))),
        "{:?}",
        results[1]
    );
    assert_eq!(
        results[2].as_ref().unwrap(),
        &1,
        "x.y only reaches the catch-all endpoint"
    );
    assert!(
        matches!(results[3], Err(StoreError::Conflict(_))),
        "{:?}",
        results[3]
    );
    assert_eq!(results[4].as_ref().unwrap(), &1);

    assert_eq!(
        targets(&*store, &app.id, &first.id).await,
        BTreeSet::from([all.id.clone(), typed.id.clone()])
    );
    assert_eq!(
        targets(&*store, &app.id, &in_batch.id).await,
        BTreeSet::from([all.id.clone()])
    );
    assert_eq!(
        targets(&*store, &other.id, &for_other.id).await,
        BTreeSet::from([theirs.id.clone()])
    );
    for refused in [&duplicate_of_existing, &duplicate_in_batch] {
        assert!(store
            .get_message(&app.id, refused.id.as_str())
            .await
            .unwrap()
            .is_none());
        assert!(targets(&*store, &app.id, &refused.id).await.is_empty());
    }
    let kept = store
        .get_message(&app.id, "evt-batch")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        kept.id, in_batch.id,
        "the first message with the eventId wins"
    );
    let read = store
        .get_message(&app.id, first.id.as_str())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        read, first,
        "a batched message reads back exactly as a single one does"
    );
}
