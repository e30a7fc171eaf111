//! Faults a real `hookd serve` process must ride out, as an operator would cause them: a
//! SIGTERM while receivers are slow (bounded drain, deliveries released), the database going
//! away under load (503 to publishers, nothing accepted lost, delivery resumes by itself), and
//! an encryption key rotated while the server runs.

use std::{
    collections::HashSet,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::Duration,
};

use axum::{extract::State, routing::post, Router};
use serde_json::json;
use tokio::{net::TcpListener, sync::watch};

use hookd_store_postgres::testing::CutProxy;

use crate::cluster::harness::{publish, setup_app, Api, Backend, Node, Receiver, TestDatabase};

/// How long a test waits for something that should take a few seconds before it fails.
const PATIENCE: Duration = Duration::from_secs(60);

// ---- SIGTERM -------------------------------------------------------------------------------

/// A receiver that, while `hang` is set, takes requests and never answers; otherwise it
/// answers 200. It counts the requests it has seen.
#[derive(Clone)]
struct Hanging {
    hang: Arc<AtomicBool>,
    seen: Arc<watch::Sender<usize>>,
}

async fn hanging_handler(State(h): State<Hanging>) -> &'static str {
    h.seen.send_modify(|n| *n += 1);
    if h.hang.load(Ordering::SeqCst) {
        std::future::pending::<()>().await;
    }
    "ok"
}

async fn hanging_receiver() -> (String, Hanging) {
    let (seen, _) = watch::channel(0usize);
    let h = Hanging {
        hang: Arc::new(AtomicBool::new(true)),
        seen: Arc::new(seen),
    };
    let app = Router::new()
        .route("/hook", post(hanging_handler))
        .with_state(h.clone());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, h)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_within_the_grace_and_releases_what_is_still_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    let backend = Backend::Sqlite(dir.path().to_owned());
    // A 30 s HTTP timeout makes the lease last over a minute: a delivery that the next start
    // sends within seconds was released, not left to expire.
    let env = [
        ("HOOKD_SHUTDOWN_GRACE_SECS", "1"),
        ("HOOKD_REQUEST_TIMEOUT_SECS", "30"),
        ("HOOKD_LEASE_MARGIN_SECS", "30"),
    ];
    let mut node = tokio::task::block_in_place(|| Node::start_with("term", &backend, &env));
    let api = Api::new(node.printed_token.as_deref().unwrap());
    let (url, receiver) = hanging_receiver().await;
    let base = node.url();
    let app = api
        .post(&format!("{base}/api/v1/app"), json!({"name": "term"}))
        .await;
    let app_id = app["id"].as_str().unwrap().to_owned();
    api.post(
        &format!("{base}/api/v1/app/{app_id}/endpoint"),
        json!({"url": url}),
    )
    .await;
    api.post(
        &format!("{base}/api/v1/app/{app_id}/msg"),
        json!({"eventType": "a.b", "payload": {"n": 1}}),
    )
    .await;
    let mut seen = receiver.seen.subscribe();
    tokio::time::timeout(PATIENCE, seen.wait_for(|n| *n >= 1))
        .await
        .expect("the delivery reaches the receiver")
        .unwrap();

    // The receiver holds the request; SIGTERM must not wait for its 30 s timeout.
    let (status, took) = tokio::task::block_in_place(|| node.terminate(PATIENCE));
    assert!(status.success(), "a clean exit: {status:?}");
    assert!(
        took < Duration::from_secs(20),
        "exit took {took:?}: the 1 s grace, not the 30 s timeout, must bound it"
    );
    println!("SIGTERM with a request in flight: exited in {took:?} (grace 1 s)");

    // The next start sends it again at once: it was released, not abandoned to its lease.
    receiver.hang.store(false, Ordering::SeqCst);
    let restarted = std::time::Instant::now();
    tokio::task::block_in_place(|| node.start_again());
    tokio::time::timeout(Duration::from_secs(20), seen.wait_for(|n| *n >= 2))
        .await
        .expect("the released delivery is sent again well before its lease would expire")
        .unwrap();
    println!(
        "released delivery re-sent {:?} after the restart",
        restarted.elapsed()
    );
    let attempts = api
        .get(&format!("{base}/api/v1/app/{app_id}/attempt/msg/{}", {
            let msgs = api.get(&format!("{base}/api/v1/app/{app_id}/msg")).await;
            msgs["data"][0]["id"].as_str().unwrap().to_owned()
        }))
        .await;
    let attempts = attempts["data"].as_array().unwrap();
    assert_eq!(
        attempts.len(),
        1,
        "the abandoned request is not an attempt; the re-send is: {attempts:?}"
    );
    assert_eq!(attempts[0]["responseStatusCode"], 200);
}

