//! hookd's extensions to Svix's endpoint and event type objects: how deliveries to an endpoint
//! are made (retry policy, timeout, success codes, authentication, envelope, content type) and
//! how an event type shapes its payload.
//!
//! Stores persist each options value as one JSON document, so new options never need a
//! schema migration; this module owns their meaning and validation. Every field is optional
//! and an absent one means Svix's behaviour, so an endpoint made by a plain Svix SDK behaves
//! exactly as on Svix. Secrets inside options (static header values, signing tokens, query
//! secrets in the URL) are never shown back: [`EndpointOptions::redacted`] and
//! [`EndpointOptions::display_url`] are what the API shows. It must not perform I/O.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::{envelope::Envelope, retry::RetryPolicy, validate, validate::Violation};

/// The shortest per-endpoint timeout: 100 ms. Shorter would fail on connection setup alone.
pub const MIN_TIMEOUT_MS: u32 = 100;
/// The longest per-endpoint timeout: 60 s, twice postpress's 30 s. The worker's lease is
/// derived from this cap (see `ServerConfig::lease`), so a live worker always finishes an
/// attempt before its lease can be taken over; raising it makes a dead worker's deliveries
/// wait longer before another process picks them up.
pub const MAX_TIMEOUT_MS: u32 = 60_000;
/// [`MAX_TIMEOUT_MS`] as a duration.
pub const MAX_TIMEOUT: Duration = Duration::from_millis(MAX_TIMEOUT_MS as u64);
/// The most success codes an endpoint may list; more is a range, which 2xx already is.
pub const MAX_SUCCESS_CODES: usize = 32;
/// The most authentication schemes on one endpoint.
pub const MAX_AUTH_SCHEMES: usize = 8;
/// The longest secret header value or token: Svix's header value limit.
pub const MAX_SECRET_LEN: usize = 4096;
/// The longest `contentType`.
pub const MAX_CONTENT_TYPE_LEN: usize = 256;
/// What hookd sends when an endpoint does not choose a content type.
pub const DEFAULT_CONTENT_TYPE: &str = "application/json";
/// What the API shows instead of a query-string secret. Sending it back in an update keeps the
/// stored secret, so a dashboard can round-trip a redacted URL.
pub const REDACTED: &str = "REDACTED";
/// Headers an authentication scheme may not set, beyond those `validate::custom_header_name`
/// reserves: the content type has its own option and the user agent is hookd's.
pub const SCHEME_FORBIDDEN_HEADERS: [&str; 3] = ["content-type", "user-agent", "accept"];

/// The JSON field names of [`EndpointOptions`], for the API's unknown-field check.
pub const ENDPOINT_FIELDS: [&str; 6] = [
    "retryPolicy",
    "timeoutMs",
    "successStatusCodes",
    "auth",
    "envelope",
    "contentType",
];
/// The JSON field names of [`EventTypeOptions`].
pub const EVENT_TYPE_FIELDS: [&str; 1] = ["envelope"];

/// How a delivery proves where it comes from. An endpoint may use several at once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase", deny_unknown_fields)]
pub enum AuthScheme {
    /// Standard Webhooks signatures: `webhook-id`, `webhook-timestamp`, `webhook-signature`
    /// and their `svix-*` twins (the default when an endpoint lists no scheme).
    StandardWebhooks,
    /// A fixed secret in a header the customer chose (postpress's `Postpress-Auth`). The value
    /// is write-only.
    #[serde(rename_all = "camelCase")]
    StaticHeader {
        /// The header's name.
        header: String,
        /// The secret; required when the scheme is created, never shown.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        value: Option<String>,
    },
    /// A signing token sent verbatim in a header (Postscript's `Postscript-Signature`). Left
    /// out, the application's existing token for that header is reused, or a new one is
    /// generated; it is read through `GET …/endpoint/{id}/signing-token`, not in the endpoint.
    #[serde(rename_all = "camelCase")]
    SigningToken {
        /// The header's name.
        header: String,
        /// The token.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token: Option<String>,
    },
    /// A secret the customer put in the URL's query string (Postmen). The URL is sent exactly
    /// as registered; wherever hookd shows it, this parameter's value reads `REDACTED`.
    #[serde(rename_all = "camelCase")]
    QuerySecret {
        /// The query parameter holding the secret.
        param: String,
    },
}

