//! The warn line an operator reads when deliveries fail: one per failed attempt, but at most one
//! per endpoint every [`FAILURE_LOG_INTERVAL`], each saying how many failures of that endpoint
//! it stands for, so that a dead receiver with a deep backlog cannot flood the log. Deciding
//! ([`FailureLog::note`]) is pure and runs on the engine's clock; the completer writes the line.
//!
//! The line names the application, endpoint and message by id, the receiver by host only (a
//! URL's path or query may carry a credential), the status or the transport error, and what
//! happens next. This module must not log a payload, a header or a response body.

use std::collections::HashMap;

use hookd_core::{
    delivery::{MessageStatus, Transition},
    id::EndpointId,
    model::Attempt,
    Timestamp,
};

/// How often one endpoint's failures may write a line: often enough that a new outage shows
/// within a minute, rarely enough that an endpoint failing thousands of times a minute writes
/// one line a minute.
pub const FAILURE_LOG_INTERVAL: chrono::Duration = chrono::Duration::minutes(1);

/// Endpoints remembered at most. Past it, those whose interval is over are forgotten (they
/// would log at once anyway), so the memory stays bounded by the endpoints failing within one
/// interval.
const REMEMBERED_ENDPOINTS: usize = 10_000;

/// What a failure line says.
#[derive(Debug, Clone, PartialEq)]
pub struct FailureLine {
    pub app_id: String,
    pub endpoint_id: String,
    pub msg_id: String,
    /// The receiver's host (and port), never its path or query.
    pub host: String,
    /// The HTTP status, 0 when no response came.
    pub status: i16,
    /// Why no response came (connection refused, timeout …); empty when one did.
    pub error: String,
    /// When it is attempted again; `None` when it will not be.
    pub next_attempt_at: Option<Timestamp>,
    /// How many failed attempts of this endpoint this line stands for: itself and those held
    /// back since the endpoint's last line.
    pub failures: u64,
}

/// Per endpoint: when its last line was written, and the failures held back since.
#[derive(Debug, Default)]
pub struct FailureLog {
    endpoints: HashMap<EndpointId, (Timestamp, u64)>,
}

impl FailureLog {
    /// Notes an attempt that was recorded; answers the line to write, if it failed and its
    /// endpoint has not had a line within the interval.
    pub fn note(
        &mut self,
        attempt: &Attempt,
        transition: Transition,
        now: Timestamp,
    ) -> Option<FailureLine> {
        if attempt.status == MessageStatus::Success {
            return None;
        }
        if self.endpoints.len() >= REMEMBERED_ENDPOINTS {
            self.endpoints
                .retain(|_, (at, _)| now - *at < FAILURE_LOG_INTERVAL);
        }
        let entry = self
            .endpoints
            .entry(attempt.endpoint_id.clone())
            .or_insert((now - FAILURE_LOG_INTERVAL, 0));
        entry.1 += 1;
        if now - entry.0 < FAILURE_LOG_INTERVAL {
            return None;
        }
        let failures = std::mem::take(&mut entry.1);
        entry.0 = now;
        Some(FailureLine {
            app_id: attempt.app_id.to_string(),
            endpoint_id: attempt.endpoint_id.to_string(),
            msg_id: attempt.msg_id.to_string(),
            host: host(&attempt.url),
            status: attempt.response_status_code,
            error: if attempt.response_status_code == 0 {
                attempt.response.clone().unwrap_or_default()
            } else {
                String::new()
            },
            next_attempt_at: transition.next_attempt_at(),
            failures,
        })
    }
}

/// The host and port of `url`, or a constant when it has none.
fn host(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|u| {
            u.host_str()
                .map(|h| u.port().map_or(h.to_owned(), |p| format!("{h}:{p}")))
        })
        .unwrap_or_else(|| "(no host)".to_owned())
}

impl FailureLine {
    /// Writes the line.
    pub fn write(&self) {
        let next = self
            .next_attempt_at
            .map_or_else(|| "none (exhausted)".to_owned(), |t| t.to_rfc3339());
        tracing::warn!(
            target: "hookd::delivery",
            app_id = %self.app_id,
            endpoint_id = %self.endpoint_id,
            msg_id = %self.msg_id,
            host = %self.host,
            status = self.status,
            error = %self.error,
            next_attempt = %next,
            failures = self.failures,
            "delivery attempt failed"
        );
    }
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;
    use hookd_core::{
        delivery::TriggerType,
        id::{AppId, AttemptId, MsgId},
    };

    use super::*;

    fn at(secs: i64) -> Timestamp {
        DateTime::from_timestamp(secs, 0).unwrap()
    }

    fn attempt(endpoint: &str, status: MessageStatus, code: i16) -> Attempt {
        Attempt {
            id: AttemptId::from_trusted("atmpt_1"),
            msg_id: MsgId::from_trusted("msg_1"),
            endpoint_id: EndpointId::from_trusted(endpoint),
            app_id: AppId::from_trusted("app_1"),
            url: "https://user:pw@hooks.example:8443/in?token=secret".into(),
            status,
            response_status_code: code,
            response: Some(
                if code == 0 {
                    "connection refused"
                } else {
                    "down"
                }
                .into(),
            ),
            response_duration_ms: 3,
            trigger_type: TriggerType::Scheduled,
            created_at: at(0),
            request: None,
            next_attempt_at: None,
            retry_after: None,
        }
    }

    #[test]
    fn one_line_per_endpoint_per_interval_counting_the_rest() {
        let mut log = FailureLog::default();
        let fail = attempt("ep_a", MessageStatus::Fail, 503);
        let retry = Transition::RetryAt(at(5));
        let first = log
            .note(&fail, retry, at(0))
            .expect("the first failure is logged");
        assert_eq!(first.failures, 1);
        assert_eq!(
            first.host, "hooks.example:8443",
            "no path, query or credentials"
        );
        assert_eq!((first.status, first.error.as_str()), (503, ""));
        assert_eq!(first.next_attempt_at, Some(at(5)));
        for s in 1..60 {
            assert_eq!(log.note(&fail, retry, at(s)), None, "held back at {s} s");
        }
        // Another endpoint has its own interval.
        let other = attempt("ep_b", MessageStatus::Fail, 0);
        let line = log.note(&other, Transition::Exhausted, at(30)).unwrap();
        assert_eq!(line.error, "connection refused");
        assert_eq!(line.next_attempt_at, None);
        // A minute on, the line stands for itself and the 59 held back.
        let later = log.note(&fail, retry, at(60)).unwrap();
        assert_eq!(later.failures, 60);
    }

    #[test]
    fn successes_write_nothing_and_count_nothing() {
        let mut log = FailureLog::default();
        let ok = attempt("ep_a", MessageStatus::Success, 200);
        assert_eq!(log.note(&ok, Transition::Succeeded, at(0)), None);
        let fail = attempt("ep_a", MessageStatus::Fail, 500);
        let line = log.note(&fail, Transition::Exhausted, at(1)).unwrap();
        assert_eq!(line.failures, 1);
    }

    #[test]
    fn memory_stays_bounded_by_the_endpoints_failing_within_an_interval() {
        let mut log = FailureLog::default();
        for i in 0..REMEMBERED_ENDPOINTS {
            let a = attempt(&format!("ep_{i}"), MessageStatus::Fail, 500);
            assert!(log.note(&a, Transition::Exhausted, at(0)).is_some());
        }
        let a = attempt("ep_new", MessageStatus::Fail, 500);
        assert!(log.note(&a, Transition::Exhausted, at(61)).is_some());
        assert_eq!(log.endpoints.len(), 1, "the others' intervals were over");
    }
}
