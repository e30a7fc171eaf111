//! The binary as a user meets it: first start creates and prints one admin token, `token
//! create` prints a new one as its last line, the API answers with those tokens, and bad
//! configuration is refused with a clear message.

use std::{
    process::{Child, Command, Stdio},
    time::Duration,
};

const BIN: &str = env!("CARGO_BIN_EXE_hookd");

struct Server {
    child: Child,
    url: String,
    token: Option<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `hookd serve` and reads its stdout until it says it is listening.
fn serve(data_dir: &std::path::Path) -> Server {
    let port = free_port();
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .arg("--data-dir")
        .arg(data_dir)
        .env("HOOKD_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let token = crate::cluster::harness::read_start(child.stdout.take().unwrap());
    Server {
        child,
        url: format!("http://127.0.0.1:{port}"),
        token,
    }
}

/// A GET with a bearer token, answering the status (0 when no answer came).
fn get(url: &str, token: &str) -> u16 {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        reqwest::Client::new()
            .get(url)
            .bearer_auth(token)
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .map(|r| r.status().as_u16())
            .unwrap_or(0)
    })
}

#[test]
fn first_start_prints_one_admin_token_and_later_starts_do_not() {
    let dir = tempfile::tempdir().unwrap();
    let first = serve(dir.path());
    let token = first.token.clone().expect("first start prints a token");
    assert!(token.starts_with("hk_"), "{token}");
    assert_eq!(get(&format!("{}/api/v1/app", first.url), &token), 200);
    assert_eq!(get(&format!("{}/api/v1/app", first.url), "hk_wrong"), 401);
    assert_eq!(get(&format!("{}/api/v1/health", first.url), ""), 204);
    drop(first);

    let second = serve(dir.path());
    assert!(second.token.is_none(), "a token exists, so none is printed");
    assert_eq!(
        get(&format!("{}/api/v1/app", second.url), &token),
        200,
        "the first token still works"
    );
    assert!(dir.path().join("hookd.db").exists());
}

#[test]
fn token_create_prints_a_working_token_as_its_last_line() {
    let dir = tempfile::tempdir().unwrap();
    drop(serve(dir.path()));
    let (ok, stdout, stderr) = run(dir.path(), &["token", "create"]);
    assert!(ok, "{stderr}");
    let token = stdout.lines().last().unwrap().trim().to_owned();
    assert!(token.starts_with("hk_") && token.len() > 20, "{stdout}");

    let server = serve(dir.path());
    assert!(server.token.is_none(), "an admin token already exists");
    assert_eq!(get(&format!("{}/api/v1/app", server.url), &token), 200);
}

/// A token minted into a database that no server uses works nowhere: a mistyped data
/// directory is refused, naming the path, and nothing is created there.
#[test]
fn token_commands_refuse_a_data_directory_without_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("typo");
    for args in [&["token", "create"][..], &["token", "revoke", "hk_x"][..]] {
        let (ok, stdout, stderr) = run(&missing, args);
        assert!(!ok, "{args:?} succeeded: {stdout}");
        assert!(
            stderr.contains("no hookd database at") && stderr.contains("typo"),
            "{stderr}"
        );
    }
    assert!(
        !missing.exists(),
        "the refused commands created the directory"
    );
}

/// The one token printed at first start is not spent by a start that cannot listen.
#[test]
fn a_start_that_cannot_listen_mints_no_token() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let out = Command::new(BIN)
        .args([
            "serve",
            "--listen",
            &taken.local_addr().unwrap().to_string(),
        ])
        .arg("--data-dir")
        .arg(dir.path())
        .env("HOOKD_LOG", "warn")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("hk_"), "{stdout}");
    let first = serve(dir.path());
    assert!(
        first.token.is_some(),
        "the first start that serves prints the token"
    );
}

#[test]
fn bad_configuration_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .arg("--data-dir")
        .arg(dir.path())
        .env("HOOKD_ALLOWED_NETWORKS", "not-a-network")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("not-a-network") && stderr.contains("CIDR"),
        "{stderr}"
    );
}

/// Runs `hookd <args> --data-dir dir`; answers (success, stdout, stderr).
fn run(dir: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .env("HOOKD_LOG", "warn")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn token_revoke_stops_a_token_working() {
    let dir = tempfile::tempdir().unwrap();
    drop(serve(dir.path()));
    let mint = || {
        let (ok, stdout, stderr) = run(dir.path(), &["token", "create"]);
        assert!(ok, "{stderr}");
        stdout.lines().last().unwrap().trim().to_owned()
    };
    let (kept, revoked) = (mint(), mint());
    let (ok, stdout, stderr) = run(dir.path(), &["token", "revoke", &revoked]);
    assert!(ok, "{stderr}");
    assert!(stdout.starts_with("revoked token "), "{stdout}");
    let server = serve(dir.path());
    assert_eq!(get(&format!("{}/api/v1/app", server.url), &revoked), 401);
    assert_eq!(get(&format!("{}/api/v1/app", server.url), &kept), 200);
    // Revoking again is refused with a reason, not a silent success.
    let (ok, _, stderr) = run(dir.path(), &["token", "revoke", &revoked]);
    assert!(!ok);
    assert!(stderr.contains("no such token"), "{stderr}");
}

/// `token create --role operator --expires-in` mints a read-only token that expires; `token
/// list` shows it by id, role and expiry without its text; `token revoke` takes the id.
#[test]
fn token_roles_are_minted_listed_and_revoked_by_id() {
    let dir = tempfile::tempdir().unwrap();
    drop(serve(dir.path()));
    let (ok, stdout, stderr) = run(
        dir.path(),
        &[
            "token",
            "create",
            "--name",
            "night shift",
            "--role",
            "operator",
            "--expires-in",
            "12h",
        ],
    );
    assert!(ok, "{stderr}");
    let operator = stdout.lines().last().unwrap().trim().to_owned();
    let (ok, list, stderr) = run(dir.path(), &["token", "list"]);
    assert!(ok, "{stderr}");
    assert!(
        !list.contains(&operator),
        "the list shows a token's text:\n{list}"
    );
    let row = list
        .lines()
        .find(|l| l.ends_with("night shift"))
        .unwrap_or_else(|| panic!("no row for the new token:\n{list}"));
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert!(cells[0].starts_with("tok_"), "{row}");
    assert_eq!(cells[1], "operator", "{row}");
    assert!(cells[2].starts_with("20"), "an expiry time: {row}");
    let server = serve(dir.path());
    assert_eq!(get(&format!("{}/api/v1/app", server.url), &operator), 200);
    drop(server);
    let (ok, stdout, stderr) = run(dir.path(), &["token", "revoke", cells[0]]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains(cells[0]), "{stdout}");
    let (_, list, _) = run(dir.path(), &["token", "list"]);
    assert!(!list.contains("night shift"), "{list}");
    let (ok, _, stderr) = run(dir.path(), &["token", "create", "--expires-in", "3w"]);
    assert!(!ok && stderr.contains("unit"), "{stderr}");
}
