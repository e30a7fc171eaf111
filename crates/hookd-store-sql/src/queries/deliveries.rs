//! The read side of deliveries and attempts: the lists behind `/endpoint/{id}/msg`,
//! `/msg/{id}/endpoint` and the attempt lists, single attempts, expunging a response, and
//! per-endpoint statistics.
//!
//! This module must not change a delivery's state; that is each store's queue.

use hookd_core::{
    delivery::{DeliveryState, MessageStatus},
    id::{AppId, AttemptId, EndpointId, MsgId},
    model::{Attempt, Delivery, Endpoint, EndpointStats, Message},
    page::{ListQuery, Page},
    store::{AttemptFilter, DeliveryFilter, QueueDepth, StoreResult},
    Timestamp,
};

use crate::{
    corrupt, decode, ms, ms_ceil, queries::messages::push_message_filter, queries::page::push_page,
    states_with_status, Columns, Database, Statement, ATTEMPT_COLUMNS, DELIVERY_COLUMNS,
    ENDPOINT_COLUMNS, MESSAGE_COLUMNS,
};

/// The width of an HTTP status class: class 200 is 200 to 299.
const STATUS_CLASS_WIDTH: i64 = 100;

pub async fn list_endpoint_deliveries<D: Database>(
    db: &D,
    app: &AppId,
    endpoint: &EndpointId,
    filter: &DeliveryFilter,
    query: &ListQuery,
) -> StoreResult<Page<(Message, Delivery)>> {
    let mut st = Statement::new(format!(
        "SELECT {MESSAGE_COLUMNS}, {DELIVERY_COLUMNS} FROM deliveries d \
         JOIN messages m ON m.id = d.msg_id WHERE d.app_id = $1 AND d.endpoint_id = $2"
    ))
    .bind(app.as_str())
    .bind(endpoint.as_str());
    push_message_filter::<D>(&mut st, &filter.message, "m.created_at");
    if let Some(status) = filter.status {
        st.push(" AND d.state IN ")
            .push_list(states_with_status(status));
    }
    push_page(&mut st, "d.msg_id", query);
    let items = db
        .read_all(st)
        .await?
        .iter()
        .map(|r| {
            let row = D::columns(r);
            Ok((decode::message(&row)?, decode::delivery(&row)?))
        })
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Page::assemble(items, query, |(m, _)| m.id.to_string()))
}

pub async fn list_message_deliveries<D: Database>(
    db: &D,
    app: &AppId,
    msg: &MsgId,
    query: &ListQuery,
) -> StoreResult<Page<(Endpoint, Delivery)>> {
    let mut st = Statement::new(format!(
        "SELECT {ENDPOINT_COLUMNS}, {DELIVERY_COLUMNS} FROM deliveries d \
         JOIN endpoints e ON e.id = d.endpoint_id WHERE d.app_id = $1 AND d.msg_id = $2"
    ))
    .bind(app.as_str())
    .bind(msg.as_str());
    push_page(&mut st, "d.endpoint_id", query);
    let items = db
        .read_all(st)
        .await?
        .iter()
        .map(|r| {
            let row = D::columns(r);
            Ok((decode::endpoint(&row)?, decode::delivery(&row)?))
        })
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Page::assemble(items, query, |(e, _)| e.id.to_string()))
}

/// The attempt-level filters, on a statement over `attempts at JOIN messages m`.
fn push_attempt_filter<'a, D: Database>(st: &mut Statement<'a>, filter: &'a AttemptFilter) {
    push_message_filter::<D>(st, &filter.message, "at.created_at");
    if let Some(status) = filter.status {
        st.push(" AND at.status = ")
            .push_bind(i64::from(status.code()));
    }
    if let Some(class) = filter.status_code_class {
        let class = i64::from(class);
        if class == 0 {
            // Class 0 is "no response": the request never got an HTTP status.
            st.push(" AND at.response_status_code = 0");
        } else {
            st.push(" AND at.response_status_code >= ").push_bind(class);
            st.push(" AND at.response_status_code < ")
                .push_bind(class + STATUS_CLASS_WIDTH);
        }
    }
    if let Some(endpoint) = &filter.endpoint_id {
        st.push(" AND at.endpoint_id = ")
            .push_bind(endpoint.as_str());
    }
}

/// Lists attempts where `owner_column` (the endpoint or the message) is `owner`.
async fn list_attempts<D: Database>(
    db: &D,
    app: &AppId,
    owner_column: &str,
    owner: &str,
    filter: &AttemptFilter,
    query: &ListQuery,
) -> StoreResult<Page<Attempt>> {
    let mut st = Statement::new(format!(
        "SELECT {ATTEMPT_COLUMNS} FROM attempts at JOIN messages m ON m.id = at.msg_id \
         WHERE at.app_id = $1 AND {owner_column} = $2"
    ))
    .bind(app.as_str())
    .bind(owner);
    push_attempt_filter::<D>(&mut st, filter);
    push_page(&mut st, "at.id", query);
    let items = db
        .read_all(st)
        .await?
        .iter()
        .map(|r| decode::attempt(&D::columns(r)))
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Page::assemble(items, query, |a| a.id.to_string()))
}

