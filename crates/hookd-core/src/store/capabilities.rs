//! The [`Capabilities`] role: what a store can do beyond its operations, and whether it answers.
//! Callers size and wire themselves by it (how many writers to run, whether another process's
//! work arrives by notification or only by polling). It must not contain SQL or any I/O.

use std::sync::Arc;

use async_trait::async_trait;

use super::StoreResult;

/// Called by a store when another process made deliveries due now (see
/// [`Capabilities::subscribe_work`]).
pub type WorkCallback = Arc<dyn Fn() + Send + Sync>;

/// What the database behind a store can do, and whether it answers.
#[async_trait]
pub trait Capabilities: Send + Sync + std::fmt::Debug {
    /// Checks that the database answers.
    async fn ping(&self) -> StoreResult<()>;

    /// How many write transactions this store can usefully run at once: 1 for a single-writer
    /// database, more for one that commits concurrently. Batching callers size themselves by it.
    fn write_parallelism(&self) -> usize {
        1
    }

    /// Registers `on_work`, to be called whenever *another process* on the same database makes
    /// deliveries due now, so this process's workers start within milliseconds instead of at
    /// their next poll. Stores that only ever serve one process do nothing.
    async fn subscribe_work(&self, on_work: WorkCallback) -> StoreResult<()>;
}
