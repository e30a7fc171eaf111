//! The Rust flow's steps for what hookd serves beyond its first ones: message tags and the
//! tag filter, a raw form-encoded payload (`MessageIn::new_raw_payload`), deliverAt, a
//! receiver's Retry-After, `delete_headers`, message precheck, bulk-replay and replay-missing,
//! and background tasks. Each goes through the SDK's own calls; deliveries are checked with
//! `verify` (RustCrypto), never the SDK's verifier. It must not start hookd or the receiver
//! (the flow does).

use std::{
    collections::{BTreeMap, BTreeSet},
    time::{Duration, SystemTime},
};

use svix::{
    api::{BackgroundTaskListOptions, MessageListOptions, Svix},
    error::Error,
    models::{
        BackgroundTaskStatus, BackgroundTaskType, BulkReplayIn, EndpointHeadersPatchIn, EndpointIn,
        EventTypeIn, MessageIn, MessagePrecheckIn, MessageStatus, RecoverIn, ReplayIn,
    },
};

use crate::{
    next_to,
    receiver::Receiver,
    report::{secret_of, Report},
    verify, POLL,
};

/// How far ahead a message is scheduled: long enough that an early delivery would be seen,
/// short enough for CI.
const DELIVER_AHEAD: Duration = Duration::from_secs(2);
/// What the rate-limited receiver asks for; hookd retries no sooner (and no sooner than its
/// schedule's next attempt, 5 s by default).
const RETRY_AFTER_SECS: u64 = 1;
/// A form-encoded body with what JSON normalisation would mangle: `+`, escapes, non-ASCII.
const FORM_BODY: &str = "name=J%C3%BCrgen+M%C3%BCller&amount=19.99&note=a%26b%3Dc&empty=";
const FORM_TYPE: &str = "application/x-www-form-urlencoded";

