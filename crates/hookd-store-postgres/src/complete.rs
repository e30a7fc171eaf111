//! Completing a batch of claimed deliveries, for any number of workers in any number of
//! processes: one short transaction of a handful of statements whatever the batch's size (as
//! [`hookd_core::plan::completions`] plans it), its state changes guarded by the lease token,
//! so a worker whose lease was taken over cannot overwrite its successor's result.
//!
//! This module must not decide where a delivery goes after an attempt: the worker computes the
//! [`hookd_core::delivery::Transition`] and this module only applies it under the guard.

use hookd_core::{
    delivery::TriggerType,
    plan::{completions, CompletionPlan, StateChange},
    store::{health_changes, Completion, Outcome, StoreResult},
};

use crate::{codec::ms, error, PgStore};

/// Locks the parents of the attempts a batch records, before anything else, with the lock a
/// foreign key check takes anyway (`FOR KEY SHARE`, which blocks only deletes). Without it an
/// endpoint deleted by another process between the batch's existence check and its insert
/// would fail the whole batch on a foreign key. With it, a delete that committed first has
/// already removed the deliveries (so their attempts are skipped), and one that comes later
/// waits for this batch to commit, whose attempts its cascade then removes. Parents are
/// always locked before children, as a delete's cascade does, so the two cannot deadlock.
const LOCK_PARENTS_SQL: &str = "\
    WITH e AS (SELECT 1 FROM endpoints WHERE id = ANY ($1) FOR KEY SHARE), \
         m AS (SELECT 1 FROM messages WHERE id = ANY ($2) FOR KEY SHARE) \
    SELECT (SELECT COUNT(*) FROM e) + (SELECT COUNT(*) FROM m)";

/// Applies a batch of completions to the deliveries still claimed under their lease tokens,
/// and returns the position in the batch of each one that held its lease. An attempt counts
/// and resets the trigger to scheduled (the next attempt, if any, is the schedule's); a
/// deferral or cancellation does neither, so a deferred manual attempt stays manual.
pub(crate) const COMPLETE_SQL: &str = "\
    UPDATE deliveries d SET state = c.state, \
        attempts = d.attempts + CASE WHEN c.attempted THEN 1 ELSE 0 END, \
        next_attempt_at = c.next_attempt_at, \
        trigger_type = CASE WHEN c.attempted THEN $9 ELSE d.trigger_type END, \
        lease_token = NULL, lease_owner = NULL, lease_expires_at = NULL, updated_at = c.now \
    FROM UNNEST($1::int8[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int8[], \
                $7::bool[], $8::int8[]) \
        AS c(ord, msg_id, endpoint_id, lease_token, state, next_attempt_at, attempted, now) \
    WHERE d.msg_id = c.msg_id AND d.endpoint_id = c.endpoint_id \
      AND d.state = 'claimed' AND d.lease_token = c.lease_token \
    RETURNING c.ord";

/// Records a batch's attempts. The attempt is a fact about what the receiver saw, so it is
/// recorded even when the lease was lost. It is skipped only if the delivery itself is gone
/// (its endpoint or message was deleted meanwhile): there is nothing left to attach it to. A
/// worker that reports the same completion twice (it retried after an error it could not
/// attribute) must not fail the whole batch either, so a known attempt id is ignored: the
/// first report already recorded it. A request body to store (one that was not the payload
/// itself) is stored as removed when the message's payload is gone by now: an expunge or
/// expiry that ran while the request was in flight could not remove it, and must not miss it.
const RECORD_ATTEMPTS_SQL: &str = "\
    INSERT INTO attempts (id, msg_id, endpoint_id, app_id, url, status, response_status_code, \
        response, response_duration_ms, trigger_type, created_at, request_headers, \
        request_body_kind, request_body, next_attempt_at, retry_after) \
    SELECT a.id, a.msg_id, a.endpoint_id, a.app_id, a.url, a.status, a.code, a.response, \
        a.duration, a.trigger_type, a.created_at, a.headers::jsonb, \
        CASE WHEN g.gone THEN 'removed' ELSE a.body_kind END, \
        CASE WHEN g.gone THEN NULL ELSE a.body END, a.next_attempt_at, a.retry_after \
    FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int2[], \
                $7::int2[], $8::text[], $9::int8[], $10::text[], $11::int8[], $12::text[], \
                $13::text[], $14::text[], $15::int8[], $16::text[]) \
        AS a(id, msg_id, endpoint_id, app_id, url, status, code, response, duration, \
             trigger_type, created_at, headers, body_kind, body, next_attempt_at, retry_after) \
    CROSS JOIN LATERAL (SELECT a.body IS NOT NULL AND NOT EXISTS ( \
        SELECT 1 FROM messages m WHERE m.id = a.msg_id AND m.payload IS NOT NULL) AS gone) AS g \
    WHERE EXISTS (SELECT 1 FROM deliveries d \
                  WHERE d.msg_id = a.msg_id AND d.endpoint_id = a.endpoint_id) \
    ON CONFLICT (id) DO NOTHING";

