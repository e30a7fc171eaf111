//! `hookd-store-sql` is what hookd's SQL stores share beneath their dialects: the
//! [`queries`] whose SQL is the same in both, written once as [`Statement`]s and run through
//! each store's [`Database`]; the column lists every query selects entities with, how times
//! are stored, how a rotated-out secret is stored, and one decoder per entity, written over
//! [`Columns`], which each store implements for its own rows. What differs between databases
//! (JSON as text or as JSONB, name lists as JSON arrays or `TEXT[]`, integer widths) stays
//! behind those two traits, in the store.
//!
//! Every query selects an entity's columns through the `*_COLUMNS` constants below, which
//! alias each column with a per-entity prefix (`a_`, `e_`, `m_` …), so that one decoder reads
//! an entity whether it was selected alone or joined with others.
//!
//! This crate must not depend on a database driver, nor hold a query that needs one store's
//! locking or transaction shape.

mod decode;
mod operations;
pub mod queries;
mod statement;

use chrono::DateTime;
use hookd_core::{store::StoreError, store::StoreResult, Timestamp};

pub use decode::{app, attempt, delivery, endpoint, event_type, lease, message, token, Columns};
pub use statement::{Arg, Database, Statement};

/// A row that cannot be turned back into a domain value: the database holds something the
/// stores never write, so it is corruption or a bug, reported as [`StoreError::Other`].
#[derive(Debug, thiserror::Error)]
#[error("corrupt row: {0}")]
pub struct CorruptRow(pub String);

/// Wraps a corrupt-row description as [`StoreError::Other`].
pub fn corrupt(what: impl Into<String>) -> StoreError {
    StoreError::Other(Box::new(CorruptRow(what.into())))
}

/// An application's columns, aliased `a_*`, from `applications a`.
pub const APP_COLUMNS: &str = "a.id AS a_id, a.uid AS a_uid, a.name AS a_name, \
     a.throttle_rate AS a_throttle_rate, a.metadata AS a_metadata, \
     a.created_at AS a_created_at, a.updated_at AS a_updated_at";

/// An event type's columns, aliased `et_*`, from `event_types et`.
pub const EVENT_TYPE_COLUMNS: &str = "et.name AS et_name, \
     et.description AS et_description, et.archived AS et_archived, \
     et.deprecated AS et_deprecated, et.schemas AS et_schemas, \
     et.feature_flags AS et_feature_flags, et.created_at AS et_created_at, \
     et.updated_at AS et_updated_at, et.options AS et_options";

/// An endpoint's columns, aliased `e_*`, from `endpoints e`.
pub const ENDPOINT_COLUMNS: &str = "e.id AS e_id, e.app_id AS e_app_id, e.uid AS e_uid, \
     e.url AS e_url, e.description AS e_description, e.disabled AS e_disabled, \
     e.throttle_rate AS e_throttle_rate, e.event_types AS e_event_types, \
     e.channels AS e_channels, e.metadata AS e_metadata, e.headers AS e_headers, \
     e.secret AS e_secret, e.old_secrets AS e_old_secrets, e.created_at AS e_created_at, \
     e.updated_at AS e_updated_at, e.options AS e_options, \
     e.failing_since AS e_failing_since";

/// A message's columns, aliased `m_*`, from `messages m`.
pub const MESSAGE_COLUMNS: &str = "m.id AS m_id, m.app_id AS m_app_id, \
     m.event_id AS m_event_id, m.event_type AS m_event_type, m.payload AS m_payload, \
     m.channels AS m_channels, m.payload_expires_at AS m_payload_expires_at, \
     m.created_at AS m_created_at, m.tags AS m_tags, m.deliver_at AS m_deliver_at, \
     m.raw_payload AS m_raw_payload, m.headers AS m_headers";

/// A delivery's columns, aliased `d_*`, from `deliveries d` (the lease too, for claims).
pub const DELIVERY_COLUMNS: &str = "d.msg_id AS d_msg_id, \
     d.endpoint_id AS d_endpoint_id, d.app_id AS d_app_id, d.state AS d_state, \
     d.attempts AS d_attempts, d.next_attempt_at AS d_next_attempt_at, \
     d.trigger_type AS d_trigger_type, d.lease_token AS d_lease_token, \
     d.lease_expires_at AS d_lease_expires_at, d.created_at AS d_created_at, \
     d.updated_at AS d_updated_at";

