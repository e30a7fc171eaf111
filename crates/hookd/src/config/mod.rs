//! The binary's configuration, layered as documented in the README: built-in defaults, then an
//! optional TOML file (`--config` / `HOOKD_CONFIG`), then `HOOKD_*` environment variables, then
//! command-line flags. This module only reads and validates settings; it opens nothing.
//!
//! Each setting is declared once, as a field of [`Settings`] (its doc) with its value in
//! `Settings::default()`; its file key is the field's name and its environment variable is
//! derived from that name ([`Settings::keys`]). `server.rs` turns settings into the
//! `ServerConfig` the server runs with, `values.rs` holds the shapes a value may take, and
//! `ties.rs` holds every setting to its variable, its README row and its `ServerConfig` fields.

#[cfg(test)]
mod example;
mod server;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod ties;
mod values;

use std::{net::SocketAddr, path::PathBuf};

use anyhow::Context as _;
use figment::{
    providers::{Env, Format, Serialized, Toml},
    Figment, Profile, Provider as _,
};
use hookd_core::signing::SignatureType;
use hookd_server::{config::ServerConfig, ratelimit::RateLimit};
use serde::{Deserialize, Serialize};

use self::server::days;
pub use self::values::{KeySetting, LogFormat, RequestLogLevel, RetryPolicySetting, StringList};

/// The prefix of the environment variables that set settings: `HOOKD_LISTEN` sets `listen`.
/// Other `HOOKD_*` variables (such as `HOOKD_CONFIG`, which names the file) are not settings
/// and are left alone.
const ENV_PREFIX: &str = "HOOKD_";

/// Every setting; `Default` below gives each its default.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Where the embedded SQLite database lives.
    pub data_dir: PathBuf,
    /// Where the API listens.
    pub listen: SocketAddr,
    /// A database URL; empty means the embedded SQLite file in `data_dir`.
    pub database_url: Option<String>,
    /// The URL users reach this server under (for portal links); defaults to `http://{listen}`.
    pub public_url: Option<String>,
    /// CIDRs that deliveries may reach although they are internal.
    pub allowed_networks: StringList,
    /// Seconds a receiver may take to answer.
    pub request_timeout_secs: u64,
    /// Largest request body accepted by the API.
    pub max_body_bytes: usize,
    /// Concurrent deliveries in this process.
    pub worker_concurrency: usize,
    /// Requests to one endpoint in flight in this process at most; 0 for no bound.
    pub endpoint_concurrency: usize,
    /// Seconds a lease outlives the HTTP timeout.
    pub lease_margin_secs: u64,
    /// This process's name in leases and logs.
    pub node_name: Option<String>,
    /// Origins whose pages may embed the tenant portal in a frame (besides hookd's own).
    pub portal_frame_ancestors: StringList,
    /// The retry policy of endpoints that set none (docs/extensions.md's `retryPolicy`
    /// object, as a TOML table or as JSON text); absent means Svix's schedule.
    pub default_retry_policy: Option<RetryPolicySetting>,
    /// Seconds every attempt to an endpoint must have failed before it is disabled; 0 never.
    pub endpoint_failure_disable_after_secs: u64,
    /// Days a message's payload is kept when it sets no `payloadRetentionPeriod`.
    pub payload_retention_days: u32,
    /// Days attempts are kept.
    pub attempt_retention_days: u32,
    /// Days audit log entries are kept.
    pub audit_retention_days: u32,
    /// Whether publishing a message is recorded in the audit log too.
    pub audit_messages: bool,
    /// An HTTP proxy URL every delivery goes through.
    pub outbound_proxy: Option<String>,
    /// Requests per second one API token may make; 0 is unlimited.
    pub api_rate_limit_per_token: u32,
    /// Requests per second addressed to one application; 0 is unlimited.
    pub api_rate_limit_per_app: u32,
    /// Failed authentications per minute one client address may make; 0 is unlimited.
    pub auth_failures_per_minute: u32,
    /// Seconds a SIGTERM waits for in-flight deliveries before releasing them.
    pub shutdown_grace_secs: u64,
    /// Keys that seal endpoint secrets at rest: base64 of 32 bytes each, comma-separated, the
    /// primary (sealing) key first. Absent stores secrets as plain text.
    pub encryption_key: Option<KeySetting>,
    /// The kind of secret a new endpoint gets when its creator gives none: `hmac` (Svix's
    /// `hmac256` is read too) or `ed25519`.
    pub default_signature_type: SignatureType,
    /// Log filter, `tracing` syntax.
    pub log: String,
    /// How log lines are written: `text` or `json`.
    pub log_format: LogFormat,
    /// The level of the one log line per API request (`off` for none).
    pub request_log_level: RequestLogLevel,
    /// Whether Prometheus metrics are exported at `GET /metrics`.
    pub metrics: bool,
    /// A separate address to serve `GET /metrics` on, instead of the API's.
    pub metrics_listen: Option<SocketAddr>,
}

