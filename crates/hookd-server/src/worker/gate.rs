//! Per-endpoint admission of attempts: at most `endpoint_concurrency` requests to one endpoint
//! are in flight from this process at a time.
//!
//! Why: every endpoint shares the process's `worker_concurrency` slots. Without a per-endpoint
//! bound, a few receivers that answer only after the timeout hold a slot each for the whole
//! timeout, and at a modest rate they hold all of them: every other endpoint then waits behind
//! them (head-of-line blocking). With the bound, a slow endpoint holds at most its share of
//! slots and connections, and its other claimed deliveries are handed back.
//!
//! A delivery whose endpoint is full does one of two things:
//! - if the endpoint answers quickly (or has not answered yet), it waits up to [`FULL_WAIT`]
//!   for a request to it to finish, since one will soon: a fast endpoint under a burst should
//!   not see its deliveries pushed a second back;
//! - otherwise it is deferred (put back as pending, no attempt counted) to the endpoint's next
//!   free *turn*. Turns are spaced by the endpoint's recent answer time divided by the bound,
//!   the rate at which its requests finish, so a large backlog for a slow endpoint comes back
//!   about as fast as the endpoint can take it instead of being claimed again every second.
//!
//! This module keeps in-memory bookkeeping only (its entries live while an attempt to the
//! endpoint is in progress, so at most `worker_concurrency` of them); it must not touch the
//! store or the network. The bound is per process: N processes on one database send up to N
//! times as many requests to an endpoint.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use hookd_core::{id::EndpointId, Timestamp};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How long a delivery to a full endpoint that answers quickly waits for a free turn before it
/// is deferred. Long next to a fast receiver's answer (a few milliseconds), short next to the
/// second a deferral costs; the worker slot it holds meanwhile is the price.
pub const FULL_WAIT: Duration = Duration::from_millis(250);
/// An endpoint whose recent answers took longer than this counts as slow: a delivery that
/// finds it full is deferred at once rather than holding a worker slot while it waits.
pub const SLOW_ANSWER: Duration = Duration::from_secs(1);
/// The earliest a deferred delivery comes back: soon enough that a burst is only briefly
/// delayed, late enough that deferrals do not spin through the store.
pub const MIN_DEFERRAL: Duration = Duration::from_secs(1);
/// The latest a deferred delivery comes back, however long the endpoint's backlog: its turn
/// may be further off, but the endpoint may also have recovered by then, and a parked delivery
/// must not wait longer than a short retry would.
pub const MAX_DEFERRAL: Duration = Duration::from_secs(60);
/// The weight of the newest answer time in the endpoint's running average: enough history to
/// ride over one odd answer, recent enough to follow an endpoint that slows down or recovers
/// within a few dozen attempts.
const ANSWER_WEIGHT: f64 = 0.2;

/// The admission state of every endpoint that has an attempt in progress in this process.
#[derive(Debug)]
pub struct Gates {
    /// Requests in flight per endpoint at most; 0 means unbounded.
    cap: usize,
    gates: Mutex<HashMap<EndpointId, Gate>>,
}

#[derive(Debug)]
struct Gate {
    permits: Arc<Semaphore>,
    /// Attempts holding or waiting for a permit; the entry goes when this reaches zero.
    users: usize,
    /// Running average of the endpoint's answer times (including timeouts), once one is known.
    answer: Option<Duration>,
    /// When the next deferred delivery should come back.
    next_turn: Option<Timestamp>,
}

/// Leave to send one request to an endpoint; dropping it frees the endpoint's turn.
#[derive(Debug)]
pub struct Pass {
    _permit: Option<OwnedSemaphorePermit>,
    _user: Option<User>,
}

/// One attempt's membership of a gate; dropping it forgets the gate once nobody uses it.
#[derive(Debug)]
struct User {
    gates: Arc<Gates>,
    endpoint: EndpointId,
}

