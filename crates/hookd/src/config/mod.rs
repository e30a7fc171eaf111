//! The binary's configuration, layered as documented in the README: built-in defaults, then an
//! optional TOML file (`--config` / `HOOKD_CONFIG`), then `HOOKD_*` environment variables, then
//! command-line flags. This module only reads and validates settings; it opens nothing.

use std::{net::SocketAddr, num::NonZeroU32, path::PathBuf, time::Duration};

use anyhow::Context as _;
use figment::{
    providers::{Env, Format, Serialized, Toml},
    Figment,
};
use hookd_core::{retry::RetryPolicy, signing::SignatureType};
use hookd_server::{config::ServerConfig, ratelimit::RateLimit};
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
    fn items(&self) -> Vec<String> {
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

/// Every setting, with its default.
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
    fn policy(&self) -> anyhow::Result<RetryPolicy> {
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

/// The settings that `HOOKD_*` variables may set. Other `HOOKD_*` variables (such as
/// `HOOKD_CONFIG`, which names the file) are not settings and are left alone.
const ENV_KEYS: [&str; 24] = [
    "data_dir",
    "listen",
    "database_url",
    "public_url",
    "allowed_networks",
    "request_timeout_secs",
    "max_body_bytes",
    "worker_concurrency",
    "endpoint_concurrency",
    "lease_margin_secs",
    "node_name",
    "portal_frame_ancestors",
    "default_retry_policy",
    "endpoint_failure_disable_after_secs",
    "payload_retention_days",
    "attempt_retention_days",
    "outbound_proxy",
    "api_rate_limit_per_token",
    "api_rate_limit_per_app",
    "auth_failures_per_minute",
    "shutdown_grace_secs",
    "encryption_key",
    "default_signature_type",
    "log",
];

/// Seconds in a day, for the settings counted in days.
const DAY_SECS: u64 = 24 * 3600;

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
        }
    }
}

/// A whole number of days, as the settings count them.
fn days(d: Duration) -> u32 {
    u32::try_from(d.as_secs() / DAY_SECS).unwrap_or(u32::MAX)
}

