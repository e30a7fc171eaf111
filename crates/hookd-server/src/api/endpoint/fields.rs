//! An endpoint's wire types (Svix's `EndpointIn`, `EndpointUpdate`, `EndpointPatch`,
//! `EndpointOut`) and the checks of their fields, up to what can be known without the store.
//! It must not read or write the store: the handlers beside it do.

use super::*;

/// Svix reports endpoint `version` 1 always; 1.x SDKs require the field.
const ENDPOINT_VERSION: u16 = 1;

/// Svix's `EndpointIn` (POST) and `EndpointUpdate` (PUT, which refuses `secret` and `headers`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[serde(deny_unknown_fields)]
pub struct EndpointIn {
    /// An optional description of the endpoint (no control characters 0x00–0x08).
    #[serde(default)]
    #[schema(pattern = r"^[^\x00-\x08]*$", example = "An example endpoint name")]
    pub(super) description: String,
    /// Maximum messages per second to send to this endpoint.
    #[serde(default, deserialize_with = "hookd_core::integral::optional")]
    #[schema(minimum = 1, maximum = 65535)]
    pub(super) throttle_rate: Option<u16>,
    /// The older name of `throttleRate`.
    #[serde(default, deserialize_with = "hookd_core::integral::optional")]
    #[schema(minimum = 1, maximum = 65535, deprecated)]
    pub(super) rate_limit: Option<u16>,
    /// Optional unique identifier for the endpoint; it may not start with `ep_`.
    #[serde(default)]
    #[schema(
        min_length = 1,
        max_length = 256,
        pattern = r"^[a-zA-Z0-9\-_.]+$",
        example = "unique-ep-identifier"
    )]
    pub(super) uid: Option<String>,
    /// Where deliveries go: an absolute `http` or `https` URL.
    #[schema(
        format = "uri",
        min_length = 1,
        max_length = 65536,
        example = "https://example.com/webhook/"
    )]
    pub(super) url: String,
    /// Deprecated in Svix and without effect; accepted so that old clients keep working.
    #[serde(default, deserialize_with = "hookd_core::integral::optional")]
    #[schema(deprecated, minimum = 1, maximum = 65535)]
    pub(super) version: Option<u16>,
    /// Whether deliveries to it are paused.
    #[serde(default)]
    pub(super) disabled: bool,
    /// The event types it receives (all when absent); each must exist and not be archived.
    #[serde(default)]
    #[schema(value_type = Option<Vec<EventTypeName>>, min_items = 1, example = json!(["user.signup", "user.deleted"]))]
    pub(super) event_types: Option<Vec<String>>,
    /// The older name of `eventTypes`.
    #[serde(default)]
    #[schema(value_type = Option<Vec<EventTypeName>>, min_items = 1, deprecated)]
    pub(super) filter_types: Option<Vec<String>>,
    /// List of message channels this endpoint listens to (omit for all).
    #[serde(default)]
    #[schema(value_type = Option<Vec<ChannelName>>, min_items = 1, max_items = 10, example = json!(["project_123", "group_2"]))]
    pub(super) channels: Option<Vec<String>>,
    /// The endpoint's signing secret. If `null` is passed, a secret is automatically
    /// generated, of the server's default signature type (HMAC unless configured otherwise).
    /// Format: `base64` encoded random bytes (24 to 75 of them) optionally prefixed with
    /// `whsec_` (HMAC-SHA256, `v1,` signatures), or `whsk_` and the base64 of an ed25519
    /// secret key (the 32-byte seed, then its 32-byte public key; `v1a,` signatures).
    #[serde(default)]
    #[schema(value_type = Option<SecretText>)]
    pub(super) secret: Option<String>,
    /// Free-form metadata.
    #[serde(default)]
    #[schema(value_type = BTreeMap<String, String>)]
    pub(super) metadata: Metadata,
    /// Custom headers sent with every delivery, as the headers routes set them. Newer Svix
    /// SDKs send this on create; `PUT` refuses it (the headers routes change them).
    #[serde(default)]
    #[schema(schema_with = header_schema::endpoint_headers)]
    pub(super) headers: BTreeMap<String, String>,
    /// hookd's extensions (see `docs/extensions.md`).
    #[serde(default)]
    #[schema(value_type = Option<EndpointOptionsSchema>)]
    pub(super) options: Option<Box<RawValue>>,
}

