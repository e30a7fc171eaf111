//! The security headers of the web consoles' pages: their `Content-Security-Policy` and which
//! origins may frame the tenant portal.
//!
//! Both pages load only hookd's own scripts, styles and images, talk only to hookd's own API,
//! and run no inline script or style (everything is in separate embedded files), so their
//! policy starts from `default-src 'self'`. They differ in who may frame them: nobody frames
//! the operator dashboard (`frame-ancestors 'none'`, against clickjacking of admin actions),
//! while a vendor may embed the portal in its own product, from the origins the operator
//! configured (`portal_frame_ancestors`) and hookd's own. This module must not read
//! configuration files; it is handed the configured list.

/// What every console page may load: its own files only, plus `data:` images (the SVG charts
/// need none, but a browser's own form controls may use them).
const BASE_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; \
base-uri 'none'; form-action 'self'";

/// The dashboard's policy: nobody may frame it.
pub fn dashboard_policy() -> String {
    format!("{BASE_POLICY}; frame-ancestors 'none'")
}

/// The portal's policy: hookd's own pages and `ancestors` may frame it. Entries that are not
/// plain origins are skipped (the binary refuses them at start-up; this keeps a hand-built
/// `ServerConfig` from injecting directives).
pub fn portal_policy(ancestors: &[String]) -> String {
    let mut policy = format!("{BASE_POLICY}; frame-ancestors 'self'");
    for origin in ancestors {
        if let Some(origin) = normalize_frame_ancestor(origin) {
            policy.push(' ');
            policy.push_str(&origin);
        }
    }
    policy
}

/// The canonical form of a configured frame ancestor, or `None` if it is not an origin such as
/// `https://vendor.example`, `https://*.vendor.example` or `http://localhost:3000` (a trailing
/// `/` is dropped). Anything else (paths, quotes, `;`, spaces, other schemes) could change
/// the policy's meaning, so it is refused.
pub fn normalize_frame_ancestor(value: &str) -> Option<String> {
    let value = value.trim().trim_end_matches('/');
    let (scheme, rest) = value.split_once("://")?;
    if !matches!(scheme, "http" | "https") {
        return None;
    }
    let (host, port) = match rest.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (rest, None),
    };
    let bare = host.strip_prefix("*.").unwrap_or(host);
    let host_ok = !bare.is_empty()
        && bare.split('.').all(|label| {
            !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    let port_ok = port.is_none_or(|p| {
        p == "*" || (!p.is_empty() && p.len() <= 5 && p.chars().all(|c| c.is_ascii_digit()))
    });
    (host_ok && port_ok).then(|| format!("{scheme}://{}", rest.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_accepted_and_everything_else_refused() {
        assert_eq!(
            normalize_frame_ancestor("https://Vendor.example/").as_deref(),
            Some("https://vendor.example")
        );
        assert!(normalize_frame_ancestor("https://*.vendor.example").is_some());
        assert!(normalize_frame_ancestor("http://localhost:3000").is_some());
        for bad in [
            "vendor.example",
            "ftp://vendor.example",
            "https://vendor.example/path",
            "https://a.example; script-src *",
            "https://a.example 'unsafe-inline'",
            "'self'",
            "*",
            "https://",
            "https://a.example:port",
        ] {
            assert_eq!(normalize_frame_ancestor(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_portal_adds_configured_origins_and_the_dashboard_none() {
        let p = portal_policy(&["https://vendor.example".into(), "bad; x".into()]);
        assert!(
            p.ends_with("frame-ancestors 'self' https://vendor.example"),
            "{p}"
        );
        assert!(p.contains("default-src 'self'"));
        assert!(!p.contains("unsafe-inline"));
        assert!(dashboard_policy().ends_with("frame-ancestors 'none'"));
    }
}
