//! hookd as its users run it at scale: real `hookd serve` processes sharing a database, killed
//! with SIGKILL mid-delivery and restarted, while messages are published through the API and a
//! local receiver counts every request. The promise under test: every publish that was
//! answered 2xx is delivered to every endpoint, with valid signatures; duplicates (allowed by
//! at-least-once) stay within what was in flight when a process died.

pub(crate) mod harness;

use std::time::Duration;

use harness::{
    publish, recorded_attempts, setup_app, Api, Backend, Node, Receiver, TestDatabase,
    WORKER_CONCURRENCY,
};

/// Endpoints per application: each message fans out to all of them.
const ENDPOINTS: usize = 3;
/// Long enough for leases of killed processes to expire and their deliveries to be redone,
/// with a wide margin for a slow CI machine.
const DELIVERY_DEADLINE: Duration = Duration::from_secs(90);

/// The shared shape of every kill run: start `nodes`, publish `messages` to the nodes at
/// `publish_to`, and each time the publisher has been acknowledged another share of the
/// messages, SIGKILL and restart the node at `victim` (so kills land while publishing and
/// delivering). Then wait until every acknowledged message reached every endpoint.
async fn kill_run(
    label: &str,
    backend: Backend,
    nodes: usize,
    publish_to: &[usize],
    victim: usize,
    messages: usize,
    kills: u64,
) {
    let mut cluster: Vec<Node> = tokio::task::block_in_place(|| {
        (0..nodes)
            .map(|i| Node::start(&format!("node{i}"), &backend))
            .collect()
    });
    let token = cluster
        .iter()
        .find_map(|n| n.printed_token.clone())
        .expect("a first start prints a token");
    let api = Api::new(&token);
    let receiver = Receiver::start().await;
    let app_id = setup_app(&api, &cluster[0].url(), &receiver, ENDPOINTS).await;

    let started = std::time::Instant::now();
    let (progress_tx, mut progress) = tokio::sync::watch::channel(0usize);
    let progress_tx = std::sync::Arc::new(progress_tx);
    let publisher = {
        let targets: Vec<String> = publish_to.iter().map(|i| cluster[*i].url()).collect();
        let (api, app_id) = (api.clone(), app_id.clone());
        tokio::spawn(
            async move { publish(&api, &targets, &app_id, messages, 16, progress_tx).await },
        )
    };
    for k in 1..=kills {
        let share = messages * k as usize / (kills as usize + 1);
        tokio::time::timeout(DELIVERY_DEADLINE, progress.wait_for(|n| *n >= share))
            .await
            .unwrap()
            .unwrap();
        tokio::task::block_in_place(|| cluster[victim].restart());
    }
    let accepted = publisher.await.unwrap();
    let published_in = started.elapsed();
    assert_eq!(
        accepted.len(),
        messages,
        "every publish is eventually acknowledged"
    );

    let missing = receiver
        .wait_all(&accepted, ENDPOINTS, DELIVERY_DEADLINE)
        .await;
    let delivered_in = started.elapsed();
    let duplicates = receiver.duplicates();
    println!(
        "{label}: {} acknowledged messages x {ENDPOINTS} endpoints on {nodes} process(es), {kills} kills, {} missing, {duplicates} duplicates ({:.1} per kill); published in {:.1} s, delivered in {:.1} s",
        accepted.len(),
        missing.len(),
        duplicates as f64 / kills.max(1) as f64,
        published_in.as_secs_f64(),
        delivered_in.as_secs_f64()
    );
    assert!(
        missing.is_empty(),
        "acknowledged messages were not delivered: {:?}",
        &missing[..missing.len().min(5)]
    );
    assert_eq!(receiver.bad_signatures(), 0);
    assert!(
        duplicates <= kills * WORKER_CONCURRENCY as u64,
        "{duplicates} duplicates exceed what {kills} kills could have left in flight"
    );

    // No attempt is recorded twice for one HTTP request: per pair, the answered attempts on
    // record never outnumber the requests the receiver saw (an attempt without an answer may
    // be a connection that never reached the receiver, under load, so it cannot be matched).
    // The attempts are read first and the receiver's counts after, so a request still
    // arriving cannot make the check unfair. Without kills every request is recorded, so
    // once the last completions are written the attempts on record cover every request;
    // over HTTP there is no signal for that, so this polls the API with a deadline.
    let deadline = std::time::Instant::now() + DELIVERY_DEADLINE;
    loop {
        let recorded = recorded_attempts(&api, &cluster[0].url(), &app_id, ENDPOINTS).await;
        let requests = receiver.requests();
        let mut all_recorded = true;
        for (pair, seen) in &requests {
            let on_record = recorded.get(pair).copied().unwrap_or_default();
            assert!(
                on_record.answered <= *seen,
                "{pair:?}: {} answered attempts recorded for {seen} requests",
                on_record.answered
            );
            all_recorded &= on_record.all >= *seen;
        }
        if kills > 0 || all_recorded {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "some requests were never recorded as attempts"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_every_request_is_recorded_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    kill_run(
        "sqlite run without kills",
        Backend::Sqlite(dir.path().to_owned()),
        1,
        &[0],
        0,
        500,
        0,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_process_killed_while_publishing_and_delivering_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    kill_run(
        "sqlite kill run",
        Backend::Sqlite(dir.path().to_owned()),
        1,
        &[0],
        0,
        1500,
        2,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_three_processes_share_the_work_and_record_every_request_once() {
    let db = TestDatabase::create("share");
    kill_run(
        "postgres, 3 processes, no kills",
        Backend::Postgres(db.url.clone()),
        3,
        &[0, 1, 2],
        0,
        3000,
        0,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_killing_a_delivering_process_loses_nothing() {
    let db = TestDatabase::create("killworker");
    kill_run(
        "postgres, 3 processes, worker node killed",
        Backend::Postgres(db.url.clone()),
        3,
        &[0, 1],
        2,
        3000,
        3,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_killing_the_process_that_takes_publishes_loses_no_acknowledged_message() {
    let db = TestDatabase::create("killpublisher");
    kill_run(
        "postgres, 3 processes, publishing node killed",
        Backend::Postgres(db.url.clone()),
        3,
        &[0],
        0,
        3000,
        3,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_concurrent_first_starts_create_exactly_one_admin_token() {
    let db = TestDatabase::create("bootstrap");
    let backend = Backend::Postgres(db.url.clone());
    let nodes: Vec<Node> = tokio::task::block_in_place(|| {
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..3)
                .map(|i| {
                    let backend = backend.clone();
                    scope.spawn(move || Node::start(&format!("boot{i}"), &backend))
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        })
    });
    let tokens: Vec<&String> = nodes
        .iter()
        .filter_map(|n| n.printed_token.as_ref())
        .collect();
    assert_eq!(
        tokens.len(),
        1,
        "exactly one process creates and prints the first admin token"
    );
    let api = Api::new(tokens[0]);
    for node in &nodes {
        api.get(&format!("{}/api/v1/app", node.url())).await;
    }
}