pub async fn list_attempts_by_endpoint<D: Database>(
    db: &D,
    app: &AppId,
    endpoint: &EndpointId,
    filter: &AttemptFilter,
    query: &ListQuery,
) -> StoreResult<Page<Attempt>> {
    list_attempts(db, app, "at.endpoint_id", endpoint.as_str(), filter, query).await
}

pub async fn list_attempts_by_msg<D: Database>(
    db: &D,
    app: &AppId,
    msg: &MsgId,
    filter: &AttemptFilter,
    query: &ListQuery,
) -> StoreResult<Page<Attempt>> {
    list_attempts(db, app, "at.msg_id", msg.as_str(), filter, query).await
}

pub async fn get_attempt<D: Database>(
    db: &D,
    app: &AppId,
    msg: &MsgId,
    attempt: &AttemptId,
) -> StoreResult<Option<Attempt>> {
    let row = db
        .read_optional(
            Statement::new(format!(
                "SELECT {ATTEMPT_COLUMNS} FROM attempts at \
                 WHERE at.app_id = $1 AND at.msg_id = $2 AND at.id = $3"
            ))
            .bind(app.as_str())
            .bind(msg.as_str())
            .bind(attempt.as_str()),
        )
        .await?;
    row.as_ref()
        .map(|r| decode::attempt(&D::columns(r)))
        .transpose()
}

pub async fn expunge_attempt_content(
    db: &impl Database,
    app: &AppId,
    msg: &MsgId,
    attempt: &AttemptId,
) -> StoreResult<bool> {
    // An expunged attempt keeps no content: its request body goes with its response (one that
    // was the payload itself stops pointing at it). Its headers stay: they carry no content.
    let changed = db
        .write(
            Statement::new(
                "UPDATE attempts SET response = NULL, request_body = NULL, request_body_kind = \
                 CASE WHEN request_body_kind IS NULL THEN NULL ELSE 'removed' END \
                 WHERE app_id = $1 AND msg_id = $2 AND id = $3",
            )
            .bind(app.as_str())
            .bind(msg.as_str())
            .bind(attempt.as_str()),
        )
        .await?;
    Ok(changed > 0)
}

pub async fn endpoint_stats<D: Database>(
    db: &D,
    app: &AppId,
    endpoint: &EndpointId,
    since: Option<Timestamp>,
    until: Option<Timestamp>,
) -> StoreResult<EndpointStats> {
    // Open ends are bound as the extremes rather than spelled `$n IS NULL OR …`, so that the
    // (endpoint_id, created_at) index serves the range with one plan for every call.
    let rows = db
        .read_all(
            Statement::new(
                "SELECT state, COUNT(*) AS n FROM deliveries \
                 WHERE app_id = $1 AND endpoint_id = $2 AND created_at >= $3 \
                 AND created_at < $4 GROUP BY state",
            )
            .bind(app.as_str())
            .bind(endpoint.as_str())
            .bind(since.map_or(i64::MIN, ms_ceil))
            .bind(until.map_or(i64::MAX, ms_ceil)),
        )
        .await?;
    let mut stats = EndpointStats::default();
    for r in &rows {
        let row = D::columns(r);
        let state = row.text("state")?;
        let n = row.int("n")?;
        let state = DeliveryState::parse(&state)
            .ok_or_else(|| corrupt(format!("delivery state {state:?}")))?;
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

/// Counts the unfinished deliveries and finds the oldest due time through the two partial
/// indexes on them (`deliveries_due`, `deliveries_leases`), so finished history is never
/// scanned. The states are spelled as literals, as in those indexes' `WHERE`: a planner uses a
/// partial index only when it can prove the query implies it, which a bound value defeats.
pub async fn depth<D: Database>(db: &D, now: Timestamp) -> StoreResult<QueueDepth> {
    let waiting = db
        .read_all(
            Statement::new(
                "SELECT state, COUNT(*) AS n, \
                 MIN(CASE WHEN next_attempt_at <= $1 THEN next_attempt_at END) AS oldest \
                 FROM deliveries WHERE state IN ('pending', 'retry_scheduled') GROUP BY state",
            )
            .bind(ms(now)),
        )
        .await?;
    let claimed = db
        .read_all(Statement::new(
            "SELECT COUNT(*) AS n FROM deliveries WHERE state = 'claimed'",
        ))
        .await?;
    let count = |n: i64| u64::try_from(n).map_err(|_| corrupt("negative count"));
    let mut depth = QueueDepth::default();
    for r in &claimed {
        let row = D::columns(r);
        depth.claimed = count(row.int("n")?)?;
    }
    for r in &waiting {
        let row = D::columns(r);
        let n = count(row.int("n")?)?;
        let oldest = row.opt_int("oldest")?.map(crate::ts).transpose()?;
        match DeliveryState::parse(&row.text("state")?) {
            Some(DeliveryState::Pending) => depth.pending = n,
            Some(DeliveryState::RetryScheduled) => depth.retry_scheduled = n,
            other => return Err(corrupt(format!("depth counted state {other:?}"))),
        }
        depth.oldest_due_at = match (depth.oldest_due_at, oldest) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    Ok(depth)
}
