//! The wire side of hookd's extensions: the `options` object on endpoints and event types
//! (see `hookd_core::options` for what each option means and `docs/extensions.md` for the
//! reference).
//!
//! Options arrive as raw JSON and are parsed here, so that every error is a 422 at the exact
//! place (`["body", "options", "retryPolicy", "baseSecs"]`) and a misspelt option name is
//! refused instead of silently ignored. Template key order survives because nothing here goes
//! through `serde_json::Value`. On PATCH each option given replaces that option and `null`
//! resets it; `options: null` resets them all. Absent `options` on PUT keeps what is stored (a
//! Svix SDK cannot send them, and must not wipe them). This module must not deliver anything.

use hookd_core::{
    envelope::{self, Envelope},
    model::{Application, Endpoint},
    options::{self, AuthScheme, EndpointOptions, EventTypeOptions},
    page::{ListQuery, Order},
    retry::{self, RetryPolicy},
    token,
};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::BTreeMap;

use super::{extract::parse_json_at, wire::Patch};
use crate::{
    error::{ApiError, ApiResult, ValidationItem},
    AppState,
};

/// Prefix of tokens hookd generates for `signingToken` schemes.
const SIGNING_TOKEN_PREFIX: &str = "whtok_";
/// Endpoints read per page when looking for an application's existing signing token.
const TOKEN_SCAN_PAGE: u32 = 100;

/// Where the options of a request body are.
pub const LOC: [&str; 2] = ["body", "options"];

/// Refuses keys of the JSON object `raw` that are not in `known`, naming each under `loc`.
fn unknown_keys(raw: &str, loc: &[&str], known: &[&str], out: &mut Vec<ValidationItem>) {
    let Ok(map) = serde_json::from_str::<BTreeMap<String, &RawValue>>(raw) else {
        return;
    };
    for key in map.keys() {
        if !known.contains(&key.as_str()) {
            let mut l = loc.to_vec();
            l.push(key);
            out.push(ValidationItem {
                loc: l.iter().map(|s| (*s).to_owned()).collect(),
                msg: format!("unknown option; known are: {}", known.join(", ")),
                kind: "value_error.unknown".into(),
            });
        }
    }
}

/// The raw JSON text of `key` in the object `raw`.
fn member<'a>(raw: &'a str, key: &str) -> Option<&'a str> {
    let map: BTreeMap<String, &'a RawValue> = serde_json::from_str(raw).ok()?;
    map.get(key).map(|v| v.get()).filter(|v| v.trim() != "null")
}

fn check_unknown_endpoint_keys(raw: &str) -> ApiResult<()> {
    let mut items = Vec::new();
    unknown_keys(raw, &LOC, &options::ENDPOINT_FIELDS, &mut items);
    if let Some(policy) = member(raw, "retryPolicy") {
        unknown_keys(
            policy,
            &["body", "options", "retryPolicy"],
            &retry::FIELDS,
            &mut items,
        );
    }
    if let Some(env) = member(raw, "envelope") {
        unknown_keys(
            env,
            &["body", "options", "envelope"],
            &envelope::FIELDS,
            &mut items,
        );
    }
    if let Some(auth) = member(raw, "auth") {
        unknown_standard_webhooks_keys(auth, &mut items);
    }
    if items.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(items))
    }
}

/// Refuses fields on `standardWebhooks` schemes, which have none but `type`: serde refuses
/// unknown fields of the other schemes (`deny_unknown_fields`) but lets a unit variant's through.
fn unknown_standard_webhooks_keys(auth: &str, out: &mut Vec<ValidationItem>) {
    let Ok(schemes) = serde_json::from_str::<Vec<&RawValue>>(auth) else {
        return;
    };
    for (i, scheme) in schemes.iter().enumerate() {
        let kind = member(scheme.get(), "type");
        if kind.map(str::trim) == Some("\"standardWebhooks\"") {
            let index = i.to_string();
            let loc = ["body", "options", "auth", index.as_str()];
            unknown_keys(scheme.get(), &loc, &["type"], out);
        }
    }
}

/// Parses endpoint options from a request body.
pub fn parse_endpoint(raw: &RawValue) -> ApiResult<EndpointOptions> {
    // Unknown names first: a misspelt option is the likelier story than a missing one.
    check_unknown_endpoint_keys(raw.get())?;
    parse_json_at(raw.get().as_bytes(), &LOC)
}

/// Parses event type options from a request body.
pub fn parse_event_type(raw: &RawValue) -> ApiResult<EventTypeOptions> {
    check_unknown_event_type_keys(raw.get())?;
    parse_json_at(raw.get().as_bytes(), &LOC)
}

