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
use sqlx::{types::Json, PgConnection, Postgres, QueryBuilder};

use crate::{
    codec::{self, ms, ENDPOINT_COLUMNS},
    error, notify, PgStore,
};
pub(crate) use hookd_store_sql::queries::messages::{get, list};

/// The columns a message is written with, in the order [`bind_message`] binds them.
const INSERT_MESSAGE: &str = "INSERT INTO messages (id, app_id, event_id, event_type, payload, \
     channels, payload_expires_at, created_at, tags, deliver_at, raw_payload, headers) ";
/// Values bound per message row.
const MESSAGE_BINDS: usize = 12;

/// Binds one message row for [`INSERT_MESSAGE`].
fn bind_message<'q>(
    mut row: sqlx::query_builder::Separated<'_, 'q, Postgres, &'static str>,
    msg: &'q Message,
) {
    row.push_bind(msg.id.as_str())
        .push_bind(msg.app_id.as_str())
        .push_bind(msg.event_id.as_deref())
        .push_bind(&msg.event_type)
        .push_bind(msg.payload.as_deref())
        .push_bind(msg.channels.as_deref())
        .push_bind(msg.payload_expires_at.map(ms))
        .push_bind(ms(msg.created_at))
        .push_bind(msg.extras.tags.as_deref())
        .push_bind(msg.extras.deliver_at.map(ms))
        .push_bind(msg.extras.raw_payload)
        .push_bind(Json(&msg.extras.headers));
}

/// Inserts the initial deliveries of `msg` to `targets`, in one statement: pending, due at the
/// message's first due time (its `deliverAt` or its creation), scheduled, no attempts yet.
async fn insert_initial_deliveries(
    tx: &mut PgConnection,
    msg: &Message,
    targets: &[String],
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO deliveries (msg_id, endpoint_id, app_id, state, attempts, next_attempt_at, \
         trigger_type, created_at, updated_at) \
         SELECT $1, target, $2, $3, 0, $7, $5, $4, $4 FROM UNNEST($6::text[]) AS target",
    )
    .bind(msg.id.as_str())
    .bind(msg.app_id.as_str())
    .bind(DeliveryState::Pending.as_str())
    .bind(ms(msg.created_at))
    .bind(TriggerType::Scheduled.as_str())
    .bind(targets)
    .bind(ms(msg.first_due_at()))
    .execute(&mut *tx)
    .await
    .map_err(error::map)?;
    Ok(())
}

