//! The README's shell blocks, run as a reader runs them, so that the first hour cannot break
//! unnoticed again: every ```` ```sh ```` block, in order, in one bash session (variables one
//! block sets are there in the next), in a fresh directory, with the `hookd` this suite built
//! first on `PATH`. The text after `sh` in a block's fence says how it runs:
//!
//! - nothing: in the foreground; a failing command fails the test (`set -euo pipefail`);
//! - `background`: started and left running (a server, a receiver), and the next block starts
//!   once every `127.0.0.1:PORT` the block names accepts connections;
//! - `not-run: why`: shown to readers only, with the reason, which must be given.
//!
//! After a block, `<!-- readme-test: expect "TEXT" -->` (TEXT a JSON string) waits until some
//! background block has printed TEXT. The blocks use the README's own ports (8071, 9000), so
//! the test first checks that nothing else holds them, and says so if something does.

use std::{
    fmt::Write as _,
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Command, Stdio},
};

const BIN: &str = env!("CARGO_BIN_EXE_hookd");

/// How long an expectation may wait for its output: a delivery takes milliseconds, a start of
/// hookd well under a second; the slack is for a loaded CI machine.
const EXPECT_TIMEOUT_SECS: u32 = 60;

#[derive(Debug, PartialEq)]
enum Mode {
    Run,
    Background,
    NotRun,
}

#[derive(Debug)]
struct Block {
    line: usize,
    mode: Mode,
    code: String,
    expects: Vec<String>,
}

/// The README's `sh` blocks with their modes and expectations.
fn blocks(readme: &str) -> Vec<Block> {
    let mut blocks: Vec<Block> = Vec::new();
    let mut lines = readme.lines().enumerate();
    while let Some((n, line)) = lines.next() {
        if let Some(expect) = line
            .strip_prefix("<!-- readme-test: expect ")
            .and_then(|rest| rest.strip_suffix(" -->"))
        {
            let text: String = serde_json::from_str(expect)
                .unwrap_or_else(|e| panic!("README.md:{}: expect needs a JSON string: {e}", n + 1));
            blocks
                .last_mut()
                .unwrap_or_else(|| panic!("README.md:{}: expect before any block", n + 1))
                .expects
                .push(text);
            continue;
        }
        let Some(info) = line.strip_prefix("```sh") else {
            continue;
        };
        let info = info.trim();
        let mode = match info {
            "" => Mode::Run,
            "background" => Mode::Background,
            _ => match info.strip_prefix("not-run:") {
                Some(why) if !why.trim().is_empty() => Mode::NotRun,
                _ => panic!(
                    "README.md:{}: a sh block is plain, `background` or `not-run: why`, not {info:?}",
                    n + 1
                ),
            },
        };
        let mut code = String::new();
        for (_, line) in lines.by_ref() {
            if line.starts_with("```") {
                break;
            }
            code.push_str(line);
            code.push('\n');
        }
        blocks.push(Block {
            line: n + 1,
            mode,
            code,
            expects: Vec::new(),
        });
    }
    blocks
}