/// Svix's `EndpointUpdate`: the body of PUT, which is `EndpointIn` without `secret` (rotation
/// is the way to change it) and `headers` (the headers routes set them); either is refused.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
#[serde(deny_unknown_fields)]
pub struct EndpointUpdate {
    /// An optional description of the endpoint (no control characters 0x00–0x08).
    #[serde(default)]
    #[schema(pattern = r"^[^\x00-\x08]*$", example = "An example endpoint name")]
    pub(super) description: String,
    /// Maximum messages per second to send to this endpoint.
    #[serde(default, deserialize_with = "hookd_core::integral::optional")]
    #[schema(minimum = 1, maximum = 65535)]
    pub(super) throttle_rate: Option<u16>,
    /// The older name of `throttleRate`.
    #[serde(default, deserialize_with = "hookd_core::integral::optional")]
    #[schema(minimum = 1, maximum = 65535, deprecated)]
    pub(super) rate_limit: Option<u16>,
    /// Optional unique identifier for the endpoint; it may not start with `ep_`.
    #[serde(default)]
    #[schema(
        min_length = 1,
        max_length = 256,
        pattern = r"^[a-zA-Z0-9\-_.]+$",
        example = "unique-ep-identifier"
    )]
    pub(super) uid: Option<String>,
    /// Where deliveries go: an absolute `http` or `https` URL.
    #[schema(
        format = "uri",
        min_length = 1,
        max_length = 65536,
        example = "https://example.com/webhook/"
    )]
    pub(super) url: String,
    /// Deprecated in Svix and without effect; accepted so that old clients keep working.
    #[serde(default, deserialize_with = "hookd_core::integral::optional")]
    #[allow(dead_code)]
    #[schema(deprecated, minimum = 1, maximum = 65535)]
    pub(super) version: Option<u16>,
    /// Whether deliveries to it are paused.
    #[serde(default)]
    pub(super) disabled: bool,
    /// The event types it receives (all when absent); each must exist and not be archived.
    #[serde(default)]
    #[schema(value_type = Option<Vec<EventTypeName>>, min_items = 1, example = json!(["user.signup", "user.deleted"]))]
    pub(super) event_types: Option<Vec<String>>,
    /// The older name of `eventTypes`.
    #[serde(default)]
    #[schema(value_type = Option<Vec<EventTypeName>>, min_items = 1, deprecated)]
    pub(super) filter_types: Option<Vec<String>>,
    /// List of message channels this endpoint listens to (omit for all).
    #[serde(default)]
    #[schema(value_type = Option<Vec<ChannelName>>, min_items = 1, max_items = 10, example = json!(["project_123", "group_2"]))]
    pub(super) channels: Option<Vec<String>>,
    /// Free-form metadata.
    #[serde(default)]
    #[schema(value_type = BTreeMap<String, String>)]
    pub(super) metadata: Metadata,
    /// hookd's extensions; a PUT without them keeps the stored ones.
    #[serde(default)]
    #[schema(value_type = Option<EndpointOptionsSchema>)]
    pub(super) options: Option<Box<RawValue>>,
}

/// Svix's `EndpointPatch`: only the fields present change; `null` clears a nullable one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[serde(deny_unknown_fields)]
pub struct EndpointPatch {
    /// An optional description of the endpoint.
    #[serde(default)]
    #[schema(pattern = r"^[^\x00-\x08]*$")]
    pub(super) description: Option<String>,
    /// Maximum messages per second to send to this endpoint.
    #[serde(default, deserialize_with = "crate::api::wire::patch_integral")]
    #[schema(value_type = Option<u16>, minimum = 1, maximum = 65535)]
    pub(super) throttle_rate: Patch<u16>,
    /// The older name of `throttleRate`.
    #[serde(default, deserialize_with = "crate::api::wire::patch_integral")]
    #[schema(value_type = Option<u16>, minimum = 1, maximum = 65535, deprecated)]
    pub(super) rate_limit: Patch<u16>,
    /// Optional unique identifier for the endpoint.
    #[serde(default)]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 256, pattern = r"^[a-zA-Z0-9\-_.]+$", example = "unique-ep-identifier")]
    pub(super) uid: Patch<String>,
    /// Where deliveries go.
    #[serde(default)]
    #[schema(format = "uri", min_length = 1, max_length = 65536)]
    pub(super) url: Option<String>,
    /// Whether deliveries to it are paused.
    #[serde(default)]
    pub(super) disabled: Option<bool>,
    /// The event types it receives; `null` for all.
    #[serde(default)]
    #[schema(value_type = Option<Vec<EventTypeName>>, min_items = 1)]
    pub(super) event_types: Patch<Vec<String>>,
    /// The older name of `eventTypes`.
    #[serde(default)]
    #[schema(value_type = Option<Vec<EventTypeName>>, min_items = 1, deprecated)]
    pub(super) filter_types: Patch<Vec<String>>,
    /// The channels it listens to; `null` for all.
    #[serde(default)]
    #[schema(value_type = Option<Vec<ChannelName>>, min_items = 1, max_items = 10)]
    pub(super) channels: Patch<Vec<String>>,
    /// Free-form metadata.
    #[serde(default)]
    #[schema(value_type = Option<BTreeMap<String, String>>)]
    pub(super) metadata: Option<Metadata>,
    /// hookd's extensions, option by option: each option given replaces the stored one,
    /// `null` resets it; `"options": null` resets them all.
    #[serde(default)]
    #[schema(value_type = Option<EndpointOptionsSchema>)]
    pub(super) options: Patch<Box<RawValue>>,
}