/// The message and its deliveries are written in one transaction, against the endpoints read
/// in it. Those endpoints are read `FOR KEY SHARE`, the lock a foreign key check takes anyway:
/// an endpoint being deleted concurrently is either gone before we read (and skipped) or
/// waits for our commit (and its cascade removes our delivery), so a publish never fails
/// because an unrelated endpoint vanished between our read and our insert. Updates to an
/// endpoint (say, disabling it) are not blocked; a delivery to an endpoint disabled meanwhile
/// is canceled by the worker that claims it.
pub(crate) async fn create(
    store: &PgStore,
    msg: &Message,
    only_endpoint: Option<&EndpointId>,
) -> StoreResult<u32> {
    let mut tx = store.begin().await?;
    let mut qb = QueryBuilder::<Postgres>::new(INSERT_MESSAGE);
    qb.push_values([msg], bind_message);
    qb.build().execute(&mut *tx).await.map_err(error::map)?;

    let targets: Vec<String> = match only_endpoint {
        Some(only) => sqlx::query_scalar::<_, String>(
            "SELECT id FROM endpoints WHERE app_id = $1 AND id = $2 AND NOT disabled \
             FOR KEY SHARE",
        )
        .bind(msg.app_id.as_str())
        .bind(only.as_str())
        .fetch_optional(&mut *tx)
        .await
        .map_err(error::map)?
        .into_iter()
        .collect(),
        None => {
            let endpoints = sqlx::query(&format!(
                "SELECT {ENDPOINT_COLUMNS} FROM endpoints e \
                 WHERE e.app_id = $1 AND NOT e.disabled FOR KEY SHARE"
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
                .map(|d| d.endpoint.id.to_string())
                .collect()
        }
    };
    if !targets.is_empty() {
        insert_initial_deliveries(&mut tx, msg, &targets).await?;
        notify::work_available(&mut tx, store).await?;
    }
    tx.commit().await.map_err(error::map)?;
    // An application cannot hold anywhere near 2^32 endpoints; saturate rather than panic.
    Ok(u32::try_from(targets.len()).unwrap_or(u32::MAX))
}

pub(crate) async fn expunge_content(
    store: &PgStore,
    app: &AppId,
    msg: &MsgId,
) -> StoreResult<bool> {
    let found: i64 = sqlx::query_scalar(EXPUNGE_SQL)
        .bind(app.as_str())
        .bind(msg.as_str())
        .fetch_one(&store.pool)
        .await
        .map_err(error::map)?;
    Ok(found > 0)
}

/// Removes a message's payload, and in the same statement the request bodies its attempts
/// recorded, because those hold the payload's data (an envelope's rendering). Bodies that
/// were the payload itself are not stored, so they go with the payload. Counts the messages
/// found (0 or 1).
const EXPUNGE_SQL: &str = "\
    WITH gone AS ( \
      UPDATE messages SET payload = NULL WHERE app_id = $1 AND id = $2 RETURNING id), \
    bodies AS ( \
      UPDATE attempts SET request_body = NULL, request_body_kind = 'removed' \
      WHERE msg_id = ANY (ARRAY(SELECT id FROM gone)) AND request_body IS NOT NULL) \
    SELECT count(*) FROM gone";

/// Messages per multi-row `INSERT`: [`MESSAGE_BINDS`] bound values each stays far below
/// PostgreSQL's limit of 65,535 parameters per statement.
const MESSAGE_ROWS_PER_STATEMENT: usize = 1000;
const _: () = assert!(MESSAGE_ROWS_PER_STATEMENT * MESSAGE_BINDS < 65_535);

/// Group commit: all messages in one transaction, one commit (one WAL flush) for the batch,
/// with a handful of statements whatever its size — multi-row inserts of the messages (a taken
/// `eventId` is skipped by `ON CONFLICT DO NOTHING` and reported for that message alone), one
/// read of the endpoints of every application involved (`FOR KEY SHARE`, as in [`create`]),
/// one insert of all deliveries from arrays, and one `NOTIFY`.
pub(crate) async fn create_many(
    store: &PgStore,
    msgs: &[Message],
    claim: Option<&ClaimRequest<'_>>,
) -> StoreResult<Created> {
    use std::collections::HashSet;

    let mut tx = store.begin().await?;
    let mut inserted: HashSet<String> = HashSet::with_capacity(msgs.len());
    for chunk in msgs.chunks(MESSAGE_ROWS_PER_STATEMENT) {
        let mut qb = QueryBuilder::<Postgres>::new(INSERT_MESSAGE);
        qb.push_values(chunk, bind_message);
        qb.push(" ON CONFLICT DO NOTHING RETURNING id");
        let ids: Vec<String> = qb
            .build_query_scalar()
            .fetch_all(&mut *tx)
            .await
            .map_err(error::map)?;
        inserted.extend(ids);
    }

    let apps: Vec<String> = msgs
        .iter()
        .map(|m| m.app_id.as_str().to_owned())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let endpoints = sqlx::query(&format!(
        "SELECT {ENDPOINT_COLUMNS} FROM endpoints e \
         WHERE e.app_id = ANY($1) AND NOT e.disabled FOR KEY SHARE"
    ))
    .bind(&apps)
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
    let n = plan.deliveries.len();
    let (mut d_msg, mut d_ep, mut d_app, mut d_at, mut d_due, mut d_take) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for d in &plan.deliveries {
        d_msg.push(d.message.id.as_str());
        d_ep.push(d.endpoint.id.as_str());
        d_app.push(d.message.app_id.as_str());
        d_at.push(ms(d.message.created_at));
        d_due.push(ms(d.message.first_due_at()));
        d_take.push(d.claimed);
    }
    if !d_msg.is_empty() {
        // The rows marked `k` are written claimed under the lease.
        sqlx::query(
            "INSERT INTO deliveries (msg_id, endpoint_id, app_id, state, attempts, \
             next_attempt_at, trigger_type, created_at, updated_at, lease_token, lease_owner, \
             lease_expires_at) \
             SELECT m, e, a, CASE WHEN k THEN $8 ELSE $5 END, 0, due, $6, t, \
               CASE WHEN k THEN $9 ELSE t END, CASE WHEN k THEN $10 END, \
               CASE WHEN k THEN $11 END, CASE WHEN k THEN $12 END \
             FROM UNNEST($1::text[], $2::text[], $3::text[], $4::bigint[], $7::bigint[], \
               $13::boolean[]) AS d(m, e, a, t, due, k)",
        )
        .bind(&d_msg)
        .bind(&d_ep)
        .bind(&d_app)
        .bind(&d_at)
        .bind(DeliveryState::Pending.as_str())
        .bind(TriggerType::Scheduled.as_str())
        .bind(&d_due)
        .bind(DeliveryState::Claimed.as_str())
        .bind(lease.map(|(c, _)| ms(c.now)))
        .bind(lease.map(|(c, _)| c.lease_token))
        .bind(lease.map(|(c, _)| c.owner))
        .bind(lease.map(|(_, expires)| ms(expires)))
        .bind(&d_take)
        .execute(&mut *tx)
        .await
        .map_err(error::map)?;
        // Other processes need waking only for deliveries nobody holds yet.
        if plan.claimed_count() < d_msg.len() {
            notify::work_available(&mut tx, store).await?;
        }
    }
    tx.commit().await.map_err(error::map)?;
    Ok(plan.created(claim))
}
