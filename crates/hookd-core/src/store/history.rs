//! The [`History`] role: the read side of deliveries and attempts (lists, one attempt,
//! statistics, chart buckets) and the removal of attempt records by request or retention. It
//! never changes a delivery's state: that is the [`super::Queue`]'s. It must not contain SQL or
//! any I/O.

use async_trait::async_trait;

use super::{MessageFilter, StoreResult};
use crate::{
    delivery::MessageStatus,
    id::{AppId, AttemptId, EndpointId, MsgId},
    model::{Attempt, AttemptBucket, Delivery, Endpoint, EndpointStats, Message},
    page::{ListQuery, Page},
    Timestamp,
};

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

/// Which attempts [`History::attempt_buckets`] counts.
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

/// What deliveries and attempts happened, as the API and the consoles read it.
#[async_trait]
pub trait History: Send + Sync + std::fmt::Debug {
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

    /// Counts attempts by time bucket, outcome and duration bin, oldest bucket first; empty
    /// buckets are omitted.
    async fn attempt_buckets(&self, query: &BucketQuery) -> StoreResult<Vec<AttemptBucket>>;

    /// Deletes at most `limit` attempts created before `before`, oldest first. Returns how
    /// many; fewer than `limit` means none older is left. Deliveries keep their attempt
    /// counts and states: only the per-attempt records go.
    async fn prune_attempts(&self, before: Timestamp, limit: u32) -> StoreResult<u64>;
}