/// The fields an endpoint shares with `MessageEndpointOut` (Svix's `EndpointOutCommon`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EndpointCommon {
    /// The endpoint's id.
    #[schema(example = "ep_1srOrx2ZWZBpBUvZwXKQmoEYga2")]
    pub(super) id: String,
    /// Optional unique identifier for the endpoint.
    #[schema(example = "unique-ep-identifier")]
    pub(super) uid: Option<String>,
    /// Where deliveries go; a query-secret parameter's value reads `REDACTED`.
    #[schema(format = "uri", example = "https://example.com/webhook/")]
    pub(super) url: String,
    /// An optional description of the endpoint.
    #[schema(example = "An example endpoint name")]
    pub(super) description: String,
    /// Always 1 (deprecated in Svix; 1.x SDKs require it).
    #[schema(deprecated)]
    pub(super) version: u16,
    /// Whether deliveries to it are paused.
    pub(super) disabled: bool,
    /// The older name of `throttleRate`.
    #[schema(deprecated)]
    pub(super) rate_limit: Option<u16>,
    /// Maximum messages per second to send to this endpoint.
    pub(super) throttle_rate: Option<u16>,
    /// The event types it receives; `null` for all.
    #[schema(example = json!(["user.signup", "user.deleted"]))]
    pub(super) event_types: Option<Vec<String>>,
    /// The older name of `eventTypes`.
    #[schema(deprecated)]
    pub(super) filter_types: Option<Vec<String>>,
    /// List of message channels this endpoint listens to; `null` for all.
    #[schema(example = json!(["project_123", "group_2"]))]
    pub(super) channels: Option<Vec<String>>,
    /// When it was created.
    #[schema(format = DateTime)]
    pub(super) created_at: String,
    /// When it last changed.
    #[schema(format = DateTime)]
    pub(super) updated_at: String,
}

impl From<&Endpoint> for EndpointCommon {
    fn from(ep: &Endpoint) -> Self {
        Self {
            id: ep.id.to_string(),
            uid: ep.uid.clone(),
            url: ep.options.display_url(&ep.url),
            description: ep.description.clone(),
            version: ENDPOINT_VERSION,
            disabled: ep.disabled,
            rate_limit: ep.throttle_rate,
            throttle_rate: ep.throttle_rate,
            event_types: ep.event_types.clone(),
            filter_types: ep.event_types.clone(),
            channels: ep.channels.clone(),
            created_at: ts(ep.created_at),
            updated_at: ts(ep.updated_at),
        }
    }
}

/// Svix's `EndpointOut`, with hookd's `options` when they are not the default and
/// `failingSince` while it fails.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EndpointOut {
    #[serde(flatten)]
    pub(super) common: EndpointCommon,
    /// Free-form metadata.
    #[schema(value_type = BTreeMap<String, String>)]
    pub(super) metadata: Metadata,
    /// hookd's extensions, present only when not all default, without secret values.
    #[serde(skip_serializing_if = "EndpointOptions::is_default")]
    #[schema(value_type = EndpointOptionsSchema, required = false)]
    pub(super) options: EndpointOptions,
    /// hookd's extension: the time of the first failed attempt after the last success, while
    /// this enabled endpoint fails (it is disabled once that lasts
    /// `endpoint_failure_disable_after_secs`); absent while it is healthy or disabled.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime, required = false)]
    pub(super) failing_since: Option<String>,
}

impl From<Endpoint> for EndpointOut {
    fn from(ep: Endpoint) -> Self {
        Self {
            common: EndpointCommon::from(&ep),
            options: ep.options.redacted(),
            failing_since: ep.failing_since.filter(|_| !ep.disabled).map(ts),
            metadata: ep.metadata,
        }
    }
}

/// Validated endpoint fields, before they meet an existing endpoint or a new one.
pub(super) struct EndpointFields {
    pub(super) description: String,
    pub(super) throttle_rate: Option<u16>,
    pub(super) uid: Option<String>,
    pub(super) url: String,
    pub(super) disabled: bool,
    pub(super) event_types: Option<Vec<String>>,
    pub(super) channels: Option<Vec<String>>,
    pub(super) metadata: Metadata,
    /// Custom headers, applied only when the endpoint is created.
    pub(super) headers: BTreeMap<String, String>,
    /// The options given, parsed but not yet checked against the URL and stored secrets.
    pub(super) options: Option<EndpointOptions>,
}