/// An attempt's columns, aliased `at_*`, from `attempts at`.
pub const ATTEMPT_COLUMNS: &str = "at.id AS at_id, at.msg_id AS at_msg_id, \
     at.endpoint_id AS at_endpoint_id, at.app_id AS at_app_id, at.url AS at_url, \
     at.status AS at_status, at.response_status_code AS at_response_status_code, \
     at.response AS at_response, at.response_duration_ms AS at_response_duration_ms, \
     at.trigger_type AS at_trigger_type, at.created_at AS at_created_at, \
     at.request_headers AS at_request_headers, at.request_body_kind AS at_request_body_kind, \
     at.request_body AS at_request_body, at.next_attempt_at AS at_next_attempt_at, \
     at.retry_after AS at_retry_after";

/// A token's columns, aliased `t_*`, from `tokens t`.
pub const TOKEN_COLUMNS: &str = "t.id AS t_id, t.hash AS t_hash, t.app_id AS t_app_id, \
     t.name AS t_name, t.created_at AS t_created_at, t.expires_at AS t_expires_at, \
     t.read_only AS t_read_only, t.capabilities AS t_capabilities, \
     t.feature_flags AS t_feature_flags, t.session_id AS t_session_id";

/// A timestamp as stored: whole milliseconds since the epoch. Finer precision is dropped,
/// which is the precision hookd promises to persist.
pub fn ms(at: Timestamp) -> i64 {
    at.timestamp_millis()
}

/// The smallest stored millisecond that is not before `at`, so that "stored < at" can be
/// written as `column < ms_ceil(at)` without losing a row created in `at`'s own millisecond
/// when `at` carries sub-millisecond precision.
pub fn ms_ceil(at: Timestamp) -> i64 {
    let floor = at.timestamp_millis();
    let below_millisecond = at.timestamp_subsec_nanos() % 1_000_000;
    if below_millisecond > 0 {
        floor + 1
    } else {
        floor
    }
}

/// A stored millisecond count back as a timestamp.
pub fn ts(millis: i64) -> StoreResult<Timestamp> {
    DateTime::from_timestamp_millis(millis)
        .ok_or_else(|| corrupt(format!("timestamp {millis} out of range")))
}

/// A rotated-out secret as stored, in a JSON document: the domain type is not serde-aware on
/// purpose (storage shape is the stores' business).
#[derive(serde::Serialize, serde::Deserialize)]
pub struct StoredOldSecret {
    key: String,
    expires_at: i64,
}

/// Old secrets as stored.
pub fn stored_old_secrets(secrets: &[hookd_core::model::OldSecret]) -> Vec<StoredOldSecret> {
    secrets
        .iter()
        .map(|s| StoredOldSecret {
            key: s.key.clone(),
            expires_at: ms(s.expires_at),
        })
        .collect()
}

/// Old secrets as stored back into the domain type.
pub fn old_secrets(stored: Vec<StoredOldSecret>) -> StoreResult<Vec<hookd_core::model::OldSecret>> {
    stored
        .into_iter()
        .map(|s| {
            Ok(hookd_core::model::OldSecret {
                key: s.key,
                expires_at: ts(s.expires_at)?,
            })
        })
        .collect()
}

/// Old secrets back from their JSON text.
pub fn old_secrets_from_json(text: &str) -> StoreResult<Vec<hookd_core::model::OldSecret>> {
    let stored: Vec<StoredOldSecret> =
        serde_json::from_str(text).map_err(|e| corrupt(format!("old_secrets: {e}")))?;
    old_secrets(stored)
}

/// The stored states whose Svix status is `status`, for status filters.
pub fn states_with_status(status: hookd_core::delivery::MessageStatus) -> Vec<&'static str> {
    hookd_core::delivery::DeliveryState::ALL
        .into_iter()
        .filter(|s| s.message_status() == status)
        .map(hookd_core::delivery::DeliveryState::as_str)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceil_rounds_only_sub_millisecond_times_up() {
        let whole = DateTime::from_timestamp_millis(1_500).unwrap();
        assert_eq!(ms_ceil(whole), 1_500);
        let finer = whole + chrono::Duration::microseconds(1);
        assert_eq!(ms(finer), 1_500);
        assert_eq!(ms_ceil(finer), 1_501);
    }
}
