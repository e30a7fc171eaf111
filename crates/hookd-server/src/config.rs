//! Server settings with their documented defaults. The binary layers a config file,
//! `HOOKD_*` environment variables and flags on top; this module holds the values, and parses
//! only the one whose shape the server defines (`outbound_proxy`). It must not read files or
//! the environment.

use std::time::Duration;

use ipnet::IpNet;

/// Request bodies larger than this are refused with 413. One MiB comfortably holds any webhook
/// payload we have seen in the seeds' docs while keeping a hostile client from filling memory.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
/// Svix's documented default for how long a receiver may take to answer is 15 s.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// Response bodies are kept up to this size per attempt: enough to read an error page's gist,
/// small enough that a million attempts do not fill the disk.
pub const DEFAULT_RESPONSE_BODY_LIMIT: usize = 16 * 1024;
/// A lease outlives the HTTP timeout by this margin, so a live worker always completes before
/// its lease can be taken over (connect, TLS and the store write fit well within it).
pub const LEASE_MARGIN: Duration = Duration::from_secs(30);
/// Idempotency keys are remembered for at least this long (Svix: 12 h; we promise 24 h).
pub const DEFAULT_IDEMPOTENCY_TTL: Duration = Duration::from_secs(24 * 3600);
/// Portal tokens from `app-portal-access` work for this long.
pub const DEFAULT_PORTAL_TOKEN_TTL: Duration = Duration::from_secs(7 * 24 * 3600);
/// Concurrent HTTP requests per process. Each is a small async task, so this bounds memory and
/// sockets rather than threads.
pub const DEFAULT_WORKER_CONCURRENCY: usize = 256;
/// Requests to one endpoint in flight per process at most. Fast receivers never reach it (at
/// a few milliseconds an answer, 16 in flight is thousands of deliveries a second), while ten
/// receivers that answer only after the timeout hold at most 160 of the 256 worker slots, so
/// every other endpoint keeps being served (README, "Backlog, growth, slow receivers").
pub const DEFAULT_ENDPOINT_CONCURRENCY: usize = 16;
/// When nothing wakes them, workers look for due work at least this often (retries coming due,
/// leases expiring, or work published by another process).
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_millis(500);

/// Svix disables an endpoint once every attempt to it has failed for five days: long enough
/// to ride out a weekend outage, short enough that a dead URL stops costing retries.
pub const DEFAULT_ENDPOINT_FAILURE_DISABLE_AFTER: Duration = Duration::from_secs(5 * 24 * 3600);
/// Svix's default `payloadRetentionPeriod`: 90 days.
pub const DEFAULT_PAYLOAD_RETENTION: Duration = Duration::from_secs(90 * 24 * 3600);
/// Attempts are kept as long as payloads by default, so a message's history and its content
/// disappear together.
pub const DEFAULT_ATTEMPT_RETENTION: Duration = Duration::from_secs(90 * 24 * 3600);

/// Requests per second one token may make, by default: unlimited (0). One process publishes
/// more than 10,000 messages a second on this project's 2-core benchmark machine, so any fixed
/// default would either cap a legitimate high-volume sender or be too high to stop anything;
/// operators who hand tokens to tenants set their own (README, Configuration).
pub const DEFAULT_API_RATE_LIMIT_PER_TOKEN: u32 = 0;
/// Requests per second addressed to one application, by default: unlimited (0), for the same
/// reason.
pub const DEFAULT_API_RATE_LIMIT_PER_APP: u32 = 0;
/// Failed authentications one client address may make per minute, by default. Real clients
/// with a wrong token fail a handful of times before someone looks; a guesser needs millions.
pub const DEFAULT_AUTH_FAILURES_PER_MINUTE: u32 = 30;
/// How long a SIGTERM waits for in-flight deliveries before it abandons them and releases
/// their claims: inside the 30 s a typical orchestrator (Kubernetes' default
/// `terminationGracePeriodSeconds`) allows, with room left for the final store writes.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

