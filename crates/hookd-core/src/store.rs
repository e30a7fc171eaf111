//! The [`Store`] trait: everything hookd persists, and the delivery queue's guarded
//! transitions. One crate per database implements it, and one conformance suite
//! (`hookd-store-conformance`) runs unchanged against each.
//!
//! Contract notes that every implementation must honour (the conformance suite checks them):
//! - `*_by id or uid` lookups try the id first, then the uid, so a uid can never shadow an id.
//! - Unique violations (a taken `uid`, `eventId` or event type name) are
//!   [`StoreError::Conflict`], never a generic error.
//! - [`Store::create_message`] writes the message and all its deliveries in one transaction.
//! - [`Store::claim_due`] moves due deliveries to `Claimed` under a fresh lease, and takes a
//!   `Claimed` delivery whose lease expired as if it were due. It must not hold a transaction
//!   open after it returns. Nothing claims a delivery before its `next_attempt_at`, which for
//!   a new message is its `deliverAt` ([`Message::first_due_at`]), not even a publish's own
//!   claim.
//! - [`Store::complete`] changes a delivery only while it is still `Claimed` under the
//!   completion's lease token. A late completion (lease lost) still records its attempt, as a
//!   fact about what the receiver saw, but leaves the delivery alone.
//! - Endpoint health ([`Endpoint::failing_since`]) follows the attempts of completions that
//!   held their lease, in the same transaction: a failed attempt sets it to the attempt's time
//!   if it is unset, a successful one clears it, and within one batch they apply in batch
//!   order. Changing an endpoint's `disabled` flag (through [`Store::update_endpoint`] or
//!   [`Store::disable_failing_endpoint`]) clears it, so a re-enabled endpoint starts healthy.
//! - Retention ([`Store::expire_payloads`], [`Store::prune_attempts`]) works in bounded
//!   batches along an index, oldest first, so each call costs the same however large the
//!   tables are, and never touches the delivery queue.
//! - Text a store is given never contains NUL characters (PostgreSQL cannot hold them); the
//!   worker replaces them in receivers' answers before recording them.
//!
//! This module must not contain SQL or any I/O.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::Duration;

use crate::{
    delivery::{DeliveryState, MessageStatus, Transition, TriggerType},
    id::{AppId, AttemptId, EndpointId, MsgId, TaskId, TokenId},
    model::{
        Application, Attempt, AttemptBucket, Delivery, Endpoint, EndpointStats, EventType, Message,
        StoredResponse, Token,
    },
    page::{ListQuery, Page},
    task::{Task, TaskFilter, TaskStatus},
    Timestamp,
};

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row to change does not exist.
    #[error("not found")]
    NotFound,
    /// A unique key is taken; the text names which.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database cannot be reached or is out of space; the caller may try again later.
    #[error("storage unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Anything else; a bug or corruption.
    #[error("storage error")]
    Other(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Shorthand for store results.
pub type StoreResult<T> = Result<T, StoreError>;

/// Filters for listing messages.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MessageFilter {
    /// Only messages created strictly before this.
    pub before: Option<Timestamp>,
    /// Only messages created strictly after this.
    pub after: Option<Timestamp>,
    /// Only messages in this channel.
    pub channel: Option<String>,
    /// Only messages of one of these event types.
    pub event_types: Option<Vec<String>>,
    /// Only messages carrying this tag.
    pub tag: Option<String>,
}

/// Filters for listing applications (Svix's `ApplicationListOptions`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppFilter {
    /// Leave out applications without any endpoint.
    pub exclude_without_endpoints: bool,
    /// Leave out applications whose endpoints are all disabled (an application without
    /// endpoints has none disabled, and stays unless `exclude_without_endpoints`).
    pub exclude_all_disabled: bool,
    /// Leave out applications whose endpoints all point at Svix Play
    /// ([`SVIX_PLAY_URL_PREFIX`]); an application without endpoints stays.
    pub exclude_all_svix_play: bool,
}

/// Where Svix Play's inboxes live: endpoints under it are "Svix Play endpoints".
pub const SVIX_PLAY_URL_PREFIX: &str = "https://play.svix.com/";

/// Filters for listing attempts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AttemptFilter {
    /// The message-level filters (on the attempt's message, except the times, which apply to
    /// the attempt's own creation time).
    pub message: MessageFilter,
    /// Only attempts with this status (`Success` or `Fail`).
    pub status: Option<MessageStatus>,
    /// Only attempts whose status code is in this class: 0 (no response), 100, 200 … 500.
    pub status_code_class: Option<u16>,
    /// Only attempts to this endpoint (for lists by message).
    pub endpoint_id: Option<EndpointId>,
}

