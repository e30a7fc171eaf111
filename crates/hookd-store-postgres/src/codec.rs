//! Conversions between domain values and PostgreSQL columns: timestamps as BIGINT
//! milliseconds, documents as JSONB, name lists as TEXT[], enums as their stored names, and one
//! decoder per entity.
//!
//! Every query selects an entity's columns through the `*_COLUMNS` constants below, which alias
//! each column with a per-entity prefix (`a_`, `e_`, `m_` …), so that one decoder reads an
//! entity whether it was selected alone or joined with others. This module must not run
//! queries.

use std::collections::{BTreeMap, BTreeSet};

use chrono::DateTime;
use hookd_core::{
    delivery::{DeliveryState, MessageStatus, TriggerType},
    id::{AppId, AttemptId, EndpointId, MsgId, TokenId},
    model::{
        Application, Attempt, Delivery, Endpoint, EventType, Message, MessageExtras, Metadata,
        OldSecret, SentBody, SentRequest, Token, TokenScope,
    },
    portal::{Capability, PortalScope},
    store::StoreResult,
    Timestamp,
};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use sqlx::{postgres::PgRow, types::Json, Row};

use crate::error::{self, corrupt};

/// An application's columns, aliased `a_*`, from `applications a`.
pub(crate) const APP_COLUMNS: &str = "a.id AS a_id, a.uid AS a_uid, a.name AS a_name, \
     a.throttle_rate AS a_throttle_rate, a.metadata AS a_metadata, \
     a.created_at AS a_created_at, a.updated_at AS a_updated_at";

/// An event type's columns, aliased `et_*`, from `event_types et`.
pub(crate) const EVENT_TYPE_COLUMNS: &str = "et.name AS et_name, \
     et.description AS et_description, et.archived AS et_archived, \
     et.deprecated AS et_deprecated, et.schemas AS et_schemas, \
     et.feature_flags AS et_feature_flags, et.created_at AS et_created_at, \
     et.updated_at AS et_updated_at, et.options AS et_options";

/// An endpoint's columns, aliased `e_*`, from `endpoints e`.
pub(crate) const ENDPOINT_COLUMNS: &str = "e.id AS e_id, e.app_id AS e_app_id, e.uid AS e_uid, \
     e.url AS e_url, e.description AS e_description, e.disabled AS e_disabled, \
     e.throttle_rate AS e_throttle_rate, e.event_types AS e_event_types, \
     e.channels AS e_channels, e.metadata AS e_metadata, e.headers AS e_headers, \
     e.secret AS e_secret, e.old_secrets AS e_old_secrets, e.created_at AS e_created_at, \
     e.updated_at AS e_updated_at, e.options AS e_options, \
     e.failing_since AS e_failing_since";

/// A message's columns, aliased `m_*`, from `messages m`.
pub(crate) const MESSAGE_COLUMNS: &str = "m.id AS m_id, m.app_id AS m_app_id, \
     m.event_id AS m_event_id, m.event_type AS m_event_type, m.payload AS m_payload, \
     m.channels AS m_channels, m.payload_expires_at AS m_payload_expires_at, \
     m.created_at AS m_created_at, m.tags AS m_tags, m.deliver_at AS m_deliver_at, \
     m.raw_payload AS m_raw_payload, m.headers AS m_headers";

/// A delivery's columns, aliased `d_*`, from `deliveries d` (the lease too, for claims).
pub(crate) const DELIVERY_COLUMNS: &str = "d.msg_id AS d_msg_id, \
     d.endpoint_id AS d_endpoint_id, d.app_id AS d_app_id, d.state AS d_state, \
     d.attempts AS d_attempts, d.next_attempt_at AS d_next_attempt_at, \
     d.trigger_type AS d_trigger_type, d.lease_token AS d_lease_token, \
     d.lease_expires_at AS d_lease_expires_at, d.created_at AS d_created_at, \
     d.updated_at AS d_updated_at";

