//! Delivery tests: real workers, a real SQLite store, a fake receiver with scripted answers,
//! and a manual clock, so retries and lease expiry are exercised without waiting for them.
//! Each step waits on a signal (the worker's completion count or the receiver's request count).

mod ed25519;
mod retry_after;

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use crate::common::receiver::{self, Answer, Receiver};
use chrono::Duration as ChronoDuration;
use hookd_core::{
    clock::{Clock, ManualClock},
    delivery::{DeliveryState, MessageStatus, TriggerType},
    id::{AppId, EndpointId, MsgId},
    model::{Application, Attempt, Delivery, Endpoint, Message, OldSecret, SentBody},
    page::{ListQuery, Order},
    signing::{self, EndpointSecret},
    store::{AttemptFilter, ClaimRequest, Completion, Outcome, Store},
};
use hookd_server::{
    config::ServerConfig,
    worker::{Engine, EngineContext},
    AppState,
};
use hookd_store_sqlite::SqliteStore;

mod extras;

const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

struct World {
    state: AppState,
    /// The store behind the state, for arranging and reading what the API cannot.
    store: Arc<dyn Store>,
    clock: Arc<ManualClock>,
    workers: Option<Engine>,
    app: Application,
    _dir: tempfile::TempDir,
}

fn rng() -> rand::rngs::ThreadRng {
    rand::thread_rng()
}

async fn world(adjust: impl FnOnce(&mut ServerConfig)) -> World {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("hookd.db"))
        .await
        .unwrap();
    let clock = Arc::new(ManualClock::at_epoch());
    let mut config = ServerConfig {
        allowed_networks: vec!["127.0.0.0/8".parse().unwrap()],
        request_timeout: Duration::from_secs(5),
        ..ServerConfig::default()
    };
    adjust(&mut config);
    let store: Arc<dyn hookd_core::store::Store> = Arc::new(store);
    let engine = Engine::start(EngineContext::new(
        store.clone(),
        clock.clone(),
        Arc::new(config),
    ))
    .unwrap();
    let state = AppState::new(store.clone(), engine.clone());
    let now = clock.now();
    let app = Application {
        id: AppId::generate(now, &mut rng()),
        uid: None,
        name: "tenant".into(),
        throttle_rate: None,
        metadata: BTreeMap::new(),
        created_at: now,
        updated_at: now,
    };
    state.directory.create_app(&app).await.unwrap();
    let workers = Some(engine);
    World {
        state,
        store,
        clock,
        workers,
        app,
        _dir: dir,
    }
}

impl World {
    fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    async fn endpoint(&self, url: String, adjust: impl FnOnce(&mut Endpoint)) -> Endpoint {
        let now = self.clock.now();
        let mut ep = Endpoint {
            id: EndpointId::generate(now, &mut rng()),
            app_id: self.app.id.clone(),
            uid: None,
            url,
            description: String::new(),
            disabled: false,
            throttle_rate: None,
            event_types: None,
            channels: None,
            metadata: BTreeMap::new(),
            headers: BTreeMap::new(),
            secret: SECRET.into(),
            old_secrets: vec![],
            options: Default::default(),
            failing_since: None,
            created_at: now,
            updated_at: now,
        };
        adjust(&mut ep);
        self.store().create_endpoint(&ep).await.unwrap();
        ep
    }

    async fn publish(&self, payload: &str) -> Message {
        let now = self.clock.now();
        let msg = Message {
            id: MsgId::generate(now, &mut rng()),
            app_id: self.app.id.clone(),
            event_id: None,
            event_type: "invoice.paid".into(),
            payload: Some(payload.into()),
            channels: None,
            payload_expires_at: None,
            created_at: now,
            extras: Default::default(),
        };
        self.store().create_message(&msg, None).await.unwrap();
        self.state.engine.wake();
        msg
    }

    /// Moves the clock and tells the workers to look again, as a poll tick would.
    fn advance(&self, by: ChronoDuration) {
        self.clock.advance(by);
        self.state.engine.wake();
    }

