//! The [`Messages`] role: reading messages and removing their content, by request or by
//! retention. Writing a message is the [`super::Queue`]'s, since it writes the deliveries in
//! the same transaction. It must not contain SQL or any I/O.

use async_trait::async_trait;

use super::StoreResult;
use crate::{
    id::{AppId, MsgId},
    model::Message,
    page::{ListQuery, Page},
    Timestamp,
};

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

/// Messages as the API reads them, and their content's removal.
#[async_trait]
pub trait Messages: Send + Sync + std::fmt::Debug {
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

    /// Removes the payloads (as [`Messages::expunge_message_content`] does) of at most `limit`
    /// messages whose [`Message::payload_expires_at`] is at or before `now`, earliest expiry
    /// first. Returns how many; fewer than `limit` means none is left to expire at `now`.
    async fn expire_payloads(&self, now: Timestamp, limit: u32) -> StoreResult<u64>;
}
