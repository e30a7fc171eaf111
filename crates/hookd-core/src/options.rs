//! hookd's extensions to Svix's endpoint and event type objects: how deliveries to an endpoint
//! are made (retry policy, timeout, success codes, authentication, envelope) and how an event
//! type shapes its payload.
//!
//! Stores persist each options value as one JSON document, so new options never need a
//! schema migration; this module owns their meaning and validation. It must not perform I/O.

use serde::{Deserialize, Serialize};

/// Per-endpoint delivery options. Every field is optional; an absent one means the server's
/// default, so an endpoint created through a plain Svix SDK behaves exactly as on Svix.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct EndpointOptions {}

impl EndpointOptions {
    /// Whether every option is at its default (nothing to store or show).
    pub fn is_default(&self) -> bool {
        self == &Self::default()
    }
}

/// Per-event-type options.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct EventTypeOptions {}

impl EventTypeOptions {
    /// Whether every option is at its default.
    pub fn is_default(&self) -> bool {
        self == &Self::default()
    }
}
