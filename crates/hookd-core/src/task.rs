//! Background tasks as stored records: what Svix's `/api/v1/background-task` lists.
//!
//! A task is one long operation (a recovery, a replay, a purge, an aggregation) with a kind
//! (Svix's `BackgroundTaskType`, e.g. `endpoint.recover`), a status that moves once from
//! `running` to `finished` or `failed`, and a JSON `data` document with its result. Tasks are
//! rows in the store, so their status survives a restart; a task whose process stopped while
//! it ran is failed by housekeeping once its heartbeat ([`Task::updated_at`]) is stale.
//!
//! This module must not run tasks or touch a clock: it only names their states.

use crate::{id::TaskId, Timestamp};

/// Where a task is in its life. It changes at most once, from `Running`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskStatus {
    /// Started and not yet ended.
    Running,
    /// Ended having done its work; `data` holds the result.
    Finished,
    /// Ended without doing all of it; `data` says why.
    Failed,
}

impl TaskStatus {
    /// Every status, in Svix's order.
    pub const ALL: [TaskStatus; 3] = [Self::Running, Self::Finished, Self::Failed];

    /// Svix's spelling, also what stores persist.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Finished => "finished",
            Self::Failed => "failed",
        }
    }

    /// Parses Svix's spelling.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

/// One background task.
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    /// Its id (`qtask_…`).
    pub id: TaskId,
    /// Its kind, Svix's `BackgroundTaskType` (e.g. `endpoint.recover`).
    pub kind: String,
    /// Where it is.
    pub status: TaskStatus,
    /// Its result or failure (`{}` while running).
    pub data: serde_json::Value,
    /// When it started.
    pub created_at: Timestamp,
    /// When it last changed or, while running, last showed it was alive.
    pub updated_at: Timestamp,
}

/// Filters for listing tasks.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TaskFilter {
    /// Only tasks in this status.
    pub status: Option<TaskStatus>,
    /// Only tasks of this kind.
    pub kind: Option<String>,
}

impl TaskFilter {
    /// Whether `task` passes the filter (what a store's query must agree with).
    pub fn matches(&self, task: &Task) -> bool {
        self.status.is_none_or(|s| s == task.status)
            && self.kind.as_deref().is_none_or(|k| k == task.kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_through_their_spelling() {
        for s in TaskStatus::ALL {
            assert_eq!(TaskStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(TaskStatus::parse("Running"), None);
    }
}