// ---- Database loss ----------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn losing_the_database_answers_503_loses_nothing_and_recovers_by_itself() {
    let db = TestDatabase::create("dbloss");
    let (_, name) = db.url.rsplit_once('/').unwrap();
    let proxy = CutProxy::start().await;
    let via_proxy = format!("postgres://postgres@{}/{name}", proxy.addr());
    let backend = Backend::Postgres(via_proxy);
    let node = tokio::task::block_in_place(|| Node::start("dbloss", &backend));
    let api = Api::new(node.printed_token.as_deref().unwrap());
    let receiver = Receiver::start().await;
    let base = node.url();
    let app_id = setup_app(&api, &base, &receiver, 2).await;

    // Messages accepted just before the loss, with deliveries (and their completions) in
    // flight when it happens.
    let (progress, _) = watch::channel(0usize);
    let before = publish(
        &api,
        std::slice::from_ref(&base),
        &app_id,
        200,
        8,
        Arc::new(progress),
    )
    .await;
    proxy.cut();

    // While the database is away, a publish is refused with a retryable 503, promptly.
    let started = std::time::Instant::now();
    let (status, body) = api
        .call(
            reqwest::Method::POST,
            &format!("{base}/api/v1/app/{app_id}/msg"),
            Some(json!({"eventType": "a.b", "payload": {}})),
        )
        .await
        .expect("hookd answers while its database is away");
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["code"], "service_unavailable");
    let refused_in = started.elapsed();
    println!("publish during database loss: 503 in {refused_in:?}");

    // The database comes back: publishing works again and every accepted message arrives,
    // without restarting hookd.
    proxy.restore();
    let restored = std::time::Instant::now();
    let (progress, _) = watch::channel(0usize);
    let after = publish(
        &api,
        std::slice::from_ref(&base),
        &app_id,
        20,
        4,
        Arc::new(progress),
    )
    .await;
    let all: HashSet<String> = before.union(&after).cloned().collect();
    let missing = receiver.wait_all(&all, 2, PATIENCE).await;
    assert!(missing.is_empty(), "lost after the outage: {missing:?}");
    assert_eq!(receiver.bad_signatures(), 0);
    println!(
        "database loss: {} messages × 2 endpoints accepted, 0 lost, {} duplicates; \
         all delivered {:?} after the database returned",
        all.len(),
        receiver.duplicates(),
        restored.elapsed()
    );
    drop(node);
}

// ---- Encryption key rotation --------------------------------------------------------------------

const KEY_A: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const KEY_B: &str = "HxwdHhsaGRgXFhUUExIREA8ODQwLCgkIBwYFBAMCAQA=";

/// `hookd secrets reseal` on `dir` with `keys`; answers its last line of output.
fn reseal(dir: &std::path::Path, keys: &str) -> String {
    let out = std::process::Command::new(crate::cluster::harness::BIN)
        .args(["secrets", "reseal", "--data-dir"])
        .arg(dir)
        .env("HOOKD_ENCRYPTION_KEY", keys)
        .env("HOOKD_LOG", "warn")
        .output()
        .expect("run hookd secrets reseal");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .unwrap_or_default()
        .to_owned()
}

/// Stops `node` as an orchestrator does (SIGTERM, so in-flight deliveries are finished or
/// released) and starts it again with its current settings.
fn rolling_restart(node: &mut Node) {
    let (status, _) = node.terminate(PATIENCE);
    assert!(status.success(), "{status:?}");
    node.start_again();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_encryption_key_rotates_while_hookd_serves() {
    let dir = tempfile::tempdir().unwrap();
    let backend = Backend::Sqlite(dir.path().to_owned());
    let mut node = tokio::task::block_in_place(|| {
        Node::start_with("keys", &backend, &[("HOOKD_ENCRYPTION_KEY", KEY_A)])
    });
    let api = Api::new(node.printed_token.as_deref().unwrap());
    let receiver = Receiver::start().await;
    let base = node.url();
    let app_id = setup_app(&api, &base, &receiver, 1).await;
    let endpoint = api
        .get(&format!("{base}/api/v1/app/{app_id}/endpoint"))
        .await["data"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let secret_url = format!("{base}/api/v1/app/{app_id}/endpoint/{endpoint}/secret");
    let secret = api.get(&secret_url).await["key"].clone();

    let send = |n: usize| {
        let (api, base, app_id) = (api.clone(), base.clone(), app_id.clone());
        async move {
            let (progress, _) = watch::channel(0usize);
            publish(&api, &[base], &app_id, n, 2, Arc::new(progress)).await
        }
    };
    let mut sent = send(3).await;

    // Step 1: the new key first, the old one still readable (a rolling restart).
    node.env = vec![("HOOKD_ENCRYPTION_KEY".into(), format!("{KEY_B},{KEY_A}"))];
    tokio::task::block_in_place(|| rolling_restart(&mut node));
    // Step 2: reseal while hookd serves.
    assert_eq!(
        reseal(dir.path(), &format!("{KEY_B},{KEY_A}")),
        "examined 1 endpoints, resealed 1"
    );
    sent.extend(send(3).await);
    // Step 3: the old key is gone.
    node.env = vec![("HOOKD_ENCRYPTION_KEY".into(), KEY_B.into())];
    tokio::task::block_in_place(|| rolling_restart(&mut node));
    assert_eq!(
        api.get(&secret_url).await["key"],
        secret,
        "the same secret, opened with B"
    );
    sent.extend(send(3).await);

    let missing = receiver.wait_all(&sent, 1, PATIENCE).await;
    assert!(missing.is_empty(), "{missing:?}");
    assert_eq!(
        receiver.bad_signatures(),
        0,
        "every delivery signed with the same secret"
    );

    // Without the key the secret cannot be read, and hookd says so instead of signing wrongly.
    node.env = vec![("HOOKD_ENCRYPTION_KEY".into(), KEY_A.into())];
    tokio::task::block_in_place(|| rolling_restart(&mut node));
    let (status, _) = api
        .call(reqwest::Method::GET, &secret_url, None)
        .await
        .unwrap();
    assert_eq!(status, 500);
}
