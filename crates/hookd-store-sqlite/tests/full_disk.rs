//! The SQLite store on a really full filesystem: writes fail as `Unavailable` (never as a bug
//! that poisons the store), nothing committed is lost, and once space returns the same store,
//! without reopening, writes, claims and completes again.
//!
//! The filesystem is a small tmpfs that the test mounts in a mount namespace of its own: the
//! test re-runs itself under `unshare --mount --map-root-user`, whose child mounts the tmpfs
//! over a temporary directory and then runs the body. Nothing outside that child sees the
//! mount. This file must not simulate the full disk (a failing double is what the other tests
//! use); the point is SQLite's own behaviour when `write` answers `ENOSPC`.

use std::{collections::HashSet, io::Write, path::Path, process::Command};

use hookd_core::{
    delivery::Transition,
    id::MsgId,
    store::{Store, StoreError},
};
use hookd_store_conformance::fixture::{Fixture, LEASE};
use hookd_store_sqlite::SqliteStore;

/// Set (to the mounted directory) in the child that runs inside the namespace.
const INSIDE: &str = "HOOKD_TEST_FULL_DISK_DIR";

/// This test's name, for re-running exactly it in the child.
const TEST_NAME: &str = "a_full_disk_fails_writes_as_unavailable_and_the_store_recovers_by_itself";

/// The tmpfs: room for the schema and a few hundred messages, small enough to fill at once.
const TMPFS_SIZE: &str = "size=8m";

/// Payload of each message: large, so that the space left after the filler is used up within
/// a few hundred publishes.
const PAYLOAD_BYTES: usize = 4096;

/// Publishes that may still succeed after the filesystem is full (the WAL and the database's
/// free pages hold some slack); more means the disk never appeared full and the test is wrong.
const MAX_PUBLISHES_WHILE_FULL: usize = 20_000;

#[test]
fn a_full_disk_fails_writes_as_unavailable_and_the_store_recovers_by_itself() {
    if let Some(dir) = std::env::var_os(INSIDE) {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(inside(Path::new(&dir)));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new("unshare")
        .args(["--mount", "--map-root-user", "sh", "-c"])
        .arg(format!(
            "mount -t tmpfs -o {TMPFS_SIZE} hookd-full-disk \"$0\" && exec \"$@\""
        ))
        .arg(dir.path())
        .arg(std::env::current_exe().unwrap())
        .args(["--exact", TEST_NAME, "--nocapture", "--test-threads", "1"])
        .env(INSIDE, dir.path())
        .output()
        .expect("run unshare (util-linux) to get a mount namespace with a small tmpfs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "the test inside the mount namespace failed or did not run ({}):\n{stdout}\n{stderr}",
        out.status
    );
}

/// Fills the filesystem holding `path` by writing `path` until the write fails for want of
/// space.
fn fill(path: &Path) {
    let mut file = std::fs::File::create(path).unwrap();
    let chunk = vec![0u8; 64 * 1024];
    loop {
        if let Err(err) = file.write_all(&chunk) {
            assert_eq!(err.kind(), std::io::ErrorKind::StorageFull, "{err}");
            break;
        }
    }
    // What a partial chunk could not take, one page at a time, so no page is left free.
    while file.write_all(&chunk[..4096]).is_ok() {}
}

async fn inside(dir: &Path) {
    let store = SqliteStore::open(&dir.join("hookd.db")).await.unwrap();
    let store: &dyn Store = &store;
    let mut fx = Fixture::new();
    let app = fx.create_app(store).await;
    fx.create_endpoint(store, &app.id).await;
    let payload = format!(r#"{{"pad":"{}"}}"#, "x".repeat(PAYLOAD_BYTES));
    let mut acknowledged: HashSet<MsgId> = HashSet::new();
    let publish = |fx: &mut Fixture| {
        let mut msg = fx.message(&app.id, "disk.full");
        msg.payload = Some(payload.clone());
        msg
    };
    for _ in 0..10 {
        let msg = publish(&mut fx);
        store.create_message(&msg, None).await.unwrap();
        acknowledged.insert(msg.id);
    }

    let filler = dir.join("filler");
    fill(&filler);

    // Publishes succeed while slack lasts, then fail, as unavailable: a failure the caller
    // may retry, not a bug.
    let mut refusals = 0;
    for _ in 0..MAX_PUBLISHES_WHILE_FULL {
        let msg = publish(&mut fx);
        match store.create_message(&msg, None).await {
            Ok(_) => {
                acknowledged.insert(msg.id);
            }
            Err(StoreError::Unavailable(err)) => {
                println!("publish on a full disk: unavailable ({err})");
                refusals += 1;
                // A second and third refusal show the first did not leave the store in a
                // state that fails differently.
                if refusals == 3 {
                    break;
                }
            }
            Err(other) => panic!("a full disk must fail a publish as unavailable: {other:?}"),
        }
    }
    assert_eq!(refusals, 3, "the filesystem never filled");

    // Claims on the full disk succeed or are unavailable, never anything else.
    let token = fx.lease_token();
    match store.claim_due(&fx.claim_request(&token, 5)).await {
        Ok(_) => {
            if let Err(err) = store.release_claims(&token, fx.now()).await {
                assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
            }
        }
        Err(err) => assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}"),
    }

    // Space returns: the same store, not reopened, takes writes again at once.
    std::fs::remove_file(&filler).unwrap();
    for _ in 0..10 {
        let msg = publish(&mut fx);
        store
            .create_message(&msg, None)
            .await
            .expect("a publish once space has returned");
        acknowledged.insert(msg.id);
    }

    // Every acknowledged message's delivery is still there to claim, and completes (past
    // the lease of the claim above, in case its release was refused).
    fx.advance(LEASE + chrono::Duration::seconds(1));
    let mut claimed_msgs = HashSet::new();
    loop {
        let claimed = fx.claim(store, 100).await;
        if claimed.is_empty() {
            break;
        }
        for c in &claimed {
            let (_, held) = fx
                .attempt_and_complete(store, c, 200, Transition::Succeeded)
                .await;
            assert!(held);
            claimed_msgs.insert(c.delivery.msg_id.clone());
        }
    }
    let lost: Vec<_> = acknowledged.difference(&claimed_msgs).collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    println!(
        "full disk: {} messages acknowledged, {refusals} refused as unavailable, 0 lost",
        acknowledged.len()
    );
}
