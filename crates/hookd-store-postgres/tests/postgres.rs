//! Behaviour specific to the PostgreSQL store, beyond the shared conformance suite: what it
//! takes for many processes to share one database. Each "process" here is a separate
//! `PgStore`, with its own pool and connections, on one fresh database per test.
//!
//! This file must not test the `Store` contract itself (that belongs in the shared suite),
//! and must not sleep: it waits for events through channels, with timeouts only as a bound on
//! failure.

use hookd_core::store::Capabilities;
use hookd_core::store::Directory;
use hookd_core::store::Idempotency;
use hookd_core::store::Messages;
use hookd_core::store::Queue;

use std::{collections::HashSet, sync::Arc, time::Duration};

use futures::future::join_all;
use hookd_core::{
    clock::{Clock, ManualClock},
    delivery::Transition,
    id::{AppId, EndpointId, MsgId},
    model::{Application, Endpoint, EventType, Message, Metadata, TokenScope},
    page::{ListQuery, Order},
    store::{ClaimRequest, Completion, IdempotencyBegin, Outcome, Store, StoreError},
};
use hookd_store_conformance::fixture::{Fixture, CLAIM_ALL, LEASE};
use hookd_store_postgres::{testing::TestDatabase, PgError, PgStore, LISTENER_APPLICATION_NAME};
use sqlx::{ConnectOptions, PgConnection};
use tokio::sync::mpsc;

/// How long a test waits for something that should take milliseconds before it fails, rather
/// than hanging the run.
const PATIENCE: Duration = Duration::from_secs(20);

/// How many stores stand in for processes in the multi-store tests: more than the machine's
/// cores, so that they really contend, and few enough that several such tests running at
/// once stay well within PostgreSQL's default limit of 100 connections.
const PROCESSES: usize = 4;

/// Connects `n` stores to `db`, one after another.
async fn stores(db: &TestDatabase, n: usize) -> Vec<PgStore> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(PgStore::connect_with(db.options()).await.expect("connect"));
    }
    out
}

/// A raw connection to the test database, beside the stores' pools.
async fn raw(db: &TestDatabase) -> PgConnection {
    db.options().connect().await.expect("raw connection")
}

/// A work callback that reports each call on a channel.
fn wake_channel() -> (hookd_core::store::WorkCallback, mpsc::UnboundedReceiver<()>) {
    let (tx, rx) = mpsc::unbounded_channel();
    (
        Arc::new(move || {
            let _ = tx.send(());
        }),
        rx,
    )
}

