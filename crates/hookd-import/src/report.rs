//! What an import did: per kind of object how many were read, created, updated, already up to
//! date or not copied, and one line for each thing that could not come along and why. Its
//! `Display` is what `hookd import svix` prints at the end.
//!
//! This module must not decide anything: the import fills it in.

use std::fmt;

/// The kinds of objects an import copies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// Event types, with their schemas.
    EventType,
    /// Applications.
    Application,
    /// Endpoints, with their secrets and headers.
    Endpoint,
}

impl Kind {
    /// Every kind, in the order they are imported.
    pub const ALL: [Kind; 3] = [Kind::EventType, Kind::Application, Kind::Endpoint];

    fn plural(self) -> &'static str {
        match self {
            Kind::EventType => "event types",
            Kind::Application => "applications",
            Kind::Endpoint => "endpoints",
        }
    }
}

/// What became of one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// hookd did not have it; now it does.
    Created,
    /// hookd had an older copy; it now matches the source.
    Updated,
    /// hookd's copy already matched the source.
    Unchanged,
    /// It could not be copied (see the issues).
    Skipped,
}

/// Counts for one kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Objects read from the source.
    pub read: u64,
    /// Created in hookd.
    pub created: u64,
    /// Updated in hookd.
    pub updated: u64,
    /// Already up to date.
    pub unchanged: u64,
    /// Not copied.
    pub skipped: u64,
}

/// One thing that was not copied, or not entirely.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// Which object, e.g. `endpoint ep_… of app_…`.
    pub object: String,
    /// What was not copied and why.
    pub what: String,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    counts: [Counts; 3],
    /// Everything not copied, in the order met.
    pub issues: Vec<Issue>,
}

/// What an import never copies, by design, printed under every report.
pub const NEVER_COPIED: &str = "Never copied: message history (messages, their payloads, \
delivery attempts and their statuses), API tokens and portal sessions, operational webhook \
endpoints, transformations, integrations, and environment settings (branding, retry schedule).";

impl Report {
    /// The counts of one kind.
    pub fn counts(&self, kind: Kind) -> Counts {
        self.counts[kind as usize]
    }

    /// Records that an object was read and what became of it.
    pub fn record(&mut self, kind: Kind, outcome: Outcome) {
        let c = &mut self.counts[kind as usize];
        c.read += 1;
        match outcome {
            Outcome::Created => c.created += 1,
            Outcome::Updated => c.updated += 1,
            Outcome::Unchanged => c.unchanged += 1,
            Outcome::Skipped => c.skipped += 1,
        }
    }

    /// Records something not copied.
    pub fn issue(&mut self, object: impl Into<String>, what: impl Into<String>) {
        self.issues.push(Issue {
            object: object.into(),
            what: what.into(),
        });
    }

    /// Whether the run changed nothing in hookd (a re-run over an unchanged source).
    pub fn changed_nothing(&self) -> bool {
        self.counts.iter().all(|c| c.created == 0 && c.updated == 0)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Imported from Svix:")?;
        for kind in Kind::ALL {
            let c = self.counts(kind);
            writeln!(
                f,
                "  {:<13} {} read: {} created, {} updated, {} unchanged, {} not copied",
                kind.plural(),
                c.read,
                c.created,
                c.updated,
                c.unchanged,
                c.skipped
            )?;
        }
        if self.issues.is_empty() {
            writeln!(f, "Everything read was copied.")?;
        } else {
            writeln!(f, "Not copied ({}):", self.issues.len())?;
            for issue in &self.issues {
                writeln!(f, "  - {}: {}", issue.object, issue.what)?;
            }
        }
        writeln!(f, "{NEVER_COPIED}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_rendering() {
        let mut r = Report::default();
        r.record(Kind::Application, Outcome::Created);
        r.record(Kind::Endpoint, Outcome::Unchanged);
        r.record(Kind::Endpoint, Outcome::Skipped);
        r.issue("endpoint ep_1 of app_1", "its secret was not copied");
        assert_eq!(r.counts(Kind::Endpoint).read, 2);
        assert!(!r.changed_nothing());
        let text = r.to_string();
        assert!(text.contains("applications  1 read: 1 created"), "{text}");
        assert!(
            text.contains("endpoints     2 read: 0 created, 0 updated, 1 unchanged, 1 not copied"),
            "{text}"
        );
        assert!(text.contains("  - endpoint ep_1 of app_1: its secret was not copied"));
        assert!(text.contains("Never copied: message history"));
    }
}
