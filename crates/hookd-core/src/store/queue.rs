//! The [`Queue`] role: the delivery queue's writes and guarded transitions, in River's shape.
//! A message enters with its deliveries in one transaction (optionally claimed at once for
//! this process's free slots), deliveries are claimed in batches under a lease, completions
//! are applied in batches and only while their lease holds, and a lost claim can be
//! released. This is the one role the delivery engine writes through, and the one a test
//! wraps to inject faults. It must not contain SQL or any I/O.

use chrono::Duration;

use async_trait::async_trait;

use super::StoreResult;
use crate::{
    delivery::{DeliveryState, MessageStatus, Transition, TriggerType},
    id::{AppId, EndpointId, MsgId},
    model::{Attempt, Delivery, Endpoint, Message},
    Timestamp,
};

/// A delivery handed to a worker, with everything needed to make the attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct Claimed {
    /// The delivery as it was claimed (state `Claimed`).
    pub delivery: Delivery,
    /// Its message.
    pub message: Message,
    /// Its endpoint.
    pub endpoint: Endpoint,
    /// The lease token that completion must present.
    pub lease_token: String,
    /// When the lease runs out.
    pub lease_expires_at: Timestamp,
}

impl Claimed {
    /// A delivery of `msg` to `endpoint` that [`Queue::create_messages`] wrote already claimed
    /// under `claim` (lease until `expires`): what [`Queue::claim_due`] would have returned had
    /// it claimed the delivery the moment it was committed.
    pub fn at_creation(
        msg: &Message,
        endpoint: &Endpoint,
        claim: &ClaimRequest<'_>,
        expires: Timestamp,
    ) -> Self {
        Self {
            delivery: Delivery {
                msg_id: msg.id.clone(),
                endpoint_id: endpoint.id.clone(),
                app_id: msg.app_id.clone(),
                state: DeliveryState::Claimed,
                attempts: 0,
                next_attempt_at: Some(msg.first_due_at()),
                trigger: TriggerType::Scheduled,
                created_at: msg.created_at,
                updated_at: claim.now,
            },
            message: msg.clone(),
            endpoint: endpoint.clone(),
            lease_token: claim.lease_token.to_owned(),
            lease_expires_at: expires,
        }
    }
}

/// How much work the queue holds, as [`Queue::depth`] counts it for the operators' gauges.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueDepth {
    /// Deliveries waiting for their first attempt (or a resend's), due or not yet.
    pub pending: u64,
    /// Deliveries a worker holds under a lease.
    pub claimed: u64,
    /// Deliveries waiting for a retry.
    pub retry_scheduled: u64,
    /// The earliest `next_attempt_at` among pending and retry-scheduled deliveries that are
    /// due by the time asked about: `now` minus it is how late the queue runs (delivery lag).
    /// `None` when nothing is due.
    pub oldest_due_at: Option<Timestamp>,
}

/// What [`Queue::create_messages`] wrote.
#[derive(Debug)]
pub struct Created {
    /// Per message, in order: how many deliveries it got, or why it was refused.
    pub results: Vec<StoreResult<u32>>,
    /// The new deliveries written already claimed under the call's claim, if it had one.
    pub claimed: Vec<Claimed>,
}

impl Created {
    /// The same, with `open` applied to every claimed delivery's endpoint (a store opens sealed
    /// secrets this way before anything above it sees them).
    pub fn map_endpoints(
        self,
        open: impl Fn(Endpoint) -> StoreResult<Endpoint>,
    ) -> StoreResult<Created> {
        Ok(Created {
            claimed: self
                .claimed
                .into_iter()
                .map(|mut c| {
                    c.endpoint = open(c.endpoint)?;
                    Ok(c)
                })
                .collect::<StoreResult<_>>()?,
            results: self.results,
        })
    }
}

/// Parameters of one claim.
#[derive(Debug, Clone)]
pub struct ClaimRequest<'a> {
    /// Who claims (process and worker name), for operators.
    pub owner: &'a str,
    /// A fresh random token identifying this claim; completion must present it.
    pub lease_token: &'a str,
    /// The current time.
    pub now: Timestamp,
    /// How long the lease lasts; must exceed the longest HTTP timeout.
    pub lease: Duration,
    /// At most this many deliveries.
    pub limit: u32,
}

/// What became of a claimed delivery.
// Most outcomes are attempts, so boxing the large variant would add an allocation to nearly
// every delivery to save space on the rare deferral; outcomes are short-lived and bounded in
// number by the worker slots.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// An attempt was made; record it and move the delivery per the transition.
    Attempted {
        /// The attempt record.
        attempt: Attempt,
        /// Where the delivery goes next.
        transition: Transition,
    },
    /// No attempt was made (e.g. the endpoint's rate limit): back to `Pending` until then,
    /// without counting an attempt.
    Deferred {
        /// When it is due again.
        until: Timestamp,
    },
    /// No attempt was made and none will be: the endpoint is disabled.
    Canceled,
}

