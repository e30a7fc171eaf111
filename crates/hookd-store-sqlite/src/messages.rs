//! Messages: writing a message together with its fan-out of deliveries, reading, listing and
//! expunging them.
//!
//! This module must not decide which endpoints receive a message, nor which new deliveries a
//! publish claims: it asks [`hookd_core::plan::fan_out`], so that every store fans out
//! identically, and only writes the plan.

use hookd_core::{
    delivery::{DeliveryState, TriggerType},
    id::{AppId, EndpointId, MsgId},
    model::Message,
    plan::fan_out,
    store::{ClaimRequest, Created, StoreResult},
};
use sqlx::{QueryBuilder, Sqlite};

use crate::{
    codec::{self, ms, opt_list_json, ENDPOINT_COLUMNS},
    error, SqliteStore,
};
pub(crate) use hookd_store_sql::queries::messages::{get, list};

/// The columns a message is written with, in the order [`bind_message`] binds them.
const INSERT_MESSAGE: &str = "INSERT INTO messages (id, app_id, event_id, event_type, payload, \
     channels, payload_expires_at, created_at, tags, deliver_at, raw_payload, headers) ";
/// Values bound per message row.
const MESSAGE_BINDS: usize = 12;

/// A message's stored JSON fields: its channels, tags and headers.
fn message_json(msg: &Message) -> StoreResult<(Option<String>, Option<String>, String)> {
    Ok((
        opt_list_json(msg.channels.as_ref())?,
        opt_list_json(msg.extras.tags.as_ref())?,
        codec::to_json(&msg.extras.headers)?,
    ))
}

/// Binds one message row for [`INSERT_MESSAGE`], with its JSON fields from [`message_json`].
fn bind_message<'q>(
    mut row: sqlx::query_builder::Separated<'_, 'q, Sqlite, &'static str>,
    msg: &'q Message,
    (channels, tags, headers): (Option<String>, Option<String>, String),
) {
    row.push_bind(msg.id.as_str())
        .push_bind(msg.app_id.as_str())
        .push_bind(msg.event_id.as_deref())
        .push_bind(&msg.event_type)
        .push_bind(msg.payload.as_deref())
        .push_bind(channels)
        .push_bind(msg.payload_expires_at.map(ms))
        .push_bind(ms(msg.created_at))
        .push_bind(tags)
        .push_bind(msg.extras.deliver_at.map(ms))
        .push_bind(msg.extras.raw_payload)
        .push_bind(headers);
}

/// Inserts a delivery in its initial state: pending, due at the message's first due time (its
/// `deliverAt` or its creation), scheduled, no attempts yet.
async fn insert_initial_delivery(
    tx: &mut sqlx::SqliteConnection,
    msg: &Message,
    endpoint: &EndpointId,
) -> StoreResult<()> {
    let created_at = ms(msg.created_at);
    sqlx::query(
        "INSERT INTO deliveries (msg_id, endpoint_id, app_id, state, attempts, next_attempt_at, \
         trigger_type, created_at, updated_at) VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?)",
    )
    .bind(msg.id.as_str())
    .bind(endpoint.as_str())
    .bind(msg.app_id.as_str())
    .bind(DeliveryState::Pending.as_str())
    .bind(ms(msg.first_due_at()))
    .bind(TriggerType::Scheduled.as_str())
    .bind(created_at)
    .bind(created_at)
    .execute(&mut *tx)
    .await
    .map_err(error::map)?;
    Ok(())
}

/// The message, the endpoint list it is matched against and its deliveries are read and
/// written in one `IMMEDIATE` transaction, so an endpoint created or disabled concurrently is
/// either fully before or fully after this message.
pub(crate) async fn create(
    store: &SqliteStore,
    msg: &Message,
    only_endpoint: Option<&EndpointId>,
) -> StoreResult<u32> {
    let json = message_json(msg)?;
    let mut tx = store.begin_write().await?;
    let mut qb = QueryBuilder::<Sqlite>::new(INSERT_MESSAGE);
    qb.push_values([(msg, json)], |row, (msg, json)| {
        bind_message(row, msg, json)
    });
    qb.build().execute(&mut *tx).await.map_err(error::map)?;

    let targets: Vec<EndpointId> = match only_endpoint {
        Some(only) => sqlx::query_scalar::<_, String>(
            "SELECT id FROM endpoints WHERE app_id = ? AND id = ? AND disabled = 0",
        )
        .bind(msg.app_id.as_str())
        .bind(only.as_str())
        .fetch_optional(&mut *tx)
        .await
        .map_err(error::map)?
        .into_iter()
        .map(EndpointId::from_trusted)
        .collect(),
        None => {
            let endpoints = sqlx::query(&format!(
                "SELECT {ENDPOINT_COLUMNS} FROM endpoints e WHERE e.app_id = ? AND e.disabled = 0"
            ))
            .bind(msg.app_id.as_str())
            .fetch_all(&mut *tx)
            .await
            .map_err(error::map)?
            .iter()
            .map(codec::endpoint)
            .collect::<StoreResult<Vec<_>>>()?;
            fan_out(std::slice::from_ref(msg), |_| true, &endpoints, None)
                .deliveries
                .into_iter()
                .map(|d| d.endpoint.id.clone())
                .collect()
        }
    };
    for endpoint in &targets {
        insert_initial_delivery(&mut tx, msg, endpoint).await?;
    }
    tx.commit().await.map_err(error::map)?;
    // An application cannot hold anywhere near 2^32 endpoints; saturate rather than panic.
    Ok(u32::try_from(targets.len()).unwrap_or(u32::MAX))
}