pub use url::Url;

/// Why an `outbound_proxy` value was refused. It never repeats the value, which may hold a
/// password.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("must be a URL such as http://proxy.internal:3128 (http or https, with a host)")]
pub struct InvalidProxyUrl;

/// Parses an `outbound_proxy` value: an `http://` or `https://` URL with a host, optionally
/// with `user:password@` (sent to the proxy as basic authentication).
pub fn outbound_proxy_url(text: &str) -> Result<Url, InvalidProxyUrl> {
    Url::parse(text)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .ok_or(InvalidProxyUrl)
}

/// Server settings.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The URL under which this server is reachable, used in the portal links it hands out.
    pub public_url: String,
    /// Largest accepted request body.
    pub max_body_bytes: usize,
    /// How long a receiver may take to answer one attempt.
    pub request_timeout: Duration,
    /// How much of a response body is kept.
    pub response_body_limit: usize,
    /// Networks that deliveries may reach although they are private, loopback or link-local.
    pub allowed_networks: Vec<IpNet>,
    /// Concurrent deliveries in this process.
    pub worker_concurrency: usize,
    /// Requests to one endpoint in flight in this process at most (0: no bound beyond
    /// `worker_concurrency`); see `worker::gate`.
    pub endpoint_concurrency: usize,
    /// Fallback poll interval of the workers.
    pub poll_interval: Duration,
    /// How long idempotency keys are remembered.
    pub idempotency_ttl: Duration,
    /// How long portal tokens work.
    pub portal_token_ttl: Duration,
    /// This process's name in leases (for operators reading the queue).
    pub node_name: String,
    /// How much longer than the HTTP timeout a lease lasts. Shorter means a dead process's
    /// deliveries are picked up sooner; it must still cover connect, TLS and the completion
    /// write of a live worker, or live deliveries get duplicated.
    pub lease_margin: Duration,
    /// How failed deliveries are retried when their endpoint has no `retryPolicy`: Svix's
    /// schedule unless the operator chose another.
    pub default_retry_policy: hookd_core::retry::RetryPolicy,
    /// Origins (`https://vendor.example`) whose pages may embed the tenant portal in a frame,
    /// besides hookd's own; empty means only hookd's own pages may. Sent as the portal's
    /// `Content-Security-Policy: frame-ancestors`.
    pub portal_frame_ancestors: Vec<String>,
    /// How long every attempt to an endpoint must have failed before the endpoint is disabled
    /// (and `endpoint.disabled` is published); `None` never disables.
    pub endpoint_failure_disable_after: Option<Duration>,
    /// How long a message's payload is kept when it does not set `payloadRetentionPeriod`.
    pub payload_retention: Duration,
    /// How long attempts are kept; older ones are deleted.
    pub attempt_retention: Duration,
    /// An HTTP proxy (`http://host:port`, optionally with `user:password@`) that every
    /// delivery goes through; `None` connects directly. The address guard still applies to
    /// the destination (see `worker::ssrf`).
    pub outbound_proxy: Option<Url>,
    /// Requests per second (with bursts of one second's worth) that one token may make;
    /// `None` is unlimited.
    pub api_rate_limit_per_token: Option<crate::ratelimit::RateLimit>,
    /// Requests per second addressed to one application; `None` is unlimited.
    pub api_rate_limit_per_app: Option<crate::ratelimit::RateLimit>,
    /// Failed authentications per minute one client address may make before all its requests
    /// are refused for a while; `None` is unlimited.
    pub auth_failures_per_minute: Option<std::num::NonZeroU32>,
    /// How long shutdown waits for in-flight deliveries before releasing them to be retried
    /// (by this process after a restart, or by another one at once).
    pub shutdown_grace: Duration,
    /// The kind of secret a new endpoint gets when its creator gives none: HMAC (Svix's
    /// default) or ed25519. Existing endpoints keep signing with the kind they have.
    pub default_signature_type: hookd_core::signing::SignatureType,
    /// The level of the one log line per API request (see `request_log`); `None` writes none.
    pub request_log_level: Option<tracing::Level>,
    /// Whether `GET /metrics` is served on the API's listener (when metrics are exported and
    /// have no listener of their own).
    pub metrics_on_api: bool,
    /// Whether publishing a message is recorded in the audit log like every other change
    /// (off by default: each message is its own record, and auditing them doubles the writes).
    pub audit_messages: bool,
    /// How long audit log entries are kept.
    pub audit_retention: Duration,
}