/// A worker's report on one claimed delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    /// The message.
    pub msg_id: MsgId,
    /// The endpoint.
    pub endpoint_id: EndpointId,
    /// The token of the claim this completes.
    pub lease_token: String,
    /// What happened.
    pub outcome: Outcome,
    /// When it was reported.
    pub now: Timestamp,
}

/// How one batch of completions moves one endpoint's health ([`Endpoint::failing_since`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthChange {
    /// The endpoint.
    pub endpoint_id: EndpointId,
    /// Whether the batch saw a success for it, which ends any failing period before it.
    pub reset: bool,
    /// The first failure after the batch's last success (or in the whole batch, without one).
    pub since: Option<Timestamp>,
}

impl HealthChange {
    /// The endpoint's `failing_since` after this change, given the one it had.
    pub fn apply(&self, current: Option<Timestamp>) -> Option<Timestamp> {
        if self.reset {
            self.since
        } else {
            current.or(self.since)
        }
    }
}

/// Folds the attempts of a batch's completions that held their lease (`held`, by position)
/// into one [`HealthChange`] per endpoint, in batch order: a success resets the failing
/// period, the first failure after it starts one. Sorted by endpoint id, so a store can lock
/// the endpoints in a fixed order. This is the store contract's "health in batch order",
/// written once for every store.
pub fn health_changes(batch: &[Completion], held: &[bool]) -> Vec<HealthChange> {
    let mut folded: std::collections::BTreeMap<&EndpointId, (bool, Option<Timestamp>)> =
        std::collections::BTreeMap::new();
    for (c, held) in batch.iter().zip(held) {
        let Outcome::Attempted { attempt, .. } = &c.outcome else {
            continue;
        };
        if !held {
            continue;
        }
        let entry = folded.entry(&attempt.endpoint_id).or_default();
        if attempt.status == MessageStatus::Success {
            *entry = (true, None);
        } else if entry.1.is_none() {
            entry.1 = Some(attempt.created_at);
        }
    }
    folded
        .into_iter()
        .map(|(id, (reset, since))| HealthChange {
            endpoint_id: id.clone(),
            reset,
            since,
        })
        .collect()
}

/// The delivery queue.
#[async_trait]
pub trait Queue: Send + Sync + std::fmt::Debug {
    /// Writes the message and one `Pending` delivery (due at [`Message::first_due_at`]: its
    /// `deliverAt`, else its creation; no claim may take it earlier) per endpoint of
    /// the application that [`Endpoint::accepts`] it, in one transaction. `Conflict` if the
    /// `eventId` is taken in the application. Returns how many deliveries were created.
    /// With `only_endpoint`, the message goes to that endpoint alone and only if it exists in
    /// the application and is not disabled, whatever its filters (Svix's `send-example`).
    async fn create_message(
        &self,
        msg: &Message,
        only_endpoint: Option<&EndpointId>,
    ) -> StoreResult<u32>;

    /// Writes several messages as [`Queue::create_message`] does (without `only_endpoint`), in
    /// as few transactions as the store can: this is the group commit behind concurrent
    /// publishes. Each message succeeds or fails on its own (a taken `eventId` fails only that
    /// message, with `Conflict`); the outer error means the whole batch failed and nothing was
    /// written.
    ///
    /// With `claim`, up to `claim.limit` of the new deliveries that are due at `claim.now`
    /// (a `deliverAt` still ahead is not) are written already claimed under its lease (as
    /// [`Queue::claim_due`] would have claimed them the moment they were committed) and
    /// returned in [`Created::claimed`]: the publishing process's workers have free slots and
    /// start on them at once, without a claim transaction. `claim.now` is the claim's time,
    /// not the messages'. The default writes the messages one by one and claims
    /// nothing, which is also correct: the deliveries wait for an ordinary claim.
    async fn create_messages(
        &self,
        msgs: &[Message],
        claim: Option<&ClaimRequest<'_>>,
    ) -> StoreResult<Created> {
        let _ = claim;
        let mut results = Vec::with_capacity(msgs.len());
        for msg in msgs {
            results.push(self.create_message(msg, None).await);
        }
        Ok(Created {
            results,
            claimed: Vec::new(),
        })
    }