pub async fn run(
    svix: &Svix,
    app_id: &str,
    main_ep: &str,
    rx: &Receiver,
    r: &mut Report,
) -> Result<(), String> {
    let e = |e: Error| format!("{e:?}");
    let app = || app_id.to_owned();
    // One event type and one endpoint path per step, so each message reaches one endpoint.
    for name in ["raw.form", "later.due", "retry.after"] {
        svix.event_type()
            .create(EventTypeIn::new(name.into(), name.into()), None)
            .await
            .map_err(e)?;
    }
    let endpoint = |path: &str, event_type: &str, secret: &str| {
        let mut ep_in = EndpointIn::new(format!("{}{path}", rx.base));
        ep_in.event_types = Some([event_type.to_owned()].into());
        ep_in.secret = Some(secret.to_owned());
        let app = app();
        async move { svix.endpoint().create(app, ep_in, None).await }
    };

    // delete_headers: one header removed, another added, in one call; the next delivery shows it.
    let mut patch = EndpointHeadersPatchIn::new(BTreeMap::from([("X-Env".into(), "test".into())]));
    patch.delete_headers = Some(vec!["X-Tenant".into()]);
    svix.endpoint()
        .patch_headers(app(), main_ep.to_owned(), patch)
        .await
        .map_err(e)?;
    let kept = svix
        .endpoint()
        .get_headers(app(), main_ep.to_owned())
        .await
        .map_err(e)?
        .headers;
    let expected: BTreeMap<String, String> = [("X-Env", "test"), ("X-Region", "eu")]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .into();
    r.check(
        "patch_headers with delete_headers removes that header only",
        kept == expected,
        &kept,
    );

    // Tags: returned, and the message list's tag filter finds the message (and only it).
    let mut tagged_in = MessageIn::new("invoice.paid".into(), serde_json::json!({"t": 1}));
    let tags: BTreeSet<String> = ["flow-tag".to_owned(), "rust".to_owned()].into();
    tagged_in.tags = Some(tags.clone());
    let tagged = svix
        .message()
        .create(app(), tagged_in, None)
        .await
        .map_err(e)?;
    r.check(
        "message tags are returned",
        tagged.tags.as_ref() == Some(&tags),
        &tagged.tags,
    );
    let filter = MessageListOptions {
        tag: Some("flow-tag".into()),
        ..Default::default()
    };
    let found = svix
        .message()
        .list(app(), Some(filter))
        .await
        .map_err(e)?
        .data;
    r.check(
        "the tag filter finds the tagged message only",
        found.len() == 1 && found[0].id == tagged.id,
        found.len(),
    );
    // Earlier messages' deliveries to /hooks (e.g. the recover step's) may still be queued.
    let hit = loop {
        let hit = next_to(rx, "/hooks")?;
        if hit.headers.get("webhook-id") == Some(&tagged.id) {
            break hit;
        }
    };
    r.check(
        "the deleted header is no longer sent, the others are",
        !hit.headers.contains_key("x-tenant")
            && hit.headers.get("x-env").map(String::as_str) == Some("test")
            && hit.headers.get("x-region").map(String::as_str) == Some("eu"),
        &hit.headers,
    );

    // A raw payload: form-encoded, delivered and signed byte for byte with its content type.
    let raw_secret = secret_of("raw");
    let raw_ep = endpoint("/raw", "raw.form", &raw_secret).await.map_err(e)?;
    let raw_in = MessageIn::new_raw_payload("raw.form".into(), FORM_BODY.into())
        .with_content_type(FORM_TYPE.into());
    let raw = svix
        .message()
        .create(app(), raw_in, None)
        .await
        .map_err(e)?;
    let hit = next_to(rx, "/raw")?;
    r.check(
        "the raw payload arrives byte for byte",
        hit.body == FORM_BODY.as_bytes(),
        String::from_utf8_lossy(&hit.body),
    );
    r.check(
        "with its content type",
        hit.headers.get("content-type").map(String::as_str) == Some(FORM_TYPE),
        &hit.headers,
    );
    r.check(
        "and an HMAC over exactly those bytes",
        verify::hmac(&raw_secret, &hit.headers, &hit.body),
        &hit.headers,
    );
    let mut changed = hit.body.clone();
    changed.push(b'x');
    r.check(
        "which a changed byte breaks",
        !verify::hmac(&raw_secret, &hit.headers, &changed),
        (),
    );

    // deliverAt: shown as the destination's next attempt, and the delivery arrives no earlier,
    // on the receiver's clock. Whole milliseconds, as hookd keeps them.
    let later_ep = endpoint("/later", "later.due", &secret_of("later"))
        .await
        .map_err(e)?;
    let at = chrono::DateTime::from_timestamp_millis(
        (chrono::Utc::now() + DELIVER_AHEAD).timestamp_millis(),
    )
    .ok_or("a representable time")?;
    let mut later_in = MessageIn::new("later.due".into(), serde_json::json!({"later": true}));
    later_in.deliver_at = Some(at);
    let later = svix
        .message()
        .create(app(), later_in, None)
        .await
        .map_err(e)?;
    r.check(
        "deliverAt reads back",
        later.deliver_at == Some(at),
        later.deliver_at,
    );
    let dests = svix
        .message_attempt()
        .list_attempted_destinations(app(), later.id.clone(), None)
        .await
        .map_err(e)?
        .data;
    let shown = dests
        .iter()
        .find(|d| d.id == later_ep.id)
        .and_then(|d| d.next_attempt);
    // Read before the delivery is due, unless this machine stalled for the whole 2 s.
    r.check(
        "the destination shows deliverAt as its next attempt (or has been delivered)",
        shown == Some(at) || chrono::Utc::now() >= at,
        shown,
    );
    let hit = next_to(rx, "/later")?;
    let due = SystemTime::from(at);
    r.check(
        "the scheduled message arrives no earlier than deliverAt",
        hit.headers.get("webhook-id") == Some(&later.id) && hit.at >= due,
        (hit.at, due),
    );

    // Retry-After: the receiver answers 429 once; hookd retries no sooner than it asked.
    rx.script(
        "/ratelimited",
        vec![(
            "429 Too Many Requests",
            vec![("retry-after", RETRY_AFTER_SECS.to_string())],
        )],
    );
    let ra_ep = endpoint("/ratelimited", "retry.after", &secret_of("ra"))
        .await
        .map_err(e)?;
    let ra = svix
        .message()
        .create(
            app(),
            MessageIn::new("retry.after".into(), serde_json::json!({"ra": 1})),
            None,
        )
        .await
        .map_err(e)?;
    let first = next_to(rx, "/ratelimited")?;
    let ra_dest = loop {
        let dest = svix
            .message_attempt()
            .list_attempted_destinations(app(), ra.id.clone(), None)
            .await
            .map_err(e)?
            .data
            .into_iter()
            .find(|d| d.id == ra_ep.id);
        match dest {
            Some(d) if d.next_attempt.is_some() || d.status == MessageStatus::Success => break d,
            _ => tokio::time::sleep(POLL).await,
        }
    };
    let asked = first.at + Duration::from_secs(RETRY_AFTER_SECS);
    // Read between the two attempts (5 s apart by default), unless the retry was already made.
    r.check(
        "the destination's next attempt is no sooner than Retry-After asks",
        ra_dest.status == MessageStatus::Success
            || ra_dest
                .next_attempt
                .is_some_and(|t| SystemTime::from(t) >= asked),
        ra_dest.next_attempt,
    );
    let second = next_to(rx, "/ratelimited")?;
    let gap = second.at.duration_since(first.at).unwrap_or_default();
    r.check(
        "the 429'd delivery is retried no sooner than Retry-After",
        second.headers.get("webhook-id") == Some(&ra.id)
            && gap >= Duration::from_secs(RETRY_AFTER_SECS),
        gap,
    );
    let attempts = loop {
        let page = svix
            .message_attempt()
            .list_by_msg(app(), ra.id.clone(), None)
            .await
            .map_err(e)?;
        if page.data.len() >= 2 {
            break page.data;
        }
        tokio::time::sleep(POLL).await;
    };
    let mut codes: Vec<i16> = attempts.iter().map(|a| a.response_status_code).collect();
    codes.sort_unstable();
    r.check(
        "the attempts list the 429 then the 200",
        codes == [200, 429],
        &codes,
    );
    // nextAttempt/retryAfter (hookd's extension fields of an attempt) are not in the SDK's
    // MessageAttemptOut (serde drops them), so they are not asserted here.

    // Precheck: active for an event type an endpoint takes, not for one nobody takes (every
    // endpoint so far has a filter).
    let precheck = |event_type: &str| {
        let (app, check_in) = (app(), MessagePrecheckIn::new(event_type.into()));
        async move { svix.message().precheck(app, check_in, None).await }
    };
    r.check(
        "precheck: an endpoint listens to raw.form",
        precheck("raw.form").await.map_err(e)?.active,
        (),
    );
    r.check(
        "precheck: nobody listens to nobody.listens",
        !precheck("nobody.listens").await.map_err(e)?.active,
        (),
    );

    let since = chrono::Utc::now() - chrono::Duration::hours(1);
    // bulk-replay: the raw message again, still byte for byte and signed.
    let bulk = svix
        .endpoint()
        .bulk_replay(app(), raw_ep.id.clone(), BulkReplayIn::new(since), None)
        .await
        .map_err(e)?;
    r.check(
        "bulk_replay answers a task",
        bulk.id.starts_with("qtask_") && bulk.task == BackgroundTaskType::EndpointBulkReplay,
        &bulk.id,
    );
    let hit = next_to(rx, "/raw")?;
    r.check(
        "bulk_replay resends the raw message",
        hit.headers.get("webhook-id") == Some(&raw.id)
            && hit.body == FORM_BODY.as_bytes()
            && verify::hmac(&raw_secret, &hit.headers, &hit.body),
        &hit.headers,
    );

    // replay-missing: an endpoint created after the raw message gets it.
    let late_secret = secret_of("late");
    let late_ep = endpoint("/late", "raw.form", &late_secret)
        .await
        .map_err(e)?;
    let missing = svix
        .endpoint()
        .replay_missing(app(), late_ep.id, ReplayIn::new(since), None)
        .await
        .map_err(e)?;
    r.check(
        "replay_missing answers a task",
        missing.task == BackgroundTaskType::EndpointReplay,
        &missing.id,
    );
    let hit = next_to(rx, "/late")?;
    r.check(
        "replay_missing sends the message the new endpoint never got",
        hit.headers.get("webhook-id") == Some(&raw.id)
            && verify::hmac(&late_secret, &hit.headers, &hit.body),
        &hit.headers,
    );

    // Background tasks: a recover's task is a row that can be read and listed.
    let recovered = svix
        .endpoint()
        .recover(app(), later_ep.id, RecoverIn::new(since), None)
        .await
        .map_err(e)?;
    let got = svix
        .background_task()
        .get(recovered.id.clone())
        .await
        .map_err(e)?;
    r.check(
        "background_task.get reads the recover's task",
        got.id == recovered.id
            && got.task == BackgroundTaskType::EndpointRecover
            && got.status == BackgroundTaskStatus::Finished
            && got.data == serde_json::json!({"recovered": 0}),
        &got.data,
    );
    let filter = BackgroundTaskListOptions {
        task: Some(BackgroundTaskType::EndpointRecover),
        ..Default::default()
    };
    let listed = svix
        .background_task()
        .list(Some(filter))
        .await
        .map_err(e)?
        .data;
    // The flow's earlier recover (of /flaky) is listed too: newest first.
    r.check(
        "background_task.list filtered by task shows it first",
        listed.first().map(|t| &t.id) == Some(&recovered.id)
            && listed
                .iter()
                .all(|t| t.task == BackgroundTaskType::EndpointRecover),
        listed.len(),
    );
    let every = BackgroundTaskListOptions {
        limit: Some(50),
        ..Default::default()
    };
    let every: BTreeSet<String> = svix
        .background_task()
        .list(Some(every))
        .await
        .map_err(e)?
        .data
        .into_iter()
        .map(|t| t.id)
        .collect();
    r.check(
        "and the unfiltered list holds the replays' tasks too",
        [&recovered.id, &bulk.id, &missing.id]
            .iter()
            .all(|id| every.contains(*id)),
        &every,
    );
    Ok(())
}
