//! Ties every setting to the places it must show up: its `HOOKD_*` variable (which must set it
//! and nothing else), its row in the README's configuration table (variable, flag and
//! default as the code has them), and the `ServerConfig` fields it sets. A setting added to
//! `Settings` and forgotten in any of these, or a `ServerConfig` field that no setting reaches
//! and that is not declared fixed, fails here.
// figment's `Jail` fixes the closure's error type; its size is not ours to choose.
#![allow(clippy::result_large_err)]

use std::{
    collections::{BTreeMap, BTreeSet},
    fmt::Debug,
};

use hookd_server::config::ServerConfig;

use super::{FlagOverrides, Settings, ENV_PREFIX};

/// The README, whose configuration table lists every setting.
pub(super) const README: &str = include_str!("../../../../README.md");

/// One setting, as this test expects to find it.
pub(super) struct Tie {
    /// The setting's key (the field of `Settings`, the file key).
    pub(super) key: &'static str,
    /// A value other than the default, as its environment variable would give it.
    pub(super) value: &'static str,
    /// The `ServerConfig` fields that value changes. Empty for the settings only the binary
    /// reads: where the store is, the sealing keys, the log filter.
    server: &'static [&'static str],
}

const fn tie(key: &'static str, value: &'static str, server: &'static [&'static str]) -> Tie {
    Tie { key, value, server }
}

/// A valid `encryption_key`: base64 of 32 bytes.
const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// Every setting, in the README's order.
pub(super) const TIES: &[Tie] = &[
    tie("data_dir", "/elsewhere", &[]),
    tie("database_url", "postgres://db.internal/hookd", &[]),
    // The address to bind, and the portal links' base while `public_url` is unset.
    tie("listen", "127.0.0.1:9999", &["public_url"]),
    tie("public_url", "https://hooks.example", &["public_url"]),
    tie("allowed_networks", "10.0.0.0/8", &["allowed_networks"]),
    tie("request_timeout_secs", "7", &["request_timeout"]),
    tie("max_body_bytes", "2048", &["max_body_bytes"]),
    tie("worker_concurrency", "8", &["worker_concurrency"]),
    tie("endpoint_concurrency", "0", &["endpoint_concurrency"]),
    tie("lease_margin_secs", "5", &["lease_margin"]),
    tie("node_name", "node-a", &["node_name"]),
    tie(
        "portal_frame_ancestors",
        "https://vendor.example",
        &["portal_frame_ancestors"],
    ),
    tie(
        "default_retry_policy",
        r#"{"type":"fixed","baseSecs":300,"maxAttempts":13}"#,
        &["default_retry_policy"],
    ),
    tie(
        "endpoint_failure_disable_after_secs",
        "0",
        &["endpoint_failure_disable_after"],
    ),
    tie("payload_retention_days", "30", &["payload_retention"]),
    tie("attempt_retention_days", "7", &["attempt_retention"]),
    tie("audit_retention_days", "30", &["audit_retention"]),
    tie("audit_messages", "true", &["audit_messages"]),
    tie(
        "outbound_proxy",
        "http://proxy.internal:3128",
        &["outbound_proxy"],
    ),
    tie(
        "api_rate_limit_per_token",
        "25",
        &["api_rate_limit_per_token"],
    ),
    tie("api_rate_limit_per_app", "50", &["api_rate_limit_per_app"]),
    tie(
        "auth_failures_per_minute",
        "0",
        &["auth_failures_per_minute"],
    ),
    tie("shutdown_grace_secs", "3", &["shutdown_grace"]),
    tie("encryption_key", KEY, &[]),
    tie(
        "default_signature_type",
        "ed25519",
        &["default_signature_type"],
    ),
    tie("log", "debug", &[]),
    tie("log_format", "json", &[]),
    tie("request_log_level", "off", &["request_log_level"]),
    tie("metrics", "false", &[]),
    tie("metrics_listen", "127.0.0.1:9464", &["metrics_on_api"]),
];

/// The `ServerConfig` fields no setting reaches: they keep the server's documented defaults.
const FIXED: &[&str] = &[
    "response_body_limit",
    "poll_interval",
    "idempotency_ttl",
    "portal_token_ttl",
];

/// The variable that sets `key`.
fn env_var(key: &str) -> String {
    format!("{ENV_PREFIX}{}", key.to_ascii_uppercase())
}

/// The top-level fields of a struct's pretty `Debug` text, each with its text. `ServerConfig`
/// has no `PartialEq` (nor should it grow one for a test) and its derived `Debug` names every
/// field, so this is how the test sees which fields changed without a hand-kept list of them.
fn debug_fields(value: &impl Debug) -> BTreeMap<String, String> {
    let mut fields = BTreeMap::new();
    let mut current = None;
    for line in format!("{value:#?}").lines().skip(1) {
        // A field opens at one level of indentation; deeper lines, and the closing brackets
        // of a value at that level, belong to the field above them.
        let opening = line
            .strip_prefix("    ")
            .filter(|rest| !rest.starts_with(' '))
            .and_then(|rest| rest.split_once(": "));
        match opening {
            Some((name, text)) => {
                fields.insert(name.to_owned(), text.to_owned());
                current = Some(name.to_owned());
            }
            None => {
                if let Some(name) = &current {
                    fields.entry(name.clone()).or_default().push_str(line);
                }
            }
        }
    }
    fields
}

