//! Cases for Svix's newer message fields ([`hookd_core::model::MessageExtras`]) and the
//! application list's filters: scheduled delivery (`deliverAt`: never claimable before it,
//! claimable at it, by an ordinary claim or a publish's own), tags (stored, and the `tag`
//! filter of message, attempt and delivery lists), raw bodies and per-message headers (byte
//! for byte through every path a message is read back), and which applications the list's
//! `exclude_*` filters leave out.
//!
//! These cases must not sleep: a `deliverAt` comes due by moving the fixture's clock.

use std::{collections::BTreeMap, sync::Arc};

use chrono::Duration;
use hookd_core::{
    delivery::{DeliveryState, Transition},
    id::AppId,
    model::Message,
    store::{AppFilter, AttemptFilter, DeliveryFilter, MessageFilter, Store, SVIX_PLAY_URL_PREFIX},
};

use crate::{
    check::{everything, existing_delivery},
    fixture::{Fixture, CLAIM_ALL},
};

/// A message with a `deliverAt` ahead is written due at it: no claim takes it a millisecond
/// earlier (nor does a publish's own claim), `next_due_at` and the delivery report that time,
/// and at that time it is claimed like any other. One with a `deliverAt` already past is due
/// at its creation.
pub async fn scheduled_delivery_waits_for_deliver_at(store: Arc<dyn Store>) {
    let mut fx = Fixture::new();
    let app = fx.create_app(&*store).await;
    let ep = fx.create_endpoint(&*store, &app.id).await;
    let at = fx.now() + Duration::hours(1);
    let mut later = fx.message(&app.id, "a");
    later.extras.deliver_at = Some(at);
    assert_eq!(store.create_message(&later, None).await.unwrap(), 1);
    let mut past = fx.message(&app.id, "a");
    past.extras.deliver_at = Some(past.created_at - Duration::minutes(5));
    store.create_message(&past, None).await.unwrap();

    let read = store.get_message(&app.id, later.id.as_str()).await.unwrap();
    assert_eq!(read.as_ref(), Some(&later), "deliverAt reads back");
    let d = existing_delivery(&*store, &app.id, &later.id, &ep.id).await;
    assert_eq!(
        (d.state, d.next_attempt_at),
        (DeliveryState::Pending, Some(at))
    );
    assert_eq!(d.created_at, later.created_at, "created when published");

    let now = fx.claim(&*store, CLAIM_ALL).await;
    assert_eq!(now.len(), 1, "only the message whose time has come");
    assert_eq!(now[0].message, past);
    assert_eq!(
        now[0].delivery.next_attempt_at,
        Some(past.created_at),
        "a deliverAt already past means at once"
    );
    fx.attempt_and_complete(&*store, &now[0], 200, Transition::Succeeded)
        .await;
    assert_eq!(store.next_due_at().await.unwrap(), Some(at));

    // A publish with a claim takes only what is due: not the scheduled message.
    let mut batch_later = fx.message(&app.id, "a");
    batch_later.extras.deliver_at = Some(at);
    let batch = vec![batch_later.clone(), fx.message(&app.id, "a")];
    let token = fx.lease_token();
    let created = store
        .create_messages(&batch, Some(&fx.claim_request(&token, CLAIM_ALL)))
        .await
        .unwrap();
    assert_eq!(created.claimed.len(), 1);
    assert_eq!(created.claimed[0].message, batch[1]);
    fx.attempt_and_complete(&*store, &created.claimed[0], 200, Transition::Succeeded)
        .await;
    let d = existing_delivery(&*store, &app.id, &batch_later.id, &ep.id).await;
    assert_eq!(
        (d.state, d.next_attempt_at),
        (DeliveryState::Pending, Some(at))
    );

    fx.advance(at - fx.now() - Duration::milliseconds(1));
    assert!(
        fx.claim(&*store, CLAIM_ALL).await.is_empty(),
        "not a millisecond early"
    );
    fx.advance(Duration::milliseconds(1));
    let due = fx.claim(&*store, CLAIM_ALL).await;
    let mut got: Vec<_> = due.iter().map(|c| c.message.id.clone()).collect();
    got.sort();
    let mut want = vec![later.id.clone(), batch_later.id.clone()];
    want.sort();
    assert_eq!(got, want, "both scheduled messages are due at deliverAt");
    for c in &due {
        assert_eq!(c.delivery.next_attempt_at, Some(at));
        assert_eq!(c.message.extras.deliver_at, Some(at));
    }
}

