//! Validation of endpoint and event type options: every problem at once, each named by where
//! it is (`["body", "options", "auth", 0, "header"]`), so an API can answer one 422 listing
//! them all. It must not change the options it checks.

use super::*;

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

impl EndpointOptions {
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

impl EventTypeOptions {
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
