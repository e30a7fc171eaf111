//! The conformance cases, one module per area of the [`hookd_core::store::Store`] contract.
//! Every case takes a fresh, empty store and panics on the first broken promise.
//!
//! Cases must not sleep or read the system clock: time comes from each case's
//! [`crate::fixture::Fixture`], and the store is always told `now`.

pub mod apps;
pub mod attempts;
pub mod completion;
pub mod deliveries;
pub mod endpoints;
pub mod event_types;
pub mod extras;
pub mod foreign_ids;
pub mod health;
pub mod idempotency;
pub mod limits;
pub mod messages;
pub mod publish_claims;
pub mod queue;
pub mod retention;
pub mod tasks;
pub mod tokens;