impl AuthScheme {
    /// The header this scheme sets, if it sets one besides the Standard Webhooks headers.
    pub fn header(&self) -> Option<&str> {
        match self {
            Self::StaticHeader { header, .. } | Self::SigningToken { header, .. } => Some(header),
            Self::StandardWebhooks | Self::QuerySecret { .. } => None,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Self::StandardWebhooks => "standardWebhooks",
            Self::StaticHeader { .. } => "staticHeader",
            Self::SigningToken { .. } => "signingToken",
            Self::QuerySecret { .. } => "querySecret",
        }
    }
}

/// Per-endpoint delivery options. Every field is optional; an absent one means the server's
/// default, so an endpoint created through a plain Svix SDK behaves exactly as on Svix.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct EndpointOptions {
    /// How failed deliveries are retried; absent: the server's default (Svix's schedule).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_policy: Option<RetryPolicy>,
    /// How long the receiver may take to answer, in ms; absent: the server's timeout.
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::integral::optional"
    )]
    pub timeout_ms: Option<u32>,
    /// The status codes that count as delivered; absent: any 2xx.
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::integral::optional_vec"
    )]
    pub success_status_codes: Option<Vec<u16>>,
    /// How deliveries authenticate; absent: Standard Webhooks signatures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth: Option<Vec<AuthScheme>>,
    /// How the payload is wrapped; absent: the event type's envelope, else the payload as is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub envelope: Option<Envelope>,
    /// The `Content-Type` header; absent: `application/json`; empty: no such header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
}

fn loc_with(loc: &[&str], rest: &[&str]) -> Vec<String> {
    loc.iter().chain(rest).map(|s| (*s).to_owned()).collect()
}

fn violation(loc: Vec<String>, msg: impl Into<String>) -> Violation {
    Violation {
        loc,
        msg: msg.into(),
        kind: "value_error".into(),
    }
}

/// Whether `value` can be sent as an HTTP header value as is: visible ASCII, spaces and tabs.
fn header_value_ok(value: &str) -> bool {
    value.chars().all(|c| c == '\t' || (' '..='~').contains(&c))
}

/// The raw `name=value` pairs of a URL's query, without decoding (so they can be compared and
/// put back byte for byte).
fn query_pairs(url: &str) -> Vec<(&str, &str)> {
    let Some((_, rest)) = url.split_once('?') else {
        return Vec::new();
    };
    let query = rest.split('#').next().unwrap_or("");
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
        .collect()
}

/// Rewrites the values of the query parameters named in `params`, keeping every other byte.
fn rewrite_query(url: &str, mut value_for: impl FnMut(&str, &str) -> Option<String>) -> String {
    let Some((head, rest)) = url.split_once('?') else {
        return url.to_owned();
    };
    let (query, fragment) = match rest.split_once('#') {
        Some((q, f)) => (q, Some(f)),
        None => (rest, None),
    };
    let parts: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, value)) => match value_for(name, value) {
                Some(new) => format!("{name}={new}"),
                None => pair.to_owned(),
            },
            None => pair.to_owned(),
        })
        .collect();
    let mut out = format!("{head}?{}", parts.join("&"));
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    out
}

impl EndpointOptions {
    /// Whether every option is at its default (nothing to store or show).
    pub fn is_default(&self) -> bool {
        self == &Self::default()
    }

    /// Whether deliveries carry Standard Webhooks signatures.
    pub fn signs_standard_webhooks(&self) -> bool {
        self.auth
            .as_ref()
            .is_none_or(|schemes| schemes.contains(&AuthScheme::StandardWebhooks))
    }

    /// The timeout of one attempt: the endpoint's, else `default`.
    pub fn timeout(&self, default: Duration) -> Duration {
        self.timeout_ms
            .map_or(default, |ms| Duration::from_millis(u64::from(ms)))
    }

    /// Whether an HTTP status counts as delivered: one of the listed codes, else any 2xx.
    pub fn is_success(&self, status: u16) -> bool {
        match &self.success_status_codes {
            Some(codes) => codes.contains(&status),
            None => crate::delivery::is_success_status(status),
        }
    }

    /// The `Content-Type` to send, or `None` to send none.
    pub fn content_type(&self) -> Option<&str> {
        match self.content_type.as_deref() {
            None => Some(DEFAULT_CONTENT_TYPE),
            Some("") => None,
            Some(other) => Some(other),
        }
    }

