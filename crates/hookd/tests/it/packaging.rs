//! What ships beside the binary: the systemd unit in `packaging/` passes `systemd-analyze
//! verify` (with its `ExecStart` pointed at the binary this suite built, since verify checks
//! that the command exists) without a warning, and the repository carries its licence.

use std::{path::Path, process::Command};

const BIN: &str = env!("CARGO_BIN_EXE_hookd");

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

#[test]
fn the_systemd_unit_verifies_cleanly() {
    let analyze = Path::new("/usr/bin/systemd-analyze");
    assert!(
        analyze.exists(),
        "systemd-analyze is missing (Debian's systemd package provides it)"
    );
    let unit = std::fs::read_to_string(root().join("packaging/hookd.service")).unwrap();
    assert!(
        unit.contains("ExecStart=/usr/local/bin/hookd serve"),
        "the unit runs the installed hookd"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hookd.service");
    std::fs::write(&path, unit.replace("/usr/local/bin/hookd", BIN)).unwrap();
    let out = Command::new(analyze)
        .arg("verify")
        .arg(&path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    // verify only warns, and exits 0, for what it ignores (an unknown `Type=`, say).
    let ours: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("hookd.service"))
        .collect();
    assert!(
        ours.is_empty(),
        "systemd-analyze warns about the unit:\n{stderr}"
    );
}

#[test]
fn the_licence_is_the_one_the_crates_declare() {
    let license = std::fs::read_to_string(root().join("LICENSE")).unwrap();
    assert!(license.contains("Apache License") && license.contains("Version 2.0"));
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    assert!(manifest.contains("license = \"Apache-2.0\""));
}
