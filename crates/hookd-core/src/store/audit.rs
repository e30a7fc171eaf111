//! The [`Audit`] role: the audit log, one entry per change made through the API (who, what,
//! which object, when, from where), listed newest first and pruned by age. It must not contain
//! SQL or any I/O, nor decide which requests are audited (the API does).

use async_trait::async_trait;

use super::StoreResult;
use crate::{
    id::{AuditId, TokenId},
    page::{ListQuery, Page},
    Timestamp,
};

/// One change made through the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Its id, which sorts by time.
    pub id: AuditId,
    /// When the change was answered.
    pub at: Timestamp,
    /// The token that made it.
    pub token_id: TokenId,
    /// The HTTP method.
    pub method: String,
    /// The route's template (`/api/v1/app/{app_id}/endpoint`): which operation.
    pub route: String,
    /// The path as requested (`/api/v1/app/acme/endpoint`): which object.
    pub path: String,
    /// The status answered: whether it took effect.
    pub status: u16,
    /// The client's address, when the server knows it.
    pub client: Option<String>,
}

/// The audit log.
#[async_trait]
pub trait Audit: Send + Sync + std::fmt::Debug {
    /// Records entries, in one write.
    async fn record_audit(&self, entries: &[AuditEntry]) -> StoreResult<()>;

    /// Lists entries by id, as the query's order and cursor say.
    async fn list_audit(&self, query: &ListQuery) -> StoreResult<Page<AuditEntry>>;

    /// Deletes up to `limit` of the oldest entries made before `before`; how many it deleted.
    async fn prune_audit(&self, before: Timestamp, limit: u32) -> StoreResult<u64>;
}
