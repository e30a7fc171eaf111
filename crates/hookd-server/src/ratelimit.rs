//! Rate limits on the API, so that one runaway client cannot starve the others or the
//! database: requests per token, requests per application, and failed authentications per
//! client address.
//!
//! - **Per token and per application** ([`ApiLimits::check_request`]): a GCRA limit (the
//!   `governor` crate) keyed by the token's hash and by the application a route addresses. An
//!   exhausted limit answers 429 with `Retry-After`. The application limit holds however the
//!   application is addressed (id or uid) and whichever token calls, so a tenant's portal
//!   token and the operator's admin token share it.
//! - **Failed authentication per client** ([`fail_guard`]): each 401 costs the client address
//!   one cell; when its budget is spent, *every* request from that address is refused with 429
//!   until the budget refills, before any token is looked up. Refusing valid tokens too is the
//!   point: otherwise a guesser would still learn, at full speed, which guess is right, and each
//!   guess would still cost a store lookup.
//!
//! The limits live in this process's memory. Several processes sharing one PostgreSQL each
//! enforce them on their own, so a client spread over N processes gets up to N times the
//! limit; a limit that held across processes would cost a database write per request, which
//! is more than these guards are worth. This module must not look at request bodies or decide
//! what a token may reach (that is `crate::auth`).

use std::{
    net::{IpAddr, Ipv4Addr, SocketAddr},
    num::NonZeroU32,
    sync::Mutex,
    time::Duration,
};

use axum::{
    extract::{ConnectInfo, Request, State},
    http::StatusCode,
    middleware::Next,
    response::{IntoResponse, Response},
};
use governor::{clock::Clock as _, DefaultKeyedRateLimiter, Quota};

use crate::{error::ApiError, AppState};

/// A limit: bursts of up to `burst` requests, refilled at one request per `refill_every`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed at once after a quiet period.
    pub burst: NonZeroU32,
    /// How long one more request takes to become available.
    pub refill_every: Duration,
}

impl RateLimit {
    /// `n` requests per second sustained, with bursts of one second's worth: what an operator
    /// configures.
    pub fn per_second(n: NonZeroU32) -> Self {
        Self {
            burst: n,
            refill_every: Duration::from_secs(1) / n.get(),
        }
    }

    /// The sustained rate, in requests per second (rounded down, at least 1).
    pub fn per_second_rate(self) -> u32 {
        let per_sec = Duration::from_secs(1).as_nanos() / self.refill_every.as_nanos().max(1);
        u32::try_from(per_sec).unwrap_or(u32::MAX).max(1)
    }

    fn quota(self) -> Quota {
        Quota::with_period(self.refill_every)
            .unwrap_or_else(|| Quota::per_second(self.burst))
            .allow_burst(self.burst)
    }
}

/// Addresses whose blocks are remembered at most. Each entry is a few dozen bytes; the bound
/// keeps an attacker cycling through addresses from growing memory (expired entries are
/// dropped first, and if all are live the half whose blocks end soonest is forgotten, which
/// only lets those clients try again a little sooner).
const MAX_BLOCKED_CLIENTS: usize = 100_000;

/// The address requests arrive from when the server was not started with connection info
/// (in-process tests): they all share one budget.
const UNKNOWN_CLIENT: IpAddr = IpAddr::V4(Ipv4Addr::UNSPECIFIED);

/// The API's limiters, shared by every request of this process.
pub struct ApiLimits {
    per_token: Option<DefaultKeyedRateLimiter<String>>,
    per_app: Option<DefaultKeyedRateLimiter<String>>,
    auth_failures: Option<DefaultKeyedRateLimiter<IpAddr>>,
    /// Clients whose failure budget is spent, with when it has a cell again.
    blocked: Mutex<std::collections::HashMap<IpAddr, std::time::Instant>>,
}

impl std::fmt::Debug for ApiLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiLimits")
            .field("per_token", &self.per_token.is_some())
            .field("per_app", &self.per_app.is_some())
            .field("auth_failures", &self.auth_failures.is_some())
            .finish()
    }
}

/// The wait `not_until` asks for, from the limiter's clock.
fn wait_of(not_until: &governor::NotUntil<governor::clock::QuantaInstant>) -> Duration {
    not_until.wait_time_from(governor::clock::DefaultClock::default().now())
}

impl ApiLimits {
    /// Limiters for the configured limits; `None` turns a limit off.
    pub fn new(
        per_token: Option<RateLimit>,
        per_app: Option<RateLimit>,
        auth_failures_per_minute: Option<NonZeroU32>,
    ) -> Self {
        Self {
            per_token: per_token.map(|l| DefaultKeyedRateLimiter::keyed(l.quota())),
            per_app: per_app.map(|l| DefaultKeyedRateLimiter::keyed(l.quota())),
            auth_failures: auth_failures_per_minute
                .map(|n| DefaultKeyedRateLimiter::keyed(Quota::per_minute(n))),
            blocked: Mutex::default(),
        }
    }

    /// Counts one request of `token_hash` (and of the application `app_id`, when the route
    /// addresses one) against their limits.
    pub fn check_request(&self, token_hash: &str, app_id: Option<&str>) -> Result<(), ApiError> {
        if let Some(limiter) = &self.per_token {
            if let Err(nu) = limiter.check_key(&token_hash.to_owned()) {
                return Err(ApiError::TooManyRequests {
                    detail: "Too many requests with this token; retry after the time in the \
                             Retry-After header."
                        .into(),
                    retry_after: wait_of(&nu),
                });
            }
        }
        if let (Some(limiter), Some(app)) = (&self.per_app, app_id) {
            if let Err(nu) = limiter.check_key(&app.to_owned()) {
                return Err(ApiError::TooManyRequests {
                    detail: "Too many requests for this application; retry after the time in \
                             the Retry-After header."
                        .into(),
                    retry_after: wait_of(&nu),
                });
            }
        }
        Ok(())
    }