/// Moves the health of the endpoints a batch attempted (`$1` ids, sorted), from the attempts
/// of the completions that held their lease: `$2` says whether the batch saw a success, which
/// resets the failing period to `$3` (the first failure after the batch's last success, or
/// none); otherwise the failing period starts at `$3` unless it had already started. Only rows
/// whose value really changes are locked and written, so a healthy endpoint's successes cost
/// no write, and they are locked in id order, so that two batches touching the same endpoints
/// cannot deadlock.
const HEALTH_SQL: &str = "\
    WITH h AS (SELECT * FROM UNNEST($1::text[], $2::bool[], $3::int8[]) AS h(id, reset, since)), \
    target AS ( \
        SELECT e.id, CASE WHEN h.reset THEN h.since \
                          ELSE COALESCE(e.failing_since, h.since) END AS failing_since \
        FROM endpoints e JOIN h ON h.id = e.id \
        WHERE e.failing_since IS DISTINCT FROM \
              (CASE WHEN h.reset THEN h.since ELSE COALESCE(e.failing_since, h.since) END) \
        ORDER BY e.id \
        FOR NO KEY UPDATE OF e) \
    UPDATE endpoints e SET failing_since = t.failing_since FROM target t WHERE e.id = t.id";

/// The state changes of a batch, one array per column, for [`COMPLETE_SQL`].
#[derive(Default)]
struct Transitions {
    ord: Vec<i64>,
    msg_id: Vec<String>,
    endpoint_id: Vec<String>,
    lease_token: Vec<String>,
    state: Vec<&'static str>,
    next_attempt_at: Vec<Option<i64>>,
    attempted: Vec<bool>,
    now: Vec<i64>,
}

/// The attempts of a batch, one array per column, for [`RECORD_ATTEMPTS_SQL`].
#[derive(Default)]
struct Attempts {
    id: Vec<String>,
    msg_id: Vec<String>,
    endpoint_id: Vec<String>,
    app_id: Vec<String>,
    url: Vec<String>,
    status: Vec<i16>,
    code: Vec<i16>,
    response: Vec<Option<String>>,
    duration: Vec<i64>,
    trigger_type: Vec<&'static str>,
    created_at: Vec<i64>,
    /// The recorded request's headers as JSON text, cast to JSONB by the statement.
    headers: Vec<Option<String>>,
    /// The recorded request body's kind (`SentBody::kind`).
    body_kind: Vec<Option<&'static str>>,
    /// The recorded request body's text, for the kinds that keep one.
    body: Vec<Option<String>>,
    /// When the delivery was due again after the attempt.
    next_attempt_at: Vec<Option<i64>>,
    /// The receiver's `Retry-After`, as recorded.
    retry_after: Vec<Option<String>>,
}

