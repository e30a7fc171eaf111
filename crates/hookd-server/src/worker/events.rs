//! What the workers report about deliveries and endpoints once a batch of completions is
//! written: Svix's operational events `message.attempt.failing`, `message.attempt.exhausted`,
//! `message.attempt.recovered`, and the automatic disabling of an endpoint whose every attempt
//! has failed for longer than `endpoint_failure_disable_after` (with `endpoint.disabled`).
//!
//! Deciding is pure ([`plan`]) and works only from what the completions and their claims
//! carried, so it costs nothing for the great majority of batches, which need no event. Only
//! completions that held their lease count: a completion that lost it says nothing about the
//! delivery's state, and its successor will report. The disabling itself is the store's
//! guarded transition ([`hookd_core::store::Directory::disable_failing_endpoint`]), so when
//! several workers or processes see the same endpoint fail, exactly one disables it and
//! reports it.
//!
//! This module must not format events (that is [`super::operational`]'s job) nor fail the
//! completer: a report that cannot be published is logged and dropped, the delivery outcome
//! it describes is already recorded.

use std::collections::{HashMap, HashSet};

use hookd_core::{
    delivery::{MessageStatus, Transition},
    id::{AppId, EndpointId},
    model::Application,
    store::{Completion, Outcome},
    Timestamp,
};

use super::{
    operational::{self, AttemptEvent},
    Publisher,
};

/// Svix sends `message.attempt.failing` after the fourth failed attempt of a message to an
/// endpoint: by then the first retries (immediately, 5 s, 5 min) have failed too, so the
/// trouble is not a blip, yet a few hours of the schedule remain to fix it.
pub const FAILING_AFTER_ATTEMPTS: u32 = 4;

/// What the claim told the worker about a delivery, kept beside its completion for [`plan`].
#[derive(Debug, Clone)]
pub struct Facts {
    /// The endpoint's uid.
    pub endpoint_uid: Option<String>,
    /// Since when the endpoint had been failing, as of the claim.
    pub failing_since: Option<Timestamp>,
    /// The message's `eventId`.
    pub msg_event_id: Option<String>,
    /// Attempts the delivery had made before this one.
    pub attempts_before: u32,
}

/// One thing to report or do after a batch.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// Publish a `message.attempt.*` event (the constant names which).
    Attempt {
        /// `message.attempt.failing`, `.exhausted` or `.recovered`.
        event_type: &'static str,
        /// The application of the delivery.
        app_id: AppId,
        /// What it reports.
        attempt: AttemptEvent,
    },
    /// Disable the endpoint if it is still failing since `failing_before` or earlier, and
    /// report it.
    Disable {
        /// Its application.
        app_id: AppId,
        /// The endpoint.
        endpoint_id: EndpointId,
        /// Its uid, for the report.
        endpoint_uid: Option<String>,
        /// The latest failing-since time that is old enough.
        failing_before: Timestamp,
    },
}

/// Decides what a written batch reports. `held` says, per completion, whether it still held
/// its lease; `now` is the completer's time; `disable_after` is the configured failing period
/// (`None`: never disable).
pub fn plan(
    batch: &[Completion],
    facts: &[Facts],
    held: &[bool],
    now: Timestamp,
    disable_after: Option<chrono::Duration>,
) -> Vec<Event> {
    let mut events = Vec::new();
    let mut disabling = HashSet::new();
    for ((c, facts), held) in batch.iter().zip(facts).zip(held) {
        let Outcome::Attempted {
            attempt,
            transition,
        } = &c.outcome
        else {
            continue;
        };
        if !held {
            continue;
        }
        let made = facts.attempts_before + 1;
        let report = || AttemptEvent {
            endpoint_id: attempt.endpoint_id.clone(),
            msg_id: attempt.msg_id.clone(),
            msg_event_id: facts.msg_event_id.clone(),
            attempt_id: attempt.id.clone(),
            response_status_code: attempt.response_status_code,
            timestamp: attempt.created_at,
        };
        let mut emit = |event_type| {
            events.push(Event::Attempt {
                event_type,
                app_id: attempt.app_id.clone(),
                attempt: report(),
            })
        };
        if attempt.status == MessageStatus::Success {
            if facts.attempts_before >= FAILING_AFTER_ATTEMPTS {
                emit(operational::MESSAGE_ATTEMPT_RECOVERED);
            }
            continue;
        }
        if made == FAILING_AFTER_ATTEMPTS {
            emit(operational::MESSAGE_ATTEMPT_FAILING);
        }
        if *transition == Transition::Exhausted {
            emit(operational::MESSAGE_ATTEMPT_EXHAUSTED);
        }
        let Some(after) = disable_after else { continue };
        let Some(failing_before) = now.checked_sub_signed(after) else {
            continue;
        };
        if facts
            .failing_since
            .is_some_and(|since| since <= failing_before)
            && disabling.insert(attempt.endpoint_id.clone())
        {
            events.push(Event::Disable {
                app_id: attempt.app_id.clone(),
                endpoint_id: attempt.endpoint_id.clone(),
                endpoint_uid: facts.endpoint_uid.clone(),
                failing_before,
            });
        }
    }
    events
}

