//! The [`Idempotency`] role: `Idempotency-Key` reservations and the responses they replay. It
//! must not contain SQL or any I/O.

use async_trait::async_trait;

use super::StoreResult;
use crate::{model::StoredResponse, Timestamp};

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

/// Idempotency keys: reserve, finish, abandon, prune.
#[async_trait]
pub trait Idempotency: Send + Sync + std::fmt::Debug {
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
}
