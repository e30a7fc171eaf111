//! What hookd persists, as role traits in River's spirit: [`Capabilities`] (what the store can
//! do) apart from the operations, which are grouped by who uses them: [`Directory`] (tokens,
//! applications, event types, endpoints), [`Messages`], [`Queue`] (the delivery queue's
//! writes and guarded transitions), [`History`] (deliveries and attempts as read),
//! [`Idempotency`], [`Tasks`] and [`Audit`]. A caller imports the role it uses; [`Store`] is all of them,
//! what one database implements and what the binary hands out. One crate per database
//! implements every role, and one conformance suite (`hookd-store-conformance`) runs
//! unchanged against each.
//!
//! Contract notes that every implementation must honour (the conformance suite checks them):
//! - `*_by id or uid` lookups try the id first, then the uid, so a uid can never shadow an id.
//! - Unique violations (a taken `uid`, `eventId` or event type name) are
//!   [`StoreError::Conflict`], never a generic error.
//! - [`Queue::create_message`] writes the message and all its deliveries in one transaction.
//! - [`Queue::claim_due`] moves due deliveries to `Claimed` under a fresh lease, and takes a
//!   `Claimed` delivery whose lease expired as if it were due. It must not hold a transaction
//!   open after it returns. Nothing claims a delivery before its `next_attempt_at`, which for
//!   a new message is its `deliverAt` ([`crate::model::Message::first_due_at`]), not even a
//!   publish's own claim.
//! - [`Queue::complete`] changes a delivery only while it is still `Claimed` under the
//!   completion's lease token. A late completion (lease lost) still records its attempt, as a
//!   fact about what the receiver saw, but leaves the delivery alone.
//! - Endpoint health ([`crate::model::Endpoint::failing_since`]) follows the attempts of
//!   completions that held their lease, in the same transaction: a failed attempt sets it to
//!   the attempt's time if it is unset, a successful one clears it, and within one batch they
//!   apply in batch order. Changing an endpoint's `disabled` flag (through
//!   [`Directory::update_endpoint`] or [`Directory::disable_failing_endpoint`]) clears it, so
//!   a re-enabled endpoint starts healthy.
//! - Retention ([`Messages::expire_payloads`], [`History::prune_attempts`]) works in bounded
//!   batches along an index, oldest first, so each call costs the same however large the
//!   tables are, and never touches the delivery queue.
//! - Text a store is given never contains NUL characters (PostgreSQL cannot hold them); the
//!   worker replaces them in receivers' answers before recording them.
//!
//! This module must not contain SQL or any I/O.

mod audit;
mod capabilities;
mod directory;
mod history;
mod idempotency;
mod messages;
mod queue;
mod tasks;

pub use audit::{Audit, AuditEntry};
pub use capabilities::{Capabilities, WorkCallback};
pub use directory::{AppFilter, Directory, ResealBatch, SVIX_PLAY_URL_PREFIX};
pub use history::{AttemptFilter, BucketQuery, DeliveryFilter, History};
pub use idempotency::{Idempotency, IdempotencyBegin};
pub use messages::{MessageFilter, Messages};
pub use queue::{
    health_changes, ClaimRequest, Claimed, Completion, Created, HealthChange, Outcome, Queue,
    QueueDepth,
};
pub use tasks::Tasks;

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

/// Everything hookd persists: every role at once. A database crate implements the roles and
/// gets this for free; the binary shares one as `Arc<dyn Store>`, and a component that needs
/// one role takes it as `Arc<dyn Queue>` (or another role) from that.
pub trait Store:
    Capabilities + Directory + Messages + Queue + History + Idempotency + Tasks + Audit
{
}

impl<T> Store for T where
    T: Capabilities + Directory + Messages + Queue + History + Idempotency + Tasks + Audit
{
}