/// The names of the fields whose text differs between two `debug_fields` readings.
fn changed(before: &BTreeMap<String, String>, after: &BTreeMap<String, String>) -> Vec<String> {
    let names: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    names
        .into_iter()
        .filter(|name| before.get(*name) != after.get(*name))
        .cloned()
        .collect()
}

/// Settings as a JSON object, field by field.
fn as_json(settings: &Settings) -> BTreeMap<String, serde_json::Value> {
    serde_json::from_value(serde_json::to_value(settings).unwrap()).unwrap()
}

#[test]
fn every_setting_is_tied_once() {
    let keys = Settings::keys().unwrap();
    let tied: BTreeSet<&str> = TIES.iter().map(|t| t.key).collect();
    assert_eq!(tied.len(), TIES.len(), "a setting is tied twice");
    assert_eq!(
        keys.iter().map(String::as_str).collect::<BTreeSet<_>>(),
        tied,
        "Settings' fields and this test's ties differ"
    );
}

#[test]
fn each_variable_sets_its_setting_and_the_server_fields_tied_to_it() {
    let defaults = Settings::default();
    let server_defaults = debug_fields(&defaults.server_config().unwrap());
    for tie in TIES {
        let var = env_var(tie.key);
        figment::Jail::expect_with(|jail| {
            jail.set_env(&var, tie.value);
            let settings = Settings::load(None, &FlagOverrides::default())
                .map_err(|e| format!("{var}: {e:#}"))?;
            let set: Vec<String> = as_json(&defaults)
                .into_iter()
                .zip(as_json(&settings))
                .filter(|((_, before), (_, after))| before != after)
                .map(|((key, _), _)| key)
                .collect();
            assert_eq!(set, [tie.key], "{var} sets its setting and no other");
            let server = settings
                .server_config()
                .map_err(|e| format!("{var}: {e:#}"))?;
            assert_eq!(
                changed(&server_defaults, &debug_fields(&server)),
                tie.server,
                "the ServerConfig fields {var} sets"
            );
            Ok(())
        });
    }
}

#[test]
fn every_server_config_field_is_set_by_a_setting_or_fixed() {
    let fields: BTreeSet<String> = debug_fields(&ServerConfig::default()).into_keys().collect();
    let set: BTreeSet<String> = TIES
        .iter()
        .flat_map(|t| t.server.iter().map(|f| (*f).to_owned()))
        .collect();
    let fixed: BTreeSet<String> = FIXED.iter().map(|f| (*f).to_owned()).collect();
    assert!(set.is_disjoint(&fixed), "a fixed field is set: {set:?}");
    assert_eq!(
        set.union(&fixed).cloned().collect::<BTreeSet<_>>(),
        fields,
        "ServerConfig's fields, and those the settings set or leave fixed"
    );
    // The settings' defaults are the server's: nothing changes by writing a default down.
    assert_eq!(
        debug_fields(&Settings::default().server_config().unwrap()),
        debug_fields(&ServerConfig::default())
    );
}

/// The README's configuration table, one `(setting cell, flag cell, default cell)` a row.
fn readme_rows() -> Vec<(String, String, String)> {
    let section = README
        .split("\n## Configuration\n")
        .nth(1)
        .expect("the README has a Configuration section");
    let section = section.split("\n## ").next().unwrap_or(section);
    section
        .lines()
        .filter(|line| line.starts_with("| `"))
        .map(|line| {
            let cells: Vec<&str> = line[1..].splitn(4, '|').map(str::trim).collect();
            assert_eq!(cells.len(), 4, "a row of four cells: {line}");
            (cells[0].into(), cells[1].into(), cells[2].into())
        })
        .collect()
}

#[test]
fn the_readme_table_lists_every_setting_as_the_code_has_it() {
    let flags = FlagOverrides {
        data_dir: Some("/d".into()),
        listen: Some("127.0.0.1:1".parse().unwrap()),
        database_url: Some(String::new()),
        public_url: Some(String::new()),
        allowed_networks: Some(String::new()),
    };
    let flags = serde_json::to_value(flags).unwrap();
    let defaults = as_json(&Settings::default());
    let mut listed = Vec::new();
    for (setting, flag, default) in readme_rows() {
        let (key, var) = setting
            .split_once(" / ")
            .unwrap_or_else(|| panic!("`key` / `VARIABLE`: {setting}"));
        let key = key.trim_matches('`');
        assert_eq!(var, format!("`{}`", env_var(key)), "the variable of {key}");
        let expected_flag = match flags.get(key) {
            Some(_) => format!("`--{}`", key.replace('_', "-")),
            None => String::new(),
        };
        assert_eq!(flag, expected_flag, "the flag of {key}");
        let shown = match defaults.get(key) {
            Some(serde_json::Value::String(s)) => Some(s.clone()),
            Some(serde_json::Value::Number(n)) => Some(n.to_string()),
            // An absent value or an empty list: the README says in words what happens then.
            _ => None,
        };
        if let Some(shown) = shown {
            assert!(
                default.starts_with(&format!("`{shown}`")),
                "the README gives {key} the default {default}, the code `{shown}`"
            );
        }
        listed.push(key.to_owned());
    }
    let mut sorted = listed.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), listed.len(), "a setting is listed twice");
    assert_eq!(sorted, Settings::keys().unwrap(), "the README's settings");
    assert_eq!(
        listed,
        TIES.iter().map(|t| t.key).collect::<Vec<_>>(),
        "this test's ties are in the README's order"
    );
}