/// Tags are stored as given (none is not an empty list), and `tag` keeps the messages that
/// carry it, whole tags only, in message lists, attempt lists and an endpoint's deliveries,
/// combined with the other filters.
pub async fn tags_round_trip_and_filter_lists(store: Arc<dyn Store>) {
    let mut fx = Fixture::new();
    let app = fx.create_app(&*store).await;
    let other_app = fx.create_app(&*store).await;
    let ep = fx.create_endpoint(&*store, &app.id).await;
    let tagged = |fx: &mut Fixture, app: &AppId, event_type: &str, tags: Option<&[&str]>| {
        let mut msg = fx.message(app, event_type);
        msg.extras.tags = tags.map(|t| t.iter().map(|s| s.to_string()).collect());
        msg
    };
    let msgs = [
        tagged(&mut fx, &app.id, "a", Some(&["red", "blue/1"])),
        tagged(&mut fx, &app.id, "b", Some(&["blue/1"])),
        tagged(&mut fx, &app.id, "a", None),
        tagged(&mut fx, &app.id, "a", Some(&[])),
        tagged(&mut fx, &app.id, "a", Some(&["redder"])),
    ];
    for msg in &msgs[..3] {
        store.create_message(msg, None).await.unwrap();
    }
    // The batch path writes tags too.
    let created = store.create_messages(&msgs[3..], None).await.unwrap();
    assert!(created.results.iter().all(|r| r.is_ok()));
    let foreign = tagged(&mut fx, &other_app.id, "a", Some(&["red"]));
    store.create_message(&foreign, None).await.unwrap();
    for msg in &msgs {
        let read = store.get_message(&app.id, msg.id.as_str()).await.unwrap();
        assert_eq!(read.as_ref(), Some(msg));
    }

    let ids = |found: Vec<Message>| found.into_iter().map(|m| m.id).collect::<Vec<_>>();
    let filter = |tag: &str, event_types: Option<&[&str]>| MessageFilter {
        tag: Some(tag.to_owned()),
        event_types: event_types.map(|t| t.iter().map(|s| s.to_string()).collect()),
        ..MessageFilter::default()
    };
    let list = |f: MessageFilter| {
        let store = Arc::clone(&store);
        let app = app.id.clone();
        async move {
            store
                .list_messages(&app, &f, &everything())
                .await
                .unwrap()
                .data
        }
    };
    assert_eq!(ids(list(filter("red", None)).await), [msgs[0].id.clone()]);
    assert_eq!(
        ids(list(filter("blue/1", None)).await),
        [msgs[0].id.clone(), msgs[1].id.clone()]
    );
    assert_eq!(
        ids(list(filter("blue/1", Some(&["b"]))).await),
        [msgs[1].id.clone()]
    );
    assert!(
        list(filter("blue", None)).await.is_empty(),
        "whole tags only"
    );
    assert!(list(filter("nothing", None)).await.is_empty());

    // Attempts and deliveries filter by their message's tags.
    for c in fx.claim(&*store, CLAIM_ALL).await {
        fx.attempt_and_complete(&*store, &c, 500, Transition::Exhausted)
            .await;
    }
    let attempts = store
        .list_attempts_by_endpoint(
            &app.id,
            &ep.id,
            &AttemptFilter {
                message: filter("blue/1", None),
                ..AttemptFilter::default()
            },
            &everything(),
        )
        .await
        .unwrap();
    let mut got: Vec<_> = attempts.data.iter().map(|a| a.msg_id.clone()).collect();
    got.sort();
    assert_eq!(got, [msgs[0].id.clone(), msgs[1].id.clone()]);
    let by_msg = store
        .list_attempts_by_msg(
            &app.id,
            &msgs[2].id,
            &AttemptFilter {
                message: filter("red", None),
                ..AttemptFilter::default()
            },
            &everything(),
        )
        .await
        .unwrap();
    assert!(by_msg.data.is_empty(), "an untagged message's attempts");
    let deliveries = store
        .list_endpoint_deliveries(
            &app.id,
            &ep.id,
            &DeliveryFilter {
                message: filter("redder", None),
                ..DeliveryFilter::default()
            },
            &everything(),
        )
        .await
        .unwrap();
    let got: Vec<_> = deliveries.data.iter().map(|(m, _)| m.id.clone()).collect();
    assert_eq!(got, [msgs[4].id.clone()]);
}