/// How long audit log entries are kept by default: as long as attempts, so that who changed an
/// endpoint can be read beside what its deliveries did.
pub const DEFAULT_AUDIT_RETENTION: Duration = DEFAULT_ATTEMPT_RETENTION;

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:8071".into(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            response_body_limit: DEFAULT_RESPONSE_BODY_LIMIT,
            allowed_networks: Vec::new(),
            worker_concurrency: DEFAULT_WORKER_CONCURRENCY,
            endpoint_concurrency: DEFAULT_ENDPOINT_CONCURRENCY,
            poll_interval: DEFAULT_POLL_INTERVAL,
            idempotency_ttl: DEFAULT_IDEMPOTENCY_TTL,
            portal_token_ttl: DEFAULT_PORTAL_TOKEN_TTL,
            node_name: "hookd".into(),
            lease_margin: LEASE_MARGIN,
            default_retry_policy: hookd_core::retry::RetryPolicy::default(),
            portal_frame_ancestors: Vec::new(),
            endpoint_failure_disable_after: Some(DEFAULT_ENDPOINT_FAILURE_DISABLE_AFTER),
            payload_retention: DEFAULT_PAYLOAD_RETENTION,
            attempt_retention: DEFAULT_ATTEMPT_RETENTION,
            outbound_proxy: None,
            api_rate_limit_per_token: std::num::NonZeroU32::new(DEFAULT_API_RATE_LIMIT_PER_TOKEN)
                .map(crate::ratelimit::RateLimit::per_second),
            api_rate_limit_per_app: std::num::NonZeroU32::new(DEFAULT_API_RATE_LIMIT_PER_APP)
                .map(crate::ratelimit::RateLimit::per_second),
            auth_failures_per_minute: std::num::NonZeroU32::new(DEFAULT_AUTH_FAILURES_PER_MINUTE),
            shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
            default_signature_type: hookd_core::signing::SignatureType::default(),
            request_log_level: Some(tracing::Level::INFO),
            metrics_on_api: true,
            audit_messages: false,
            audit_retention: DEFAULT_AUDIT_RETENTION,
        }
    }
}

impl ServerConfig {
    /// The lease a worker takes on a claimed delivery: the longest timeout any attempt can
    /// have (the server's, or the cap on per-endpoint timeouts, `options::MAX_TIMEOUT`,
    /// whichever is longer) plus the margin, so a live worker always completes first whatever
    /// the endpoint's timeout.
    pub fn lease(&self) -> Duration {
        self.request_timeout.max(hookd_core::options::MAX_TIMEOUT) + self.lease_margin
    }

    /// When the payload of a message created at `created_at` expires: after the message's own
    /// `payloadRetentionPeriod` (days) if it set one, else after [`Self::payload_retention`].
    pub fn payload_expiry(
        &self,
        created_at: hookd_core::Timestamp,
        retention_days: Option<u16>,
    ) -> hookd_core::Timestamp {
        let retention = match retention_days {
            Some(days) => chrono::Duration::days(i64::from(days)),
            None => {
                chrono::Duration::from_std(self.payload_retention).unwrap_or(chrono::Duration::MAX)
            }
        };
        created_at
            .checked_add_signed(retention)
            .unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC)
    }
}
