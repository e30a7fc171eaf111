//! One decoder per entity, over [`Columns`]: the entity's fields, their checks and their
//! domain types are read the same way from every SQL store. This module must not know how a
//! database encodes a column; that is the store's [`Columns`] implementation.

use std::collections::{BTreeMap, BTreeSet};

use hookd_core::{
    delivery::{DeliveryState, MessageStatus, TriggerType},
    id::{AppId, AttemptId, EndpointId, MsgId, TokenId},
    model::{
        Application, Attempt, Delivery, Endpoint, EventType, Message, MessageExtras, Metadata,
        SentBody, SentRequest, Token, TokenScope,
    },
    portal::{Capability, PortalScope},
    store::StoreResult,
    Timestamp,
};
use serde::de::DeserializeOwned;

use crate::{corrupt, old_secrets, ts, StoredOldSecret};

/// One selected row, read by column name the way its database stores each kind of value.
/// A value that does not fit is a [`crate::CorruptRow`] or the driver's error, as the store
/// maps it.
pub trait Columns {
    /// A non-null text column.
    fn text(&self, column: &str) -> StoreResult<String>;
    /// A nullable text column.
    fn opt_text(&self, column: &str) -> StoreResult<Option<String>>;
    /// A non-null integer column of any width.
    fn int(&self, column: &str) -> StoreResult<i64>;
    /// A nullable integer column of any width.
    fn opt_int(&self, column: &str) -> StoreResult<Option<i64>>;
    /// A non-null boolean column.
    fn boolean(&self, column: &str) -> StoreResult<bool>;
    /// A non-null JSON document.
    fn json<T: DeserializeOwned>(&self, column: &str) -> StoreResult<T>;
    /// A nullable JSON document.
    fn opt_json<T: DeserializeOwned>(&self, column: &str) -> StoreResult<Option<T>>;
    /// A nullable list of names (absent means "all", not "none").
    fn names(&self, column: &str) -> StoreResult<Option<Vec<String>>>;
}

fn get_ts(row: &impl Columns, column: &str) -> StoreResult<Timestamp> {
    ts(row.int(column)?)
}

fn get_opt_ts(row: &impl Columns, column: &str) -> StoreResult<Option<Timestamp>> {
    row.opt_int(column)?.map(ts).transpose()
}

/// A nullable throttle rate, which the API bounds to `u16`.
fn get_rate(row: &impl Columns, column: &str) -> StoreResult<Option<u16>> {
    row.opt_int(column)?
        .map(|r| u16::try_from(r).map_err(|_| corrupt(format!("{column} {r} out of range"))))
        .transpose()
}

/// A stored trigger name.
fn get_trigger(row: &impl Columns, column: &str) -> StoreResult<TriggerType> {
    let text = row.text(column)?;
    TriggerType::parse(&text).ok_or_else(|| corrupt(format!("{column} {text:?}")))
}

/// A set of names that is never absent (feature flags).
fn get_name_set(row: &impl Columns, column: &str) -> StoreResult<BTreeSet<String>> {
    Ok(row
        .names(column)?
        .ok_or_else(|| corrupt(format!("{column} is NULL")))?
        .into_iter()
        .collect())
}

/// Decodes an application selected with [`crate::APP_COLUMNS`].
pub fn app(row: &impl Columns) -> StoreResult<Application> {
    Ok(Application {
        id: AppId::from_trusted(row.text("a_id")?),
        uid: row.opt_text("a_uid")?,
        name: row.text("a_name")?,
        throttle_rate: get_rate(row, "a_throttle_rate")?,
        metadata: row.json::<Metadata>("a_metadata")?,
        created_at: get_ts(row, "a_created_at")?,
        updated_at: get_ts(row, "a_updated_at")?,
    })
}

/// Decodes an event type selected with [`crate::EVENT_TYPE_COLUMNS`].
pub fn event_type(row: &impl Columns) -> StoreResult<EventType> {
    Ok(EventType {
        name: row.text("et_name")?,
        description: row.text("et_description")?,
        archived: row.boolean("et_archived")?,
        deprecated: row.boolean("et_deprecated")?,
        schemas: row.opt_json("et_schemas")?,
        feature_flags: get_name_set(row, "et_feature_flags")?,
        options: row.json("et_options")?,
        created_at: get_ts(row, "et_created_at")?,
        updated_at: get_ts(row, "et_updated_at")?,
    })
}

/// Decodes an endpoint selected with [`crate::ENDPOINT_COLUMNS`].
pub fn endpoint(row: &impl Columns) -> StoreResult<Endpoint> {
    let old_secrets = old_secrets(row.json::<Vec<StoredOldSecret>>("e_old_secrets")?)?;
    Ok(Endpoint {
        id: EndpointId::from_trusted(row.text("e_id")?),
        app_id: AppId::from_trusted(row.text("e_app_id")?),
        uid: row.opt_text("e_uid")?,
        url: row.text("e_url")?,
        description: row.text("e_description")?,
        disabled: row.boolean("e_disabled")?,
        throttle_rate: get_rate(row, "e_throttle_rate")?,
        event_types: row.names("e_event_types")?,
        channels: row.names("e_channels")?,
        metadata: row.json::<Metadata>("e_metadata")?,
        headers: row.json::<BTreeMap<String, String>>("e_headers")?,
        secret: row.text("e_secret")?,
        old_secrets,
        options: row.json("e_options")?,
        failing_since: get_opt_ts(row, "e_failing_since")?,
        created_at: get_ts(row, "e_created_at")?,
        updated_at: get_ts(row, "e_updated_at")?,
    })
}

