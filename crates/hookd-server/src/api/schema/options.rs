//! The schemas of hookd's `options` extensions (endpoint and event type options, retry
//! policies, authentication schemes, envelopes), described field by field because their types
//! live in `hookd_core`, which knows no OpenAPI. A test holds each description to the core's own
//! list of field names, so the two cannot drift apart. It must not parse or check anything.

use super::*;

/// hookd's `RetryPolicy` (see `hookd_core::retry`): how failed deliveries are retried. Which
/// fields apply depends on `type`; the others are refused with 422, and so are unknown names
/// (hence `deny_unknown_fields` on this and the other option schemas, which the document shows
/// as `additionalProperties: false`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = RetryPolicy)]
#[allow(dead_code)]
pub struct RetryPolicySchema {
    /// The schedule's shape.
    #[serde(rename = "type")]
    #[schema(inline)]
    kind: RetryKind,
    /// `delays`: the delay before each retry, in order (0–99 entries of 1 s – 7 days).
    #[schema(max_items = 99, value_type = Option<Vec<DelaySecs>>)]
    delays_secs: Option<Vec<u64>>,
    /// `fixed`, `linear`, `exponential`: the first delay (1 s – 7 days).
    #[schema(minimum = 1, maximum = 604800)]
    base_secs: Option<u64>,
    /// `linear`: added to each next delay (at most 7 days).
    #[schema(minimum = 0, maximum = 604800)]
    increment_secs: Option<u64>,
    /// `exponential`: multiplies each next delay (more than 1, at most 10; default 2).
    #[schema(exclusive_minimum = 1, maximum = 10)]
    factor: Option<f64>,
    /// `linear`, `exponential`: no delay is longer (1 s – 7 days).
    #[schema(minimum = 1, maximum = 604800)]
    cap_secs: Option<u64>,
    /// The most attempts, the first included (1–100).
    #[schema(minimum = 1, maximum = 100)]
    max_attempts: Option<u32>,
    /// A retry is made only if the delays up to it add up to at most this (1 s – 30 days).
    #[schema(minimum = 1, maximum = 2592000)]
    max_age_secs: Option<u64>,
    /// Each delay moves at random by up to this fraction (0–0.5); 0 unless given.
    #[schema(nullable = false, minimum = 0.0, maximum = 0.5)]
    jitter: Option<f64>,
}

/// One delay of a `delays` schedule, in seconds (1 s – 7 days).
pub struct DelaySecs;

impl PartialSchema for DelaySecs {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(SchemaType::new(Type::Integer))
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::Int64,
            )))
            .minimum(Some(1))
            .maximum(Some(hookd_core::retry::MAX_DELAY_SECS))
            .into()
    }
}

impl ToSchema for DelaySecs {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("DelaySecs")
    }
}

/// A retry schedule's shape.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub enum RetryKind {
    /// `delaysSecs[n-1]`.
    Delays,
    /// `baseSecs` every time.
    Fixed,
    /// `baseSecs + incrementSecs × (n-1)`.
    Linear,
    /// `baseSecs × factor^(n-1)`.
    Exponential,
}