/// An attempt's columns, aliased `at_*`, from `attempts at`.
pub(crate) const ATTEMPT_COLUMNS: &str = "at.id AS at_id, at.msg_id AS at_msg_id, \
     at.endpoint_id AS at_endpoint_id, at.app_id AS at_app_id, at.url AS at_url, \
     at.status AS at_status, at.response_status_code AS at_response_status_code, \
     at.response AS at_response, at.response_duration_ms AS at_response_duration_ms, \
     at.trigger_type AS at_trigger_type, at.created_at AS at_created_at, \
     at.request_headers AS at_request_headers, at.request_body_kind AS at_request_body_kind, \
     at.request_body AS at_request_body, at.next_attempt_at AS at_next_attempt_at, \
     at.retry_after AS at_retry_after";

/// A token's columns, aliased `t_*`, from `tokens t`.
pub(crate) const TOKEN_COLUMNS: &str = "t.id AS t_id, t.hash AS t_hash, t.app_id AS t_app_id, \
     t.name AS t_name, t.created_at AS t_created_at, t.expires_at AS t_expires_at, \
     t.read_only AS t_read_only, t.capabilities AS t_capabilities, \
     t.feature_flags AS t_feature_flags, t.session_id AS t_session_id";

/// A token's capabilities as stored: Svix names, `None` for all.
pub(crate) fn capability_names(scope: &PortalScope) -> Option<Vec<&'static str>> {
    scope
        .capabilities
        .as_ref()
        .map(|caps| caps.iter().map(|c| c.as_str()).collect())
}

/// A set of names as a `TEXT[]` value, in its sorted order.
pub(crate) fn name_list(names: &BTreeSet<String>) -> Vec<&str> {
    names.iter().map(String::as_str).collect()
}

/// A timestamp as stored: whole milliseconds since the epoch. Finer precision is dropped,
/// which is the precision hookd promises to persist.
pub(crate) fn ms(at: Timestamp) -> i64 {
    at.timestamp_millis()
}

/// The smallest stored millisecond that is not before `at`, so that "stored < at" can be
/// written as `column < ms_ceil(at)` without losing a row created in `at`'s own millisecond
/// when `at` carries sub-millisecond precision.
pub(crate) fn ms_ceil(at: Timestamp) -> i64 {
    let floor = at.timestamp_millis();
    let below_millisecond = at.timestamp_subsec_nanos() % 1_000_000;
    if below_millisecond > 0 {
        floor + 1
    } else {
        floor
    }
}

/// A stored millisecond count back as a timestamp.
pub(crate) fn ts(millis: i64) -> StoreResult<Timestamp> {
    DateTime::from_timestamp_millis(millis)
        .ok_or_else(|| corrupt(format!("timestamp {millis} out of range")))
}

/// A rotated-out secret as stored: the domain type is not serde-aware on purpose (storage
/// shape is this crate's business). The same shape as the SQLite store's.
#[derive(Serialize, Deserialize)]
pub(crate) struct StoredOldSecret {
    key: String,
    expires_at: i64,
}

/// Old secrets as a JSONB parameter.
pub(crate) fn old_secrets_json(secrets: &[OldSecret]) -> Json<Vec<StoredOldSecret>> {
    Json(
        secrets
            .iter()
            .map(|s| StoredOldSecret {
                key: s.key.clone(),
                expires_at: ms(s.expires_at),
            })
            .collect(),
    )
}

/// Old secrets back from their JSON text.
pub(crate) fn old_secrets_from_json(text: &str) -> StoreResult<Vec<OldSecret>> {
    let stored: Vec<StoredOldSecret> =
        serde_json::from_str(text).map_err(|e| corrupt(format!("old_secrets: {e}")))?;
    old_secrets(stored)
}

/// Old secrets as stored back into the domain type.
fn old_secrets(stored: Vec<StoredOldSecret>) -> StoreResult<Vec<OldSecret>> {
    stored
        .into_iter()
        .map(|s| {
            Ok(OldSecret {
                key: s.key,
                expires_at: ts(s.expires_at)?,
            })
        })
        .collect()
}

/// A throttle rate as an INTEGER parameter (the API bounds it to `u16`).
pub(crate) fn rate(rate: Option<u16>) -> Option<i32> {
    rate.map(i32::from)
}

/// Reads one column.
fn get<'r, T>(row: &'r PgRow, column: &str) -> StoreResult<T>
where
    T: sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    row.try_get(column).map_err(error::map)
}

