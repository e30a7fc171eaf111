//! The route families Svix's current SDKs (Python 2.9.1, npm 2.5.0, Rust 2.9.1) call that
//! hookd does not serve: most exist only in Svix's cloud (ingest, streaming, connectors…).
//! A request to one answers 501 `not_implemented` in Svix's error shape, naming the family,
//! so a user sees at once that hookd lacks the feature instead of a bare 404 that reads as a
//! wrong id.
//!
//! [`family`] is consulted only by the router's fallback, so a family hookd starts serving
//! wins by being routed: nothing here can shadow a real route. This module must not answer
//! anything but these refusals.

/// The families, each with the path patterns that belong to it. A pattern's `*` matches one
/// path segment (an id), and a pattern matches a path that starts with its segments.
const FAMILIES: &[(&str, &[&str])] = &[
    ("Ingest", &["ingest"]),
    (
        "Streaming",
        &[
            "api/v1/stream",
            "api/v1/auth/stream-portal-access",
            "api/v1/auth/stream-logout",
            "api/v1/auth/stream",
        ],
    ),
    ("Connectors", &["api/v1/connector"]),
    ("Integrations", &["api/v1/app/*/integration"]),
    (
        "Transformations",
        &["api/v1/app/*/endpoint/*/transformation"],
    ),
    ("Message polling", &["api/v1/app/*/poller"]),
    ("Autoconfig", &["api/v1/app/*/autoconfig"]),
    ("Destinations", &["api/v1/app/*/destination"]),
];

/// The unserved family `path` belongs to, if any.
pub fn family(path: &str) -> Option<&'static str> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    FAMILIES.iter().find_map(|(name, patterns)| {
        patterns
            .iter()
            .any(|p| matches(p, &segments))
            .then_some(*name)
    })
}

fn matches(pattern: &str, segments: &[&str]) -> bool {
    let wanted: Vec<&str> = pattern.split('/').collect();
    wanted.len() <= segments.len()
        && wanted
            .iter()
            .zip(segments)
            .all(|(w, s)| *w == "*" || w == s)
}

/// The detail of the 501 for `family`.
pub fn detail(family: &str) -> String {
    format!(
        "{family} is a Svix feature that hookd does not implement; see the README's \
         compatibility section for what hookd serves."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_match_by_leading_segments() {
        // Written without their leading slash (which `family` ignores), so that the route
        // coverage test does not take these examples for routes.
        assert_eq!(family("ingest/api/v1/source"), Some("Ingest"));
        assert_eq!(family("api/v1/stream/strm_1/sink/"), Some("Streaming"));
        assert_eq!(
            family("api/v1/app/a/integration/i/key/rotate"),
            Some("Integrations")
        );
        assert_eq!(
            family("api/v1/app/a/endpoint/e/transformation"),
            Some("Transformations")
        );
        // A family's name must be a whole segment: `streaming` is not `stream`.
        assert_eq!(family("api/v1/streaming"), None);
        assert_eq!(family("api/v1/app/a/endpoint/e"), None);
        assert_eq!(family("api/v1/app"), None);
    }
}
