//! The read side of deliveries and attempts: the lists behind `/endpoint/{id}/msg`,
//! `/msg/{id}/endpoint` and the attempt lists, single attempts, expunging a response, and
//! per-endpoint statistics.
//!
//! This module must not change a delivery's state; that is [`crate::queue`]'s job.

use hookd_core::{
    delivery::{DeliveryState, MessageStatus},
    id::{AppId, AttemptId, EndpointId, MsgId},
    model::{Attempt, Delivery, Endpoint, EndpointStats, Message},
    page::{ListQuery, Page},
    store::{AttemptFilter, DeliveryFilter, StoreResult},
    Timestamp,
};
use sqlx::{QueryBuilder, Row, Sqlite};

use crate::{
    codec::{
        self, ms_ceil, states_with_status, ATTEMPT_COLUMNS, DELIVERY_COLUMNS, ENDPOINT_COLUMNS,
        MESSAGE_COLUMNS,
    },
    error, list,
    messages::push_message_filter,
    SqliteStore,
};

/// The width of an HTTP status class: class 200 is 200 to 299.
const STATUS_CLASS_WIDTH: i64 = 100;

pub(crate) async fn list_endpoint_deliveries(
    store: &SqliteStore,
    app: &AppId,
    endpoint: &EndpointId,
    filter: &DeliveryFilter,
    query: &ListQuery,
) -> StoreResult<Page<(Message, Delivery)>> {
    let mut qb = QueryBuilder::new(format!(
        "SELECT {MESSAGE_COLUMNS}, {DELIVERY_COLUMNS} FROM deliveries d \
         JOIN messages m ON m.id = d.msg_id WHERE d.app_id = "
    ));
    qb.push_bind(app.as_str());
    qb.push(" AND d.endpoint_id = ");
    qb.push_bind(endpoint.as_str());
    push_message_filter(&mut qb, &filter.message, "m.created_at");
    if let Some(status) = filter.status {
        qb.push(" AND d.state IN (");
        let mut sep = qb.separated(", ");
        for state in states_with_status(status) {
            sep.push_bind(state);
        }
        qb.push(")");
    }
    list::push_page(&mut qb, "d.msg_id", query);
    let rows = qb
        .build()
        .fetch_all(&store.read)
        .await
        .map_err(error::map)?;
    let items = rows
        .iter()
        .map(|r| Ok((codec::message(r)?, codec::delivery(r)?)))
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Page::assemble(items, query, |(m, _)| m.id.to_string()))
}

pub(crate) async fn list_message_deliveries(
    store: &SqliteStore,
    app: &AppId,
    msg: &MsgId,
    query: &ListQuery,
) -> StoreResult<Page<(Endpoint, Delivery)>> {
    let mut qb = QueryBuilder::new(format!(
        "SELECT {ENDPOINT_COLUMNS}, {DELIVERY_COLUMNS} FROM deliveries d \
         JOIN endpoints e ON e.id = d.endpoint_id WHERE d.app_id = "
    ));
    qb.push_bind(app.as_str());
    qb.push(" AND d.msg_id = ");
    qb.push_bind(msg.as_str());
    list::push_page(&mut qb, "d.endpoint_id", query);
    let rows = qb
        .build()
        .fetch_all(&store.read)
        .await
        .map_err(error::map)?;
    let items = rows
        .iter()
        .map(|r| Ok((codec::endpoint(r)?, codec::delivery(r)?)))
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Page::assemble(items, query, |(e, _)| e.id.to_string()))
}

/// The attempt-level filters, on a query over `attempts at JOIN messages m`.
fn push_attempt_filter(qb: &mut QueryBuilder<'_, Sqlite>, filter: &AttemptFilter) {
    push_message_filter(qb, &filter.message, "at.created_at");
    if let Some(status) = filter.status {
        qb.push(" AND at.status = ");
        qb.push_bind(i64::from(status.code()));
    }
    if let Some(class) = filter.status_code_class {
        let class = i64::from(class);
        if class == 0 {
            // Class 0 is "no response": the request never got an HTTP status.
            qb.push(" AND at.response_status_code = 0");
        } else {
            qb.push(" AND at.response_status_code >= ");
            qb.push_bind(class);
            qb.push(" AND at.response_status_code < ");
            qb.push_bind(class + STATUS_CLASS_WIDTH);
        }
    }
    if let Some(endpoint) = &filter.endpoint_id {
        qb.push(" AND at.endpoint_id = ");
        qb.push_bind(endpoint.as_str().to_owned());
    }
}