/// Reads a BIGINT millisecond column as a timestamp.
fn get_ts(row: &PgRow, column: &str) -> StoreResult<Timestamp> {
    ts(get(row, column)?)
}

/// Reads a nullable BIGINT millisecond column as a timestamp.
fn get_opt_ts(row: &PgRow, column: &str) -> StoreResult<Option<Timestamp>> {
    get::<Option<i64>>(row, column)?.map(ts).transpose()
}

/// Reads a JSONB column. A document that does not fit the type is reported as a corrupt row
/// rather than a decoding bug, like every other value this code never writes.
fn get_json<T: DeserializeOwned>(row: &PgRow, column: &str) -> StoreResult<T> {
    let value: Json<serde_json::Value> = get(row, column)?;
    serde_json::from_value(value.0).map_err(|e| corrupt(format!("{column}: {e}")))
}

/// Reads a nullable JSONB column.
fn get_opt_json<T: DeserializeOwned>(row: &PgRow, column: &str) -> StoreResult<Option<T>> {
    get::<Option<Json<serde_json::Value>>>(row, column)?
        .map(|value| serde_json::from_value(value.0).map_err(|e| corrupt(format!("{column}: {e}"))))
        .transpose()
}

/// Reads a nullable throttle rate, which the API bounds to `u16`.
fn get_rate(row: &PgRow, column: &str) -> StoreResult<Option<u16>> {
    get::<Option<i32>>(row, column)?
        .map(|r| u16::try_from(r).map_err(|_| corrupt(format!("{column} {r} out of range"))))
        .transpose()
}

/// Reads a stored trigger name.
fn get_trigger(row: &PgRow, column: &str) -> StoreResult<TriggerType> {
    let text: String = get(row, column)?;
    TriggerType::parse(&text).ok_or_else(|| corrupt(format!("{column} {text:?}")))
}

/// Decodes an application selected with [`APP_COLUMNS`].
pub(crate) fn app(row: &PgRow) -> StoreResult<Application> {
    Ok(Application {
        id: AppId::from_trusted(get::<String>(row, "a_id")?),
        uid: get(row, "a_uid")?,
        name: get(row, "a_name")?,
        throttle_rate: get_rate(row, "a_throttle_rate")?,
        metadata: get_json::<Metadata>(row, "a_metadata")?,
        created_at: get_ts(row, "a_created_at")?,
        updated_at: get_ts(row, "a_updated_at")?,
    })
}

/// Decodes an event type selected with [`EVENT_TYPE_COLUMNS`].
pub(crate) fn event_type(row: &PgRow) -> StoreResult<EventType> {
    Ok(EventType {
        name: get(row, "et_name")?,
        description: get(row, "et_description")?,
        archived: get(row, "et_archived")?,
        deprecated: get(row, "et_deprecated")?,
        schemas: get_opt_json(row, "et_schemas")?,
        feature_flags: get::<Vec<String>>(row, "et_feature_flags")?
            .into_iter()
            .collect(),
        options: get_json(row, "et_options")?,
        created_at: get_ts(row, "et_created_at")?,
        updated_at: get_ts(row, "et_updated_at")?,
    })
}

/// Decodes an endpoint selected with [`ENDPOINT_COLUMNS`].
pub(crate) fn endpoint(row: &PgRow) -> StoreResult<Endpoint> {
    let old_secrets = old_secrets(get_json(row, "e_old_secrets")?)?;
    Ok(Endpoint {
        id: EndpointId::from_trusted(get::<String>(row, "e_id")?),
        app_id: AppId::from_trusted(get::<String>(row, "e_app_id")?),
        uid: get(row, "e_uid")?,
        url: get(row, "e_url")?,
        description: get(row, "e_description")?,
        disabled: get(row, "e_disabled")?,
        throttle_rate: get_rate(row, "e_throttle_rate")?,
        event_types: get(row, "e_event_types")?,
        channels: get(row, "e_channels")?,
        metadata: get_json::<Metadata>(row, "e_metadata")?,
        headers: get_json::<BTreeMap<String, String>>(row, "e_headers")?,
        secret: get(row, "e_secret")?,
        old_secrets,
        options: get_json(row, "e_options")?,
        failing_since: get_opt_ts(row, "e_failing_since")?,
        created_at: get_ts(row, "e_created_at")?,
        updated_at: get_ts(row, "e_updated_at")?,
    })
}