/// hookd's `AuthScheme` (see `hookd_core::options`): how a delivery proves where it comes
/// from. Secret values (`value`, `token`) are write-only: reads leave them out.
#[derive(Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "camelCase", deny_unknown_fields)]
#[allow(dead_code)]
pub enum AuthSchemeVariants {
    /// Standard Webhooks signatures (`webhook-*` and `svix-*` headers).
    StandardWebhooks,
    /// A fixed secret in a header.
    #[serde(rename_all = "camelCase")]
    StaticHeader {
        /// The header's name: an HTTP token, none that hookd sets itself (`webhook-*`,
        /// `svix-*`, `content-type`, `user-agent`, `accept`, transport headers).
        #[schema(schema_with = crate::api::endpoint::header_schema::scheme_header)]
        header: String,
        /// The secret (1–4096 visible ASCII characters, no surrounding spaces); required when
        /// the scheme is created, never shown.
        #[schema(
            min_length = 1,
            max_length = 4096,
            pattern = r"^[!-~](?:[\t -~]*[!-~])?$"
        )]
        value: Option<String>,
    },
    /// A signing token sent verbatim in a header; read it with `GET …/signing-token`.
    #[serde(rename_all = "camelCase")]
    SigningToken {
        /// The header's name, as `staticHeader`'s.
        #[schema(schema_with = crate::api::endpoint::header_schema::scheme_header)]
        header: String,
        /// The token (as `staticHeader`'s value); left out, the application's token for that
        /// header is used or made.
        #[schema(
            min_length = 1,
            max_length = 4096,
            pattern = r"^[!-~](?:[\t -~]*[!-~])?$"
        )]
        token: Option<String>,
    },
    /// A secret in the URL's query string, shown as `REDACTED`.
    #[serde(rename_all = "camelCase")]
    QuerySecret {
        /// The query parameter holding the secret (1–256 characters, no `&`, `=` or `#`); the
        /// endpoint's URL must give it a value.
        #[schema(pattern = r"^[^&=#]{1,256}$")]
        param: String,
    },
}

/// [`AuthSchemeVariants`] with each variant closed (`additionalProperties: false`), as the API
/// refuses fields a scheme does not have; utoipa does not carry `deny_unknown_fields` to an
/// enum's variants by itself.
#[derive(Serialize)]
pub struct AuthSchemeSchema;

impl PartialSchema for AuthSchemeSchema {
    fn schema() -> RefOr<Schema> {
        let mut schema = AuthSchemeVariants::schema();
        if let RefOr::T(Schema::OneOf(one_of)) = &mut schema {
            for item in &mut one_of.items {
                if let RefOr::T(Schema::Object(object)) = item {
                    object.additional_properties =
                        Some(Box::new(AdditionalProperties::FreeForm(false)));
                }
            }
        }
        schema
    }
}

impl ToSchema for AuthSchemeSchema {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("AuthScheme")
    }
}

/// hookd's `Envelope` (see `hookd_core::envelope`): a JSON template that wraps the payload.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = Envelope)]
#[allow(dead_code)]
pub struct EnvelopeSchema {
    /// A JSON object (or a string that is exactly one placeholder, such as
    /// `"{{ payload }}"`) with `{{ field }}` placeholders.
    #[schema(value_type = Object)]
    template: serde_json::Value,
}

/// hookd's endpoint `options` (see `docs/extensions.md`). Every field is optional; absent
/// means Svix's behaviour, and on PATCH `null` resets an option.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = EndpointOptions)]
#[allow(dead_code)]
pub struct EndpointOptionsSchema {
    /// How failed deliveries are retried; absent: the server's (Svix's schedule).
    #[schema(value_type = Option<RetryPolicySchema>)]
    retry_policy: Option<RetryPolicySchema>,
    /// How long the receiver may take, in ms (100–60000).
    #[schema(minimum = 100, maximum = 60000)]
    timeout_ms: Option<u32>,
    /// The status codes that count as delivered (1–32 codes, 200–599, each once); absent: any
    /// 2xx.
    #[schema(value_type = Option<Vec<HttpStatusCode>>, min_items = 1, max_items = 32)]
    success_status_codes: Option<Vec<u16>>,
    /// How deliveries authenticate (1–8 schemes); absent: Standard Webhooks signatures.
    #[schema(min_items = 1, max_items = 8)]
    auth: Option<Vec<AuthSchemeSchema>>,
    /// How the payload is wrapped; absent: the event type's envelope, else none.
    envelope: Option<EnvelopeSchema>,
    /// The `Content-Type` header (at most 256 visible ASCII characters, no surrounding
    /// spaces); `""` sends none.
    #[schema(max_length = 256, pattern = r"^(?:[!-~](?:[\t -~]*[!-~])?)?$")]
    content_type: Option<String>,
}

/// hookd's event type `options`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = EventTypeOptions)]
#[allow(dead_code)]
pub struct EventTypeOptionsSchema {
    /// Wraps messages of this type for every endpoint without its own envelope.
    envelope: Option<EnvelopeSchema>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use hookd_core::{envelope, options, retry};

