//! Sends one prepared request ([`super::request::Outbound`]) and describes what happened.
//!
//! It applies the address guard (directly, or through the outbound proxy when one is
//! configured; see `ssrf` for what is checked where), gives the request its own timeout (the
//! endpoint's, covering name checks, connect, answer and body), and reads at most the
//! configured number of response bytes, so an endless or slow body cannot hold a worker or
//! grow memory; what it keeps is recorded as text of at most that many bytes
//! ([`recordable`]: invalid UTF-8 and NUL become U+FFFD). A status that arrived decides the
//! attempt even when the body then breaks off or times out.
//!
//! Redirects are not followed: a 3xx is a failed attempt (unless the endpoint lists it as a
//! success code), as a redirect could lead past the address guard and a webhook receiver has
//! no reason to move. Failure reasons never include the URL, which may carry a query-string
//! secret. A 429 or 503 answer's `Retry-After` is reported as it came (cut to
//! `retry_after::MAX_RECORDED_BYTES`), for the retry decision to read. This module must not
//! touch the store or decide retries.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use super::{
    request::Outbound,
    ssrf::{check_destination, check_url_host, AddressPolicy, BlockedAddress, GuardedResolver},
};
use crate::config::ServerConfig;
use hookd_core::retry_after;

pub use super::request::USER_AGENT_VALUE;

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
    /// The `Retry-After` header of a 429 or 503 answer, as text.
    pub retry_after: Option<String>,
}

/// How deliveries reach receivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    /// hookd connects to the receiver; the client's resolver applies the address guard.
    Direct,
    /// Every request goes through the configured proxy, which resolves the receiver's name;
    /// hookd checks the destination itself before sending.
    Proxy,
}

/// The HTTP client of the delivery workers.
#[derive(Debug, Clone)]
pub struct Sender {
    client: reqwest::Client,
    policy: Arc<AddressPolicy>,
    response_limit: usize,
    route: Route,
}

impl Sender {
    /// A sender configured from the server settings.
    pub fn new(config: &ServerConfig) -> Result<Self, reqwest::Error> {
        let policy = Arc::new(AddressPolicy::new(config.allowed_networks.clone()));
        // Proxies from the environment (HTTP_PROXY and friends) are ignored: deliveries take
        // the route the configuration names, nothing else.
        let builder = reqwest::Client::builder()
            .timeout(config.request_timeout)
            .connect_timeout(config.request_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(POOL_IDLE_PER_HOST)
            .no_proxy();
        let (builder, route) = match &config.outbound_proxy {
            // The resolver only ever looks up the proxy's own name here, which the operator
            // chose; destinations are checked by `check_destination` instead.
            Some(proxy) => (
                builder.proxy(reqwest::Proxy::all(proxy.as_str())?),
                Route::Proxy,
            ),
            None => (
                builder.dns_resolver(Arc::new(GuardedResolver::new(policy.clone()))),
                Route::Direct,
            ),
        };
        Ok(Self {
            client: builder.build()?,
            policy,
            response_limit: config.response_body_limit,
            route,
        })
    }

    /// Applies the address guard before the request, as far as it can be applied before:
    /// fully for IP literals, and for names when the proxy (not hookd) will resolve them.
    /// Name checks count against the request's timeout.
    async fn check(&self, out: &Outbound) -> Result<(), String> {
        match self.route {
            Route::Direct => check_url_host(&self.policy, &out.url).map_err(|e| e.to_string()),
            Route::Proxy => {
                match tokio::time::timeout(out.timeout, check_destination(&self.policy, &out.url))
                    .await
                {
                    Ok(checked) => checked.map_err(|e| e.to_string()),
                    Err(_) => Err(format!(
                        "no answer within the {} timeout (resolving the receiver's name)",
                        human(out.timeout)
                    )),
                }
            }
        }
    }

    /// Sends `out`; `is_success` says which status codes count as delivered.
    pub async fn send(&self, out: &Outbound, is_success: impl Fn(u16) -> bool) -> AttemptReport {
        let started = Instant::now();
        let result = self.try_send(out).await;
        let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        match result {
            Ok(Answered {
                status,
                body,
                retry_after,
            }) => AttemptReport {
                status_code: i16::try_from(status).unwrap_or(0),
                response: body,
                duration_ms,
                success: is_success(status),
                retry_after,
            },
            Err(reason) => AttemptReport {
                status_code: 0,
                response: reason,
                duration_ms,
                success: false,
                retry_after: None,
            },
        }
    }

    async fn try_send(&self, out: &Outbound) -> Result<Answered, String> {
        let started = Instant::now();
        self.check(out).await?;
        // The name check used part of the timeout; the request gets what is left.
        let timeout = out.timeout.saturating_sub(started.elapsed());
        let mut response = self
            .client
            .post(out.url.clone())
            .headers(out.headers.clone())
            .timeout(timeout)
            .body(out.body.clone())
            .send()
            .await
            .map_err(|e| describe(&e, out.timeout))?;
        let status = response.status().as_u16();
        let retry_after = retry_after::honoured_for(status)
            .then(|| response.headers().get(reqwest::header::RETRY_AFTER))
            .flatten()
            .map(|v| recordable(v.as_bytes(), retry_after::MAX_RECORDED_BYTES));
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
        Ok(Answered {
            status,
            body: recordable(&kept, self.response_limit),
            retry_after,
        })
    }
}

/// What a receiver that answered said.
struct Answered {
    status: u16,
    body: String,
    retry_after: Option<String>,
}

/// A receiver's body bytes as text hookd can record: invalid UTF-8 becomes U+FFFD, and so does
/// NUL, which PostgreSQL cannot store in a text column (recording it would fail the whole
/// completion batch, again and again). Each invalid byte grows into three bytes of U+FFFD, so
/// the text is cut again to `limit` bytes, at a character boundary.
pub fn recordable(bytes: &[u8], limit: usize) -> String {
    let mut text = String::from_utf8_lossy(bytes).replace('\0', "\u{FFFD}");
    if text.len() > limit {
        let mut end = limit;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

/// A timeout as people write it: `30 s`, `300 ms`.
fn human(timeout: Duration) -> String {
    let ms = timeout.as_millis();
    if ms.is_multiple_of(1000) {
        format!("{} s", ms / 1000)
    } else {
        format!("{ms} ms")
    }
}

/// Why a request got no answer. Only the error's sources are read, never its own text, which
/// names the URL (and so any query-string secret).
fn describe(err: &reqwest::Error, timeout: Duration) -> String {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = source {
        if let Some(blocked) = e.downcast_ref::<BlockedAddress>() {
            return blocked.to_string();
        }
        source = e.source();
    }
    if err.is_timeout() {
        return format!("no answer within the {} timeout", human(timeout));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_text_is_valid_nul_free_and_within_the_limit() {
        assert_eq!(recordable(b"ok", 16), "ok");
        assert_eq!(recordable(b"a\x00b\xffc", 16), "a\u{FFFD}b\u{FFFD}c");
        // Six invalid bytes are eighteen bytes of text; ten bytes hold three whole U+FFFD.
        assert_eq!(recordable(&[0xff; 6], 10), "\u{FFFD}".repeat(3));
        // A cut inside a multi-byte character keeps only whole characters.
        assert_eq!(recordable("é".repeat(4).as_bytes(), 5), "éé");
    }
}