/// Decodes a message selected with [`MESSAGE_COLUMNS`].
pub(crate) fn message(row: &PgRow) -> StoreResult<Message> {
    Ok(Message {
        id: MsgId::from_trusted(get::<String>(row, "m_id")?),
        app_id: AppId::from_trusted(get::<String>(row, "m_app_id")?),
        event_id: get(row, "m_event_id")?,
        event_type: get(row, "m_event_type")?,
        payload: get(row, "m_payload")?,
        channels: get(row, "m_channels")?,
        payload_expires_at: get_opt_ts(row, "m_payload_expires_at")?,
        created_at: get_ts(row, "m_created_at")?,
        extras: MessageExtras {
            tags: get(row, "m_tags")?,
            deliver_at: get_opt_ts(row, "m_deliver_at")?,
            raw_payload: get(row, "m_raw_payload")?,
            headers: get_json::<BTreeMap<String, String>>(row, "m_headers")?,
        },
    })
}

/// Decodes a delivery selected with [`DELIVERY_COLUMNS`].
pub(crate) fn delivery(row: &PgRow) -> StoreResult<Delivery> {
    let state: String = get(row, "d_state")?;
    let attempts: i32 = get(row, "d_attempts")?;
    Ok(Delivery {
        msg_id: MsgId::from_trusted(get::<String>(row, "d_msg_id")?),
        endpoint_id: EndpointId::from_trusted(get::<String>(row, "d_endpoint_id")?),
        app_id: AppId::from_trusted(get::<String>(row, "d_app_id")?),
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

/// Decodes the lease of a delivery selected with [`DELIVERY_COLUMNS`]; `None` if it has none.
pub(crate) fn lease(row: &PgRow) -> StoreResult<Option<(String, Timestamp)>> {
    let token: Option<String> = get(row, "d_lease_token")?;
    let expires = get_opt_ts(row, "d_lease_expires_at")?;
    Ok(token.zip(expires))
}

/// Decodes an attempt selected with [`ATTEMPT_COLUMNS`].
pub(crate) fn attempt(row: &PgRow) -> StoreResult<Attempt> {
    let status: i16 = get(row, "at_status")?;
    Ok(Attempt {
        id: AttemptId::from_trusted(get::<String>(row, "at_id")?),
        msg_id: MsgId::from_trusted(get::<String>(row, "at_msg_id")?),
        endpoint_id: EndpointId::from_trusted(get::<String>(row, "at_endpoint_id")?),
        app_id: AppId::from_trusted(get::<String>(row, "at_app_id")?),
        url: get(row, "at_url")?,
        status: MessageStatus::from_code(i64::from(status))
            .ok_or_else(|| corrupt(format!("attempt status {status}")))?,
        response_status_code: get(row, "at_response_status_code")?,
        response: get(row, "at_response")?,
        response_duration_ms: get(row, "at_response_duration_ms")?,
        trigger_type: get_trigger(row, "at_trigger_type")?,
        created_at: get_ts(row, "at_created_at")?,
        request: get_request(row)?,
        next_attempt_at: get_opt_ts(row, "at_next_attempt_at")?,
        retry_after: get(row, "at_retry_after")?,
    })
}

/// Reads an attempt's recorded request, `None` when it recorded none.
fn get_request(row: &PgRow) -> StoreResult<Option<SentRequest>> {
    let Some(headers) = get_opt_json(row, "at_request_headers")? else {
        return Ok(None);
    };
    let kind: Option<String> = get(row, "at_request_body_kind")?;
    let kind = kind.unwrap_or_default();
    let body = SentBody::from_stored(&kind, get(row, "at_request_body")?)
        .ok_or_else(|| corrupt(format!("request body kind {kind:?}")))?;
    Ok(Some(SentRequest { headers, body }))
}

/// Decodes a token selected with [`TOKEN_COLUMNS`].
pub(crate) fn token(row: &PgRow) -> StoreResult<Token> {
    let app: Option<String> = get(row, "t_app_id")?;
    Ok(Token {
        id: TokenId::from_trusted(get::<String>(row, "t_id")?),
        hash: get(row, "t_hash")?,
        scope: match app {
            None => TokenScope::Admin,
            Some(app) => TokenScope::App(AppId::from_trusted(app)),
        },
        name: get(row, "t_name")?,
        created_at: get_ts(row, "t_created_at")?,
        expires_at: get_opt_ts(row, "t_expires_at")?,
        portal: PortalScope {
            read_only: get(row, "t_read_only")?,
            capabilities: get::<Option<Vec<String>>>(row, "t_capabilities")?
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
            feature_flags: get::<Vec<String>>(row, "t_feature_flags")?
                .into_iter()
                .collect(),
            session_id: get(row, "t_session_id")?,
        },
    })
}

/// The stored states whose Svix status is `status`, for status filters.
pub(crate) fn states_with_status(status: MessageStatus) -> Vec<String> {
    DeliveryState::ALL
        .into_iter()
        .filter(|s| s.message_status() == status)
        .map(|s| s.as_str().to_owned())
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

    /// Attempts recorded under migration 0004 (headers and envelope in one JSON document)
    /// read back after 0005: one sent as published keeps its headers, with the payload as its
    /// body; one that went through an envelope cannot say which bytes it sent, so it counts
    /// as unrecorded; one without a record stays without.
    #[tokio::test]
    async fn requests_recorded_before_0005_are_carried_over() {
        use hookd_core::store::Store;
        use sqlx::{ConnectOptions, Executor};

        let db = crate::testing::TestDatabase::create().await;
        let mut up_to_0004 = sqlx::migrate!("./migrations");
        up_to_0004.migrations = up_to_0004
            .migrations
            .iter()
            .filter(|m| m.version <= 4)
            .cloned()
            .collect::<Vec<_>>()
            .into();
        let mut conn = db.options().connect().await.unwrap();
        up_to_0004.run(&mut conn).await.unwrap();
        conn.execute(
            r#"INSERT INTO applications VALUES ('app_1', NULL, 'a', NULL, '{}', 0, 0);
               INSERT INTO endpoints (id, app_id, url, description, disabled, metadata, headers,
                 secret, old_secrets, created_at, updated_at)
                 VALUES ('ep_1', 'app_1', 'https://x', '', false, '{}', '{}', 's', '[]', 0, 0);
               INSERT INTO messages (id, app_id, event_type, payload, created_at)
                 VALUES ('msg_1', 'app_1', 'a', '{"a":1}', 0);
               INSERT INTO attempts (id, msg_id, endpoint_id, app_id, url, status,
                 response_status_code, response, response_duration_ms, trigger_type,
                 created_at, request)
                 VALUES
                 ('atmpt_1', 'msg_1', 'ep_1', 'app_1', 'https://x', 0, 200, '', 1, 'scheduled',
                  1, '{"headers":[["webhook-id","msg_1"],["x-key","••••••"]]}'),
                 ('atmpt_2', 'msg_1', 'ep_1', 'app_1', 'https://x', 0, 200, '', 1, 'scheduled',
                  2, '{"headers":[["webhook-id","msg_1"]],"envelope":{"template":{}}}'),
                 ('atmpt_3', 'msg_1', 'ep_1', 'app_1', 'https://x', 0, 200, '', 1, 'scheduled',
                  3, NULL);"#,
        )
        .await
        .unwrap();
        drop(conn);

        let store = crate::PgStore::connect_with(db.options()).await.unwrap();
        let (app, msg) = (AppId::from_trusted("app_1"), MsgId::from_trusted("msg_1"));
        let request = |id: &'static str| {
            let store = store.clone();
            let (app, msg) = (app.clone(), msg.clone());
            async move {
                store
                    .get_attempt(&app, &msg, &AttemptId::from_trusted(id))
                    .await
                    .unwrap()
                    .unwrap()
                    .request
            }
        };
        assert_eq!(
            request("atmpt_1").await,
            Some(SentRequest {
                headers: vec![
                    ("webhook-id".into(), "msg_1".into()),
                    ("x-key".into(), "••••••".into()),
                ],
                body: SentBody::Payload,
            })
        );
        assert_eq!(request("atmpt_2").await, None);
        assert_eq!(request("atmpt_3").await, None);
        store.close().await;
    }
}