/// Lists attempts where `owner_column` (the endpoint or the message) is `owner`.
async fn list_attempts(
    store: &SqliteStore,
    app: &AppId,
    owner_column: &str,
    owner: &str,
    filter: &AttemptFilter,
    query: &ListQuery,
) -> StoreResult<Page<Attempt>> {
    let mut qb = QueryBuilder::new(format!(
        "SELECT {ATTEMPT_COLUMNS} FROM attempts at JOIN messages m ON m.id = at.msg_id \
         WHERE at.app_id = "
    ));
    qb.push_bind(app.as_str().to_owned());
    qb.push(format!(" AND {owner_column} = "));
    qb.push_bind(owner.to_owned());
    push_attempt_filter(&mut qb, filter);
    list::push_page(&mut qb, "at.id", query);
    let rows = qb
        .build()
        .fetch_all(&store.read)
        .await
        .map_err(error::map)?;
    let items = rows
        .iter()
        .map(codec::attempt)
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Page::assemble(items, query, |a| a.id.to_string()))
}

pub(crate) async fn list_attempts_by_endpoint(
    store: &SqliteStore,
    app: &AppId,
    endpoint: &EndpointId,
    filter: &AttemptFilter,
    query: &ListQuery,
) -> StoreResult<Page<Attempt>> {
    list_attempts(
        store,
        app,
        "at.endpoint_id",
        endpoint.as_str(),
        filter,
        query,
    )
    .await
}

pub(crate) async fn list_attempts_by_msg(
    store: &SqliteStore,
    app: &AppId,
    msg: &MsgId,
    filter: &AttemptFilter,
    query: &ListQuery,
) -> StoreResult<Page<Attempt>> {
    list_attempts(store, app, "at.msg_id", msg.as_str(), filter, query).await
}

pub(crate) async fn get_attempt(
    store: &SqliteStore,
    app: &AppId,
    msg: &MsgId,
    attempt: &AttemptId,
) -> StoreResult<Option<Attempt>> {
    let row = sqlx::query(&format!(
        "SELECT {ATTEMPT_COLUMNS} FROM attempts at \
         WHERE at.app_id = ? AND at.msg_id = ? AND at.id = ?"
    ))
    .bind(app.as_str())
    .bind(msg.as_str())
    .bind(attempt.as_str())
    .fetch_optional(&store.read)
    .await
    .map_err(error::map)?;
    row.as_ref().map(codec::attempt).transpose()
}

pub(crate) async fn expunge_attempt_content(
    store: &SqliteStore,
    app: &AppId,
    msg: &MsgId,
    attempt: &AttemptId,
) -> StoreResult<bool> {
    // An expunged attempt keeps no content: its request body goes with its response (one that
    // was the payload itself stops pointing at it). Its headers stay: they carry no content.
    let done = sqlx::query(
        "UPDATE attempts SET response = NULL, request_body = NULL, request_body_kind = \
         CASE WHEN request_body_kind IS NULL THEN NULL ELSE 'removed' END \
         WHERE app_id = ? AND msg_id = ? AND id = ?",
    )
    .bind(app.as_str())
    .bind(msg.as_str())
    .bind(attempt.as_str())
    .execute(&store.write)
    .await
    .map_err(error::map)?;
    Ok(done.rows_affected() > 0)
}

pub(crate) async fn endpoint_stats(
    store: &SqliteStore,
    app: &AppId,
    endpoint: &EndpointId,
    since: Option<Timestamp>,
    until: Option<Timestamp>,
) -> StoreResult<EndpointStats> {
    // Open ends are bound as the extremes rather than spelled `? IS NULL OR …`, which would
    // keep SQLite from using the (endpoint_id, created_at) index for the range.
    let rows = sqlx::query(
        "SELECT state, COUNT(*) AS n FROM deliveries \
         WHERE app_id = ? AND endpoint_id = ? AND created_at >= ? AND created_at < ? \
         GROUP BY state",
    )
    .bind(app.as_str())
    .bind(endpoint.as_str())
    .bind(since.map_or(i64::MIN, ms_ceil))
    .bind(until.map_or(i64::MAX, ms_ceil))
    .fetch_all(&store.read)
    .await
    .map_err(error::map)?;
    let mut stats = EndpointStats::default();
    for row in &rows {
        let state: String = row.try_get("state").map_err(error::map)?;
        let n: i64 = row.try_get("n").map_err(error::map)?;
        let state = DeliveryState::parse(&state)
            .ok_or_else(|| error::corrupt(format!("delivery state {state:?}")))?;
        let slot = match (state, state.message_status()) {
            (DeliveryState::Canceled, _) => &mut stats.canceled,
            (_, MessageStatus::Success) => &mut stats.success,
            (_, MessageStatus::Fail) => &mut stats.fail,
            (_, MessageStatus::Pending) => &mut stats.pending,
            (_, MessageStatus::Sending) => &mut stats.sending,
        };
        *slot += n;
    }
    Ok(stats)
}