/// Carries out `events`: disables endpoints and publishes the reports. Applications are read
/// once per call (for their uids, and to leave the operational application out).
pub async fn apply(publisher: &Publisher, events: Vec<Event>) {
    let state = publisher.context();
    let mut apps: HashMap<AppId, Option<Application>> = HashMap::new();
    for event in events {
        let app_id = match &event {
            Event::Attempt { app_id, .. } | Event::Disable { app_id, .. } => app_id.clone(),
        };
        let app = match apps.get(&app_id) {
            Some(app) => app.clone(),
            None => match state.directory.get_app(app_id.as_str()).await {
                Ok(app) => {
                    apps.insert(app_id.clone(), app.clone());
                    app
                }
                Err(err) => {
                    tracing::warn!(error = %err, app = %app_id, "reading an application for its operational events failed");
                    continue;
                }
            },
        };
        // The application was deleted meanwhile: nothing left to report about.
        let Some(app) = app else { continue };
        match event {
            Event::Attempt {
                event_type,
                attempt,
                ..
            } => {
                if let Err(err) =
                    operational::publish_attempt_event(publisher, event_type, &app, &attempt).await
                {
                    tracing::warn!(error = %err, event_type, "publishing an operational event failed");
                }
            }
            Event::Disable {
                endpoint_id,
                endpoint_uid,
                failing_before,
                ..
            } => disable(publisher, &app, &endpoint_id, endpoint_uid, failing_before).await,
        }
    }
}

/// Disables an endpoint that has failed for too long, if this call is the one that does it,
/// and reports it.
async fn disable(
    publisher: &Publisher,
    app: &Application,
    endpoint_id: &EndpointId,
    endpoint_uid: Option<String>,
    failing_before: Timestamp,
) {
    let state = publisher.context();
    let now = state.clock.now();
    let since = match state
        .directory
        .disable_failing_endpoint(&app.id, endpoint_id, failing_before, now)
        .await
    {
        Ok(Some(since)) => since,
        // Another worker got there first, or it recovered or was changed meanwhile.
        Ok(None) => return,
        Err(err) => {
            // Its next failed attempt tries again.
            tracing::warn!(error = %err, endpoint = %endpoint_id, "disabling a failing endpoint failed");
            return;
        }
    };
    tracing::warn!(app = %app.id, endpoint = %endpoint_id, failing_since = %since, "endpoint disabled: every attempt failed since then");
    crate::telemetry::endpoint_disabled();
    if let Err(err) = operational::publish_endpoint_disabled(
        publisher,
        app,
        endpoint_id,
        endpoint_uid.as_deref(),
        since,
    )
    .await
    {
        tracing::warn!(error = %err, endpoint = %endpoint_id, "publishing endpoint.disabled failed");
    }
}

#[cfg(test)]
mod tests {
    use hookd_core::{
        clock::{Clock, ManualClock},
        delivery::TriggerType,
        id::{AttemptId, MsgId},
        model::Attempt,
    };

    use super::*;