    /// The property names a described schema has.
    fn properties<T: ToSchema>() -> Vec<String> {
        match T::schema() {
            RefOr::T(Schema::Object(o)) => o.properties.keys().cloned().collect(),
            other => panic!(
                "{} is not an object schema: {}",
                T::name(),
                serde_json::to_string(&other).unwrap_or_default()
            ),
        }
    }

    #[test]
    fn option_schemas_name_exactly_the_core_fields() {
        let mut documented = properties::<EndpointOptionsSchema>();
        let mut core: Vec<String> = options::ENDPOINT_FIELDS.map(String::from).to_vec();
        documented.sort();
        core.sort();
        assert_eq!(documented, core, "EndpointOptions drifted from hookd_core");

        let mut documented = properties::<RetryPolicySchema>();
        let mut core: Vec<String> = retry::FIELDS.map(String::from).to_vec();
        documented.sort();
        core.sort();
        assert_eq!(documented, core, "RetryPolicy drifted from hookd_core");

        assert_eq!(properties::<EnvelopeSchema>(), envelope::FIELDS.to_vec());
        assert_eq!(
            properties::<EventTypeOptionsSchema>(),
            options::EVENT_TYPE_FIELDS.to_vec()
        );
    }

    /// The bounds the document states are the core's: written as numbers in the attributes
    /// above (utoipa takes literals there), held to the constants here.
    #[test]
    fn option_schemas_state_the_core_bounds() {
        use serde_json::{json, Value};
        let doc: Value = serde_json::from_str(crate::api::openapi::document_json()).unwrap();
        let schemas = &doc["components"]["schemas"];
        let ep = &schemas["EndpointOptions"]["properties"];
        assert_eq!(ep["timeoutMs"]["minimum"], json!(options::MIN_TIMEOUT_MS));
        assert_eq!(ep["timeoutMs"]["maximum"], json!(options::MAX_TIMEOUT_MS));
        assert_eq!(
            ep["successStatusCodes"]["maxItems"],
            json!(options::MAX_SUCCESS_CODES)
        );
        assert_eq!(ep["auth"]["maxItems"], json!(options::MAX_AUTH_SCHEMES));
        assert_eq!(
            ep["contentType"]["maxLength"],
            json!(options::MAX_CONTENT_TYPE_LEN)
        );
        let policy = &schemas["RetryPolicy"]["properties"];
        assert_eq!(
            policy["delaysSecs"]["maxItems"],
            json!(retry::MAX_ATTEMPTS - 1),
            "one delay per retry after the first attempt"
        );
        for (field, max) in [
            ("baseSecs", retry::MAX_DELAY_SECS),
            ("incrementSecs", retry::MAX_DELAY_SECS),
            ("capSecs", retry::MAX_DELAY_SECS),
            ("maxAttempts", u64::from(retry::MAX_ATTEMPTS)),
            ("maxAgeSecs", retry::MAX_AGE_SECS),
        ] {
            assert_eq!(policy[field]["maximum"], json!(max), "{field}");
        }
        assert_eq!(
            schemas["DelaySecs"]["maximum"],
            json!(retry::MAX_DELAY_SECS)
        );
        assert_eq!(
            policy["factor"]["maximum"].as_f64(),
            Some(retry::MAX_FACTOR)
        );
        assert_eq!(
            policy["jitter"]["maximum"].as_f64(),
            Some(retry::MAX_JITTER_FRACTION)
        );
        let static_header = schemas["AuthScheme"]["oneOf"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["properties"]["type"]["enum"][0] == "staticHeader")
            .unwrap();
        assert_eq!(
            static_header["properties"]["value"]["maxLength"],
            json!(options::MAX_SECRET_LEN)
        );
    }

    #[test]
    fn list_envelopes_take_svix_names() {
        assert_eq!(
            ListResponse::<EmptyResponse>::name(),
            "ListResponse_EmptyResponse_"
        );
    }
}
