//! Fuzzes endpoint `options` (`hookd_core::options`): any JSON text either fails to parse or
//! yields options whose validation against an arbitrary URL, redaction and URL secret handling
//! never panic; a redacted read never shows a secret value; and a URL shown redacted and sent
//! back is restored to the stored one when each secret parameter appears once. It must not
//! assert anything the options' documentation does not promise.

#![no_main]

use arbitrary::Arbitrary;
use hookd_core::options::{AuthScheme, EndpointOptions, REDACTED};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Input {
    options: String,
    url: String,
}

fuzz_target!(|input: Input| {
    let Ok(options) = serde_json::from_str::<EndpointOptions>(&input.options) else {
        return;
    };
    let text = serde_json::to_string(&options).expect("parsed options serialize");
    let again: EndpointOptions = serde_json::from_str(&text).expect("serialized options parse");
    assert_eq!(again, options, "round trip changed the options: {text}");

    let _ = options.validate(&["body", "options"], &input.url);
    let _ = options.content_type();
    let _ = options.auth_headers();

    let shown = options.redacted();
    for scheme in shown.auth.iter().flatten() {
        match scheme {
            AuthScheme::StaticHeader { value, .. } => assert!(value.is_none()),
            AuthScheme::SigningToken { token, .. } => assert!(token.is_none()),
            AuthScheme::StandardWebhooks | AuthScheme::QuerySecret { .. } => {}
        }
    }
    // Sending the redacted read back keeps every stored secret.
    let mut back = shown.clone();
    back.keep_secrets_from(&options);
    assert_eq!(back.auth_headers(), options.auth_headers());

    let display = options.display_url(&input.url);
    let restored = options.restore_url_secrets(&display, &input.url);
    let params = options.query_secret_params();
    let stored = query_pairs(&input.url);
    let once = params
        .iter()
        .all(|p| stored.iter().filter(|(name, _)| name == p).count() <= 1);
    if once {
        assert_eq!(restored, input.url, "shown as {display}");
    }
    for (name, value) in query_pairs(&display) {
        if params.contains(&name) {
            if let Some(value) = value {
                assert_eq!(value, REDACTED, "secret {name} shown in {display}");
            }
        }
    }
});

/// The raw `name=value` pairs of a URL's query as hookd splits them (first `?`, then `#`);
/// `None` for a pair without `=`.
fn query_pairs(url: &str) -> Vec<(&str, Option<&str>)> {
    let Some((_, rest)) = url.split_once('?') else {
        return Vec::new();
    };
    rest.split('#')
        .next()
        .unwrap_or("")
        .split('&')
        .map(|p| match p.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (p, None),
        })
        .collect()
}