pub(super) fn check_event_types(
    checks: &mut Checks,
    types: Option<Vec<String>>,
) -> Option<Vec<String>> {
    let types = types.map(wire::dedupe)?;
    checks.check(validate::event_types(&["body", "eventTypes"], &types));
    Some(types)
}

pub(super) fn check_channels(
    checks: &mut Checks,
    channels: Option<Vec<String>>,
) -> Option<Vec<String>> {
    let channels = channels.map(wire::dedupe)?;
    checks.check(validate::channels(
        &["body", "channels"],
        &channels,
        validate::MAX_ENDPOINT_CHANNELS,
    ));
    Some(channels)
}

pub(super) fn check_url(checks: &mut Checks, url: &str) -> String {
    checks
        .check(validate::endpoint_url(&["body", "url"], url))
        .map(String::from)
        .unwrap_or_default()
}

impl EndpointIn {
    /// Validates everything but the secret and the options' consistency.
    pub(super) fn validate(
        self,
        checks: &mut Checks,
    ) -> ApiResult<(EndpointFields, Option<String>)> {
        let options = self
            .options
            .as_deref()
            .map(wire_options::parse_endpoint)
            .transpose()?;
        wire::no_control_chars(checks, &["body", "description"], &self.description);
        wire::rate(checks, &["body", "throttleRate"], self.throttle_rate);
        wire::rate(checks, &["body", "rateLimit"], self.rate_limit);
        // Without effect, but the document gives it a minimum of 1, as Svix's does.
        wire::rate(checks, &["body", "version"], self.version);
        if let Some(uid) = &self.uid {
            wire::uid(checks, &["body", "uid"], uid, EndpointId::PREFIX);
        }
        let url = check_url(checks, &self.url);
        for (name, value) in &self.headers {
            headers::check_name(checks, name);
            headers::check_value(checks, name, value);
        }
        let fields = EndpointFields {
            description: self.description,
            throttle_rate: self.throttle_rate.or(self.rate_limit),
            uid: self.uid,
            url,
            disabled: self.disabled,
            event_types: check_event_types(checks, self.event_types.or(self.filter_types)),
            channels: check_channels(checks, self.channels),
            metadata: self.metadata,
            headers: self.headers,
            options,
        };
        Ok((fields, self.secret))
    }
}

/// Parses a user-supplied secret (`whsec_…`, bare base64 or `whsk_…`) into its canonical form.
pub(crate) fn parse_secret(checks: &mut Checks, loc: &[&str], secret: &str) -> Option<String> {
    match EndpointSecret::parse(secret) {
        Ok(s) => Some(s.to_text()),
        Err(e) => {
            checks.push(ValidationItem::value(loc, e.to_string()));
            None
        }
    }
}

/// A fresh random signing secret of `kind`.
pub(crate) fn generate_secret(kind: SignatureType) -> String {
    EndpointSecret::generate(kind, &mut rand::thread_rng()).to_text()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use chrono::DateTime;
    use hookd_core::{
        id::{AppId, EndpointId},
        model::{Endpoint, Metadata},
        options::EndpointOptions,
    };

    use super::EndpointOut;

    fn endpoint(disabled: bool, failing_since_ms: Option<i64>) -> Endpoint {
        let at = DateTime::from_timestamp_millis(0).unwrap();
        Endpoint {
            id: EndpointId::from_trusted("ep_x"),
            app_id: AppId::from_trusted("app_x"),
            uid: None,
            url: "https://example.com".into(),
            description: String::new(),
            disabled,
            throttle_rate: None,
            event_types: None,
            channels: None,
            metadata: Metadata::new(),
            headers: BTreeMap::new(),
            secret: "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD".into(),
            old_secrets: vec![],
            options: EndpointOptions::default(),
            failing_since: failing_since_ms.map(|ms| DateTime::from_timestamp_millis(ms).unwrap()),
            created_at: at,
            updated_at: at,
        }
    }

    fn out(ep: Endpoint) -> serde_json::Value {
        serde_json::to_value(EndpointOut::from(ep)).unwrap()
    }

    /// Svix SDKs never see the extension unless it says something: absent while healthy and
    /// while disabled (the store keeps the period only for enabled endpoints, and a disabled
    /// one is not "failing"), camelCase like every other field when present.
    #[test]
    fn failing_since_is_shown_only_while_an_enabled_endpoint_fails() {
        assert!(out(endpoint(false, None)).get("failingSince").is_none());
        assert!(out(endpoint(true, Some(1_000)))
            .get("failingSince")
            .is_none());
        assert_eq!(
            out(endpoint(false, Some(1_000)))["failingSince"],
            "1970-01-01T00:00:01.000Z"
        );
    }
}
