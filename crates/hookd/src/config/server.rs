//! From settings to what the server and the store take: `ServerConfig` (units converted, lists
//! parsed, every value checked) and the `Sealer` of endpoint secrets. Errors name the setting
//! and never repeat a value that may be secret (keys, a proxy's password).

use std::{num::NonZeroU32, sync::Arc, time::Duration};

use anyhow::Context as _;
use hookd_core::{retry::RetryPolicy, seal::Sealer};
use hookd_server::{config::ServerConfig, ratelimit::RateLimit};

use super::Settings;

/// Seconds in a day, for the settings counted in days.
pub(super) const DAY_SECS: u64 = 24 * 3600;

/// A whole number of days, as the settings count them.
pub(super) fn days(d: Duration) -> u32 {
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

impl Settings {
    /// The sealer of endpoint secrets, if keys are configured. Errors never repeat a key.
    pub fn sealer(&self) -> anyhow::Result<Option<Arc<Sealer>>> {
        match self.encryption_key.as_ref().map(|k| k.0.trim()) {
            None | Some("") => Ok(None),
            Some(keys) => Ok(Some(Arc::new(
                Sealer::from_keys(keys).context("encryption_key")?,
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
            self.payload_retention_days > 0
                && self.attempt_retention_days > 0
                && self.audit_retention_days > 0,
            "payload_retention_days, attempt_retention_days and audit_retention_days must be at \
             least 1"
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
            audit_retention: Duration::from_secs(u64::from(self.audit_retention_days) * DAY_SECS),
            audit_messages: self.audit_messages,
            outbound_proxy: outbound_proxy(self.outbound_proxy.as_deref())?,
            api_rate_limit_per_token: NonZeroU32::new(self.api_rate_limit_per_token)
                .map(RateLimit::per_second),
            api_rate_limit_per_app: NonZeroU32::new(self.api_rate_limit_per_app)
                .map(RateLimit::per_second),
            auth_failures_per_minute: NonZeroU32::new(self.auth_failures_per_minute),
            shutdown_grace: Duration::from_secs(self.shutdown_grace_secs),
            default_signature_type: self.default_signature_type,
            request_log_level: self.request_log_level.level(),
            metrics_on_api: self.metrics_listen.is_none(),
            // The fields no setting reaches (`ties.rs` names them) keep their documented
            // defaults.
            ..ServerConfig::default()
        })
    }
}
