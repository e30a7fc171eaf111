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

#[cfg(test)]
mod tests;
mod validation;

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
}