    /// The secret headers the schemes add, as (name, value).
    pub fn auth_headers(&self) -> Vec<(&str, &str)> {
        self.auth
            .iter()
            .flatten()
            .filter_map(|s| match s {
                AuthScheme::StaticHeader {
                    header,
                    value: Some(value),
                } => Some((header.as_str(), value.as_str())),
                AuthScheme::SigningToken {
                    header,
                    token: Some(token),
                } => Some((header.as_str(), token.as_str())),
                _ => None,
            })
            .collect()
    }

    /// Every signing token, as (header, token).
    pub fn signing_tokens(&self) -> Vec<(&str, &str)> {
        self.auth
            .iter()
            .flatten()
            .filter_map(|s| match s {
                AuthScheme::SigningToken {
                    header,
                    token: Some(token),
                } => Some((header.as_str(), token.as_str())),
                _ => None,
            })
            .collect()
    }

    /// The first signing token, as (header, token).
    pub fn signing_token(&self) -> Option<(&str, &str)> {
        self.auth.iter().flatten().find_map(|s| match s {
            AuthScheme::SigningToken {
                header,
                token: Some(token),
            } => Some((header.as_str(), token.as_str())),
            _ => None,
        })
    }

    /// The query parameters that hold secrets.
    pub fn query_secret_params(&self) -> Vec<&str> {
        self.auth
            .iter()
            .flatten()
            .filter_map(|s| match s {
                AuthScheme::QuerySecret { param } => Some(param.as_str()),
                _ => None,
            })
            .collect()
    }

    /// The endpoint URL as hookd shows it (API, dashboard, attempt records, logs): the value
    /// of every query-secret parameter replaced by `REDACTED`.
    pub fn display_url(&self, url: &str) -> String {
        let secret = self.query_secret_params();
        if secret.is_empty() {
            return url.to_owned();
        }
        rewrite_query(url, |name, _| {
            secret.contains(&name).then(|| REDACTED.to_owned())
        })
    }

