//! Builds the HTTP request of one attempt from an endpoint, a message and the envelope that
//! applies: the URL exactly as registered, the body (the payload byte for byte, or the rendered
//! envelope), the headers and the timeout.
//!
//! Headers, in the order that decides who wins a clash: the endpoint's custom headers (Svix's
//! headers resource), then the message's own (`transformationsParams.headers`, which replace
//! endpoint headers of the same name: the publisher chose them for this message), then
//! hookd's own — `Content-Type` (the message's `content-type` header if it set one, else the
//! endpoint's `contentType` option, `application/json` by default, none when it is empty),
//! `User-Agent`, the Standard Webhooks headers when the endpoint signs with them — and last
//! the secret headers of the endpoint's authentication schemes. The signature covers the body
//! actually sent; a raw payload is that body byte for byte, never rendered through an
//! envelope.
//!
//! The workers and the synchronous test send share this, so a test send is the real request.
//! This module must not perform I/O, touch the store or decide retries.

use std::time::Duration;

use hookd_core::{
    envelope::{Context, Envelope, TemplateError},
    model::{Endpoint, Message, MASKED, SENSITIVE_HEADERS},
    signing, Timestamp,
};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE, USER_AGENT};

/// What hookd calls itself on the wire.
pub const USER_AGENT_VALUE: &str = concat!("hookd/", env!("CARGO_PKG_VERSION"));

/// What a message whose payload was expunged is sent as, so that a late retry still reaches
/// the receiver with valid JSON.
const EXPUNGED_BODY: &str = "{}";

