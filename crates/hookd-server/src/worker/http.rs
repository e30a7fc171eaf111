//! Makes one signed HTTP attempt for a claimed delivery and describes what happened.
//!
//! It builds the Standard Webhooks request (signature headers in both the `webhook-*` and the
//! `svix-*` spellings, as Svix sends), applies the address guard, and reads at most the
//! configured number of response bytes within the timeout, so an endless or slow body cannot
//! hold a worker or grow memory. Redirects are not followed: a 3xx is a failed attempt, as a
//! redirect could lead past the address guard and a webhook receiver has no reason to move.
//! This module must not touch the store or decide retries.

use std::{sync::Arc, time::Instant};

use hookd_core::{delivery::is_success_status, signing, store::Claimed, Timestamp};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE, USER_AGENT};

use super::ssrf::{check_url_host, AddressPolicy, BlockedAddress, GuardedResolver};
use crate::config::ServerConfig;

/// What hookd calls itself on the wire.
pub const USER_AGENT_VALUE: &str = concat!("hookd/", env!("CARGO_PKG_VERSION"));

/// Idle keep-alive connections per receiver host: enough to reuse connections under load
/// without hoarding sockets to hosts that receive rarely.
const POOL_IDLE_PER_HOST: usize = 32;

/// What one attempt came to, ready to be recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptReport {
    /// The HTTP status, or 0 when no response arrived.
    pub status_code: i16,
    /// The (truncated) response body, or why there was no response.
    pub response: String,
    /// Wall time of the attempt.
    pub duration_ms: i64,
    /// Whether it counts as delivered.
    pub success: bool,
}

/// The HTTP client of the delivery workers.
#[derive(Debug, Clone)]
pub struct Sender {
    client: reqwest::Client,
    policy: Arc<AddressPolicy>,
    response_limit: usize,
    timeout_secs: u64,
}

impl Sender {
    /// A sender configured from the server settings.
    pub fn new(config: &ServerConfig) -> Result<Self, reqwest::Error> {
        let policy = Arc::new(AddressPolicy::new(config.allowed_networks.clone()));
        let client = reqwest::Client::builder()
            .timeout(config.request_timeout)
            .connect_timeout(config.request_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(Arc::new(GuardedResolver::new(policy.clone())))
            .pool_max_idle_per_host(POOL_IDLE_PER_HOST)
            .no_proxy()
            .build()?;
        Ok(Self {
            client,
            policy,
            response_limit: config.response_body_limit,
            timeout_secs: config.request_timeout.as_secs(),
        })
    }

    /// Makes the attempt for `claimed`, signed at `now`.
    pub async fn send(&self, claimed: &Claimed, now: Timestamp) -> AttemptReport {
        let started = Instant::now();
        let result = self.try_send(claimed, now).await;
        let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        match result {
            Ok((status, response)) => AttemptReport {
                status_code: i16::try_from(status).unwrap_or(0),
                response,
                duration_ms,
                success: is_success_status(status),
            },
            Err(reason) => AttemptReport {
                status_code: 0,
                response: reason,
                duration_ms,
                success: false,
            },
        }
    }

    async fn try_send(&self, claimed: &Claimed, now: Timestamp) -> Result<(u16, String), String> {
        let url = url::Url::parse(&claimed.endpoint.url)
            .map_err(|e| format!("invalid endpoint URL: {e}"))?;
        check_url_host(&self.policy, &url).map_err(|e| e.to_string())?;
        let body = claimed
            .message
            .payload
            .clone()
            .unwrap_or_else(|| "{}".to_owned());
        let headers = build_headers(claimed, now, body.as_bytes())?;
        let mut response = self
            .client
            .post(url)
            .headers(headers)
            .body(body)
            .send()
            .await
            .map_err(|e| self.describe(&e))?;
        let status = response.status().as_u16();
        let mut kept = Vec::with_capacity(self.response_limit.min(4096));
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    let room = self.response_limit - kept.len();
                    kept.extend_from_slice(&chunk[..chunk.len().min(room)]);
                    if kept.len() >= self.response_limit {
                        // Stop reading: the rest of the body is not worth the time or memory.
                        break;
                    }
                }
                Ok(None) => break,
                // The status line arrived, so the attempt is judged by it; a body that breaks
                // off or times out only loses its tail.
                Err(_) => break,
            }
        }
        Ok((status, String::from_utf8_lossy(&kept).into_owned()))
    }

    fn describe(&self, err: &reqwest::Error) -> String {
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
        while let Some(e) = source {
            if let Some(blocked) = e.downcast_ref::<BlockedAddress>() {
                return blocked.to_string();
            }
            source = e.source();
        }
        if err.is_timeout() {
            return format!("no answer within the {} s timeout", self.timeout_secs);
        }
        let mut text = if err.is_connect() {
            "connection failed".to_owned()
        } else {
            "request failed".to_owned()
        };
        let mut source = std::error::Error::source(err);
        while let Some(e) = source {
            text.push_str(": ");
            text.push_str(&e.to_string());
            source = e.source();
        }
        text
    }
}

fn build_headers(claimed: &Claimed, now: Timestamp, body: &[u8]) -> Result<HeaderMap, String> {
    let mut headers = HeaderMap::new();
    // The endpoint's own headers go first so that hookd's cannot be overridden by them.
    for (name, value) in &claimed.endpoint.headers {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|e| format!("invalid custom header name: {e}"))?;
        let value = HeaderValue::from_str(value)
            .map_err(|e| format!("invalid custom header value: {e}"))?;
        headers.insert(name, value);
    }
    let msg_id = claimed.message.id.as_str();
    let timestamp = now.timestamp();
    let signature = signing::signature_header(
        &claimed.endpoint.signing_secrets(now),
        msg_id,
        timestamp,
        body,
    );
    let set = |headers: &mut HeaderMap, name: &'static str, value: &str| -> Result<(), String> {
        let value =
            HeaderValue::from_str(value).map_err(|e| format!("invalid header value: {e}"))?;
        headers.insert(HeaderName::from_static(name), value);
        Ok(())
    };
    let ts = timestamp.to_string();
    set(&mut headers, "webhook-id", msg_id)?;
    set(&mut headers, "webhook-timestamp", &ts)?;
    set(&mut headers, "webhook-signature", &signature)?;
    set(&mut headers, "svix-id", msg_id)?;
    set(&mut headers, "svix-timestamp", &ts)?;
    set(&mut headers, "svix-signature", &signature)?;
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(USER_AGENT, HeaderValue::from_static(USER_AGENT_VALUE));
    Ok(headers)
}