    /// The URL an update should store: `new_url`, except that a query-secret parameter whose
    /// value is `REDACTED` (a URL read back from the API) keeps its value from `old_url`.
    pub fn restore_url_secrets(&self, new_url: &str, old_url: &str) -> String {
        let secret = self.query_secret_params();
        let old = query_pairs(old_url);
        rewrite_query(new_url, |name, value| {
            if value != REDACTED || !secret.contains(&name) {
                return None;
            }
            old.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    /// These options as the API shows them: secret values left out.
    pub fn redacted(&self) -> Self {
        let mut out = self.clone();
        for scheme in out.auth.iter_mut().flatten() {
            match scheme {
                AuthScheme::StaticHeader { value, .. } => *value = None,
                AuthScheme::SigningToken { token, .. } => *token = None,
                AuthScheme::StandardWebhooks | AuthScheme::QuerySecret { .. } => {}
            }
        }
        out
    }

    /// Fills secrets left out of an update (as a redacted read gives them) from `previous`:
    /// a scheme of the same type for the same header keeps its stored value.
    pub fn keep_secrets_from(&mut self, previous: &EndpointOptions) {
        for scheme in self.auth.iter_mut().flatten() {
            let kind = scheme.kind();
            let Some(header) = scheme.header().map(str::to_owned) else {
                continue;
            };
            let old = previous.auth.iter().flatten().find(|s| {
                s.kind() == kind && s.header().is_some_and(|h| h.eq_ignore_ascii_case(&header))
            });
            match (scheme, old) {
                (
                    AuthScheme::StaticHeader {
                        value: v @ None, ..
                    },
                    Some(AuthScheme::StaticHeader {
                        value: Some(old), ..
                    }),
                ) => *v = Some(old.clone()),
                (
                    AuthScheme::SigningToken {
                        token: t @ None, ..
                    },
                    Some(AuthScheme::SigningToken {
                        token: Some(old), ..
                    }),
                ) => *t = Some(old.clone()),
                _ => {}
            }
        }
    }

    /// Headers of signing-token schemes that have no token yet (the API fills them).
    pub fn missing_signing_tokens(&self) -> Vec<String> {
        self.auth
            .iter()
            .flatten()
            .filter_map(|s| match s {
                AuthScheme::SigningToken {
                    header,
                    token: None,
                } => Some(header.clone()),
                _ => None,
            })
            .collect()
    }

    /// Sets the token of every signing-token scheme for `header` that has none.
    pub fn set_signing_token(&mut self, header: &str, new: &str) {
        for scheme in self.auth.iter_mut().flatten() {
            if let AuthScheme::SigningToken {
                header: h,
                token: t @ None,
            } = scheme
            {
                if h.eq_ignore_ascii_case(header) {
                    *t = Some(new.to_owned());
                }
            }
        }
    }

    /// Every problem with these options for an endpoint at `url`, each naming its field under
    /// `loc` (e.g. `["body", "options"]`). Secrets must be complete: call it after
    /// [`Self::keep_secrets_from`] and after signing tokens were filled in.
    pub fn validate(&self, loc: &[&str], url: &str) -> Vec<Violation> {
        let mut out = Vec::new();
        if let Some(policy) = &self.retry_policy {
            out.extend(
                policy.validate(
                    &loc_with(loc, &["retryPolicy"])
                        .iter()
                        .map(String::as_str)
                        .collect::<Vec<_>>(),
                ),
            );
        }
        if let Some(ms) = self.timeout_ms {
            if !(MIN_TIMEOUT_MS..=MAX_TIMEOUT_MS).contains(&ms) {
                out.push(violation(
                    loc_with(loc, &["timeoutMs"]),
                    format!("must be between {MIN_TIMEOUT_MS} and {MAX_TIMEOUT_MS} milliseconds"),
                ));
            }
        }
        if let Some(codes) = &self.success_status_codes {
            let here = loc_with(loc, &["successStatusCodes"]);
            if codes.is_empty() || codes.len() > MAX_SUCCESS_CODES {
                out.push(violation(
                    here.clone(),
                    format!("must list between 1 and {MAX_SUCCESS_CODES} status codes"),
                ));
            }
            let mut seen = std::collections::HashSet::new();
            for (i, code) in codes.iter().enumerate() {
                let mut item = here.clone();
                item.push(i.to_string());
                if !(200..=599).contains(code) {
                    out.push(violation(
                        item,
                        "must be an HTTP status between 200 and 599",
                    ));
                } else if !seen.insert(code) {
                    out.push(violation(item, "is listed twice"));
                }
            }
        }
        if let Some(schemes) = &self.auth {
            self.validate_auth(loc, url, schemes, &mut out);
        }
        if let Some(envelope) = &self.envelope {
            let here = loc_with(loc, &["envelope"]);
            out.extend(envelope.validate(&here.iter().map(String::as_str).collect::<Vec<_>>()));
        }
        if let Some(ct) = &self.content_type {
            if ct.len() > MAX_CONTENT_TYPE_LEN || !header_value_ok(ct) || ct.trim() != ct {
                out.push(violation(
                    loc_with(loc, &["contentType"]),
                    format!(
                        "must be a header value of visible ASCII, at most {MAX_CONTENT_TYPE_LEN} characters, without surrounding spaces"
                    ),
                ));
            }
        }
        out
    }

    fn validate_auth(
        &self,
        loc: &[&str],
        url: &str,
        schemes: &[AuthScheme],
        out: &mut Vec<Violation>,
    ) {
        let here = loc_with(loc, &["auth"]);
        if schemes.len() > MAX_AUTH_SCHEMES {
            out.push(violation(
                here.clone(),
                format!("may list at most {MAX_AUTH_SCHEMES} schemes"),
            ));
        }
        let query = query_pairs(url);
        let mut headers: Vec<String> = Vec::new();
        let mut params: Vec<&str> = Vec::new();
        let mut standard = false;
        for (i, scheme) in schemes.iter().enumerate() {
            let index = i.to_string();
            let at = |field: &str| {
                let mut l = here.clone();
                l.push(index.clone());
                l.push(field.to_owned());
                l
            };
            if let Some(header) = scheme.header() {
                let header_loc = at("header");
                let refs: Vec<&str> = header_loc.iter().map(String::as_str).collect();
                if let Err(v) = validate::custom_header_name(&refs, header) {
                    out.push(v);
                } else if SCHEME_FORBIDDEN_HEADERS.contains(&header.to_ascii_lowercase().as_str()) {
                    out.push(violation(
                        header_loc,
                        format!("the header '{header}' cannot carry a secret"),
                    ));
                } else if headers.iter().any(|h| h.eq_ignore_ascii_case(header)) {
                    out.push(violation(header_loc, "another scheme sets this header"));
                } else {
                    headers.push(header.to_owned());
                }
            }
            let secret_ok = |s: &str| {
                !s.is_empty() && s.len() <= MAX_SECRET_LEN && header_value_ok(s) && s.trim() == s
            };
            let secret_msg = format!(
                "must be 1 to {MAX_SECRET_LEN} characters of visible ASCII, without surrounding spaces"
            );
            match scheme {
                AuthScheme::StandardWebhooks => {
                    if standard {
                        out.push(violation(at("type"), "is listed twice"));
                    }
                    standard = true;
                }
                AuthScheme::StaticHeader { value, .. } => match value {
                    None => out.push(violation(at("value"), "is required")),
                    Some(v) if !secret_ok(v) => out.push(violation(at("value"), secret_msg)),
                    Some(_) => {}
                },
                AuthScheme::SigningToken { token, .. } => match token {
                    None => out.push(violation(at("token"), "is required")),
                    Some(t) if !secret_ok(t) => out.push(violation(at("token"), secret_msg)),
                    Some(_) => {}
                },
                AuthScheme::QuerySecret { param } => {
                    if param.is_empty()
                        || param.len() > validate::MAX_KEY_LEN
                        || param.contains(['&', '=', '#'])
                    {
                        out.push(violation(at("param"), "is not a query parameter name"));
                    } else if params.contains(&param.as_str()) {
                        out.push(violation(at("param"), "is listed twice"));
                    } else if !query.iter().any(|(n, v)| n == param && !v.is_empty()) {
                        out.push(violation(
                            at("param"),
                            format!(
                                "the endpoint URL has no value for the query parameter '{param}'"
                            ),
                        ));
                    } else {
                        params.push(param);
                    }
                }
            }
        }
    }
}

/// Per-event-type options.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct EventTypeOptions {
    /// How messages of this type are wrapped, unless the endpoint chooses its own envelope.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub envelope: Option<Envelope>,
}

impl EventTypeOptions {
    /// Whether every option is at its default.
    pub fn is_default(&self) -> bool {
        self == &Self::default()
    }

    /// Every problem with these options, each naming its field under `loc`.
    pub fn validate(&self, loc: &[&str]) -> Vec<Violation> {
        match &self.envelope {
            Some(e) => {
                let here = loc_with(loc, &["envelope"]);
                e.validate(&here.iter().map(String::as_str).collect::<Vec<_>>())
            }
            None => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_schemes_refuse_fields_they_do_not_have() {
        let parse = |s: &str| serde_json::from_str::<AuthScheme>(s);
        assert!(parse(r#"{"type":"staticHeader","header":"X-A","value":"v"}"#).is_ok());
        assert!(parse(r#"{"type":"staticHeader","header":"X-A","valeu":"v"}"#).is_err());
        // serde lets a unit variant (`standardWebhooks`) through with extra fields; the API
        // refuses those itself (hookd-server's `api::options`).
        assert!(parse(r#"{"type":"standardWebhooks"}"#).is_ok());
    }

    fn options(json: &str) -> EndpointOptions {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn defaults_are_svix() {
        let o = EndpointOptions::default();
        assert!(o.is_default());
        assert!(o.signs_standard_webhooks());
        assert!(o.is_success(201));
        assert!(!o.is_success(301));
        assert_eq!(o.content_type(), Some("application/json"));
        assert_eq!(o.timeout(Duration::from_secs(15)), Duration::from_secs(15));
        assert_eq!(serde_json::to_string(&o).unwrap(), "{}");
        assert_eq!(o.validate(&["options"], "https://x.example/"), vec![]);
    }

    #[test]
    fn postpress_rules() {
        let o = options(
            r#"{"timeoutMs":30000,"successStatusCodes":[200],"contentType":"application/json",
                "auth":[{"type":"staticHeader","header":"Postpress-Auth","value":"yoursecretkey"}]}"#,
        );
        assert_eq!(o.validate(&["options"], "https://x.example/"), vec![]);
        assert!(o.is_success(200));
        assert!(!o.is_success(201), "postpress: only exactly 200 counts");
        assert!(!o.signs_standard_webhooks());
        assert_eq!(o.auth_headers(), vec![("Postpress-Auth", "yoursecretkey")]);
        let shown = serde_json::to_string(&o.redacted()).unwrap();
        assert!(!shown.contains("yoursecretkey"), "{shown}");
        // An update that sends the redacted form back keeps the secret.
        let mut update = o.redacted();
        update.keep_secrets_from(&o);
        assert_eq!(update, o);
        let none: EndpointOptions = options(r#"{"contentType":""}"#);
        assert_eq!(none.content_type(), None);
    }

    #[test]
    fn query_secrets_are_kept_exact_and_shown_redacted() {
        let o = options(r#"{"auth":[{"type":"querySecret","param":"secret"}]}"#);
        let url = "https://c.example/hook?v=2&secret=s3cr%2Ft+k%3D&x#frag";
        assert_eq!(o.validate(&["options"], url), vec![]);
        assert_eq!(
            o.display_url(url),
            "https://c.example/hook?v=2&secret=REDACTED&x#frag"
        );
        assert_eq!(
            o.restore_url_secrets("https://c.example/hook?v=3&secret=REDACTED", url),
            "https://c.example/hook?v=3&secret=s3cr%2Ft+k%3D"
        );
        assert_eq!(
            o.restore_url_secrets("https://c.example/hook?secret=new", url),
            "https://c.example/hook?secret=new"
        );
        let v = o.validate(&["body", "options"], "https://c.example/hook");
        assert_eq!(v[0].loc, vec!["body", "options", "auth", "0", "param"]);
    }

    #[test]
    fn bad_options_name_their_field() {
        let cases = [
            (r#"{"timeoutMs":99}"#, vec!["o", "timeoutMs"]),
            (r#"{"timeoutMs":60001}"#, vec!["o", "timeoutMs"]),
            (
                r#"{"successStatusCodes":[]}"#,
                vec!["o", "successStatusCodes"],
            ),
            (
                r#"{"successStatusCodes":[200,99]}"#,
                vec!["o", "successStatusCodes", "1"],
            ),
            (
                r#"{"auth":[{"type":"staticHeader","header":"X-A"}]}"#,
                vec!["o", "auth", "0", "value"],
            ),
            (
                r#"{"auth":[{"type":"staticHeader","header":"webhook-x","value":"v"}]}"#,
                vec!["o", "auth", "0", "header"],
            ),
            (
                r#"{"auth":[{"type":"signingToken","header":"X-A","token":"a"},{"type":"staticHeader","header":"x-a","value":"b"}]}"#,
                vec!["o", "auth", "1", "header"],
            ),
            (
                r#"{"auth":[{"type":"staticHeader","header":"Content-Type","value":"v"}]}"#,
                vec!["o", "auth", "0", "header"],
            ),
            (r#"{"contentType":"a\u0001b"}"#, vec!["o", "contentType"]),
            (
                r#"{"retryPolicy":{"type":"fixed","baseSecs":5}}"#,
                vec!["o", "retryPolicy", "maxAttempts"],
            ),
            (
                r#"{"envelope":{"template":{"x":"{{ nope }}"}}}"#,
                vec!["o", "envelope", "template", "x"],
            ),
        ];
        for (json, loc) in cases {
            let v = options(json).validate(&["o"], "https://x.example/");
            assert!(
                v.iter().any(|v| v.loc == loc),
                "{json}: expected {loc:?}, got {v:?}"
            );
        }
    }

    #[test]
    fn signing_tokens_fill_and_hide() {
        let mut o =
            options(r#"{"auth":[{"type":"signingToken","header":"Postscript-Signature"}]}"#);
        assert_eq!(o.missing_signing_tokens(), vec!["Postscript-Signature"]);
        assert!(!o.validate(&["o"], "https://x.example/").is_empty());
        o.set_signing_token("postscript-signature", "tok");
        assert_eq!(o.signing_token(), Some(("Postscript-Signature", "tok")));
        assert_eq!(o.validate(&["o"], "https://x.example/"), vec![]);
        assert!(!serde_json::to_string(&o.redacted())
            .unwrap()
            .contains("tok\""));
    }
}