/// The ports a block names as `127.0.0.1:PORT`.
fn ports(code: &str) -> Vec<u16> {
    code.split("127.0.0.1:")
        .skip(1)
        .filter_map(|rest| {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
        .collect()
}

/// Helpers the generated script calls between blocks: waiting for a port to accept
/// connections and for background output to contain a text, each with a deadline.
fn prelude(logs: &Path) -> String {
    format!(
        r#"set -euo pipefail
LOGS={logs}
trap 'echo "README test: the block above failed" >&2' ERR
wait_for_port() {{
  local deadline=$((SECONDS + {EXPECT_TIMEOUT_SECS}))
  until (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; do
    if (( SECONDS >= deadline )); then echo "README test: nothing listens on 127.0.0.1:$1" >&2; return 1; fi
    sleep 0.05
  done
}}
expect_output() {{
  local deadline=$((SECONDS + {EXPECT_TIMEOUT_SECS}))
  until cat "$LOGS"/bg-*.log 2>/dev/null | grep -qF -- "$1"; do
    if (( SECONDS >= deadline )); then echo "README test: no background block printed: $1" >&2; return 1; fi
    sleep 0.05
  done
}}
"#,
        logs = logs.display()
    )
}

/// One bash script running every block that runs, in order.
fn script(blocks: &[Block], logs: &Path) -> String {
    let mut script = prelude(logs);
    for (i, block) in blocks.iter().enumerate() {
        if block.mode == Mode::NotRun {
            continue;
        }
        writeln!(
            script,
            "echo '== README.md:{} ({:?})'",
            block.line, block.mode
        )
        .unwrap();
        match block.mode {
            Mode::Run => script.push_str(&block.code),
            Mode::Background => {
                writeln!(script, "(\n{}) > \"$LOGS/bg-{i}.log\" 2>&1 &", block.code).unwrap();
                for port in ports(&block.code) {
                    writeln!(script, "wait_for_port {port}").unwrap();
                }
            }
            Mode::NotRun => unreachable!(),
        }
        for text in &block.expects {
            writeln!(script, "expect_output {}", shell_quote(text)).unwrap();
        }
    }
    script
}

fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

fn readme() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn the_readme_shell_blocks_run_as_written() {
    let blocks = blocks(&readme());
    assert!(
        blocks.iter().any(|b| b.mode == Mode::Run),
        "the README has no block this test runs"
    );
    let mut needed: Vec<u16> = blocks
        .iter()
        .filter(|b| b.mode != Mode::NotRun)
        .flat_map(|b| ports(&b.code))
        .collect();
    needed.sort_unstable();
    needed.dedup();
    for port in &needed {
        assert!(
            TcpListener::bind(("127.0.0.1", *port)).is_ok(),
            "the README's blocks use 127.0.0.1:{port}, which something else holds: stop it and \
             run again"
        );
    }

    let dir = tempfile::TempDir::new().unwrap();
    let (home, bin, logs) = (
        dir.path().join("work"),
        dir.path().join("bin"),
        dir.path().join("logs"),
    );
    for d in [&home, &bin, &logs] {
        std::fs::create_dir(d).unwrap();
    }
    std::os::unix::fs::symlink(BIN, bin.join("hookd")).unwrap();
    let path = std::env::join_paths(
        std::iter::once(bin.clone())
            .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();
    let script = script(&blocks, &logs);
    let mut command = Command::new("bash");
    command
        .arg("-c")
        .arg(&script)
        .current_dir(&home)
        .env("PATH", path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // A reader's shell has no hookd settings in its environment; nor does this one.
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("HOOKD_") {
            command.env_remove(key);
        }
    }
    {
        use std::os::unix::process::CommandExt as _;
        // Its own process group, so that everything the blocks started goes with it.
        command.process_group(0);
    }
    let child = command.spawn().unwrap();
    let group = child.id();
    let output = child.wait_with_output().unwrap();
    // Background blocks are still running: end the group.
    let _ = Command::new("kill")
        .args(["-TERM", "--", &format!("-{group}")])
        .status();
    let background: String = background_logs(&logs);
    assert!(
        output.status.success(),
        "the README's blocks failed\n--- stdout\n{}\n--- stderr\n{}\n--- background blocks\n{background}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
}

fn background_logs(dir: &Path) -> String {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| {
            format!(
                "{}:\n{}",
                f.display(),
                std::fs::read_to_string(f).unwrap_or_default()
            )
        })
        .collect()
}

#[test]
fn block_modes_and_expectations_are_read_from_the_fences() {
    let blocks = blocks(
        "```sh\na\n```\n<!-- readme-test: expect \"x \\\"y\\\"\" -->\n```sh background\nb 127.0.0.1:80\n```\n```sh not-run: slow\nc\n```\n```json\n{}\n```\n",
    );
    assert_eq!(
        blocks
            .iter()
            .map(|b| (&b.mode, b.code.as_str(), b.expects.clone()))
            .collect::<Vec<_>>(),
        vec![
            (&Mode::Run, "a\n", vec!["x \"y\"".to_owned()]),
            (&Mode::Background, "b 127.0.0.1:80\n", vec![]),
            (&Mode::NotRun, "c\n", vec![]),
        ]
    );
    assert_eq!(
        ports("x 127.0.0.1:8071 y http://127.0.0.1:9000/z"),
        vec![8071, 9000]
    );
}

#[test]
#[should_panic(expected = "not-run: why")]
fn a_block_not_run_must_say_why() {
    blocks("```sh not-run:\nx\n```\n");
}
