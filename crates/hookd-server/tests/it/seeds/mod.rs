//! Seed scenarios: for each vendor whose webhook docs are in `shared/seeds/` (postpress,
//! Postscript, Postmen), what the doc promises its customers, reproduced on hookd and observed
//! at a fake receiver: exact headers, exact bodies, retry times on an injected clock, success
//! rules, timeouts, secrets. Everything is configured through the API, with the same calls as
//! the guides in `docs/`.
//!
//! Each test runs the real API in process, real workers and a real SQLite store, with a manual
//! clock that the test moves to each retry's due time. Steps wait on signals (the receiver's
//! request count, the workers' completion count), never on sleeps.

mod postmen;
mod postpress;
mod postscript;
mod validation;

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use hookd_core::{clock::Clock, store::ClaimRequest};
use hookd_server::{config::ServerConfig, worker::Engine};
use serde_json::{json, Value};

use crate::common::{
    receiver::{Answer, Receiver, Seen},
    Harness,
};

/// One scenario's server: the API harness plus running workers.
pub struct World {
    pub h: Harness,
    workers: Engine,
}

impl World {
    /// A server whose clock reads `at` (RFC 3339), which may reach loopback receivers.
    pub async fn at(at: &str) -> Self {
        Self::with(at, |_| {}).await
    }

    /// Like [`Self::at`], with adjusted settings.
    pub async fn with(at: &str, adjust: impl FnOnce(&mut ServerConfig)) -> Self {
        let mut config = ServerConfig {
            allowed_networks: vec!["127.0.0.0/8".parse().expect("cidr")],
            request_timeout: Duration::from_secs(5),
            ..ServerConfig::default()
        };
        adjust(&mut config);
        let mut h = Harness::with_config(config).await;
        h.clock.set(ts(at));
        let workers = h.start_engine();
        Self { h, workers }
    }

    /// The clock, for a receiver to stamp requests with.
    pub fn clock(&self) -> Arc<dyn Clock> {
        self.h.clock.clone()
    }

    /// A receiver stamped with this world's clock.
    pub async fn receiver(&self, script: &[Answer]) -> Receiver {
        Receiver::with_clock(script, self.clock()).await
    }

    /// Waits until the workers have written `n` completions.
    pub async fn wait_completed(&mut self, n: u64) {
        tokio::time::timeout(Duration::from_secs(20), self.workers.wait_completed(n))
            .await
            .unwrap_or_else(|_| panic!("workers did not complete {n} deliveries in time"));
    }

    /// Sets the clock and wakes the workers, as their poll would.
    pub fn set_clock(&self, to: DateTime<Utc>) {
        self.h.clock.set(to);
        self.h.state.engine.wake();
    }

    /// The delivery of `msg` to its (one) endpoint, as the API shows it.
    pub async fn destination(&self, app: &str, msg: &str) -> Value {
        let r = self
            .h
            .get(&format!("/api/v1/app/{app}/msg/{msg}/endpoint"))
            .await
            .expect(200);
        r.json["data"][0].clone()
    }

    /// What [`Self::walk_schedule`] counts from: completions so far and requests `rx` saw.
    pub async fn counts(&self, rx: &Receiver) -> (u64, usize) {
        (self.workers.completed(), rx.seen().await.len())
    }

    /// Follows a message's deliveries to its one endpoint until the schedule is done, moving
    /// the clock to each retry's due time; returns the time of every request the receiver saw
    /// for it. `before` is what was counted before the message was published: the workers'
    /// completions and the receiver's requests (each attempt writes one completion and makes
    /// one request, and nothing else may be in flight).
    pub async fn walk_schedule(
        &mut self,
        rx: &mut Receiver,
        app: &str,
        msg: &str,
        before: (u64, usize),
    ) -> Vec<DateTime<Utc>> {
        let (base, start) = before;
        let mut n = 0;
        loop {
            n += 1;
            rx.wait_requests(start + n).await;
            self.wait_completed(base + n as u64).await;
            match self.destination(app, msg).await["nextAttempt"].as_str() {
                Some(next) => self.set_clock(ts(next)),
                None => break,
            }
        }
        rx.seen().await[start..]
            .iter()
            .map(|s| s.at.expect("stamped"))
            .collect()
    }

    /// Whether nothing at all is due within `ahead` from now (read-only probe of the queue).
    pub async fn nothing_due_within(&self, ahead: chrono::Duration) -> bool {
        let req = ClaimRequest {
            owner: "probe",
            lease_token: "lease_probe",
            now: self.h.clock.now() + ahead,
            lease: chrono::Duration::seconds(1),
            limit: 10,
        };
        self.h
            .store()
            .claim_due(&req)
            .await
            .expect("probe")
            .is_empty()
    }
}

/// Parses an RFC 3339 time.
pub fn ts(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).expect("rfc 3339").to_utc()
}

/// The seconds between consecutive times.
pub fn gaps(times: &[DateTime<Utc>]) -> Vec<i64> {
    times
        .windows(2)
        .map(|w| (w[1] - w[0]).num_seconds())
        .collect()
}

/// The headers every delivery carries whatever the endpoint's options: HTTP's own and hookd's
/// user agent (reqwest adds `accept: */*`).
pub const BASE_HEADERS: [&str; 4] = ["accept", "content-length", "host", "user-agent"];

/// `BASE_HEADERS` plus `extra`, sorted.
pub fn headers_with(extra: &[&str]) -> Vec<String> {
    let mut all: Vec<String> = BASE_HEADERS
        .iter()
        .chain(extra)
        .map(|s| (*s).to_owned())
        .collect();
    all.sort();
    all
}

/// Sends `body` (JSON text, whose key order is kept, unlike a `serde_json::Value`'s) as an
/// admin request.
pub async fn send_text(h: &Harness, method: &str, path: &str, body: &str) -> crate::common::Resp {
    let method = axum::http::Method::from_bytes(method.as_bytes()).expect("method");
    h.raw(method, path, Some(&h.admin.clone()), Some(body), &[])
        .await
}

/// The body of a request as JSON.
pub fn body_json(seen: &Seen) -> Value {
    serde_json::from_slice(&seen.body).expect("the body is JSON")
}

/// Creates the operational application with one endpoint at `url` that subscribes to
/// `background_task.finished`.
pub async fn operational_endpoint(h: &Harness, url: &str) {
    h.post(
        "/api/v1/app",
        json!({"name": "hookd operational webhooks", "uid": "hookd-operational"}),
    )
    .await
    .expect(201);
    h.post(
        "/api/v1/app/hookd-operational/endpoint",
        json!({"url": url, "eventTypes": ["background_task.finished"]}),
    )
    .await
    .expect(201);
}