impl Default for Settings {
    fn default() -> Self {
        let server = ServerConfig::default();
        Self {
            data_dir: PathBuf::from("./hookd-data"),
            listen: SocketAddr::from(([127, 0, 0, 1], 8071)),
            database_url: None,
            public_url: None,
            allowed_networks: StringList::default(),
            request_timeout_secs: server.request_timeout.as_secs(),
            max_body_bytes: server.max_body_bytes,
            worker_concurrency: server.worker_concurrency,
            endpoint_concurrency: server.endpoint_concurrency,
            lease_margin_secs: server.lease_margin.as_secs(),
            node_name: None,
            portal_frame_ancestors: StringList::default(),
            default_retry_policy: None,
            endpoint_failure_disable_after_secs: server
                .endpoint_failure_disable_after
                .map_or(0, |d| d.as_secs()),
            payload_retention_days: days(server.payload_retention),
            attempt_retention_days: days(server.attempt_retention),
            audit_retention_days: days(server.audit_retention),
            audit_messages: server.audit_messages,
            outbound_proxy: None,
            api_rate_limit_per_token: server
                .api_rate_limit_per_token
                .map_or(0, RateLimit::per_second_rate),
            api_rate_limit_per_app: server
                .api_rate_limit_per_app
                .map_or(0, RateLimit::per_second_rate),
            auth_failures_per_minute: server.auth_failures_per_minute.map_or(0, |n| n.get()),
            shutdown_grace_secs: server.shutdown_grace.as_secs(),
            encryption_key: None,
            default_signature_type: server.default_signature_type,
            log: "info".into(),
            log_format: LogFormat::Text,
            request_log_level: RequestLogLevel::Info,
            metrics: true,
            metrics_listen: None,
        }
    }
}

/// Values given as flags; only the ones present override.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FlagOverrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_networks: Option<String>,
}

impl Settings {
    /// The key of every setting (sorted), read off the defaults layer: figment's serializer
    /// writes one entry per field of `Settings`, an absent value included (as an empty one), so
    /// the struct above is the only list of settings there is, and the environment variables
    /// that may set them follow from it. (A field kept out of serialization would lose its
    /// variable; `ties.rs` fails then.)
    pub fn keys() -> anyhow::Result<Vec<String>> {
        let mut data = Serialized::defaults(Settings::default())
            .data()
            .context("the default settings do not serialize")?;
        Ok(data
            .remove(&Profile::Default)
            .unwrap_or_default()
            .into_keys()
            .collect())
    }

    /// Loads the layers in order. `config_file` is the `--config` flag.
    pub fn load(config_file: Option<PathBuf>, flags: &FlagOverrides) -> anyhow::Result<Self> {
        let keys = Self::keys()?;
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        let env = Env::prefixed(ENV_PREFIX).only(&keys);
        let file = config_file.or_else(|| std::env::var_os("HOOKD_CONFIG").map(PathBuf::from));
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(path) = &file {
            anyhow::ensure!(
                path.exists(),
                "the config file {} does not exist",
                path.display()
            );
            figment = figment.merge(Toml::file(path));
        }
        figment
            .merge(env)
            .merge(Serialized::defaults(flags))
            .extract()
            .context("invalid configuration")
    }
}