/// Why no request could be built; the text is what the attempt records.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The stored URL does not parse (it cannot: it was validated when stored).
    #[error("invalid endpoint URL: {0}")]
    Url(#[from] url::ParseError),
    /// A stored header name or value cannot be sent.
    #[error("invalid header '{0}'")]
    Header(String),
    /// The envelope could not be rendered.
    #[error("the envelope could not be rendered: {0}")]
    Envelope(#[from] TemplateError),
}

/// One attempt's request, ready to send.
#[derive(Debug, Clone)]
pub struct Outbound {
    /// Where it goes, exactly as the endpoint was registered.
    pub url: url::Url,
    /// The URL as hookd may show or record it (query secrets redacted).
    pub display_url: String,
    /// Every header hookd sets.
    pub headers: HeaderMap,
    /// The body.
    pub body: String,
    /// How long the receiver may take, body included.
    pub timeout: Duration,
}

impl Outbound {
    /// The headers as an attempt records them: every header, in order, with the values of
    /// secrets (authentication schemes' headers, and custom headers Svix counts as sensitive)
    /// replaced by [`MASKED`]. Signatures are kept: they prove nothing without the secret
    /// and are what a receiver debugging a verification failure needs to see.
    pub fn recorded_headers(&self) -> Vec<(String, String)> {
        self.headers
            .iter()
            .map(|(name, value)| {
                let secret = value.is_sensitive() || SENSITIVE_HEADERS.contains(&name.as_str());
                let shown = if secret {
                    MASKED.to_owned()
                } else {
                    String::from_utf8_lossy(value.as_bytes()).into_owned()
                };
                (name.as_str().to_owned(), shown)
            })
            .collect()
    }
}

fn header(name: &str, value: &str) -> Result<(HeaderName, HeaderValue), BuildError> {
    let n = HeaderName::from_bytes(name.as_bytes()).map_err(|_| BuildError::Header(name.into()))?;
    let v = HeaderValue::from_str(value).map_err(|_| BuildError::Header(name.into()))?;
    Ok((n, v))
}

/// The body of `message` for `endpoint`: the payload as published, or `envelope` rendered.
pub fn body(
    endpoint: &Endpoint,
    message: &Message,
    envelope: Option<&Envelope>,
) -> Result<String, BuildError> {
    let payload = message.payload.as_deref().unwrap_or(EXPUNGED_BODY);
    // A raw body is sent as published: an envelope embeds JSON, and a raw body need not be.
    let Some(envelope) = envelope.filter(|_| !message.extras.raw_payload) else {
        return Ok(payload.to_owned());
    };
    let ctx = Context {
        msg_id: message.id.as_str(),
        event_id: message.event_id.as_deref(),
        event_type: &message.event_type,
        timestamp: message.created_at,
        channels: message.channels.as_deref(),
        payload,
        endpoint_id: endpoint.id.as_str(),
        endpoint_uid: endpoint.uid.as_deref(),
        app_id: endpoint.app_id.as_str(),
    };
    Ok(envelope.render(&ctx)?)
}

/// Builds the request of an attempt made at `now`; `default_timeout` applies when the endpoint
/// sets none.
pub fn build(
    endpoint: &Endpoint,
    message: &Message,
    envelope: Option<&Envelope>,
    now: Timestamp,
    default_timeout: Duration,
) -> Result<Outbound, BuildError> {
    let options = &endpoint.options;
    let url = url::Url::parse(&endpoint.url)?;
    let body = body(endpoint, message, envelope)?;
    let mut headers = HeaderMap::new();
    for (name, value) in &endpoint.headers {
        let (n, v) = header(name, value)?;
        headers.insert(n, v);
    }
    headers.remove(CONTENT_TYPE);
    // The message's headers were checked when it was published: none is one hookd sets below
    // except `content-type`, which is how a raw payload says what it is.
    let mut content_type = options.content_type().map(str::to_owned);
    for (name, value) in &message.extras.headers {
        if name.eq_ignore_ascii_case("content-type") {
            content_type = Some(value.clone());
            continue;
        }
        let (n, v) = header(name, value)?;
        headers.insert(n, v);
    }
    if let Some(ct) = content_type {
        headers.insert(CONTENT_TYPE, header("content-type", &ct)?.1);
    }
    headers.insert(USER_AGENT, HeaderValue::from_static(USER_AGENT_VALUE));
    if options.signs_standard_webhooks() {
        let msg_id = message.id.as_str();
        let timestamp = now.timestamp();
        let signature = signing::signature_header(
            &endpoint.signing_secrets(now),
            msg_id,
            timestamp,
            body.as_bytes(),
        );
        let ts = timestamp.to_string();
        for (name, value) in [
            ("webhook-id", msg_id),
            ("webhook-timestamp", ts.as_str()),
            ("webhook-signature", signature.as_str()),
            ("svix-id", msg_id),
            ("svix-timestamp", ts.as_str()),
            ("svix-signature", signature.as_str()),
        ] {
            let (n, v) = header(name, value)?;
            headers.insert(n, v);
        }
    }
    for (name, value) in options.auth_headers() {
        let (n, mut v) = header(name, value)?;
        // Keeps the secret out of any debug output of the request.
        v.set_sensitive(true);
        headers.insert(n, v);
    }
    Ok(Outbound {
        display_url: options.display_url(&endpoint.url),
        url,
        headers,
        body,
        timeout: options.timeout(default_timeout),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use hookd_core::{
        clock::{Clock, ManualClock},
        id::{AppId, EndpointId, MsgId},
    };
    use std::collections::BTreeMap;

    fn endpoint(options: &str) -> Endpoint {
        let now = ManualClock::at_epoch().now();
        Endpoint {
            id: EndpointId::from_trusted("ep_1"),
            app_id: AppId::from_trusted("app_1"),
            uid: None,
            url: "https://c.example/hook?secret=a%2Fb".into(),
            description: String::new(),
            disabled: false,
            throttle_rate: None,
            event_types: None,
            channels: None,
            metadata: BTreeMap::new(),
            headers: BTreeMap::from([("X-Tenant".to_owned(), "acme".to_owned())]),
            secret: "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD".into(),
            old_secrets: vec![],
            options: serde_json::from_str(options).unwrap(),
            failing_since: None,
            created_at: now,
            updated_at: now,
        }
    }

    fn message() -> Message {
        Message {
            id: MsgId::from_trusted("msg_1"),
            app_id: AppId::from_trusted("app_1"),
            event_id: None,
            event_type: "a.b".into(),
            payload: Some(r#"{"x": 1}"#.into()),
            channels: None,
            payload_expires_at: None,
            created_at: ManualClock::at_epoch().now(),
            extras: Default::default(),
        }
    }

    #[test]
    fn default_is_a_svix_request() {
        let ep = endpoint("{}");
        let out = build(
            &ep,
            &message(),
            None,
            ep.created_at,
            Duration::from_secs(15),
        )
        .unwrap();
        assert_eq!(out.body, r#"{"x": 1}"#);
        assert_eq!(out.headers["content-type"], "application/json");
        assert!(out.headers.contains_key("webhook-signature"));
        assert!(out.headers.contains_key("svix-id"));
        assert_eq!(out.headers["x-tenant"], "acme");
        assert_eq!(out.timeout, Duration::from_secs(15));
        assert_eq!(out.url.as_str(), ep.url);
    }

    #[test]
    fn schemes_replace_signatures_and_secrets_stay_hidden() {
        let ep = endpoint(
            r#"{"timeoutMs":30000,"contentType":"","auth":[{"type":"staticHeader","header":"Postpress-Auth","value":"k"},{"type":"querySecret","param":"secret"}]}"#,
        );
        let out = build(
            &ep,
            &message(),
            None,
            ep.created_at,
            Duration::from_secs(15),
        )
        .unwrap();
        assert!(!out.headers.contains_key("webhook-signature"));
        assert!(!out.headers.contains_key("content-type"));
        assert_eq!(out.headers["postpress-auth"], "k");
        assert!(out.headers["postpress-auth"].is_sensitive());
        assert_eq!(out.timeout, Duration::from_secs(30));
        assert_eq!(out.url.as_str(), "https://c.example/hook?secret=a%2Fb");
        assert_eq!(out.display_url, "https://c.example/hook?secret=REDACTED");
        let recorded = out.recorded_headers();
        assert!(recorded.contains(&("postpress-auth".into(), MASKED.into())));
        assert!(!recorded.iter().any(|(_, v)| v == "k"), "{recorded:?}");
    }

    #[test]
    fn raw_bodies_are_sent_as_published_with_the_message_headers() {
        let mut ep = endpoint("{}");
        ep.headers.insert("X-Shared".into(), "endpoint".into());
        let mut msg = message();
        msg.payload = Some("name=Ada&plan=pro%20max".into());
        msg.extras.raw_payload = true;
        msg.extras.headers = BTreeMap::from([
            (
                "Content-Type".to_owned(),
                "application/x-www-form-urlencoded".to_owned(),
            ),
            ("x-shared".to_owned(), "message".to_owned()),
            ("X-Only-Message".to_owned(), "1".to_owned()),
        ]);
        let envelope: Envelope =
            serde_json::from_str(r#"{"template":{"data":"{{payload}}"}}"#).unwrap();
        let out = build(
            &ep,
            &msg,
            Some(&envelope),
            ep.created_at,
            Duration::from_secs(15),
        )
        .unwrap();
        assert_eq!(
            out.body, "name=Ada&plan=pro%20max",
            "no envelope for a raw body"
        );
        assert_eq!(
            out.headers["content-type"],
            "application/x-www-form-urlencoded"
        );
        assert_eq!(
            out.headers["x-shared"], "message",
            "the message's header wins"
        );
        assert_eq!(out.headers["x-tenant"], "acme");
        assert_eq!(out.headers["x-only-message"], "1");
        let sig = out.headers["webhook-signature"].to_str().unwrap();
        let expected = signing::signature_header(
            &ep.signing_secrets(ep.created_at),
            "msg_1",
            ep.created_at.timestamp(),
            b"name=Ada&plan=pro%20max",
        );
        assert_eq!(sig, expected, "signed over the raw bytes");
        // Without a content-type of its own, a raw body goes as the endpoint's type.
        msg.extras.headers.clear();
        let out = build(&ep, &msg, None, ep.created_at, Duration::from_secs(15)).unwrap();
        assert_eq!(out.headers["content-type"], "application/json");
    }

    #[test]
    fn recorded_headers_mask_credentials_and_keep_the_rest() {
        let mut ep = endpoint("{}");
        ep.headers
            .insert("Authorization".into(), "Bearer s3cret".into());
        let out = build(
            &ep,
            &message(),
            None,
            ep.created_at,
            Duration::from_secs(15),
        )
        .unwrap();
        let recorded = out.recorded_headers();
        let get = |n: &str| {
            recorded
                .iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("authorization"), Some(MASKED));
        assert_eq!(get("x-tenant"), Some("acme"));
        assert_eq!(get("webhook-id"), Some("msg_1"));
        assert!(get("webhook-signature").unwrap().starts_with("v1,"));
        assert_eq!(recorded.len(), out.headers.len());
    }
}