/// The outbound proxy setting as a URL; an empty value means none.
fn outbound_proxy(text: Option<&str>) -> anyhow::Result<Option<hookd_server::config::Url>> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        // The error never repeats the value, which may hold a password.
        Some(text) => Ok(Some(
            hookd_server::config::outbound_proxy_url(text).context("outbound_proxy")?,
        )),
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
    /// Loads the layers in order. `config_file` is the `--config` flag.
    pub fn load(config_file: Option<PathBuf>, flags: &FlagOverrides) -> anyhow::Result<Self> {
        let env = Env::prefixed("HOOKD_").only(&ENV_KEYS);
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

    /// The sealer of endpoint secrets, if keys are configured. Errors never repeat a key.
    pub fn sealer(&self) -> anyhow::Result<Option<std::sync::Arc<hookd_core::seal::Sealer>>> {
        match self.encryption_key.as_ref().map(|k| k.0.trim()) {
            None | Some("") => Ok(None),
            Some(keys) => Ok(Some(std::sync::Arc::new(
                hookd_core::seal::Sealer::from_keys(keys).context("encryption_key")?,
            ))),
        }
    }

    /// The server settings these produce.
    pub fn server_config(&self) -> anyhow::Result<ServerConfig> {
        let allowed_networks = self
            .allowed_networks
            .items()
            .iter()
            .map(|s| {
                s.parse().with_context(|| {
                    format!("allowed_networks: '{s}' is not a CIDR such as 127.0.0.0/8")
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        anyhow::ensure!(
            self.request_timeout_secs > 0,
            "request_timeout_secs must be at least 1"
        );
        anyhow::ensure!(
            self.payload_retention_days > 0 && self.attempt_retention_days > 0,
            "payload_retention_days and attempt_retention_days must be at least 1"
        );
        // Each origin lands in the portal's Content-Security-Policy, so anything that is not a
        // plain origin is refused here rather than silently dropped from the policy.
        let portal_frame_ancestors = self
            .portal_frame_ancestors
            .items()
            .iter()
            .map(|s| {
                hookd_server::ui::csp::normalize_frame_ancestor(s).with_context(|| {
                    format!(
                        "portal_frame_ancestors: '{s}' is not an origin such as \
                         https://vendor.example"
                    )
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(ServerConfig {
            public_url: self
                .public_url
                .clone()
                .unwrap_or_else(|| format!("http://{}", self.listen)),
            max_body_bytes: self.max_body_bytes,
            request_timeout: Duration::from_secs(self.request_timeout_secs),
            allowed_networks,
            worker_concurrency: self.worker_concurrency.max(1),
            endpoint_concurrency: self.endpoint_concurrency,
            lease_margin: Duration::from_secs(self.lease_margin_secs),
            node_name: self.node_name.clone().unwrap_or_else(|| "hookd".into()),
            default_retry_policy: match &self.default_retry_policy {
                Some(setting) => setting.policy()?,
                None => RetryPolicy::default(),
            },
            portal_frame_ancestors,
            endpoint_failure_disable_after: (self.endpoint_failure_disable_after_secs > 0)
                .then(|| Duration::from_secs(self.endpoint_failure_disable_after_secs)),
            payload_retention: Duration::from_secs(
                u64::from(self.payload_retention_days) * DAY_SECS,
            ),
            attempt_retention: Duration::from_secs(
                u64::from(self.attempt_retention_days) * DAY_SECS,
            ),
            outbound_proxy: outbound_proxy(self.outbound_proxy.as_deref())?,
            api_rate_limit_per_token: NonZeroU32::new(self.api_rate_limit_per_token)
                .map(RateLimit::per_second),
            api_rate_limit_per_app: NonZeroU32::new(self.api_rate_limit_per_app)
                .map(RateLimit::per_second),
            auth_failures_per_minute: NonZeroU32::new(self.auth_failures_per_minute),
            shutdown_grace: Duration::from_secs(self.shutdown_grace_secs),
            default_signature_type: self.default_signature_type,
            ..ServerConfig::default()
        })
    }
}

#[cfg(test)]
// figment's `Jail` fixes the closure's error type; its size is not ours to choose.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;

    #[test]
    fn layers_apply_in_order() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("hookd.toml", "listen = \"127.0.0.1:9000\"\ndata_dir = \"/from-file\"\nallowed_networks = [\"10.0.0.0/8\"]\n")?;
            jail.set_env("HOOKD_DATA_DIR", "/from-env");
            let flags = FlagOverrides {
                listen: Some("127.0.0.1:9100".parse().unwrap()),
                ..Default::default()
            };
            let s = Settings::load(Some("hookd.toml".into()), &flags).map_err(|e| e.to_string())?;
            assert_eq!(s.data_dir, PathBuf::from("/from-env"), "env beats file");
            assert_eq!(s.listen.port(), 9100, "flags beat everything");
            assert_eq!(s.server_config().unwrap().allowed_networks.len(), 1);
            assert_eq!(s.request_timeout_secs, 15, "defaults fill the rest");
            Ok(())
        });
    }

    #[test]
    fn portal_frame_ancestors_are_origins_from_env_or_file() {
        figment::Jail::expect_with(|jail| {
            jail.set_env(
                "HOOKD_PORTAL_FRAME_ANCESTORS",
                "https://vendor.example, https://*.vendor.example",
            );
            let s = Settings::load(None, &FlagOverrides::default()).map_err(|e| e.to_string())?;
            assert_eq!(
                s.server_config().unwrap().portal_frame_ancestors,
                vec!["https://vendor.example", "https://*.vendor.example"]
            );
            jail.set_env(
                "HOOKD_PORTAL_FRAME_ANCESTORS",
                "https://a.example; script-src *",
            );
            let s = Settings::load(None, &FlagOverrides::default()).map_err(|e| e.to_string())?;
            assert!(s.server_config().is_err());
            Ok(())
        });
        let s = Settings::default();
        assert!(s.server_config().unwrap().portal_frame_ancestors.is_empty());
    }

    #[test]
    fn default_retry_policy_from_env_json_or_file_table() {
        figment::Jail::expect_with(|jail| {
            jail.set_env(
                "HOOKD_DEFAULT_RETRY_POLICY",
                r#"{"type":"fixed","baseSecs":300,"maxAttempts":13,"jitter":0}"#,
            );
            let s = Settings::load(None, &FlagOverrides::default()).map_err(|e| e.to_string())?;
            let policy = s.server_config().unwrap().default_retry_policy;
            assert_eq!(policy.max_attempts(), 13);
            jail.set_env("HOOKD_DEFAULT_RETRY_POLICY", r#"{"type":"fixed"}"#);
            let s = Settings::load(None, &FlagOverrides::default()).map_err(|e| e.to_string())?;
            let err = s.server_config().unwrap_err().to_string();
            assert!(err.contains("default_retry_policy"), "{err}");
            Ok(())
        });
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "hookd.toml",
                "[default_retry_policy]\ntype = \"delays\"\ndelaysSecs = [60, 120]\n",
            )?;
            let s = Settings::load(Some("hookd.toml".into()), &FlagOverrides::default())
                .map_err(|e| e.to_string())?;
            assert_eq!(
                s.server_config()
                    .unwrap()
                    .default_retry_policy
                    .max_attempts(),
                3
            );
            Ok(())
        });
    }

    #[test]
    fn reliability_settings_from_env_with_svix_defaults() {
        let defaults = Settings::default().server_config().unwrap();
        assert_eq!(
            defaults.endpoint_failure_disable_after,
            Some(Duration::from_secs(5 * DAY_SECS)),
            "Svix disables after five days"
        );
        assert_eq!(
            defaults.payload_retention,
            Duration::from_secs(90 * DAY_SECS)
        );
        assert_eq!(
            defaults.attempt_retention,
            Duration::from_secs(90 * DAY_SECS)
        );
        assert_eq!(defaults.outbound_proxy, None);
        figment::Jail::expect_with(|jail| {
            jail.set_env("HOOKD_ENDPOINT_FAILURE_DISABLE_AFTER_SECS", "0");
            jail.set_env("HOOKD_PAYLOAD_RETENTION_DAYS", "30");
            jail.set_env("HOOKD_ATTEMPT_RETENTION_DAYS", "7");
            jail.set_env("HOOKD_OUTBOUND_PROXY", "http://user:pw@proxy.internal:3128");
            let s = Settings::load(None, &FlagOverrides::default()).map_err(|e| e.to_string())?;
            let c = s.server_config().unwrap();
            assert_eq!(c.endpoint_failure_disable_after, None, "0 never disables");
            assert_eq!(c.payload_retention, Duration::from_secs(30 * DAY_SECS));
            assert_eq!(c.attempt_retention, Duration::from_secs(7 * DAY_SECS));
            assert_eq!(
                c.outbound_proxy.unwrap().as_str(),
                "http://user:pw@proxy.internal:3128/"
            );
            jail.set_env("HOOKD_OUTBOUND_PROXY", "socks5://secret@proxy:1080");
            let s = Settings::load(None, &FlagOverrides::default()).map_err(|e| e.to_string())?;
            let err = format!("{:#}", s.server_config().unwrap_err());
            assert!(!err.contains("secret"), "the value is not echoed: {err}");
            jail.set_env("HOOKD_OUTBOUND_PROXY", "");
            jail.set_env("HOOKD_ATTEMPT_RETENTION_DAYS", "0");
            let s = Settings::load(None, &FlagOverrides::default()).map_err(|e| e.to_string())?;
            assert!(s.server_config().is_err());
            Ok(())
        });
    }

    #[test]
    fn limits_grace_and_keys_from_env() {
        let defaults = Settings::default().server_config().unwrap();
        assert!(
            defaults.api_rate_limit_per_token.is_none(),
            "off by default"
        );
        assert!(defaults.auth_failures_per_minute.is_some(), "on by default");
        assert!(
            Settings::default().sealer().unwrap().is_none(),
            "off by default"
        );
        figment::Jail::expect_with(|jail| {
            jail.set_env("HOOKD_API_RATE_LIMIT_PER_TOKEN", "25");
            jail.set_env("HOOKD_API_RATE_LIMIT_PER_APP", "50");
            jail.set_env("HOOKD_AUTH_FAILURES_PER_MINUTE", "5");
            jail.set_env("HOOKD_SHUTDOWN_GRACE_SECS", "3");
            jail.set_env(
                "HOOKD_ENCRYPTION_KEY",
                "HxwdHhsaGRgXFhUUExIREA8ODQwLCgkIBwYFBAMCAQA=,AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
            );
            let s = Settings::load(None, &FlagOverrides::default()).map_err(|e| e.to_string())?;
            let c = s.server_config().unwrap();
            assert_eq!(c.api_rate_limit_per_token.unwrap().per_second_rate(), 25);
            assert_eq!(c.api_rate_limit_per_app.unwrap().per_second_rate(), 50);
            assert_eq!(c.auth_failures_per_minute.unwrap().get(), 5);
            assert_eq!(c.shutdown_grace, Duration::from_secs(3));
            assert!(s.sealer().unwrap().is_some());
            assert!(
                !format!("{s:?}").contains("HxwdHhsa"),
                "keys stay out of Debug"
            );
            jail.set_env("HOOKD_ENCRYPTION_KEY", "c2VjcmV0LWJ1dC1zaG9ydA==");
            let s = Settings::load(None, &FlagOverrides::default()).map_err(|e| e.to_string())?;
            let err = format!("{:#}", s.sealer().unwrap_err());
            assert!(
                err.contains("32 bytes") && !err.contains("c2VjcmV0"),
                "{err}"
            );
            Ok(())
        });
    }

    #[test]
    fn default_signature_type_from_env_in_either_spelling() {
        assert_eq!(
            Settings::default()
                .server_config()
                .unwrap()
                .default_signature_type,
            SignatureType::Hmac,
            "HMAC by default, as in Svix"
        );
        figment::Jail::expect_with(|jail| {
            jail.set_env("HOOKD_DEFAULT_SIGNATURE_TYPE", "ed25519");
            let s = Settings::load(None, &FlagOverrides::default()).map_err(|e| e.to_string())?;
            assert_eq!(
                s.server_config().unwrap().default_signature_type,
                SignatureType::Ed25519
            );
            jail.set_env("HOOKD_DEFAULT_SIGNATURE_TYPE", "hmac256");
            let s = Settings::load(None, &FlagOverrides::default()).map_err(|e| e.to_string())?;
            assert_eq!(s.default_signature_type, SignatureType::Hmac);
            jail.set_env("HOOKD_DEFAULT_SIGNATURE_TYPE", "rsa");
            let err = Settings::load(None, &FlagOverrides::default()).unwrap_err();
            // figment names the variable, and the spellings it would have taken.
            let text = format!("{err:#}");
            assert!(
                text.contains("DEFAULT_SIGNATURE_TYPE") && text.contains("ed25519"),
                "{text}"
            );
            Ok(())
        });
    }

    #[test]
    fn comma_separated_networks_from_env() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("HOOKD_ALLOWED_NETWORKS", "127.0.0.0/8, ::1/128");
            let s = Settings::load(None, &FlagOverrides::default()).map_err(|e| e.to_string())?;
            assert_eq!(s.server_config().unwrap().allowed_networks.len(), 2);
            jail.set_env("HOOKD_ALLOWED_NETWORKS", "not-a-cidr");
            let s = Settings::load(None, &FlagOverrides::default()).map_err(|e| e.to_string())?;
            assert!(s.server_config().is_err());
            Ok(())
        });
    }
}
