//! The shapes a setting's value may take beyond plain numbers and strings: a list given as a
//! TOML array or as comma-separated text, a secret kept out of `Debug`, a retry policy given as
//! a table or as JSON text. Each only reads its value; checking it against what the server
//! accepts is `server.rs`'s job.

use anyhow::Context as _;
use hookd_core::retry::RetryPolicy;
use serde::{Deserialize, Serialize};

/// A list given either as a TOML array or as one comma-separated string (environment).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum StringList {
    /// `["a", "b"]`
    List(Vec<String>),
    /// `"a,b"`
    Joined(String),
}

impl Default for StringList {
    fn default() -> Self {
        Self::List(Vec::new())
    }
}

impl StringList {
    pub(super) fn items(&self) -> Vec<String> {
        match self {
            Self::List(v) => v
                .iter()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect(),
            Self::Joined(s) => s
                .split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect(),
        }
    }
}

/// The encryption key setting, kept out of `Debug` output (and so out of any log line or
/// error that prints the settings).
#[derive(Clone, Serialize, Deserialize, PartialEq)]
#[serde(transparent)]
pub struct KeySetting(pub String);

impl std::fmt::Debug for KeySetting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeySetting(<redacted>)")
    }
}

/// A retry policy given as a table (config file) or as JSON text (environment, flags).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum RetryPolicySetting {
    /// `[default_retry_policy]` in TOML.
    Table(RetryPolicy),
    /// `HOOKD_DEFAULT_RETRY_POLICY='{"type":"fixed","baseSecs":300,"maxAttempts":13}'`.
    Json(String),
}

impl RetryPolicySetting {
    pub(super) fn policy(&self) -> anyhow::Result<RetryPolicy> {
        let policy = match self {
            Self::Table(p) => p.clone(),
            Self::Json(text) => serde_json::from_str(text)
                .context("default_retry_policy is not a valid retry policy")?,
        };
        let problems = policy.validate(&["default_retry_policy"]);
        if let Some(first) = problems.first() {
            anyhow::bail!("{}: {}", first.loc.join("."), first.msg);
        }
        Ok(policy)
    }
}

/// How log lines are written: `text` for people (coloured only on a terminal), `json` for
/// log shippers (one object per line).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// The level of the one line per API request, or `off`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum RequestLogLevel {
    Off,
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

impl RequestLogLevel {
    /// As the server takes it: `None` for off.
    pub(super) fn level(self) -> Option<tracing::Level> {
        match self {
            Self::Off => None,
            Self::Error => Some(tracing::Level::ERROR),
            Self::Warn => Some(tracing::Level::WARN),
            Self::Info => Some(tracing::Level::INFO),
            Self::Debug => Some(tracing::Level::DEBUG),
            Self::Trace => Some(tracing::Level::TRACE),
        }
    }
}