/// Waits for the next call of a [`wake_channel`] callback.
async fn woken(rx: &mut mpsc::UnboundedReceiver<()>, what: &str) {
    tokio::time::timeout(PATIENCE, rx.recv())
        .await
        .unwrap_or_else(|_| panic!("no wake-up: {what}"))
        .expect("callback alive");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_first_connects_migrate_once() {
    let db = TestDatabase::create().await;
    let url = db.url();
    let connects = (0..PROCESSES).map(|_| PgStore::connect(&url));
    let results = join_all(connects).await;
    for result in &results {
        assert!(
            result.is_ok(),
            "every concurrent connect succeeds: {result:?}"
        );
    }
    let mut conn = raw(&db).await;
    let applied: Vec<(i64, bool)> =
        sqlx::query_as("SELECT version, success FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&mut conn)
            .await
            .unwrap();
    let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .unwrap()
        .filter(|f| {
            f.as_ref()
                .is_ok_and(|f| f.path().extension().is_some_and(|e| e == "sql"))
        })
        .count();
    assert_eq!(applied.len(), files, "each migration recorded once");
    assert!(applied.iter().all(|(_, ok)| *ok));

    // A later start finds everything applied and changes nothing.
    let again = PgStore::connect(&db.url()).await.expect("reconnect");
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(count as usize, files);
    again.ping().await.unwrap();
}

#[tokio::test]
async fn connect_reports_bad_urls_and_unreachable_servers() {
    for bad in [
        "mysql://root@localhost/db",
        "postgres://host:port/db",
        "hookd.db",
    ] {
        assert!(
            matches!(PgStore::connect(bad).await, Err(PgError::InvalidUrl { .. })),
            "{bad}"
        );
    }
    // Port 1 on loopback refuses at once.
    let err = PgStore::connect("postgres://postgres:secret@127.0.0.1:1/hookd")
        .await
        .unwrap_err();
    assert!(matches!(err, PgError::Connect { .. }), "{err:?}");
    assert!(!err.to_string().contains("secret"), "no password in {err}");
}

#[tokio::test]
async fn debug_output_hides_the_password() {
    let db = TestDatabase::create().await;
    let store = PgStore::connect_with(db.options().password("hunter2"))
        .await
        .expect("trust auth ignores the password");
    assert!(!format!("{store:?}").contains("hunter2"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn work_published_through_one_store_wakes_another() {
    let db = TestDatabase::create().await;
    let [listener, publisher]: [PgStore; 2] = stores(&db, 2).await.try_into().unwrap();
    let (on_work, mut rx) = wake_channel();
    listener.subscribe_work(on_work).await.expect("subscribe");

    let mut fx = Fixture::new();
    let app = fx.create_app(&publisher).await;
    fx.create_endpoint(&publisher, &app.id).await;
    fx.publish(&publisher, &app.id, "a").await;
    woken(&mut rx, "create_message on another store").await;

    let msg = fx.publish(&publisher, &app.id, "a").await;
    woken(&mut rx, "second message").await;
    let claimed = fx.claim(&listener, CLAIM_ALL).await;
    assert_eq!(claimed.len(), 2, "the woken store sees the work");
    for c in &claimed {
        fx.attempt_and_complete(&listener, c, 500, Transition::Exhausted)
            .await;
    }

    let ep = &claimed[0].endpoint;
    publisher
        .resend(&app.id, &msg.id, &ep.id, fx.now())
        .await
        .unwrap();
    woken(&mut rx, "resend on another store").await;
    let c = fx.claim(&listener, CLAIM_ALL).await.remove(0);
    fx.attempt_and_complete(&listener, &c, 500, Transition::Exhausted)
        .await;
    let recovered = publisher
        .recover(
            &app.id,
            &ep.id,
            claimed[0].message.created_at,
            None,
            fx.now(),
        )
        .await
        .unwrap();
    assert_eq!(recovered, 2);
    woken(&mut rx, "recover on another store").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn work_listener_survives_a_lost_connection() {
    let db = TestDatabase::create().await;
    let [listener, publisher]: [PgStore; 2] = stores(&db, 2).await.try_into().unwrap();
    let (on_work, mut rx) = wake_channel();
    listener.subscribe_work(on_work).await.expect("subscribe");

    // An operator (or a failover) ends the listener's session.
    let mut admin = raw(&db).await;
    let ended: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND application_name = $1",
    )
    .bind(LISTENER_APPLICATION_NAME)
    .fetch_all(&mut admin)
    .await
    .unwrap();
    assert_eq!(ended, vec![true], "exactly one listener session");

    // Announcements may have been missed while it was away, so it wakes the workers once it
    // listens again; after that it hears new work as before.
    woken(&mut rx, "reconnected listener").await;
    let mut fx = Fixture::new();
    let app = fx.create_app(&publisher).await;
    fx.create_endpoint(&publisher, &app.id).await;
    fx.publish(&publisher, &app.id, "a").await;
    woken(&mut rx, "work after the reconnect").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_work_listener_stops_with_the_last_store_clone() {
    let db = TestDatabase::create().await;
    let store = PgStore::connect_with(db.options()).await.unwrap();
    let (on_work, mut rx) = wake_channel();
    store.clone().subscribe_work(on_work).await.unwrap();
    drop(store);
    // The task drops its callback, and with it the channel's only sender, when it stops.
    let closed = tokio::time::timeout(PATIENCE, async { while rx.recv().await.is_some() {} }).await;
    assert!(closed.is_ok(), "the listener task ended");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn closing_the_store_stops_its_work_listener() {
    let db = TestDatabase::create().await;
    let store = PgStore::connect_with(db.options()).await.unwrap();
    let (on_work, mut rx) = wake_channel();
    store.subscribe_work(on_work).await.unwrap();
    store.close().await;
    let closed = tokio::time::timeout(PATIENCE, async { while rx.recv().await.is_some() {} }).await;
    assert!(closed.is_ok(), "the listener task ended");
}

/// A message published with a `deliverAt` ahead through one process (its own publish claim
/// included) is claimed by no process before that time, and by one of them at it: the due
/// time lives in the shared row, not in any process's wake-ups.
#[tokio::test]
async fn a_deliver_at_holds_for_every_process() {
    let db = TestDatabase::create().await;
    let all = stores(&db, 2).await;
    let mut fx = Fixture::new();
    let app = fx.create_app(&all[0]).await;
    fx.create_endpoint(&all[0], &app.id).await;
    let at = fx.now() + chrono::Duration::minutes(30);
    let mut msg = fx.message(&app.id, "a");
    msg.extras.deliver_at = Some(at);
    let token = fx.lease_token();
    let created = all[0]
        .create_messages(
            std::slice::from_ref(&msg),
            Some(&fx.claim_request(&token, CLAIM_ALL)),
        )
        .await
        .unwrap();
    assert!(created.claimed.is_empty(), "not claimed by its own publish");
    for store in &all {
        assert_eq!(store.next_due_at().await.unwrap(), Some(at));
    }
    fx.advance(at - fx.now() - chrono::Duration::milliseconds(1));
    for store in &all {
        let token = fx.lease_token();
        let early = store
            .claim_due(&fx.claim_request(&token, CLAIM_ALL))
            .await
            .unwrap();
        assert!(early.is_empty(), "claimed a millisecond early");
    }
    fx.advance(chrono::Duration::milliseconds(1));
    let token = fx.lease_token();
    let due = all[1]
        .claim_due(&fx.claim_request(&token, CLAIM_ALL))
        .await
        .unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].message, msg);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn claims_from_separate_stores_never_overlap() {
    const MESSAGES: usize = 40;
    const ENDPOINTS: usize = 3;
    const BATCH: u32 = 3;
    let db = TestDatabase::create().await;
    let all = stores(&db, PROCESSES).await;
    let mut fx = Fixture::new();
    let app = fx.create_app(&all[0]).await;
    for _ in 0..ENDPOINTS {
        fx.create_endpoint(&all[0], &app.id).await;
    }
    for i in 0..MESSAGES {
        fx.publish(&all[i % PROCESSES], &app.id, "a").await;
    }
    let now = fx.now();
    let workers = all.iter().cloned().enumerate().map(|(w, store)| {
        tokio::spawn(async move {
            let mut got = Vec::new();
            for round in 0.. {
                let token = format!("lease-{w}-{round}");
                let req = ClaimRequest {
                    owner: "worker",
                    lease_token: &token,
                    now,
                    lease: LEASE,
                    limit: BATCH,
                };
                let batch = store.claim_due(&req).await.expect("claim_due");
                if batch.is_empty() {
                    break;
                }
                // Complete each batch at once, as a worker would, so completions and claims
                // from different stores interleave.
                let completions: Vec<Completion> = batch
                    .iter()
                    .map(|c| Completion {
                        msg_id: c.delivery.msg_id.clone(),
                        endpoint_id: c.delivery.endpoint_id.clone(),
                        lease_token: c.lease_token.clone(),
                        outcome: Outcome::Canceled,
                        now,
                    })
                    .collect();
                let held = store.complete(&completions).await.expect("complete");
                assert!(held.iter().all(|h| *h), "every holder keeps its lease");
                got.extend(
                    batch
                        .into_iter()
                        .map(|c| (c.delivery.msg_id, c.delivery.endpoint_id)),
                );
            }
            got
        })
    });
    let mut seen: HashSet<(MsgId, EndpointId)> = HashSet::new();
    let mut total = 0;
    for worker in join_all(workers).await {
        for key in worker.expect("worker") {
            total += 1;
            assert!(seen.insert(key.clone()), "{key:?} claimed twice");
        }
    }
    assert_eq!(total, MESSAGES * ENDPOINTS);
    assert!(all[0]
        .claim_due(&fx.claim_request("x", CLAIM_ALL))
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn admin_token_is_created_once_across_stores() {
    let db = TestDatabase::create().await;
    let all = stores(&db, PROCESSES).await;
    let mut fx = Fixture::new();
    let tokens: Vec<_> = (0..PROCESSES)
        .map(|_| fx.token(TokenScope::Admin))
        .collect();
    let tasks = all
        .iter()
        .cloned()
        .zip(tokens.clone())
        .map(|(store, token)| {
            tokio::spawn(async move { store.insert_admin_token_if_none(&token).await })
        });
    let winners = join_all(tasks)
        .await
        .into_iter()
        .filter(|r| *r.as_ref().expect("task").as_ref().expect("insert"))
        .count();
    assert_eq!(winners, 1);
    let mut found = 0;
    for token in &tokens {
        if all[0].token_by_hash(&token.hash).await.unwrap().is_some() {
            found += 1;
        }
    }
    assert_eq!(found, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rate_limit_holds_across_stores_under_contention() {
    const PER_SECOND: u16 = 5;
    const ASKS: usize = 3;
    let db = TestDatabase::create().await;
    let all = stores(&db, PROCESSES).await;
    let now = ManualClock::at_epoch().now();
    let tasks = all.iter().cloned().flat_map(|store| {
        (0..ASKS).map(move |_| {
            let store = store.clone();
            tokio::spawn(async move { store.throttle_take("ep_shared", PER_SECOND, now).await })
        })
    });
    let granted = join_all(tasks.collect::<Vec<_>>())
        .await
        .into_iter()
        .filter(|r| r.as_ref().expect("task").as_ref().expect("take").is_ok())
        .count();
    assert_eq!(
        granted,
        usize::from(PER_SECOND),
        "one second's burst, however many processes ask at once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_idempotency_key_is_reserved_once_across_stores() {
    let db = TestDatabase::create().await;
    let all = stores(&db, PROCESSES).await;
    let now = ManualClock::at_epoch().now();
    let tasks = all.iter().cloned().map(|store| {
        tokio::spawn(async move {
            store
                .idempotency_begin("key", "hash", now, now - chrono::Duration::hours(24))
                .await
        })
    });
    let outcomes: Vec<IdempotencyBegin> = join_all(tasks)
        .await
        .into_iter()
        .map(|r| r.expect("task").expect("begin"))
        .collect();
    let started = outcomes
        .iter()
        .filter(|o| **o == IdempotencyBegin::Started)
        .count();
    assert_eq!(started, 1, "{outcomes:?}");
    assert!(outcomes
        .iter()
        .all(|o| matches!(o, IdempotencyBegin::Started | IdempotencyBegin::InProgress)));
}

/// Ids whose order differs between byte-wise and linguistic comparison: digits, then upper
/// case, then lower case in ASCII, but `a` before `B` in `en-US`.
const TRICKY_SUFFIXES: [&str; 6] = ["b", "B", "a", "Z", "0", "A"];

#[tokio::test]
async fn keys_sort_byte_wise_whatever_the_database_collation() {
    let db = TestDatabase::create().await;
    let store = PgStore::connect_with(db.options()).await.unwrap();
    let now = ManualClock::at_epoch().now();
    for suffix in TRICKY_SUFFIXES {
        store
            .create_app(&Application {
                id: AppId::from_trusted(format!("app_X{suffix}")),
                uid: None,
                name: suffix.into(),
                throttle_rate: None,
                metadata: Metadata::new(),
                created_at: now,
                updated_at: now,
            })
            .await
            .unwrap();
        store
            .create_event_type(&EventType {
                name: format!("{suffix}.event"),
                description: String::new(),
                archived: false,
                deprecated: false,
                schemas: None,
                feature_flags: Default::default(),
                options: Default::default(),
                created_at: now,
                updated_at: now,
            })
            .await
            .unwrap();
    }
    let mut expected: Vec<&str> = TRICKY_SUFFIXES.to_vec();
    expected.sort_unstable(); // Rust compares strings byte-wise.
    let apps = store
        .list_apps(
            &hookd_core::store::AppFilter::default(),
            &ListQuery::first(50, Order::Ascending),
        )
        .await
        .unwrap();
    let names: Vec<&str> = apps.data.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, expected);
    let types = store
        .list_event_types(true, &ListQuery::first(50, Order::Ascending))
        .await
        .unwrap();
    let names: Vec<String> = types.data.iter().map(|t| t.name.clone()).collect();
    let expected_types: Vec<String> = expected.iter().map(|s| format!("{s}.event")).collect();
    assert_eq!(names, expected_types);
    // A page after "app_XB" starts at "app_XZ", not at "app_Xa" or "app_Xb".
    let after = store
        .list_apps(
            &hookd_core::store::AppFilter::default(),
            &ListQuery::from_params(Some(1), Some("app_XB"), Order::Ascending),
        )
        .await
        .unwrap();
    assert_eq!(after.data[0].id.as_str(), "app_XZ");

    // The check above is only a real test if the database itself would sort otherwise.
    let mut conn = raw(&db).await;
    let linguistic: Vec<String> =
        sqlx::query_scalar("SELECT x FROM unnest(ARRAY['a', 'B']) AS x ORDER BY x")
            .fetch_all(&mut conn)
            .await
            .unwrap();
    if linguistic != ["a", "B"] {
        eprintln!("the test server lacks ICU: byte-wise order was not put to the test");
    }
}

#[tokio::test]
async fn payloads_and_documents_round_trip_exactly() {
    let db = TestDatabase::create().await;
    let store = PgStore::connect_with(db.options()).await.unwrap();
    let mut fx = Fixture::new();
    let app = fx.create_app(&store).await;
    // Unicode beyond the BMP, escapes, a NUL escape (JSONB would reject it; TEXT keeps the
    // six characters), duplicate keys and odd spacing, none of which JSONB would keep.
    let payload = "{\"k\":1, \"k\" : 2,\"e\":\"\\u0000 \u{1F600}\",  \"n\":1.0e+2}";
    let mut msg: Message = fx.message(&app.id, "a");
    msg.payload = Some(payload.into());
    store.create_message(&msg, None).await.unwrap();
    let read = store.get_message(&app.id, msg.id.as_str()).await.unwrap();
    assert_eq!(read.unwrap().payload.as_deref(), Some(payload));

    let ep: Endpoint = fx
        .create_endpoint_with(&store, &app.id, |e| {
            e.metadata.insert("émoji".into(), "\u{1F600}".into());
            e.headers.insert("X-Empty".into(), String::new());
            e.channels = Some(vec![]);
            e.event_types = Some(vec!["a".into()]);
        })
        .await;
    assert_eq!(
        store.get_endpoint(&app.id, ep.id.as_str()).await.unwrap(),
        Some(ep),
        "an empty channel list stays empty, not absent"
    );
}

#[tokio::test]
async fn errors_keep_their_kind_and_key() {
    let db = TestDatabase::create().await;
    let store = PgStore::connect_with(db.options()).await.unwrap();
    let mut fx = Fixture::new();
    let app = fx.create_app(&store).await;
    let mut dup = fx.app();
    dup.uid = app.uid.clone();
    assert!(matches!(store.create_app(&dup).await, Err(StoreError::Conflict(k)) if k == "uid"));
    let mut msg = fx.message(&app.id, "a");
    msg.event_id = Some("evt".into());
    store.create_message(&msg, None).await.unwrap();
    let mut again = fx.message(&app.id, "a");
    again.event_id = Some("evt".into());
    assert!(
        matches!(store.create_message(&again, None).await, Err(StoreError::Conflict(k)) if k == "eventId")
    );
    let et = fx.event_type("x.y");
    store.create_event_type(&et).await.unwrap();
    assert!(
        matches!(store.create_event_type(&et).await, Err(StoreError::Conflict(k)) if k == "name")
    );
    let orphan = fx.endpoint(&AppId::from_trusted("app_missing"));
    assert!(matches!(
        store.create_endpoint(&orphan).await,
        Err(StoreError::NotFound)
    ));

    // A closed pool is the database being unavailable to this process.
    store.close().await;
    assert!(matches!(
        store.ping().await,
        Err(StoreError::Unavailable(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_store_recovers_after_its_sessions_are_terminated() {
    let db = TestDatabase::create().await;
    let store = PgStore::connect_with(db.options()).await.unwrap();
    let mut fx = Fixture::new();
    let app = fx.create_app(&store).await;
    let mut admin = raw(&db).await;
    let killed: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .fetch_all(&mut admin)
    .await
    .unwrap();
    assert!(!killed.is_empty(), "the pool had a session to end");
    // The pool notices dead connections before handing them out and opens new ones.
    assert_eq!(
        store.get_app(app.id.as_str()).await.unwrap(),
        Some(app),
        "the next call works on a new session"
    );
}

/// The shared sealing case (`hookd_store_conformance::sealing`) on one database reopened
/// under different keys.
#[tokio::test]
async fn secrets_are_sealed_at_rest_and_rotated() {
    let db = TestDatabase::create().await;
    let options = db.options();
    hookd_store_conformance::sealing::secrets_sealed_at_rest_and_rotated(
        |sealer| {
            let options = options.clone();
            async move {
                let store = PgStore::connect_with(options)
                    .await
                    .unwrap()
                    .with_sealer(sealer);
                Arc::new(store) as Arc<dyn Store>
            }
        },
        || {
            let options = options.clone();
            async move {
                let mut conn: PgConnection = options.connect().await.unwrap();
                let rows: Vec<(String, String)> =
                    sqlx::query_as("SELECT secret, old_secrets::text FROM endpoints")
                        .fetch_all(&mut conn)
                        .await
                        .unwrap();
                let mut out = vec![];
                for (secret, old) in rows {
                    out.push(secret);
                    let old: Vec<serde_json::Value> = serde_json::from_str(&old).unwrap();
                    out.extend(old.iter().map(|o| o["key"].as_str().unwrap().to_owned()));
                }
                out
            }
        },
    )
    .await;
}