impl Drop for User {
    fn drop(&mut self) {
        let mut gates = self.gates.lock();
        if let Some(gate) = gates.get_mut(&self.endpoint) {
            gate.users -= 1;
            if gate.users == 0 {
                gates.remove(&self.endpoint);
            }
        }
    }
}

impl Gates {
    /// Gates that let at most `cap` requests to one endpoint be in flight (0: unbounded).
    pub fn new(cap: usize) -> Arc<Self> {
        Arc::new(Self {
            cap,
            gates: Mutex::default(),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<EndpointId, Gate>> {
        // The map holds plain counters; a panic elsewhere cannot leave it half-updated in a way
        // that matters more than losing the process's admission state, so poison is ignored.
        self.gates.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Admits one request to `endpoint`, or says when the delivery should come back.
    pub async fn enter(self: &Arc<Self>, endpoint: &EndpointId, now: Timestamp) -> Admission {
        if self.cap == 0 {
            return Admission::Go(Pass {
                _permit: None,
                _user: None,
            });
        }
        let (permits, slow) = {
            let mut gates = self.lock();
            let gate = gates.entry(endpoint.clone()).or_insert_with(|| Gate {
                permits: Arc::new(Semaphore::new(self.cap)),
                users: 0,
                answer: None,
                next_turn: None,
            });
            gate.users += 1;
            (
                gate.permits.clone(),
                gate.answer.is_some_and(|a| a > SLOW_ANSWER),
            )
        };
        let user = User {
            gates: self.clone(),
            endpoint: endpoint.clone(),
        };
        let permit = match permits.clone().try_acquire_owned() {
            Ok(permit) => Some(permit),
            Err(_) if !slow => tokio::time::timeout(FULL_WAIT, permits.acquire_owned())
                .await
                .ok()
                .and_then(Result::ok),
            Err(_) => None,
        };
        match permit {
            Some(permit) => Admission::Go(Pass {
                _permit: Some(permit),
                _user: Some(user),
            }),
            None => Admission::Later(self.next_turn(endpoint, now)),
        }
    }

    /// Records how long a request to `endpoint` took to be answered (or to time out).
    pub fn answered(&self, endpoint: &EndpointId, took: Duration) {
        if let Some(gate) = self.lock().get_mut(endpoint) {
            gate.answer = Some(match gate.answer {
                None => took,
                Some(avg) => avg.mul_f64(1.0 - ANSWER_WEIGHT) + took.mul_f64(ANSWER_WEIGHT),
            });
        }
    }

    /// Hands out the endpoint's next turn for a deferred delivery. The caller is still a user
    /// of the gate, so the entry exists.
    fn next_turn(&self, endpoint: &EndpointId, now: Timestamp) -> Timestamp {
        let earliest = now + chrono_duration(MIN_DEFERRAL);
        let latest = now + chrono_duration(MAX_DEFERRAL);
        let mut gates = self.lock();
        let Some(gate) = gates.get_mut(endpoint) else {
            return earliest;
        };
        // The endpoint frees one turn every (answer time / cap) on average.
        let spacing = gate.answer.unwrap_or(MIN_DEFERRAL) / u32::try_from(self.cap).unwrap_or(1);
        let turn = gate
            .next_turn
            .filter(|t| *t > earliest)
            .unwrap_or(earliest)
            .min(latest);
        gate.next_turn = Some(turn + chrono_duration(spacing));
        turn
    }

    /// How many endpoints have an attempt in progress (for tests).
    pub fn tracked(&self) -> usize {
        self.lock().len()
    }
}

/// What [`Gates::enter`] decided.
#[derive(Debug)]
pub enum Admission {
    /// Send now; hold the pass until the answer is in.
    Go(Pass),
    /// The endpoint is full: defer the delivery to this time.
    Later(Timestamp),
}

fn chrono_duration(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep(n: u8) -> EndpointId {
        EndpointId::from_trusted(format!("ep_{n}"))
    }

    fn at(secs: i64) -> Timestamp {
        chrono::DateTime::from_timestamp(1_700_000_000 + secs, 0).unwrap()
    }

    fn go(a: Admission) -> Pass {
        match a {
            Admission::Go(p) => p,
            Admission::Later(t) => panic!("deferred to {t}"),
        }
    }

    fn later(a: Admission) -> Timestamp {
        match a {
            Admission::Go(_) => panic!("admitted"),
            Admission::Later(t) => t,
        }
    }

    #[tokio::test]
    async fn unbounded_gates_admit_everything_and_track_nothing() {
        let gates = Gates::new(0);
        let _passes: Vec<Pass> = passes(&gates, &ep(1), 100).await;
        assert_eq!(gates.tracked(), 0);
    }

    async fn passes(gates: &Arc<Gates>, e: &EndpointId, n: usize) -> Vec<Pass> {
        let mut out = Vec::new();
        for _ in 0..n {
            out.push(go(gates.enter(e, at(0)).await));
        }
        out
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_endpoint_at_its_cap_defers_at_once_and_spaces_its_turns() {
        let gates = Gates::new(2);
        let held = passes(&gates, &ep(1), 2).await;
        gates.answered(&ep(1), Duration::from_secs(10));
        // Deferred without waiting (paused time would jump by any wait): each turn 10 s / 2 =
        // 5 s after the one before.
        let started = tokio::time::Instant::now();
        let turns = [
            later(gates.enter(&ep(1), at(0)).await),
            later(gates.enter(&ep(1), at(0)).await),
            later(gates.enter(&ep(1), at(0)).await),
        ];
        assert_eq!(
            started.elapsed(),
            Duration::ZERO,
            "a slow endpoint is not waited for"
        );
        assert_eq!(turns, [at(1), at(6), at(11)]);
        // Another endpoint is not affected.
        let _other = go(gates.enter(&ep(2), at(0)).await);
        drop(held);
        assert_eq!(
            gates.tracked(),
            1,
            "ep_1's entry goes with its last attempt"
        );
    }

    #[tokio::test]
    async fn turns_never_lie_beyond_the_longest_deferral() {
        let gates = Gates::new(1);
        let _held = go(gates.enter(&ep(1), at(0)).await);
        gates.answered(&ep(1), Duration::from_secs(600));
        let mut last = at(0);
        for _ in 0..5 {
            last = later(gates.enter(&ep(1), at(0)).await);
        }
        assert_eq!(last, at(0) + chrono_duration(MAX_DEFERRAL));
    }

    #[tokio::test]
    async fn turns_handed_out_long_ago_do_not_push_new_ones_back() {
        let gates = Gates::new(1);
        let _held = go(gates.enter(&ep(1), at(0)).await);
        gates.answered(&ep(1), Duration::from_secs(30));
        assert_eq!(later(gates.enter(&ep(1), at(0)).await), at(1));
        // Much later the old turn has passed: the next one is a second from then.
        assert_eq!(later(gates.enter(&ep(1), at(100)).await), at(101));
    }

    #[tokio::test]
    async fn a_fast_endpoint_at_its_cap_waits_for_a_turn_instead_of_deferring() {
        let gates = Gates::new(1);
        let held = go(gates.enter(&ep(1), at(0)).await);
        gates.answered(&ep(1), Duration::from_millis(3));
        let waiting = {
            let gates = gates.clone();
            tokio::spawn(
                async move { matches!(gates.enter(&ep(1), at(0)).await, Admission::Go(_)) },
            )
        };
        // The waiter is registered before the pass is released: the gate counts two users.
        while gates.lock().get(&ep(1)).map(|g| g.users) != Some(2) {
            tokio::task::yield_now().await;
        }
        drop(held);
        assert!(
            waiting.await.unwrap(),
            "admitted once the request before it finished"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_fast_endpoint_that_stays_full_defers_after_the_wait() {
        let gates = Gates::new(1);
        let _held = go(gates.enter(&ep(1), at(0)).await);
        // Paused time: the wait elapses without a real quarter second passing.
        assert_eq!(later(gates.enter(&ep(1), at(0)).await), at(1));
    }
}