    async fn stop_workers(&mut self) {
        if let Some(w) = self.workers.take() {
            w.shutdown().await;
        }
    }

    /// Starts fresh workers (their completion count starts at zero).
    fn start_workers(&mut self) {
        let engine = Engine::start(self.state.engine.context().clone()).unwrap();
        self.state.engine = engine.clone();
        self.workers = Some(engine);
    }

    async fn wait_completed(&mut self, n: u64) {
        let workers = self.workers.as_mut().expect("workers are running");
        tokio::time::timeout(Duration::from_secs(20), workers.wait_completed(n))
            .await
            .unwrap_or_else(|_| panic!("workers did not complete {n} deliveries in time"));
    }

    async fn attempts(&self, msg: &MsgId) -> Vec<Attempt> {
        let mut q = ListQuery::first(100, Order::Ascending);
        q.order = Order::Ascending;
        self.store()
            .list_attempts_by_msg(&self.app.id, msg, &AttemptFilter::default(), &q)
            .await
            .unwrap()
            .data
    }

    async fn delivery(&self, msg: &MsgId) -> Delivery {
        let page = self
            .store()
            .list_message_deliveries(&self.app.id, msg, &ListQuery::first(10, Order::Ascending))
            .await
            .unwrap();
        page.data.into_iter().next().expect("one delivery").1
    }
}

/// Whether a claim made `ahead` from now would find nothing. The probe's lease token is
/// never used again, so if it did claim something the test fails on the next assertion anyway.
async fn nothing_claimable(w: &World, ahead: ChronoDuration) -> bool {
    let req = ClaimRequest {
        owner: "probe",
        lease_token: "lease_probe",
        now: w.clock.now() + ahead,
        lease: ChronoDuration::seconds(1),
        limit: 10,
    };
    w.store().claim_due(&req).await.unwrap().is_empty()
}

fn verify(seen: &receiver::Seen, secret: &str) -> bool {
    let secret = EndpointSecret::parse(secret).unwrap();
    let ts: i64 = seen.header("webhook-timestamp").parse().unwrap();
    signing::verify(
        &secret,
        seen.header("webhook-signature"),
        seen.header("webhook-id"),
        ts,
        &seen.body,
    )
}

#[tokio::test]
async fn a_message_arrives_signed_with_standard_and_svix_headers() {
    let mut w = world(|_| {}).await;
    let mut rx = Receiver::start(&[]).await;
    w.endpoint(rx.url("/hook"), |ep| {
        ep.headers.insert("X-Tenant".into(), "acme".into());
    })
    .await;
    let msg = w.publish(r#"{"invoice":  "in_1", "amount": 10}"#).await;
    let seen = rx.wait_requests(1).await;
    w.wait_completed(1).await;

    let req = &seen[0];
    assert_eq!(req.header("webhook-id"), msg.id.as_str());
    assert_eq!(req.header("svix-id"), msg.id.as_str());
    assert_eq!(
        req.header("svix-signature"),
        req.header("webhook-signature")
    );
    assert_eq!(
        req.header("webhook-timestamp"),
        w.clock.now().timestamp().to_string()
    );
    assert_eq!(req.header("content-type"), "application/json");
    assert!(req.header("user-agent").starts_with("hookd/"));
    assert_eq!(req.header("x-tenant"), "acme");
    assert_eq!(
        &req.body[..],
        br#"{"invoice":  "in_1", "amount": 10}"#,
        "the payload goes out byte for byte"
    );
    assert!(verify(req, SECRET));

    let attempts = w.attempts(&msg.id).await;
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].status, MessageStatus::Success);
    assert_eq!(attempts[0].response_status_code, 200);
    assert_eq!(attempts[0].response.as_deref(), Some("answer 200"));
    assert_eq!(attempts[0].trigger_type, TriggerType::Scheduled);
    assert_eq!(w.delivery(&msg.id).await.state, DeliveryState::Succeeded);
}