/// Removes the request bodies that attempts recorded for the messages in a JSON array of
/// ids, because they hold the payload's data (an envelope's rendering): whatever removes a
/// payload removes these too. Bodies that were the payload itself are not stored, so they go
/// with the payload. Walks `attempts_msg`.
pub(crate) const REMOVE_SENT_BODIES_SQL: &str = "\
    UPDATE attempts SET request_body = NULL, request_body_kind = 'removed' \
    WHERE msg_id IN (SELECT value FROM json_each(?1)) AND request_body IS NOT NULL";

pub(crate) async fn expunge_content(
    store: &SqliteStore,
    app: &AppId,
    msg: &MsgId,
) -> StoreResult<bool> {
    let mut tx = store.begin_write().await?;
    let done = sqlx::query("UPDATE messages SET payload = NULL WHERE app_id = ? AND id = ?")
        .bind(app.as_str())
        .bind(msg.as_str())
        .execute(&mut *tx)
        .await
        .map_err(error::map)?;
    if done.rows_affected() == 0 {
        return Ok(false);
    }
    sqlx::query(REMOVE_SENT_BODIES_SQL)
        .bind(codec::to_json(&[msg.as_str()])?)
        .execute(&mut *tx)
        .await
        .map_err(error::map)?;
    tx.commit().await.map_err(error::map)?;
    Ok(true)
}

/// Messages per multi-row `INSERT`: [`MESSAGE_BINDS`] bound values each, which keeps a
/// statement far below SQLite's limit of 32,766 variables.
const MESSAGE_ROWS_PER_STATEMENT: usize = 500;
const _: () = assert!(MESSAGE_ROWS_PER_STATEMENT * MESSAGE_BINDS < 32_766);
/// Deliveries per multi-row `INSERT`, 8 bound values each; same reasoning.
const DELIVERY_ROWS_PER_STATEMENT: usize = 1000;

/// Group commit: all messages in one `IMMEDIATE` transaction with a handful of statements
/// whatever the batch size — multi-row inserts of the messages (a taken `eventId` is skipped
/// by `ON CONFLICT DO NOTHING` and reported for that message alone), one read of the endpoints
/// of every application involved, and multi-row inserts of the deliveries. With one writer,
/// statements and commits are the cost of a publish; sharing them is what makes concurrent
/// publishes cheap. With a `claim`, the first `claim.limit` deliveries are inserted already
/// claimed under its lease (see [`hookd_core::store::Queue::create_messages`]).
pub(crate) async fn create_many(
    store: &SqliteStore,
    msgs: &[Message],
    claim: Option<&ClaimRequest<'_>>,
) -> StoreResult<Created> {
    use std::collections::HashSet;

    let mut tx = store.begin_write().await?;
    let mut inserted: HashSet<String> = HashSet::with_capacity(msgs.len());
    for chunk in msgs.chunks(MESSAGE_ROWS_PER_STATEMENT) {
        let mut qb = QueryBuilder::<Sqlite>::new(INSERT_MESSAGE);
        let mut json = Vec::with_capacity(chunk.len());
        for msg in chunk {
            json.push(message_json(msg)?);
        }
        qb.push_values(chunk.iter().zip(json), |row, (msg, json)| {
            bind_message(row, msg, json)
        });
        qb.push(" ON CONFLICT DO NOTHING RETURNING id");
        let ids: Vec<String> = qb
            .build_query_scalar()
            .fetch_all(&mut *tx)
            .await
            .map_err(error::map)?;
        inserted.extend(ids);
    }

    let apps: HashSet<&str> = msgs.iter().map(|m| m.app_id.as_str()).collect();
    let mut qb = QueryBuilder::<Sqlite>::new(format!(
        "SELECT {ENDPOINT_COLUMNS} FROM endpoints e WHERE e.disabled = 0 AND e.app_id IN ("
    ));
    let mut list = qb.separated(", ");
    for app in &apps {
        list.push_bind(*app);
    }
    qb.push(")");
    let endpoints = qb
        .build()
        .fetch_all(&mut *tx)
        .await
        .map_err(error::map)?
        .iter()
        .map(codec::endpoint)
        .collect::<StoreResult<Vec<_>>>()?;

    let plan = fan_out(
        msgs,
        |m| inserted.contains(m.id.as_str()),
        &endpoints,
        claim,
    );
    let lease = claim.map(|c| (c, c.now + c.lease));
    for chunk in plan.deliveries.chunks(DELIVERY_ROWS_PER_STATEMENT) {
        let mut qb = QueryBuilder::<Sqlite>::new(
            "INSERT INTO deliveries (msg_id, endpoint_id, app_id, state, attempts, \
             next_attempt_at, trigger_type, created_at, updated_at, lease_token, lease_owner, \
             lease_expires_at) ",
        );
        qb.push_values(chunk.iter(), |mut row, d| {
            let (msg, endpoint) = (d.message, d.endpoint);
            let created = ms(msg.created_at);
            let due = ms(msg.first_due_at());
            let lease = lease.filter(|_| d.claimed);
            let state = if lease.is_some() {
                DeliveryState::Claimed
            } else {
                DeliveryState::Pending
            };
            row.push_bind(msg.id.as_str())
                .push_bind(endpoint.id.as_str())
                .push_bind(msg.app_id.as_str())
                .push_bind(state.as_str())
                .push("0")
                .push_bind(due)
                .push_bind(TriggerType::Scheduled.as_str())
                .push_bind(created)
                .push_bind(lease.map_or(created, |(c, _)| ms(c.now)))
                .push_bind(lease.map(|(c, _)| c.lease_token))
                .push_bind(lease.map(|(c, _)| c.owner))
                .push_bind(lease.map(|(_, expires)| ms(expires)));
        });
        qb.build().execute(&mut *tx).await.map_err(error::map)?;
    }
    tx.commit().await.map_err(error::map)?;
    Ok(plan.created(claim))
}