/// Filters for listing the deliveries of an endpoint (`/endpoint/{id}/msg`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeliveryFilter {
    /// Message-level filters.
    pub message: MessageFilter,
    /// Only deliveries whose Svix status is this.
    pub status: Option<MessageStatus>,
}

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
    /// A delivery of `msg` to `endpoint` that [`Store::create_messages`] wrote already claimed
    /// under `claim` (lease until `expires`): what [`Store::claim_due`] would have returned had
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

/// What [`Store::create_messages`] wrote.
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

/// What one call of [`Store::reseal_endpoint_secrets`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResealBatch {
    /// The last endpoint id examined, to pass as `after` next time; `None` when no endpoint
    /// was left to examine.
    pub last: Option<EndpointId>,
    /// Endpoints examined.
    pub examined: u64,
    /// Endpoints whose stored secrets were rewritten.
    pub resealed: u64,
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

/// The state of an idempotency key when a request with it arrives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyBegin {
    /// The key was free (or expired) and is now reserved for this request.
    Started,
    /// Another request with this key is still being processed.
    InProgress,
    /// A request with this key completed; here is its fingerprint and response.
    Completed {
        /// The fingerprint of the first request's body.
        request_hash: String,
        /// Its response.
        response: StoredResponse,
    },
}

/// Called by a store when another process made deliveries due now (see
/// [`Store::subscribe_work`]).
pub type WorkCallback = Arc<dyn Fn() + Send + Sync>;

/// Which attempts [`Store::attempt_buckets`] counts.
#[derive(Debug, Clone, PartialEq)]
pub struct BucketQuery {
    /// Only this application's attempts, if set.
    pub app: Option<AppId>,
    /// Only this endpoint's attempts, if set.
    pub endpoint: Option<EndpointId>,
    /// Attempts created at or after this.
    pub since: Timestamp,
    /// Attempts created before this.
    pub until: Timestamp,
    /// Bucket width in seconds (at least 1).
    pub bucket_secs: u32,
}

