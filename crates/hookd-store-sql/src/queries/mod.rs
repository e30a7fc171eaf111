//! The queries both SQL stores run unchanged, written once over [`crate::Database`]: one
//! module per entity, each holding the operations whose SQL is the same in both dialects.
//! What needs a store's own locking or transaction shape (claims, completion, fan-out writes,
//! rate limits, retention) stays in that store.
//!
//! This module must not name a database driver.

pub mod apps;
pub mod audit;
pub mod deliveries;
pub mod endpoints;
pub mod event_types;
pub mod idempotency;
pub mod messages;
mod page;
pub mod tasks;
pub mod tokens;