    fn completion(code: i16, transition: Transition, at: Timestamp) -> Completion {
        Completion {
            msg_id: MsgId::from_trusted("msg_1"),
            endpoint_id: EndpointId::from_trusted("ep_1"),
            lease_token: "t".into(),
            outcome: Outcome::Attempted {
                attempt: Attempt {
                    id: AttemptId::from_trusted("atmpt_1"),
                    msg_id: MsgId::from_trusted("msg_1"),
                    endpoint_id: EndpointId::from_trusted("ep_1"),
                    app_id: AppId::from_trusted("app_1"),
                    url: "https://x".into(),
                    status: if code == 200 {
                        MessageStatus::Success
                    } else {
                        MessageStatus::Fail
                    },
                    response_status_code: code,
                    response: None,
                    response_duration_ms: 1,
                    trigger_type: TriggerType::Scheduled,
                    created_at: at,
                    request: None,
                    next_attempt_at: None,
                    retry_after: None,
                },
                transition,
            },
            now: at,
        }
    }

    fn facts(attempts_before: u32, failing_since: Option<Timestamp>) -> Facts {
        Facts {
            endpoint_uid: None,
            failing_since,
            msg_event_id: None,
            attempts_before,
        }
    }

    fn kinds(events: &[Event]) -> Vec<&'static str> {
        events
            .iter()
            .map(|e| match e {
                Event::Attempt { event_type, .. } => *event_type,
                Event::Disable { .. } => "disable",
            })
            .collect()
    }

    #[test]
    fn failing_exhausted_and_recovered_follow_svix() {
        let now = ManualClock::at_epoch().now();
        let retry = Transition::RetryAt(now);
        let days = Some(chrono::Duration::days(5));
        let cases: [(i16, Transition, u32, Vec<&str>); 6] = [
            (500, retry, 2, vec![]),
            (500, retry, 3, vec![operational::MESSAGE_ATTEMPT_FAILING]),
            (500, retry, 4, vec![]),
            (
                0,
                Transition::Exhausted,
                7,
                vec![operational::MESSAGE_ATTEMPT_EXHAUSTED],
            ),
            (200, Transition::Succeeded, 3, vec![]),
            (
                200,
                Transition::Succeeded,
                4,
                vec![operational::MESSAGE_ATTEMPT_RECOVERED],
            ),
        ];
        for (code, transition, before, expected) in cases {
            let events = plan(
                &[completion(code, transition, now)],
                &[facts(before, None)],
                &[true],
                now,
                days,
            );
            assert_eq!(kinds(&events), expected, "{code} after {before} attempts");
        }
        let lost = plan(
            &[completion(0, Transition::Exhausted, now)],
            &[facts(3, None)],
            &[false],
            now,
            days,
        );
        assert!(
            lost.is_empty(),
            "a completion that lost its lease reports nothing"
        );
    }

    #[test]
    fn disabling_needs_a_failure_and_a_long_enough_failing_period() {
        let clock = ManualClock::at_epoch();
        let since = clock.now();
        clock.advance(chrono::Duration::days(5));
        let now = clock.now();
        let after = Some(chrono::Duration::days(5));
        let retry = Transition::RetryAt(now);
        let two = [completion(500, retry, now), completion(500, retry, now)];
        let old = [facts(0, Some(since)), facts(0, Some(since))];
        let events = plan(&two, &old, &[true, true], now, after);
        assert_eq!(
            kinds(&events),
            vec!["disable"],
            "once per endpoint and batch"
        );
        let Event::Disable { failing_before, .. } = &events[0] else {
            unreachable!()
        };
        assert_eq!(*failing_before, since);

        let recent = [facts(0, Some(since + chrono::Duration::seconds(1)))];
        assert!(plan(&two[..1], &recent, &[true], now, after).is_empty());
        let success = [completion(200, Transition::Succeeded, now)];
        assert!(plan(&success, &old[..1], &[true], now, after).is_empty());
        assert!(
            plan(&two[..1], &old[..1], &[true], now, None).is_empty(),
            "disabled by configuration"
        );
    }
}