/// A raw body and the message's own headers come back byte for byte wherever the message is
/// read: by id, in lists, in a claim and in a publish's own claim.
pub async fn raw_bodies_and_headers_round_trip(store: Arc<dyn Store>) {
    let mut fx = Fixture::new();
    let app = fx.create_app(&*store).await;
    fx.create_endpoint(&*store, &app.id).await;
    let raw = |fx: &mut Fixture, body: &str| {
        let mut msg = fx.message(&app.id, "a");
        msg.payload = Some(body.to_owned());
        msg.extras.raw_payload = true;
        msg.extras.headers = BTreeMap::from([
            (
                "Content-Type".to_owned(),
                "application/x-www-form-urlencoded; charset=utf-8".to_owned(),
            ),
            ("X-Trace".to_owned(), "a b\tc".to_owned()),
        ]);
        msg
    };
    // Bytes a JSON round trip or a text normalisation would change: spacing, line ends,
    // escapes, non-ASCII, trailing whitespace, and an XML document.
    let form = raw(
        &mut fx,
        "name=Ad%C3%A1&plan=pro+max&note=a\r\nb  \\u00e9 é ",
    );
    let xml = raw(
        &mut fx,
        "<?xml version=\"1.0\"?>\n<event  id='1'>\t<x/></event>\n",
    );
    let json_like = raw(&mut fx, "{ \"b\" :1,  \"a\":[ ] }");
    store.create_message(&form, None).await.unwrap();
    let token = fx.lease_token();
    let created = store
        .create_messages(
            &[xml.clone(), json_like.clone()],
            Some(&fx.claim_request(&token, 1)),
        )
        .await
        .unwrap();
    assert_eq!(created.claimed.len(), 1);
    assert_eq!(created.claimed[0].message, xml, "a publish's own claim");

    for msg in [&form, &xml, &json_like] {
        let read = store.get_message(&app.id, msg.id.as_str()).await.unwrap();
        assert_eq!(read.as_ref(), Some(msg));
    }
    let listed = store
        .list_messages(&app.id, &MessageFilter::default(), &everything())
        .await
        .unwrap()
        .data;
    assert_eq!(listed.len(), 3);
    for msg in &listed {
        assert!(
            [&form, &xml, &json_like].contains(&msg),
            "listed as written: {msg:?}"
        );
    }
    let mut claimed = fx.claim(&*store, CLAIM_ALL).await;
    claimed.sort_by(|a, b| a.message.id.cmp(&b.message.id));
    let got: Vec<_> = claimed.into_iter().map(|c| c.message).collect();
    assert_eq!(got, [form.clone(), json_like.clone()]);
    assert!(
        !fx.message(&app.id, "a").extras.raw_payload,
        "JSON by default"
    );
}

/// Each `exclude_*` filter of the application list leaves out exactly the applications it
/// names, and they combine.
pub async fn app_list_filters_exclude_by_endpoints(store: Arc<dyn Store>) {
    let mut fx = Fixture::new();
    let play = |n: u32| format!("{SVIX_PLAY_URL_PREFIX}in/e_{n}/");
    let bare = fx.create_app(&*store).await;
    let disabled = fx.create_app(&*store).await;
    fx.create_endpoint_with(&*store, &disabled.id, |e| e.disabled = true)
        .await;
    let mixed = fx.create_app(&*store).await;
    fx.create_endpoint_with(&*store, &mixed.id, |e| e.disabled = true)
        .await;
    fx.create_endpoint(&*store, &mixed.id).await;
    let only_play = fx.create_app(&*store).await;
    fx.create_endpoint_with(&*store, &only_play.id, |e| e.url = play(1))
        .await;
    fx.create_endpoint_with(&*store, &only_play.id, |e| e.url = play(2))
        .await;
    let some_play = fx.create_app(&*store).await;
    fx.create_endpoint_with(&*store, &some_play.id, |e| e.url = play(3))
        .await;
    fx.create_endpoint(&*store, &some_play.id).await;

    let list = |filter: AppFilter| {
        let store = Arc::clone(&store);
        async move {
            let mut ids: Vec<_> = store
                .list_apps(&filter, &everything())
                .await
                .unwrap()
                .data
                .into_iter()
                .map(|a| a.id)
                .collect();
            ids.sort();
            ids
        }
    };
    let sorted = |apps: &[&hookd_core::model::Application]| {
        let mut ids: Vec<_> = apps.iter().map(|a| a.id.clone()).collect();
        ids.sort();
        ids
    };
    let all = [&bare, &disabled, &mixed, &only_play, &some_play];
    assert_eq!(list(AppFilter::default()).await, sorted(&all));
    assert_eq!(
        list(AppFilter {
            exclude_without_endpoints: true,
            ..AppFilter::default()
        })
        .await,
        sorted(&[&disabled, &mixed, &only_play, &some_play])
    );
    assert_eq!(
        list(AppFilter {
            exclude_all_disabled: true,
            ..AppFilter::default()
        })
        .await,
        sorted(&[&bare, &mixed, &only_play, &some_play])
    );
    assert_eq!(
        list(AppFilter {
            exclude_all_svix_play: true,
            ..AppFilter::default()
        })
        .await,
        sorted(&[&bare, &disabled, &mixed, &some_play])
    );
    assert_eq!(
        list(AppFilter {
            exclude_without_endpoints: true,
            exclude_all_disabled: true,
            exclude_all_svix_play: true,
        })
        .await,
        sorted(&[&mixed, &some_play])
    );
}
