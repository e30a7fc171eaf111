//! Completion planning: how a batch of completions is applied so that the result is the same
//! as applying them one after the other in batch order, each judged by its own lease (see
//! [`crate::store::Queue::complete`]), in as few statements as possible.

use std::collections::{HashMap, HashSet};

use crate::{
    delivery::DeliveryState,
    id::{EndpointId, MsgId},
    store::{Completion, Outcome},
    Timestamp,
};

/// The state change one completion makes to its delivery if it still holds the lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateChange {
    /// The delivery's next state.
    pub state: DeliveryState,
    /// When it is due next, if ever.
    pub next_attempt_at: Option<Timestamp>,
    /// Whether an attempt was made: it counts, and resets the trigger to scheduled (the next
    /// attempt, if any, is the schedule's). A deferral or cancellation does neither, so a
    /// deferred manual attempt stays manual.
    pub attempted: bool,
}

impl StateChange {
    /// The change `outcome` asks for.
    pub fn of(outcome: &Outcome) -> StateChange {
        match outcome {
            Outcome::Attempted { transition, .. } => StateChange {
                state: transition.state(),
                next_attempt_at: transition.next_attempt_at(),
                attempted: true,
            },
            Outcome::Deferred { until } => StateChange {
                state: DeliveryState::Pending,
                next_attempt_at: Some(*until),
                attempted: false,
            },
            Outcome::Canceled => StateChange {
                state: DeliveryState::Canceled,
                next_attempt_at: None,
                attempted: false,
            },
        }
    }
}

/// How a store applies one batch of completions, by position in the batch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompletionPlan {
    /// The guarded state changes, in rounds applied one after the other, each round one
    /// statement. A round names a delivery at most once, so a store can tell from the rows a
    /// statement changed which completion held its lease; it is sorted by delivery, so that two
    /// batches touching the same deliveries (a stale holder's and its successor's) lock them
    /// in the same order. A delivery's k-th distinct lease token in the batch is in round k:
    /// nearly every batch has one round, a second appears only when two claims of a delivery
    /// complete in one batch.
    pub rounds: Vec<Vec<usize>>,
    /// The completions whose attempt is recorded: the first report of each attempt id, in the
    /// rounds' delivery order. Attempts are recorded whether or not their lease held.
    pub attempts: Vec<usize>,
}

impl CompletionPlan {
    /// Per position, whether it held its lease, given the positions the rounds' statements
    /// reported as changed. A position the plan left out (a repeat of an earlier completion
    /// with the same lease) never holds: the earlier one either cleared the lease or did not
    /// hold it either.
    pub fn held(batch_len: usize, changed: impl IntoIterator<Item = usize>) -> Vec<bool> {
        let mut held = vec![false; batch_len];
        for i in changed {
            if let Some(flag) = held.get_mut(i) {
                *flag = true;
            }
        }
        held
    }
}

/// Plans `batch`. Once a completion applies, the delivery's lease is cleared, so a later
/// completion of the same delivery under the same token cannot hold it and is left out; one
/// under another token (a newer or older claim) is kept for a later round, where the guard
/// decides, exactly as if the two had been applied one after the other.
pub fn completions(batch: &[Completion]) -> CompletionPlan {
    let mut order: Vec<usize> = (0..batch.len()).collect();
    // Stable, so a delivery's completions keep their batch order.
    order.sort_by(|&a, &b| {
        (&batch[a].msg_id, &batch[a].endpoint_id).cmp(&(&batch[b].msg_id, &batch[b].endpoint_id))
    });
    let mut tokens: HashMap<(&MsgId, &EndpointId), Vec<&str>> = HashMap::new();
    let mut attempt_ids = HashSet::new();
    let mut plan = CompletionPlan::default();
    for i in order {
        let c = &batch[i];
        if let Outcome::Attempted { attempt, .. } = &c.outcome {
            if attempt_ids.insert(attempt.id.as_str()) {
                plan.attempts.push(i);
            }
        }
        let seen = tokens.entry((&c.msg_id, &c.endpoint_id)).or_default();
        if seen.contains(&c.lease_token.as_str()) {
            continue;
        }
        let round = seen.len();
        seen.push(&c.lease_token);
        if plan.rounds.len() <= round {
            plan.rounds.push(Vec::new());
        }
        plan.rounds[round].push(i);
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        clock::{Clock, ManualClock},
        delivery::{MessageStatus, Transition, TriggerType},
        id::{AppId, AttemptId},
        model::Attempt,
    };

    fn completion(msg: &str, token: &str, attempt: Option<&str>) -> Completion {
        let now = ManualClock::at_epoch().now();
        Completion {
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
        }
    }

    #[test]
    fn a_batch_applies_each_lease_once_and_records_each_attempt_once() {
        let batch = [
            completion("msg_b", "t1", Some("atmpt_1")),
            completion("msg_a", "t2", None),
            completion("msg_b", "t1", Some("atmpt_1")),
            completion("msg_b", "t0", Some("atmpt_2")),
        ];
        let plan = completions(&batch);
        // Sorted by delivery; the repeat of position 0 is left out, the other token is kept
        // for a second round (the guard, not the plan, decides whether it still holds).
        assert_eq!(plan.rounds, vec![vec![1, 0], vec![3]]);
        let flat: Vec<usize> = plan.rounds.concat();
        assert_eq!(flat, vec![1, 0, 3]);
        let states: Vec<&str> = flat
            .iter()
            .map(|&i| StateChange::of(&batch[i].outcome).state.as_str())
            .collect();
        assert_eq!(states, vec!["canceled", "succeeded", "succeeded"]);
        let attempted: Vec<bool> = flat
            .iter()
            .map(|&i| StateChange::of(&batch[i].outcome).attempted)
            .collect();
        assert_eq!(attempted, vec![false, true, true]);
        assert_eq!(plan.attempts, vec![0, 3]);
    }

    #[test]
    fn an_ordinary_batch_is_one_round_with_every_attempt() {
        let batch = [
            completion("msg_c", "t", Some("atmpt_3")),
            completion("msg_a", "t", Some("atmpt_1")),
            completion("msg_b", "t", None),
        ];
        let plan = completions(&batch);
        assert_eq!(plan.rounds, vec![vec![1, 2, 0]]);
        assert_eq!(plan.attempts, vec![1, 0]);
        assert!(completions(&[]).rounds.is_empty());
    }

    #[test]
    fn held_marks_only_the_changed_positions() {
        assert_eq!(
            CompletionPlan::held(4, [3, 1, 9]),
            vec![false, true, false, true]
        );
    }

    #[test]
    fn a_deferral_keeps_the_trigger_and_counts_no_attempt() {
        let at = ManualClock::at_epoch().now();
        assert_eq!(
            StateChange::of(&Outcome::Deferred { until: at }),
            StateChange {
                state: DeliveryState::Pending,
                next_attempt_at: Some(at),
                attempted: false,
            }
        );
    }
}
