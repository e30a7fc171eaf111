//! `hookd-core` is the pure heart of hookd: the domain types, typed prefixed ids, input
//! validation, Standard Webhooks signing, the retry schedule math (and receivers'
//! `Retry-After`), the delivery state machine, and the two seams through which the outside
//! world enters: the store's role traits ([`store`]) and the [`clock::Clock`] trait.
//!
//! It knows one JSON shape, on purpose: hookd's `options` (endpoint and event type options,
//! retry policies, envelopes) are domain documents whose stored form is the API's `options`
//! object, so their serde names are part of their meaning. Everything else the API speaks
//! (Svix's wire types, the OpenAPI document) lives in `hookd-server`.
//!
//! **Architecture Invariant:** this crate performs no I/O and never reads a global clock. Every
//! function that needs "now" takes it as an argument or through a [`clock::Clock`]; every
//! function that needs randomness takes an `rand::RngCore`. That is what lets the retry logic
//! and the state machine be tested without waiting, and lets each store crate stay a thin
//! translation of the same rules into SQL.

pub mod clock;
pub mod delivery;
pub mod envelope;
pub mod id;
pub mod integral;
pub mod model;
pub mod options;
pub mod page;
pub mod plan;
pub mod portal;
pub mod retry;
pub mod retry_after;
pub mod seal;
pub mod signing;
pub mod store;
pub mod task;
pub mod throttle;
pub mod token;
pub mod validate;

/// The timestamp type used throughout hookd: UTC, millisecond precision is what we persist.
pub type Timestamp = chrono::DateTime<chrono::Utc>;