impl Transitions {
    /// The state changes of one round of a [`CompletionPlan`], in its (delivery) order.
    fn of(batch: &[Completion], round: &[usize]) -> Transitions {
        let mut t = Transitions::default();
        for &i in round {
            let c = &batch[i];
            let change = StateChange::of(&c.outcome);
            // A slice holds far fewer than 2^63 elements, so the position always fits.
            t.ord.push(i64::try_from(i).unwrap_or(i64::MAX));
            t.msg_id.push(c.msg_id.to_string());
            t.endpoint_id.push(c.endpoint_id.to_string());
            t.lease_token.push(c.lease_token.clone());
            t.state.push(change.state.as_str());
            t.next_attempt_at.push(change.next_attempt_at.map(ms));
            t.attempted.push(change.attempted);
            t.now.push(ms(c.now));
        }
        t
    }
}

impl Attempts {
    /// The attempts a [`CompletionPlan`] records.
    fn of(batch: &[Completion], positions: &[usize]) -> Attempts {
        let mut a = Attempts::default();
        for &i in positions {
            let Outcome::Attempted { attempt, .. } = &batch[i].outcome else {
                continue;
            };
            a.id.push(attempt.id.to_string());
            a.msg_id.push(attempt.msg_id.to_string());
            a.endpoint_id.push(attempt.endpoint_id.to_string());
            a.app_id.push(attempt.app_id.to_string());
            a.url.push(attempt.url.clone());
            a.status.push(i16::from(attempt.status.code()));
            a.code.push(attempt.response_status_code);
            a.response.push(attempt.response.clone());
            a.duration.push(attempt.response_duration_ms);
            a.trigger_type.push(attempt.trigger_type.as_str());
            a.created_at.push(ms(attempt.created_at));
            a.next_attempt_at.push(attempt.next_attempt_at.map(ms));
            a.retry_after.push(attempt.retry_after.clone());
            let request = attempt.request.as_ref();
            // Serializing pairs of strings cannot fail.
            a.headers
                .push(request.and_then(|r| serde_json::to_string(&r.headers).ok()));
            a.body_kind.push(request.map(|r| r.body.kind()));
            a.body
                .push(request.and_then(|r| r.body.text().map(str::to_owned)));
        }
        a
    }
}

/// Applies a batch as [`hookd_core::plan::completions`] plans it, in one short transaction:
/// the parents' locks, one guarded update per round (nearly always one), the attempts, the
/// endpoints' health.
pub(crate) async fn complete(store: &PgStore, batch: &[Completion]) -> StoreResult<Vec<bool>> {
    if batch.is_empty() {
        return Ok(Vec::new());
    }
    let plan = completions(batch);
    let a = Attempts::of(batch, &plan.attempts);
    let mut tx = store.begin().await?;
    if !a.id.is_empty() {
        sqlx::query(LOCK_PARENTS_SQL)
            .bind(&a.endpoint_id)
            .bind(&a.msg_id)
            .execute(&mut *tx)
            .await
            .map_err(error::map)?;
    }
    let mut held = Vec::with_capacity(batch.len());
    for round in &plan.rounds {
        let t = Transitions::of(batch, round);
        let changed: Vec<i64> = sqlx::query_scalar(COMPLETE_SQL)
            .bind(&t.ord)
            .bind(&t.msg_id)
            .bind(&t.endpoint_id)
            .bind(&t.lease_token)
            .bind(&t.state)
            .bind(&t.next_attempt_at)
            .bind(&t.attempted)
            .bind(&t.now)
            .bind(TriggerType::Scheduled.as_str())
            .fetch_all(&mut *tx)
            .await
            .map_err(error::map)?;
        held.extend(
            changed
                .into_iter()
                .filter_map(|ord| usize::try_from(ord).ok()),
        );
    }
    if !a.id.is_empty() {
        sqlx::query(RECORD_ATTEMPTS_SQL)
            .bind(&a.id)
            .bind(&a.msg_id)
            .bind(&a.endpoint_id)
            .bind(&a.app_id)
            .bind(&a.url)
            .bind(&a.status)
            .bind(&a.code)
            .bind(&a.response)
            .bind(&a.duration)
            .bind(&a.trigger_type)
            .bind(&a.created_at)
            .bind(&a.headers)
            .bind(&a.body_kind)
            .bind(&a.body)
            .bind(&a.next_attempt_at)
            .bind(&a.retry_after)
            .execute(&mut *tx)
            .await
            .map_err(error::map)?;
    }
    let flags = CompletionPlan::held(batch.len(), held);
    let health = Health::of(batch, &flags);
    if !health.id.is_empty() {
        sqlx::query(HEALTH_SQL)
            .bind(&health.id)
            .bind(&health.reset)
            .bind(&health.since)
            .execute(&mut *tx)
            .await
            .map_err(error::map)?;
    }
    tx.commit().await.map_err(error::map)?;
    Ok(flags)
}