fn check_unknown_event_type_keys(raw: &str) -> ApiResult<()> {
    let mut items = Vec::new();
    unknown_keys(raw, &LOC, &options::EVENT_TYPE_FIELDS, &mut items);
    if let Some(env) = member(raw, "envelope") {
        unknown_keys(
            env,
            &["body", "options", "envelope"],
            &envelope::FIELDS,
            &mut items,
        );
    }
    if items.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(items))
    }
}

/// A PATCH of endpoint options: each option given replaces the stored one, `null` resets it.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointOptionsPatch {
    #[serde(default)]
    retry_policy: Patch<RetryPolicy>,
    #[serde(default, deserialize_with = "crate::api::wire::patch_integral")]
    timeout_ms: Patch<u32>,
    #[serde(default, deserialize_with = "crate::api::wire::patch_integral_vec")]
    success_status_codes: Patch<Vec<u16>>,
    #[serde(default)]
    auth: Patch<Vec<AuthScheme>>,
    #[serde(default)]
    envelope: Patch<Envelope>,
    #[serde(default)]
    content_type: Patch<String>,
}

impl EndpointOptionsPatch {
    /// Parses the PATCH form.
    pub fn parse(raw: &RawValue) -> ApiResult<Self> {
        check_unknown_endpoint_keys(raw.get())?;
        parse_json_at(raw.get().as_bytes(), &LOC)
    }

    /// Applies the patch to `options`.
    pub fn apply(self, options: &mut EndpointOptions) {
        self.retry_policy.apply_to(&mut options.retry_policy);
        self.timeout_ms.apply_to(&mut options.timeout_ms);
        self.success_status_codes
            .apply_to(&mut options.success_status_codes);
        self.auth.apply_to(&mut options.auth);
        self.envelope.apply_to(&mut options.envelope);
        self.content_type.apply_to(&mut options.content_type);
    }
}

/// A PATCH of event type options.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventTypeOptionsPatch {
    #[serde(default)]
    envelope: Patch<Envelope>,
}

impl EventTypeOptionsPatch {
    /// Parses the PATCH form.
    pub fn parse(raw: &RawValue) -> ApiResult<Self> {
        check_unknown_event_type_keys(raw.get())?;
        parse_json_at(raw.get().as_bytes(), &LOC)
    }

    /// Applies the patch to `options`.
    pub fn apply(self, options: &mut EventTypeOptions) {
        self.envelope.apply_to(&mut options.envelope);
    }
}

/// Gives every signing-token scheme without a token one: the token another endpoint of the
/// same application already sends in that header (so an application, like a Postscript
/// account, has one token), else a new random one.
pub async fn fill_signing_tokens(
    state: &AppState,
    app: &Application,
    except: Option<&Endpoint>,
    options: &mut EndpointOptions,
) -> ApiResult<()> {
    let missing = options.missing_signing_tokens();
    if missing.is_empty() {
        return Ok(());
    }
    let mut found: BTreeMap<String, String> = BTreeMap::new();
    let mut query = ListQuery::first(TOKEN_SCAN_PAGE, Order::Ascending);
    loop {
        let page = state.directory.list_endpoints(&app.id, &query).await?;
        for ep in &page.data {
            if except.is_some_and(|e| e.id == ep.id) {
                continue;
            }
            for (header, token) in ep.options.signing_tokens() {
                found
                    .entry(header.to_ascii_lowercase())
                    .or_insert_with(|| token.to_owned());
            }
        }
        match (page.done, page.iterator) {
            (false, Some(next)) => {
                query = ListQuery::from_params(
                    Some(u64::from(TOKEN_SCAN_PAGE)),
                    Some(&next),
                    Order::Ascending,
                )
            }
            _ => break,
        }
    }
    for header in missing {
        let token = found
            .get(&header.to_ascii_lowercase())
            .cloned()
            .unwrap_or_else(|| token::generate_text(SIGNING_TOKEN_PREFIX, &mut rand::thread_rng()));
        options.set_signing_token(&header, &token);
    }
    Ok(())
}

/// Fails with 422 if the endpoint options are not valid for `url`.
pub fn check_endpoint(options: &EndpointOptions, url: &str) -> ApiResult<()> {
    let violations = options.validate(&LOC, url);
    if violations.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(
            violations.into_iter().map(ValidationItem::from).collect(),
        ))
    }
}

/// Fails with 422 if the event type options are not valid.
pub fn check_event_type(options: &EventTypeOptions) -> ApiResult<()> {
    let violations = options.validate(&LOC);
    if violations.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(
            violations.into_iter().map(ValidationItem::from).collect(),
        ))
    }
}