    /// Claims up to `limit` due deliveries (oldest due first) under a new lease.
    async fn claim_due(&self, req: &ClaimRequest<'_>) -> StoreResult<Vec<Claimed>>;

    /// Applies a batch of completions in one transaction. Returns, per completion, whether it
    /// still held its lease (and so changed the delivery).
    async fn complete(&self, batch: &[Completion]) -> StoreResult<Vec<bool>>;

    /// Makes the delivery of `msg` to `endpoint` due now as a manual attempt, creating it if
    /// the message never went to that endpoint. `NotFound` if either does not exist.
    async fn resend(
        &self,
        app: &AppId,
        msg: &MsgId,
        endpoint: &EndpointId,
        now: Timestamp,
    ) -> StoreResult<()>;

    /// Makes every `Exhausted` delivery of the endpoint created in `[since, until)` due now as a
    /// manual attempt. Returns how many.
    async fn recover(
        &self,
        app: &AppId,
        endpoint: &EndpointId,
        since: Timestamp,
        until: Option<Timestamp>,
        now: Timestamp,
    ) -> StoreResult<u64>;

    /// Puts every delivery still claimed under `lease_token` back as due at `now`, without
    /// counting an attempt, and answers how many. A worker whose `claim_due` failed calls this
    /// with that call's token once the store answers again: the claim may have committed
    /// although its answer was lost, and what it holds would otherwise wait for its lease.
    async fn release_claims(&self, lease_token: &str, now: Timestamp) -> StoreResult<u64>;

    /// The earliest `next_attempt_at` of any claimable delivery, or expiry of any lease, so a
    /// worker can sleep exactly until then.
    async fn next_due_at(&self) -> StoreResult<Option<Timestamp>>;

    /// How many deliveries are pending, claimed and scheduled for a retry, and the earliest
    /// due time among those due by `now`. A read for metrics: it may be a moment stale and
    /// must not take locks that claims wait for.
    async fn depth(&self, now: Timestamp) -> StoreResult<QueueDepth>;

    /// Asks for a slot under a per-second rate limit named `key` (e.g. an endpoint's
    /// `throttleRate`), using the GCRA of [`crate::throttle`]. `Ok(Ok(()))` takes the slot;
    /// `Ok(Err(at))` means wait until `at`, and takes nothing. The state is shared by every
    /// process on the same database, so a limit holds cluster-wide.
    async fn throttle_take(
        &self,
        key: &str,
        per_second: u16,
        now: Timestamp,
    ) -> StoreResult<Result<(), Timestamp>>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        clock::{Clock, ManualClock},
        delivery::{Transition, TriggerType},
        id::{AppId, AttemptId},
    };

    fn completion(ep: &str, at: Timestamp, ok: bool) -> Completion {
        Completion {
            msg_id: MsgId::from_trusted("msg_1"),
            endpoint_id: EndpointId::from_trusted(ep),
            lease_token: "t".into(),
            outcome: Outcome::Attempted {
                attempt: Attempt {
                    id: AttemptId::from_trusted("atmpt_1"),
                    msg_id: MsgId::from_trusted("msg_1"),
                    endpoint_id: EndpointId::from_trusted(ep),
                    app_id: AppId::from_trusted("app_1"),
                    url: "https://x".into(),
                    status: if ok {
                        MessageStatus::Success
                    } else {
                        MessageStatus::Fail
                    },
                    response_status_code: if ok { 200 } else { 500 },
                    response: None,
                    response_duration_ms: 1,
                    trigger_type: TriggerType::Scheduled,
                    created_at: at,
                    request: None,
                    next_attempt_at: None,
                    retry_after: None,
                },
                transition: Transition::Succeeded,
            },
            now: at,
        }
    }

    #[test]
    fn health_folds_held_attempts_in_batch_order() {
        let t0 = ManualClock::at_epoch().now();
        let t = |s: i64| t0 + chrono::Duration::seconds(s);
        let batch = [
            completion("ep_b", t(1), false),
            completion("ep_b", t(2), true),
            completion("ep_b", t(3), false),
            completion("ep_b", t(4), false),
            completion("ep_a", t(5), false),
            completion("ep_a", t(6), false),
            completion("ep_c", t(7), true),
            completion("ep_d", t(8), false),
        ];
        let held = [true, true, true, true, true, true, true, false];
        let change = |id: &str, reset, since| HealthChange {
            endpoint_id: EndpointId::from_trusted(id),
            reset,
            since,
        };
        // Sorted by id; ep_d's only completion lost its lease and counts for nothing.
        let changes = health_changes(&batch, &held);
        assert_eq!(
            changes,
            vec![
                change("ep_a", false, Some(t(5))),
                change("ep_b", true, Some(t(3))),
                change("ep_c", true, None),
            ]
        );
        // Only failures: an earlier start stays; a success restarts from the batch.
        assert_eq!(changes[0].apply(Some(t0)), Some(t0));
        assert_eq!(changes[0].apply(None), Some(t(5)));
        assert_eq!(changes[1].apply(Some(t0)), Some(t(3)));
        assert_eq!(changes[2].apply(Some(t0)), None);
    }
}