#[tokio::test]
async fn failures_retry_on_schedule_with_the_same_webhook_id() {
    let mut w = world(|_| {}).await;
    let mut rx = Receiver::start(&[
        Answer::Status(500),
        Answer::Status(503),
        Answer::Status(204),
    ])
    .await;
    w.endpoint(rx.url("/hook"), |_| {}).await;
    let msg = w.publish(r#"{"n":1}"#).await;

    w.wait_completed(1).await;
    let d = w.delivery(&msg.id).await;
    assert_eq!(d.state, DeliveryState::RetryScheduled);
    assert_eq!(d.attempts, 1);
    let wait = d.next_attempt_at.unwrap() - w.clock.now();
    assert!(
        wait >= ChronoDuration::milliseconds(4500) && wait <= ChronoDuration::milliseconds(5500),
        "{wait}"
    );

    // Before the retry is due, there is nothing to claim.
    assert!(nothing_claimable(&w, ChronoDuration::seconds(4)).await);

    w.advance(ChronoDuration::seconds(6));
    w.wait_completed(2).await;
    let d = w.delivery(&msg.id).await;
    assert_eq!(d.attempts, 2);
    let wait = d.next_attempt_at.unwrap() - w.clock.now();
    assert!(
        wait >= ChronoDuration::seconds(270) && wait <= ChronoDuration::seconds(330),
        "{wait}"
    );

    w.advance(ChronoDuration::seconds(331));
    w.wait_completed(3).await;
    let seen = rx.wait_requests(3).await;
    assert_eq!(seen.len(), 3);
    assert!(
        seen.iter()
            .all(|s| s.header("webhook-id") == msg.id.as_str()),
        "webhook-id is stable across retries"
    );
    assert!(seen.iter().all(|s| verify(s, SECRET)));

    let attempts = w.attempts(&msg.id).await;
    let codes: Vec<i16> = attempts.iter().map(|a| a.response_status_code).collect();
    assert_eq!(codes, vec![500, 503, 204]);
    let statuses: Vec<MessageStatus> = attempts.iter().map(|a| a.status).collect();
    assert_eq!(
        statuses,
        vec![
            MessageStatus::Fail,
            MessageStatus::Fail,
            MessageStatus::Success
        ]
    );
    let d = w.delivery(&msg.id).await;
    assert_eq!(d.state, DeliveryState::Succeeded);
    assert_eq!(d.next_attempt_at, None);
}

#[tokio::test]
async fn exhausting_the_schedule_ends_in_exhausted() {
    let mut w = world(|_| {}).await;
    let rx = Receiver::start(&[Answer::Status(500); 8]).await;
    w.endpoint(rx.url("/hook"), |_| {}).await;
    let msg = w.publish("{}").await;
    for n in 1..=8u64 {
        w.wait_completed(n).await;
        if n < 8 {
            let due = w
                .delivery(&msg.id)
                .await
                .next_attempt_at
                .expect("a retry is scheduled");
            w.clock.set(due);
            w.state.engine.wake();
        }
    }
    let d = w.delivery(&msg.id).await;
    assert_eq!(d.state, DeliveryState::Exhausted);
    assert_eq!(d.attempts, 8);
    assert_eq!(w.attempts(&msg.id).await.len(), 8);
}

#[tokio::test]
async fn a_timeout_is_a_failed_attempt_with_a_reason() {
    let mut w = world(|c| c.request_timeout = Duration::from_millis(300)).await;
    let rx = Receiver::start(&[Answer::Slow(Duration::from_secs(5))]).await;
    w.endpoint(rx.url("/slow"), |_| {}).await;
    let msg = w.publish("{}").await;
    w.wait_completed(1).await;
    let a = &w.attempts(&msg.id).await[0];
    assert_eq!(a.status, MessageStatus::Fail);
    assert_eq!(a.response_status_code, 0);
    assert!(
        a.response.as_deref().unwrap().contains("timeout"),
        "{:?}",
        a.response
    );
    assert_eq!(
        w.delivery(&msg.id).await.state,
        DeliveryState::RetryScheduled
    );
}

#[tokio::test]
async fn a_refused_connection_is_a_failed_attempt_with_a_reason() {
    let mut w = world(|_| {}).await;
    // A port that was free a moment ago and has no listener now.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    w.endpoint(format!("http://127.0.0.1:{port}/hook"), |_| {})
        .await;
    let msg = w.publish("{}").await;
    w.wait_completed(1).await;
    let a = &w.attempts(&msg.id).await[0];
    assert_eq!(a.response_status_code, 0);
    assert!(
        a.response
            .as_deref()
            .unwrap()
            .starts_with("connection failed"),
        "{:?}",
        a.response
    );
}

#[tokio::test]
async fn internal_addresses_are_refused_unless_allowed() {
    let mut w = world(|c| c.allowed_networks.clear()).await;
    let rx = Receiver::start(&[]).await;
    w.endpoint(rx.url("/hook"), |_| {}).await;
    w.endpoint(
        format!("http://localhost:{}/by-name", rx.addr.port()),
        |_| {},
    )
    .await;
    let msg = w.publish("{}").await;
    w.wait_completed(2).await;
    let attempts = w.attempts(&msg.id).await;
    assert_eq!(attempts.len(), 2);
    for a in &attempts {
        assert_eq!(a.status, MessageStatus::Fail);
        assert!(
            a.response.as_deref().unwrap().contains("blocked range"),
            "{:?}",
            a.response
        );
    }
    assert!(rx.seen().await.is_empty(), "nothing reached the receiver");
}

#[tokio::test]
async fn a_delivery_held_by_a_dead_worker_is_delivered_after_its_lease_expires() {
    let mut w = world(|_| {}).await;
    let mut rx = Receiver::start(&[]).await;
    w.stop_workers().await;
    let ep = w.endpoint(rx.url("/hook"), |_| {}).await;

    // Publish while a "dead" worker (this test) claims directly and never completes.
    let now = w.clock.now();
    let msg = Message {
        id: MsgId::generate(now, &mut rng()),
        app_id: w.app.id.clone(),
        event_id: None,
        event_type: "a.b".into(),
        payload: Some("{}".into()),
        channels: None,
        payload_expires_at: None,
        created_at: now,
        extras: Default::default(),
    };
    w.store().create_message(&msg, None).await.unwrap();
    let lease = chrono::Duration::from_std(w.state.config.lease()).unwrap();
    let dead = w
        .store()
        .claim_due(&ClaimRequest {
            owner: "dead",
            lease_token: "lease_dead",
            now,
            lease,
            limit: 10,
        })
        .await
        .unwrap();
    assert_eq!(dead.len(), 1);

    // A live worker starts; while the lease holds it must leave the delivery alone.
    assert!(nothing_claimable(&w, lease - ChronoDuration::seconds(1)).await);
    assert_eq!(w.delivery(&msg.id).await.state, DeliveryState::Claimed);
    w.start_workers();

    // Once it expires, the live worker takes it over and delivers.
    w.advance(lease + ChronoDuration::seconds(1));
    let seen = rx.wait_requests(1).await;
    w.wait_completed(1).await;
    assert_eq!(seen[0].header("webhook-id"), msg.id.as_str());
    assert_eq!(w.delivery(&msg.id).await.state, DeliveryState::Succeeded);

    // The dead worker's late completion cannot overwrite what the live one did.
    let late = Completion {
        msg_id: msg.id.clone(),
        endpoint_id: ep.id.clone(),
        lease_token: "lease_dead".into(),
        outcome: Outcome::Canceled,
        now: w.clock.now(),
    };
    assert_eq!(w.store().complete(&[late]).await.unwrap(), vec![false]);
    assert_eq!(w.delivery(&msg.id).await.state, DeliveryState::Succeeded);
}

#[tokio::test]
async fn throttle_rate_paces_deliveries_without_counting_attempts() {
    let mut w = world(|_| {}).await;
    let mut rx = Receiver::start(&[]).await;
    w.endpoint(rx.url("/hook"), |ep| ep.throttle_rate = Some(1))
        .await;
    let mut msgs = vec![];
    for i in 0..3 {
        msgs.push(w.publish(&format!("{{\"i\":{i}}}")).await);
    }
    // One goes at once; the other two are deferred (three completions written).
    w.wait_completed(3).await;
    assert_eq!(rx.seen().await.len(), 1);
    let mut states = vec![];
    for m in &msgs {
        let d = w.delivery(&m.id).await;
        states.push((d.state, d.attempts));
    }
    assert_eq!(
        states
            .iter()
            .filter(|s| s.0 == DeliveryState::Succeeded)
            .count(),
        1
    );
    assert_eq!(
        states
            .iter()
            .filter(|s| *s == &(DeliveryState::Pending, 0))
            .count(),
        2
    );

    // A second later, one more may go.
    w.advance(ChronoDuration::seconds(1));
    rx.wait_requests(2).await;
    w.advance(ChronoDuration::seconds(1));
    let seen = rx.wait_requests(3).await;
    assert_eq!(seen.len(), 3);
}

#[tokio::test]
async fn a_delivery_to_an_endpoint_disabled_after_publishing_is_canceled() {
    let mut w = world(|_| {}).await;
    let rx = Receiver::start(&[]).await;
    // Stop workers so the message waits, then disable the endpoint before they run.
    w.stop_workers().await;
    let mut ep = w.endpoint(rx.url("/hook"), |_| {}).await;
    let msg = w.publish("{}").await;
    ep.disabled = true;
    w.store().update_endpoint(&ep).await.unwrap();
    w.start_workers();
    w.wait_completed(1).await;
    assert_eq!(w.delivery(&msg.id).await.state, DeliveryState::Canceled);
    assert!(rx.seen().await.is_empty());
}

#[tokio::test]
async fn during_rotation_both_secrets_sign() {
    const OLD: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let mut w = world(|_| {}).await;
    let mut rx = Receiver::start(&[]).await;
    let expires_at = w.clock.now() + ChronoDuration::hours(24);
    w.endpoint(rx.url("/hook"), |ep| {
        ep.old_secrets.push(OldSecret {
            key: OLD.into(),
            expires_at,
        })
    })
    .await;
    w.publish("{}").await;
    let seen = rx.wait_requests(1).await;
    w.wait_completed(1).await;
    assert_eq!(seen[0].header("webhook-signature").split(' ').count(), 2);
    assert!(verify(&seen[0], SECRET));
    assert!(verify(&seen[0], OLD));
}

#[tokio::test]
async fn shutdown_releases_deliveries_still_in_flight_after_the_grace() {
    let mut w = world(|c| {
        c.request_timeout = Duration::from_secs(60);
        c.shutdown_grace = Duration::from_millis(200);
    })
    .await;
    let mut rx = Receiver::start(&[Answer::Slow(Duration::from_secs(60))]).await;
    w.endpoint(rx.url("/hang"), |_| {}).await;
    let msg = w.publish("{}").await;
    // The request is in flight, and its receiver will not answer within the grace.
    rx.wait_requests(1).await;
    let started = std::time::Instant::now();
    w.stop_workers().await;
    // Bounded by the grace, not by the 60 s HTTP timeout (the margin is for slow machines).
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    let d = w.delivery(&msg.id).await;
    assert_eq!(
        d.state,
        DeliveryState::Pending,
        "released, not left claimed"
    );
    assert_eq!(
        d.attempts, 0,
        "an abandoned request is not a counted attempt"
    );
    assert!(w.attempts(&msg.id).await.is_empty());
    // Due now: the next process claims it at once instead of waiting for the lease.
    assert!(!nothing_claimable(&w, ChronoDuration::zero()).await);
}

#[tokio::test]
async fn shutdown_waits_for_attempts_that_finish_within_the_grace() {
    let mut w = world(|c| c.shutdown_grace = Duration::from_secs(30)).await;
    let mut rx = Receiver::start(&[Answer::Slow(Duration::from_millis(300))]).await;
    w.endpoint(rx.url("/slowish"), |_| {}).await;
    let msg = w.publish("{}").await;
    rx.wait_requests(1).await;
    w.stop_workers().await;
    let d = w.delivery(&msg.id).await;
    assert_eq!(d.state, DeliveryState::Succeeded, "finished, not abandoned");
    assert_eq!(w.attempts(&msg.id).await.len(), 1);
}

#[tokio::test]
async fn an_attempt_records_the_headers_it_sent_with_credentials_masked() {
    let mut w = world(|_| {}).await;
    let mut rx = Receiver::start(&[Answer::Status(200)]).await;
    w.endpoint(rx.url("/rec"), |e| {
        e.headers.insert("X-Tenant".into(), "acme".into());
        e.headers
            .insert("Authorization".into(), "Bearer s3cret".into());
        e.options = serde_json::from_str(
            r#"{"auth":[{"type":"staticHeader","header":"X-Partner-Key","value":"pk_live"}]}"#,
        )
        .unwrap();
    })
    .await;
    let msg = w.publish(r#"{"n": 1}"#).await;
    let seen = rx.wait_requests(1).await;
    w.wait_completed(1).await;
    let attempt = w.attempts(&msg.id).await.remove(0);
    let sent = attempt.request.expect("the request is recorded");
    assert_eq!(
        sent.body,
        SentBody::Payload,
        "sent as published: the payload is not stored a second time"
    );
    assert_eq!(
        msg.payload.as_deref().unwrap().as_bytes(),
        &seen[0].body[..]
    );
    let get = |n: &str| {
        sent.headers
            .iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(get("authorization"), Some(hookd_core::model::MASKED));
    assert_eq!(get("x-partner-key"), Some(hookd_core::model::MASKED));
    assert_eq!(seen[0].header("x-partner-key"), "pk_live", "sent in full");
    for (name, value) in &sent.headers {
        if value != hookd_core::model::MASKED {
            assert_eq!(seen[0].header(name), value, "{name}");
        }
    }
    assert_eq!(get("x-tenant"), Some("acme"));
    let recorded = format!("{:?}", sent.headers);
    assert!(!recorded.contains("s3cret") && !recorded.contains("pk_live"));
}

/// A body that is not the payload (an envelope's rendering) is recorded as the receiver got
/// it, so the record still tells what was sent after the endpoint's envelope changes; a body
/// longer than `response_body_limit` is recorded up to it, and says so.
#[tokio::test]
async fn an_attempt_records_the_enveloped_body_it_sent_up_to_the_limit() {
    let limit = 96;
    let mut w = world(|c| c.response_body_limit = limit).await;
    let mut rx = Receiver::start(&[Answer::Status(200), Answer::Status(200)]).await;
    let ep = w
        .endpoint(rx.url("/env"), |e| {
            e.options = serde_json::from_str(
                r#"{"envelope":{"template":{"kind":"{{ msg.eventType }}","data":"{{ payload }}","ep":"{{ endpoint.id }}"}}}"#,
            )
            .unwrap();
        })
        .await;
    let short = w.publish(r#"{"n": 1}"#).await;
    let seen = rx.wait_requests(1).await;
    w.wait_completed(1).await;
    let body = String::from_utf8(seen[0].body.to_vec()).unwrap();
    assert!(
        body.starts_with(r#"{"kind":"invoice.paid","data":{"n": 1}"#),
        "{body}"
    );
    assert!(body.len() <= limit, "this one fits: {}", body.len());

    // The envelope changes; the record keeps what was sent.
    let mut changed = ep.clone();
    changed.options =
        serde_json::from_str(r#"{"envelope":{"template":{"other":"{{ payload }}"}}}"#).unwrap();
    w.store().update_endpoint(&changed).await.unwrap();
    let attempt = w.attempts(&short.id).await.remove(0);
    assert_eq!(
        attempt.request.expect("recorded").body,
        SentBody::Recorded {
            text: body,
            truncated: false
        }
    );

    let long_payload = format!(r#"{{"text": "{}"}}"#, "é".repeat(100));
    let long = w.publish(&long_payload).await;
    let seen = rx.wait_requests(2).await;
    w.wait_completed(2).await;
    let sent = &seen[1].body;
    assert!(sent.len() > limit);
    let attempt = w.attempts(&long.id).await.remove(0);
    let SentBody::Recorded { text, truncated } = attempt.request.expect("recorded").body else {
        panic!("the enveloped body is recorded");
    };
    assert!(truncated);
    assert!(
        text.len() <= limit && text.len() > limit - 4,
        "{}",
        text.len()
    );
    assert!(
        sent.starts_with(text.as_bytes()),
        "the beginning of what was sent"
    );
}

#[tokio::test]
async fn a_full_endpoint_gets_no_more_requests_and_does_not_hold_up_others() {
    let mut w = world(|c| {
        c.endpoint_concurrency = 2;
        // The hanging requests stay in flight for the whole test.
        c.request_timeout = Duration::from_secs(60);
    })
    .await;
    let hang = Answer::Slow(Duration::from_secs(60));
    let mut slow = Receiver::start(&[hang, hang, hang, hang]).await;
    let mut fast = Receiver::start(&[]).await;
    w.endpoint(slow.url("/slow"), |_| {}).await;
    let msgs = [w.publish("{\"i\":0}").await, w.publish("{\"i\":1}").await];
    slow.wait_requests(2).await;
    // The third request to the slow endpoint finds both of its turns taken: it is handed
    // back (one completion written) without an attempt, and nothing more reaches it.
    let third = w.publish("{\"i\":2}").await;
    w.wait_completed(1).await;
    let d = w.delivery(&third.id).await;
    assert_eq!((d.state, d.attempts), (DeliveryState::Pending, 0));
    assert!(w.attempts(&third.id).await.is_empty());
    assert_eq!(slow.seen().await.len(), 2);
    // Handed back for about a second, not claimed again at once.
    assert!(nothing_claimable(&w, ChronoDuration::zero()).await);

    // Another endpoint of the same application is served meanwhile (the message's delivery
    // to the slow endpoint is handed back too: three completions in all).
    w.endpoint(fast.url("/fast"), |_| {}).await;
    w.publish("{\"i\":3}").await;
    let seen = fast.wait_requests(1).await;
    assert_eq!(&seen[0].body[..], b"{\"i\":3}");
    w.wait_completed(3).await;

    // When the two handed back come due again, the slow endpoint is still full: handed back
    // again.
    w.advance(ChronoDuration::seconds(61));
    w.wait_completed(5).await;
    assert_eq!(slow.seen().await.len(), 2, "still only two in flight");
    for m in &msgs {
        assert!(
            w.attempts(&m.id).await.is_empty(),
            "still waiting for an answer"
        );
    }
}

/// A server reached through its API, over a store that counts claims and can lose answers,
/// with its workers running and loopback receivers allowed.
async fn api_world(
    adjust: impl FnOnce(&mut ServerConfig),
) -> (
    crate::common::Harness,
    Arc<crate::common::FlakyQueue>,
    Engine,
) {
    let mut config = ServerConfig {
        allowed_networks: vec!["127.0.0.0/8".parse().unwrap()],
        ..ServerConfig::default()
    };
    adjust(&mut config);
    let (mut h, store) = crate::common::Harness::with_flaky_queue_and(config).await;
    let workers = h.start_engine();
    (h, store, workers)
}

/// A publish claims its deliveries for this process's free worker slots as it writes them, so
/// they are attempted without a claim by the dispatcher (which, with an hour's poll interval
/// and nothing left to wake it for, never runs one here).
#[tokio::test]
async fn published_deliveries_start_without_a_claim_when_slots_are_free() {
    let (h, store, workers) = api_world(|c| c.poll_interval = Duration::from_secs(3600)).await;
    let mut rx = Receiver::start(&[]).await;
    let app = h.app("direct").await;
    h.endpoint(&app, serde_json::json!({"url": rx.url("/a")}))
        .await;
    h.endpoint(&app, serde_json::json!({"url": rx.url("/b")}))
        .await;
    for i in 0..3 {
        h.message(
            &app,
            serde_json::json!({"eventType": "invoice.paid", "payload": {"i": i}}),
        )
        .await;
    }
    let seen = rx.wait_requests(6).await;
    tokio::time::timeout(Duration::from_secs(20), workers.wait_completed(6))
        .await
        .expect("six completions");
    assert_eq!(seen.len(), 6);
    assert_eq!(
        store.claimed_by_claim_due(),
        0,
        "no delivery needed a claim"
    );
    workers.shutdown().await;
}

/// With no free worker slot, a publish claims nothing: its deliveries wait for an ordinary
/// claim, and the dispatcher is woken for them.
#[tokio::test]
async fn published_deliveries_wait_for_a_claim_when_no_slot_is_free() {
    let (h, store, workers) = api_world(|c| {
        c.poll_interval = Duration::from_secs(3600);
        c.worker_concurrency = 1;
        c.request_timeout = Duration::from_secs(60);
    })
    .await;
    let mut slow = Receiver::start(&[Answer::Slow(Duration::from_millis(500))]).await;
    let app = h.app("busy").await;
    h.endpoint(&app, serde_json::json!({"url": slow.url("/a")}))
        .await;
    h.message(
        &app,
        serde_json::json!({"eventType": "a", "payload": {"i": 0}}),
    )
    .await;
    // The only slot is taken by the first, slow delivery.
    slow.wait_requests(1).await;
    h.message(
        &app,
        serde_json::json!({"eventType": "a", "payload": {"i": 1}}),
    )
    .await;
    slow.wait_requests(2).await;
    tokio::time::timeout(Duration::from_secs(20), workers.wait_completed(2))
        .await
        .expect("two completions");
    assert_eq!(
        store.claimed_by_claim_due(),
        1,
        "the second went through a claim"
    );
    workers.shutdown().await;
}

/// A publish batch whose commit landed but whose answer was lost (the connection dropped in
/// between) is still answered 202, not 409 against itself, and its deliveries, claimed under a
/// lease nobody will complete, are released and sent.
#[tokio::test]
async fn a_publish_whose_commit_answer_was_lost_is_accepted_and_delivered() {
    let (h, store, workers) = api_world(|_| {}).await;
    let mut rx = Receiver::start(&[]).await;
    let app = h.app("lost-answer").await;
    h.endpoint(&app, serde_json::json!({"url": rx.url("/a")}))
        .await;
    store.set(crate::common::QueueMode::LoseNextBatchAnswer);
    let msg = h
        .message(
            &app,
            serde_json::json!({"eventType": "invoice.paid", "payload": {"n": 1}}),
        )
        .await;
    let seen = rx.wait_requests(1).await;
    assert_eq!(seen[0].header("webhook-id"), msg["id"].as_str().unwrap());
    tokio::time::timeout(Duration::from_secs(20), workers.wait_completed(1))
        .await
        .expect("one completion");
    let listed = h.get(&format!("/api/v1/app/{app}/msg")).await.expect(200);
    assert_eq!(
        listed.json["data"].as_array().unwrap().len(),
        1,
        "written once"
    );
    workers.shutdown().await;
}