/// Decodes a message selected with [`crate::MESSAGE_COLUMNS`].
pub fn message(row: &impl Columns) -> StoreResult<Message> {
    Ok(Message {
        id: MsgId::from_trusted(row.text("m_id")?),
        app_id: AppId::from_trusted(row.text("m_app_id")?),
        event_id: row.opt_text("m_event_id")?,
        event_type: row.text("m_event_type")?,
        payload: row.opt_text("m_payload")?,
        channels: row.names("m_channels")?,
        payload_expires_at: get_opt_ts(row, "m_payload_expires_at")?,
        created_at: get_ts(row, "m_created_at")?,
        extras: MessageExtras {
            tags: row.names("m_tags")?,
            deliver_at: get_opt_ts(row, "m_deliver_at")?,
            raw_payload: row.boolean("m_raw_payload")?,
            headers: row.json::<BTreeMap<String, String>>("m_headers")?,
        },
    })
}

/// Decodes a delivery selected with [`crate::DELIVERY_COLUMNS`].
pub fn delivery(row: &impl Columns) -> StoreResult<Delivery> {
    let state = row.text("d_state")?;
    let attempts = row.int("d_attempts")?;
    Ok(Delivery {
        msg_id: MsgId::from_trusted(row.text("d_msg_id")?),
        endpoint_id: EndpointId::from_trusted(row.text("d_endpoint_id")?),
        app_id: AppId::from_trusted(row.text("d_app_id")?),
        state: DeliveryState::parse(&state)
            .ok_or_else(|| corrupt(format!("delivery state {state:?}")))?,
        attempts: u32::try_from(attempts)
            .map_err(|_| corrupt(format!("delivery attempts {attempts}")))?,
        next_attempt_at: get_opt_ts(row, "d_next_attempt_at")?,
        trigger: get_trigger(row, "d_trigger_type")?,
        created_at: get_ts(row, "d_created_at")?,
        updated_at: get_ts(row, "d_updated_at")?,
    })
}

/// Decodes the lease of a delivery selected with [`crate::DELIVERY_COLUMNS`]; `None` if it
/// has none.
pub fn lease(row: &impl Columns) -> StoreResult<Option<(String, Timestamp)>> {
    let token = row.opt_text("d_lease_token")?;
    let expires = get_opt_ts(row, "d_lease_expires_at")?;
    Ok(token.zip(expires))
}

/// Decodes an attempt selected with [`crate::ATTEMPT_COLUMNS`].
pub fn attempt(row: &impl Columns) -> StoreResult<Attempt> {
    let status = row.int("at_status")?;
    let code = row.int("at_response_status_code")?;
    Ok(Attempt {
        id: AttemptId::from_trusted(row.text("at_id")?),
        msg_id: MsgId::from_trusted(row.text("at_msg_id")?),
        endpoint_id: EndpointId::from_trusted(row.text("at_endpoint_id")?),
        app_id: AppId::from_trusted(row.text("at_app_id")?),
        url: row.text("at_url")?,
        status: MessageStatus::from_code(status)
            .ok_or_else(|| corrupt(format!("attempt status {status}")))?,
        response_status_code: i16::try_from(code)
            .map_err(|_| corrupt(format!("attempt status code {code}")))?,
        response: row.opt_text("at_response")?,
        response_duration_ms: row.int("at_response_duration_ms")?,
        trigger_type: get_trigger(row, "at_trigger_type")?,
        created_at: get_ts(row, "at_created_at")?,
        request: get_request(row)?,
        next_attempt_at: get_opt_ts(row, "at_next_attempt_at")?,
        retry_after: row.opt_text("at_retry_after")?,
    })
}

/// Reads an attempt's recorded request, `None` when it recorded none.
fn get_request(row: &impl Columns) -> StoreResult<Option<SentRequest>> {
    let Some(headers) = row.opt_json("at_request_headers")? else {
        return Ok(None);
    };
    let kind = row.opt_text("at_request_body_kind")?.unwrap_or_default();
    let body = SentBody::from_stored(&kind, row.opt_text("at_request_body")?)
        .ok_or_else(|| corrupt(format!("request body kind {kind:?}")))?;
    Ok(Some(SentRequest { headers, body }))
}

/// Decodes a token selected with [`crate::TOKEN_COLUMNS`].
pub fn token(row: &impl Columns) -> StoreResult<Token> {
    Ok(Token {
        id: TokenId::from_trusted(row.text("t_id")?),
        hash: row.text("t_hash")?,
        scope: match row.opt_text("t_app_id")? {
            None => TokenScope::Admin,
            Some(app) => TokenScope::App(AppId::from_trusted(app)),
        },
        name: row.text("t_name")?,
        created_at: get_ts(row, "t_created_at")?,
        expires_at: get_opt_ts(row, "t_expires_at")?,
        portal: PortalScope {
            read_only: row.boolean("t_read_only")?,
            capabilities: row
                .names("t_capabilities")?
                .map(|names| {
                    names
                        .iter()
                        .map(|n| {
                            Capability::parse(n)
                                .ok_or_else(|| corrupt(format!("t_capabilities {n:?}")))
                        })
                        .collect::<StoreResult<BTreeSet<_>>>()
                })
                .transpose()?,
            feature_flags: get_name_set(row, "t_feature_flags")?,
            session_id: row.opt_text("t_session_id")?,
        },
    })
}