/// The endpoint health changes of a batch, one array per column, for [`HEALTH_SQL`].
#[derive(Debug, Default, PartialEq)]
struct Health {
    id: Vec<String>,
    reset: Vec<bool>,
    since: Vec<Option<i64>>,
}

impl Health {
    /// The changes [`health_changes`] folds from the completions that held their lease,
    /// already sorted by endpoint id for [`HEALTH_SQL`]'s lock order.
    fn of(batch: &[Completion], held: &[bool]) -> Health {
        let mut h = Health::default();
        for change in health_changes(batch, held) {
            h.id.push(change.endpoint_id.to_string());
            h.reset.push(change.reset);
            h.since.push(change.since.map(ms));
        }
        h
    }
}

#[cfg(test)]
mod tests {
    use hookd_core::id::{AppId, EndpointId, MsgId};

    use super::*;

    #[test]
    fn a_batch_applies_each_lease_once_and_records_each_attempt_once() {
        use hookd_core::{
            delivery::{MessageStatus, Transition},
            id::AttemptId,
            model::Attempt,
        };
        let now = crate::codec::ts(1_000).unwrap();
        let completion = |msg: &str, token: &str, attempt: Option<&str>| Completion {
            msg_id: MsgId::from_trusted(msg),
            endpoint_id: EndpointId::from_trusted("ep_1"),
            lease_token: token.into(),
            outcome: match attempt {
                Some(id) => Outcome::Attempted {
                    attempt: Attempt {
                        id: AttemptId::from_trusted(id),
                        msg_id: MsgId::from_trusted(msg),
                        endpoint_id: EndpointId::from_trusted("ep_1"),
                        app_id: AppId::from_trusted("app_1"),
                        url: "https://x".into(),
                        status: MessageStatus::Success,
                        response_status_code: 200,
                        response: None,
                        response_duration_ms: 1,
                        trigger_type: TriggerType::Scheduled,
                        created_at: now,
                        request: None,
                        next_attempt_at: None,
                        retry_after: None,
                    },
                    transition: Transition::Succeeded,
                },
                None => Outcome::Canceled,
            },
            now,
        };
        let batch = [
            completion("msg_b", "t1", Some("atmpt_1")),
            completion("msg_a", "t2", None),
            completion("msg_b", "t1", Some("atmpt_1")),
            completion("msg_b", "t0", Some("atmpt_2")),
        ];
        let plan = completions(&batch);
        let rounds: Vec<Transitions> = plan
            .rounds
            .iter()
            .map(|round| Transitions::of(&batch, round))
            .collect();
        let a = Attempts::of(&batch, &plan.attempts);
        let column = |f: fn(&Transitions) -> Vec<String>| rounds.iter().flat_map(f).collect();
        let ord: Vec<String> = column(|t| t.ord.iter().map(i64::to_string).collect());
        let state: Vec<String> = column(|t| t.state.iter().map(|s| (*s).to_owned()).collect());
        let attempted: Vec<String> = column(|t| t.attempted.iter().map(bool::to_string).collect());
        // Sorted by delivery; the repeat of position 0 is left out, the stale token is kept
        // (the guard, not this function, decides that it no longer holds).
        assert_eq!(ord, vec!["1", "0", "3"]);
        assert_eq!(state, vec!["canceled", "succeeded", "succeeded"]);
        assert_eq!(attempted, vec!["false", "true", "true"]);
        assert_eq!(a.id, vec!["atmpt_1", "atmpt_2"]);
    }
}
