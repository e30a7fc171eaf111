//! A real `hookd serve` on SQLite whose data directory fills up: publishes are refused with a
//! retryable 503 and `Retry-After` (never a 500), nothing acknowledged is lost, and once space
//! is freed hookd publishes and delivers again by itself, without a restart.
//!
//! The data directory is a small tmpfs that only the hookd process sees: it runs under
//! `unshare --mount --map-root-user`, which mounts the tmpfs over a temporary directory in a
//! mount namespace of its own before starting hookd. The test reaches into that mount through
//! `/proc/<pid>/root` to fill it and free it again. This file must not fake the full disk.

use std::{collections::HashSet, ffi::OsString, io::Write, path::Path, time::Duration};

use serde_json::{json, Value};

use crate::cluster::harness::{setup_app, Api, Backend, Node, Receiver};

/// How long a test waits for something that should take a few seconds before it fails.
const PATIENCE: Duration = Duration::from_secs(60);

/// The data directory's filesystem: room for the schema and some messages.
const TMPFS_SIZE: &str = "size=16m";

/// Payload padding per message, so that the slack left in the WAL and the database's free
/// pages after the filler is used up within a few hundred publishes.
const PAYLOAD_BYTES: usize = 16 * 1024;

/// Publishes that may still be accepted after the filesystem is full; reaching it means the
/// disk never appeared full and the test is wrong.
const MAX_PUBLISHES_WHILE_FULL: usize = 5_000;

/// Space the filler leaves free at first: hookd fills it itself, with publishes accepted and
/// deliveries claimed while the disk runs out, the moment most likely to lose something.
const SLACK_BYTES: u64 = 512 * 1024;

/// Fills the filesystem holding `path` by writing `path` until no page is left, then gives
/// back [`SLACK_BYTES`].
fn fill(path: &Path) {
    let mut file = std::fs::File::create(path).unwrap();
    let chunk = vec![0u8; 64 * 1024];
    while file.write_all(&chunk).is_ok() {}
    while file.write_all(&chunk[..4096]).is_ok() {}
    let err = file.write_all(&chunk[..4096]).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::StorageFull, "{err}");
    let len = file.metadata().unwrap().len();
    file.set_len(len - SLACK_BYTES).unwrap();
}

/// Records an accepted publish's message id.
fn accept(acknowledged: &mut HashSet<String>, v: &Value) {
    acknowledged.insert(v["id"].as_str().unwrap().to_owned());
}

/// One publish: its status, `Retry-After` and body.
async fn publish_one(
    http: &reqwest::Client,
    token: &str,
    url: &str,
    n: usize,
) -> (u16, Option<String>, Value) {
    let body = json!({
        "eventType": "disk.full",
        "eventId": format!("evt-{n}"),
        "payload": {"n": n, "pad": "x".repeat(PAYLOAD_BYTES)},
    });
    let resp = http
        .post(url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("hookd answers on a full disk");
    let status = resp.status().as_u16();
    let retry_after = resp
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    let text = resp.text().await.unwrap();
    (
        status,
        retry_after,
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_answers_503_loses_nothing_and_recovers_by_itself() {
    let dir = tempfile::tempdir().unwrap();
    let wrapper: Vec<OsString> = vec![
        "unshare".into(),
        "--mount".into(),
        "--map-root-user".into(),
        "sh".into(),
        "-c".into(),
        format!("mount -t tmpfs -o {TMPFS_SIZE} hookd-full-disk \"$1\" && shift && exec \"$@\"")
            .into(),
        "sh".into(),
        dir.path().into(),
    ];
    let backend = Backend::Sqlite(dir.path().to_owned());
    let node = tokio::task::block_in_place(|| Node::start_wrapped("disk", &backend, wrapper));
    let token = node
        .printed_token
        .clone()
        .expect("hookd started inside its mount namespace (needs util-linux unshare)");
    // The data directory as the hookd process sees it: the tmpfs.
    let data = Path::new("/proc")
        .join(node.pid().to_string())
        .join("root")
        .join(dir.path().strip_prefix("/").unwrap());
    let api = Api::new(&token);
    let receiver = Receiver::start().await;
    let base = node.url();
    let app_id = setup_app(&api, &base, &receiver, 1).await;
    let url = format!("{base}/api/v1/app/{app_id}/msg");
    let http = reqwest::Client::builder()
        .timeout(PATIENCE)
        .build()
        .unwrap();
    let mut acknowledged = HashSet::new();
    let mut n = 0;
    for _ in 0..5 {
        n += 1;
        let (status, _, v) = publish_one(&http, &token, &url, n).await;
        assert_eq!(status, 202, "{v}");
        accept(&mut acknowledged, &v);
    }

    let filler = data.join("filler");
    tokio::task::block_in_place(|| fill(&filler));

    // Accepted while the slack lasts, then refused: 503 in Svix's shape, with Retry-After.
    let before_full = acknowledged.len();
    let mut refusals = 0;
    for _ in 0..MAX_PUBLISHES_WHILE_FULL {
        n += 1;
        let (status, retry_after, v) = publish_one(&http, &token, &url, n).await;
        match status {
            202 => accept(&mut acknowledged, &v),
            503 => {
                assert_eq!(v["code"], "service_unavailable", "{v}");
                assert!(v["detail"].is_string(), "{v}");
                let secs: u64 = retry_after
                    .as_deref()
                    .expect("a 503 carries Retry-After")
                    .parse()
                    .expect("Retry-After in seconds");
                assert!(secs >= 1);
                refusals += 1;
                if refusals == 3 {
                    break;
                }
            }
            other => panic!("a publish on a full disk answered {other}: {v}"),
        }
    }
    assert_eq!(refusals, 3, "the filesystem never filled");
    // The metrics show the outage: the engine's writes failed as unavailable.
    let metrics = http
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let failed_writes: f64 = metrics
        .lines()
        .find(|l| {
            l.starts_with("hookd_store_errors_total{")
                && l.contains("operation=\"create_messages\"")
                && l.contains("kind=\"unavailable\"")
        })
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no create_messages errors counted:\n{metrics}"));
    assert!(failed_writes >= 1.0, "{failed_writes}");
    println!(
        "full disk: {} publishes accepted while it filled, then 503 with Retry-After",
        acknowledged.len() - before_full
    );

    // Space returns: every publish is accepted again at once, by the same process.
    std::fs::remove_file(&filler).unwrap();
    for _ in 0..10 {
        n += 1;
        let (status, _, v) = publish_one(&http, &token, &url, n).await;
        assert_eq!(status, 202, "a publish once space has returned: {v}");
        accept(&mut acknowledged, &v);
    }

    // And every acknowledged message arrives.
    let missing = receiver.wait_all(&acknowledged, 1, PATIENCE).await;
    assert!(
        missing.is_empty(),
        "acknowledged but never delivered: {missing:?}"
    );
    assert_eq!(receiver.bad_signatures(), 0);
    println!(
        "full disk recovered without restart: {} messages acknowledged, 0 lost, {} duplicates",
        acknowledged.len(),
        receiver.duplicates()
    );
    drop(node);
}