/// Everything hookd persists. Implementations must be cheap to share (`Arc<dyn Store>`).
#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug {
    /// Checks that the database answers.
    async fn ping(&self) -> StoreResult<()>;

    // ---- API tokens ----

    /// Stores a new token.
    async fn insert_token(&self, token: &Token) -> StoreResult<()>;
    /// Stores `token` only if no admin token exists yet; true if it was stored. Atomic, so
    /// that concurrent first starts create exactly one.
    async fn insert_admin_token_if_none(&self, token: &Token) -> StoreResult<bool>;
    /// Finds a token by the hash of its text.
    async fn token_by_hash(&self, hash: &str) -> StoreResult<Option<Token>>;
    /// Deletes a token; true if it existed.
    async fn delete_token(&self, id: &TokenId) -> StoreResult<bool>;
    /// Makes the tokens of application `app` (only those minted with one of `session_ids`,
    /// when a non-empty list is given) expire at `at`, or keep an earlier expiry they already have: a token's life
    /// is only ever shortened. Returns how many tokens it matched.
    async fn expire_app_tokens(
        &self,
        app: &AppId,
        session_ids: Option<&[String]>,
        at: Timestamp,
    ) -> StoreResult<u64>;

    // ---- Applications ----

    /// Creates an application; `Conflict` if its uid is taken.
    async fn create_app(&self, app: &Application) -> StoreResult<()>;
    /// Finds an application by id, else by uid.
    async fn get_app(&self, id_or_uid: &str) -> StoreResult<Option<Application>>;
    /// Lists applications by id, leaving out those `filter` excludes.
    async fn list_apps(
        &self,
        filter: &AppFilter,
        query: &ListQuery,
    ) -> StoreResult<Page<Application>>;
    /// Replaces an application's fields (found by `app.id`); `NotFound` or `Conflict`.
    async fn update_app(&self, app: &Application) -> StoreResult<()>;
    /// Deletes an application and everything it owns; true if it existed.
    async fn delete_app(&self, id: &AppId) -> StoreResult<bool>;

    // ---- Event types ----

    /// Creates an event type; `Conflict` if the name is taken.
    async fn create_event_type(&self, et: &EventType) -> StoreResult<()>;
    /// Finds an event type by name.
    async fn get_event_type(&self, name: &str) -> StoreResult<Option<EventType>>;
    /// Lists event types by name.
    async fn list_event_types(
        &self,
        include_archived: bool,
        query: &ListQuery,
    ) -> StoreResult<Page<EventType>>;
    /// Replaces an event type's fields (found by name); `NotFound`.
    async fn update_event_type(&self, et: &EventType) -> StoreResult<()>;
    /// Deletes an event type for good; true if it existed.
    async fn delete_event_type(&self, name: &str) -> StoreResult<bool>;

    // ---- Endpoints ----

    /// Creates an endpoint (healthy: `ep.failing_since` is not written); `Conflict` if its uid
    /// is taken in the application.
    async fn create_endpoint(&self, ep: &Endpoint) -> StoreResult<()>;
    /// Finds an endpoint of `app` by id, else by uid.
    async fn get_endpoint(&self, app: &AppId, id_or_uid: &str) -> StoreResult<Option<Endpoint>>;
    /// Lists an application's endpoints by id.
    async fn list_endpoints(&self, app: &AppId, query: &ListQuery) -> StoreResult<Page<Endpoint>>;
    /// Replaces an endpoint's fields (found by `ep.app_id` and `ep.id`); `NotFound`, `Conflict`.
    /// `ep.failing_since` is not written: the store keeps its own value, or clears it when
    /// `ep.disabled` differs from the stored flag.
    async fn update_endpoint(&self, ep: &Endpoint) -> StoreResult<()>;
    /// Rewrites, under the primary key of the store's [`crate::seal::Sealer`], the stored
    /// secrets of up to `limit` endpoints whose ids come after `after` (in id order), leaving
    /// those already sealed under it alone. Each row is rewritten only if it still holds what
    /// was read (so a concurrent rotation is never undone). A store without a sealer
    /// examines nothing.
    async fn reseal_endpoint_secrets(
        &self,
        after: Option<&EndpointId>,
        limit: u32,
    ) -> StoreResult<ResealBatch>;
    /// Deletes an endpoint with its deliveries and attempts; true if it existed.
    async fn delete_endpoint(&self, app: &AppId, id: &EndpointId) -> StoreResult<bool>;
    /// Disables the endpoint if it is enabled and has been failing since `failing_before` or
    /// earlier, clearing its [`Endpoint::failing_since`] and setting `updated_at` to `now`.
    /// Returns the time it had been failing since when this call disabled it, else `None`
    /// (already disabled, healthy again, failing only since later, or gone). The check and
    /// the change are one guarded statement, so when several workers or processes race, only
    /// one of them sees `Some` and reports it.
    async fn disable_failing_endpoint(
        &self,
        app: &AppId,
        id: &EndpointId,
        failing_before: Timestamp,
        now: Timestamp,
    ) -> StoreResult<Option<Timestamp>>;

    // ---- Messages ----

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
    /// Writes several messages as [`Store::create_message`] does (without `only_endpoint`), in
    /// as few transactions as the store can: this is the group commit behind concurrent
    /// publishes. Each message succeeds or fails on its own (a taken `eventId` fails only that
    /// message, with `Conflict`); the outer error means the whole batch failed and nothing was
    /// written.
    ///
    /// With `claim`, up to `claim.limit` of the new deliveries that are due at `claim.now`
    /// (a `deliverAt` still ahead is not) are written already claimed under its lease (as [`Store::claim_due`] would have claimed them the moment they were
    /// committed) and returned in [`Created::claimed`]: the publishing process's workers have
    /// free slots and start on them at once, without a claim transaction. `claim.now` is the
    /// claim's time, not the messages'. The default writes the messages one by one and claims
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
    /// How many write transactions this store can usefully run at once: 1 for a single-writer
    /// database, more for one that commits concurrently. Batching callers size themselves by it.
    fn write_parallelism(&self) -> usize {
        1
    }
    /// Finds a message of `app` by id, else by `eventId`.
    async fn get_message(&self, app: &AppId, id_or_event_id: &str) -> StoreResult<Option<Message>>;
    /// Lists an application's messages by id.
    async fn list_messages(
        &self,
        app: &AppId,
        filter: &MessageFilter,
        query: &ListQuery,
    ) -> StoreResult<Page<Message>>;
    /// Removes a message's payload for good, and the request bodies its attempts recorded
    /// ([`crate::model::SentBody::Recorded`] becomes [`crate::model::SentBody::Removed`]):
    /// they hold the payload's data. True if the message exists.
    async fn expunge_message_content(&self, app: &AppId, msg: &MsgId) -> StoreResult<bool>;

    // ---- Retention ----

    /// Removes the payloads (as [`Store::expunge_message_content`] does) of at most `limit`
    /// messages whose [`Message::payload_expires_at`] is at or before `now`, earliest expiry
    /// first. Returns how many; fewer than `limit` means none is left to expire at `now`.
    async fn expire_payloads(&self, now: Timestamp, limit: u32) -> StoreResult<u64>;
    /// Deletes at most `limit` attempts created before `before`, oldest first. Returns how
    /// many; fewer than `limit` means none older is left. Deliveries keep their attempt
    /// counts and states: only the per-attempt records go.
    async fn prune_attempts(&self, before: Timestamp, limit: u32) -> StoreResult<u64>;

    // ---- Deliveries and attempts (read side) ----

    /// Lists the deliveries of an endpoint with their messages, by message id.
    async fn list_endpoint_deliveries(
        &self,
        app: &AppId,
        endpoint: &EndpointId,
        filter: &DeliveryFilter,
        query: &ListQuery,
    ) -> StoreResult<Page<(Message, Delivery)>>;
    /// Lists the deliveries of a message with their endpoints, by endpoint id.
    async fn list_message_deliveries(
        &self,
        app: &AppId,
        msg: &MsgId,
        query: &ListQuery,
    ) -> StoreResult<Page<(Endpoint, Delivery)>>;
    /// Lists an endpoint's attempts by attempt id.
    async fn list_attempts_by_endpoint(
        &self,
        app: &AppId,
        endpoint: &EndpointId,
        filter: &AttemptFilter,
        query: &ListQuery,
    ) -> StoreResult<Page<Attempt>>;
    /// Lists a message's attempts by attempt id.
    async fn list_attempts_by_msg(
        &self,
        app: &AppId,
        msg: &MsgId,
        filter: &AttemptFilter,
        query: &ListQuery,
    ) -> StoreResult<Page<Attempt>>;
    /// Finds one attempt of a message.
    async fn get_attempt(
        &self,
        app: &AppId,
        msg: &MsgId,
        attempt: &AttemptId,
    ) -> StoreResult<Option<Attempt>>;
    /// Removes an attempt's response body and recorded request body for good (a recorded
    /// request keeps its headers, its body becomes [`crate::model::SentBody::Removed`]);
    /// true if the attempt exists.
    async fn expunge_attempt_content(
        &self,
        app: &AppId,
        msg: &MsgId,
        attempt: &AttemptId,
    ) -> StoreResult<bool>;
    /// Counts an endpoint's deliveries created in `[since, until)` by status.
    async fn endpoint_stats(
        &self,
        app: &AppId,
        endpoint: &EndpointId,
        since: Option<Timestamp>,
        until: Option<Timestamp>,
    ) -> StoreResult<EndpointStats>;

    // ---- The delivery queue ----

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
    /// Registers `on_work`, to be called whenever *another process* on the same database makes
    /// deliveries due now, so this process's workers start within milliseconds instead of at
    /// their next poll. Stores that only ever serve one process do nothing.
    async fn subscribe_work(&self, on_work: WorkCallback) -> StoreResult<()>;

    // ---- Charts ----

    /// Counts attempts by time bucket, outcome and duration bin, oldest bucket first; empty
    /// buckets are omitted.
    async fn attempt_buckets(&self, query: &BucketQuery) -> StoreResult<Vec<AttemptBucket>>;

    // ---- Idempotency keys ----

    /// Reserves `key` for a request, or reports its state. Records older than `expired_before`
    /// count as absent and are replaced.
    async fn idempotency_begin(
        &self,
        key: &str,
        request_hash: &str,
        now: Timestamp,
        expired_before: Timestamp,
    ) -> StoreResult<IdempotencyBegin>;
    /// Stores the response of the request that reserved `key`.
    async fn idempotency_finish(&self, key: &str, response: &StoredResponse) -> StoreResult<()>;
    /// Releases a reservation without a response (the request failed in a way worth retrying).
    async fn idempotency_abandon(&self, key: &str) -> StoreResult<()>;
    /// Deletes records created before `before`; returns how many.
    async fn idempotency_prune(&self, before: Timestamp) -> StoreResult<u64>;

    // ---- Background tasks ----

    /// Stores a new task; `Conflict` if its id is taken.
    async fn create_task(&self, task: &Task) -> StoreResult<()>;
    /// Ends a task: sets its status (`Finished` or `Failed`), `data` and `updated_at`, only
    /// while it is still `Running`. True if this call ended it (a task ends once).
    async fn end_task(
        &self,
        id: &TaskId,
        status: TaskStatus,
        data: &serde_json::Value,
        now: Timestamp,
    ) -> StoreResult<bool>;
    /// Records that a running task is alive (its `updated_at` becomes `now`); true if it is
    /// still running.
    async fn touch_task(&self, id: &TaskId, now: Timestamp) -> StoreResult<bool>;
    /// Finds a task by id.
    async fn get_task(&self, id: &TaskId) -> StoreResult<Option<Task>>;
    /// Lists tasks by id (so by start time), filtered.
    async fn list_tasks(&self, filter: &TaskFilter, query: &ListQuery) -> StoreResult<Page<Task>>;
    /// Fails every `Running` task whose `updated_at` is before `stale_before` (its process
    /// stopped heartbeating), with `data` and `updated_at = now`. Returns how many.
    async fn fail_stale_tasks(
        &self,
        stale_before: Timestamp,
        data: &serde_json::Value,
        now: Timestamp,
    ) -> StoreResult<u64>;
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