    /// How long `client` must still wait, if its failure budget is spent.
    fn blocked_for(&self, client: IpAddr) -> Option<Duration> {
        let blocked = self.blocked.lock().expect("blocked clients lock");
        let until = blocked.get(&client)?;
        let now = std::time::Instant::now();
        (*until > now).then(|| *until - now)
    }

    /// Records a failed authentication by `client`; answers the wait if that spent its budget.
    fn record_failure(&self, client: IpAddr) -> Option<Duration> {
        let limiter = self.auth_failures.as_ref()?;
        let wait = wait_of(&limiter.check_key(&client).err()?);
        let now = std::time::Instant::now();
        let mut blocked = self.blocked.lock().expect("blocked clients lock");
        if blocked.len() >= MAX_BLOCKED_CLIENTS {
            blocked.retain(|_, until| *until > now);
            if blocked.len() >= MAX_BLOCKED_CLIENTS {
                let mut ends: Vec<_> = blocked.values().copied().collect();
                ends.sort_unstable();
                let median = ends[ends.len() / 2];
                blocked.retain(|_, until| *until > median);
            }
        }
        blocked.insert(client, now + wait);
        Some(wait)
    }

    /// Forgets limiter state that no longer matters (keys whose budget is full again and
    /// expired blocks), so that memory follows the clients of the last minutes only. The
    /// maintenance loop calls this.
    pub fn prune(&self) {
        for limiter in [&self.per_token, &self.per_app].into_iter().flatten() {
            limiter.retain_recent();
        }
        if let Some(limiter) = &self.auth_failures {
            limiter.retain_recent();
        }
        let now = std::time::Instant::now();
        self.blocked
            .lock()
            .expect("blocked clients lock")
            .retain(|_, until| *until > now);
    }
}

/// The 429 a client gets while its failure budget is spent.
fn too_many_failures(wait: Duration) -> Response {
    ApiError::TooManyRequests {
        detail: "Too many failed authentication attempts from this address; retry after the \
                 time in the Retry-After header."
            .into(),
        retry_after: wait,
    }
    .into_response()
}

/// The middleware around every route: refuses clients whose failed-authentication budget is
/// spent, and charges each 401 to the client's address.
pub async fn fail_guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let client = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(UNKNOWN_CLIENT, |c| c.0.ip());
    if let Some(wait) = state.limits.blocked_for(client) {
        return too_many_failures(wait);
    }
    let response = next.run(req).await;
    if response.status() == StatusCode::UNAUTHORIZED {
        if let Some(wait) = state.limits.record_failure(client) {
            return too_many_failures(wait);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(v: u32) -> NonZeroU32 {
        NonZeroU32::new(v).unwrap()
    }

    /// A limit that does not refill within any test's run, so counts are exact.
    fn burst_only(burst: u32) -> RateLimit {
        RateLimit {
            burst: n(burst),
            refill_every: Duration::from_secs(3600),
        }
    }

    #[test]
    fn per_second_limits_refill_evenly() {
        let l = RateLimit::per_second(n(4));
        assert_eq!(l.refill_every, Duration::from_millis(250));
        assert_eq!(l.per_second_rate(), 4);
    }

    #[test]
    fn token_limit_counts_per_token() {
        let limits = ApiLimits::new(Some(burst_only(2)), None, None);
        assert!(limits.check_request("a", None).is_ok());
        assert!(limits.check_request("a", None).is_ok());
        let err = limits.check_request("a", None).unwrap_err();
        let ApiError::TooManyRequests { retry_after, .. } = err else {
            panic!("{err:?}");
        };
        assert!(retry_after > Duration::ZERO && retry_after <= Duration::from_secs(3600));
        // Another token has its own budget.
        assert!(limits.check_request("b", None).is_ok());
    }

    #[test]
    fn app_limit_is_shared_by_every_token() {
        let limits = ApiLimits::new(None, Some(burst_only(1)), None);
        assert!(limits.check_request("a", Some("app_1")).is_ok());
        assert!(limits.check_request("b", Some("app_1")).is_err());
        assert!(limits.check_request("b", Some("app_2")).is_ok());
        assert!(limits.check_request("b", None).is_ok());
    }

    #[test]
    fn failures_block_one_client_only() {
        let limits = ApiLimits::new(None, None, Some(n(3)));
        let bad: IpAddr = "192.0.2.1".parse().unwrap();
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..3 {
            assert_eq!(limits.record_failure(bad), None);
        }
        assert_eq!(limits.blocked_for(bad), None);
        let wait = limits
            .record_failure(bad)
            .expect("the fourth failure blocks");
        // A per-minute budget of 3 refills one cell every 20 s.
        assert!(wait <= Duration::from_secs(20), "{wait:?}");
        assert!(limits.blocked_for(bad).is_some());
        assert_eq!(limits.blocked_for(other), None);
        limits.prune();
        assert!(
            limits.blocked_for(bad).is_some(),
            "live blocks survive pruning"
        );
    }

    #[test]
    fn no_limits_configured_means_none_apply() {
        let limits = ApiLimits::new(None, None, None);
        for _ in 0..1000 {
            assert!(limits.check_request("a", Some("app")).is_ok());
        }
        assert_eq!(limits.record_failure(UNKNOWN_CLIENT), None);
    }
}
