//! Payload envelopes: one general templating mechanism that wraps a message's payload the way a
//! vendor's webhooks always looked, so their receivers keep working unchanged.
//!
//! An envelope is a JSON template. Object keys, numbers, booleans and `null` are copied as
//! written; string values may hold placeholders `{{ field }}` or `{{ field | filter }}`:
//!
//! - a string that is exactly one placeholder becomes that field's JSON value (an object, a
//!   number, `null` …), e.g. `"event_data": "{{ payload }}"`;
//! - placeholders inside a longer string are interpolated as text, e.g. `"id: {{ msg.id }}"`.
//!
//! Fields: `msg.id`, `msg.uuid` (a UUID derived from the message id, stable across retries),
//! `msg.eventId`, `msg.eventType`, `msg.timestamp`, `msg.channels`, `endpoint.id`,
//! `endpoint.uid`, `app.id`, and `payload` with any path into it (`payload.order.id`,
//! `payload.items.0`, `payload["odd key"]`). Filters: `date: "<strftime>"`, `unix`, `unixMs`
//! (timestamps only) and `json` (any field, as a JSON text string). A literal `{{` is written
//! `{{ "{{" }}`.
//!
//! Payload values are copied as the exact bytes the publisher sent (key order, number
//! formatting), never re-serialized, and template objects keep their key order, so the body a
//! receiver gets is predictable to the byte. Rendering is total for a valid template: a missing
//! payload path is `null` (or empty text when interpolated), and the output is bounded by
//! [`MAX_RENDERED_BYTES`].
//!
//! The parser works on `&str` with checked indices only and returns errors for every input,
//! so it can be fuzzed directly ([`parse_pieces`]). This module must not perform I/O.

use std::{borrow::Cow, collections::BTreeMap, fmt::Write as _};

use chrono::format::{Item, StrftimeItems};
use serde::{
    de::{MapAccess, SeqAccess, Visitor},
    ser::{SerializeMap, SerializeSeq},
    Deserialize, Deserializer, Serialize, Serializer,
};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

use crate::{validate::Violation, Timestamp};

mod render;
mod template;
#[cfg(test)]
mod tests;

use render::{render_node, Out};
pub use template::parse_pieces;
use template::{check_node, violation};

/// The largest template, as JSON text: 64 KiB holds any envelope we have seen many times over
/// while keeping an options document small enough to read on every delivery.
pub const MAX_TEMPLATE_BYTES: usize = 64 * 1024;
/// The deepest nesting of a template; envelopes are shallow (the seeds' are two levels).
pub const MAX_TEMPLATE_DEPTH: usize = 32;
/// The most placeholders in one template. Each may copy the whole payload, so this bounds how
/// much larger than the payload a body can get.
pub const MAX_PLACEHOLDERS: usize = 64;
/// The largest body an envelope may render to: four times the largest payload the API accepts
/// by default (1 MiB), enough for an envelope that repeats parts of the payload, and a bound
/// on what one delivery can hold in memory.
pub const MAX_RENDERED_BYTES: usize = 4 * 1024 * 1024;

/// Why a template is not valid, or could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// A placeholder is malformed.
    #[error("invalid placeholder at character {at}: {msg}")]
    Syntax {
        /// The character offset in the string.
        at: usize,
        /// What is wrong.
        msg: String,
    },
    /// A placeholder names a field that does not exist.
    #[error("unknown field '{0}'; fields are msg.id, msg.uuid, msg.eventId, msg.eventType, msg.timestamp, msg.channels, endpoint.id, endpoint.uid, app.id and payload[.path]")]
    UnknownField(String),
    /// A placeholder names a filter that does not exist.
    #[error("unknown filter '{0}'; filters are date, unix, unixMs and json")]
    UnknownFilter(String),
    /// A filter does not apply to the field, or lacks its argument.
    #[error("{0}")]
    BadFilter(String),
    /// The rendered body would exceed [`MAX_RENDERED_BYTES`].
    #[error("the envelope renders to more than {MAX_RENDERED_BYTES} bytes")]
    TooLarge,
}

/// One JSON value of a template, with object keys in the order they were written.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as written.
    Number(serde_json::Number),
    /// A string, which may hold placeholders.
    String(String),
    /// An array.
    Array(Vec<Node>),
    /// An object, keys in order.
    Object(Vec<(String, Node)>),
}

impl Serialize for Node {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Null => s.serialize_unit(),
            Self::Bool(b) => s.serialize_bool(*b),
            Self::Number(n) => n.serialize(s),
            Self::String(text) => s.serialize_str(text),
            Self::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Self::Object(fields) => {
                let mut map = s.serialize_map(Some(fields.len()))?;
                for (k, v) in fields {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        Node::deserialize(d)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Node, E> {
        Ok(Node::Bool(b))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Node, E> {
        Ok(Node::Number(n.into()))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Node, E> {
        Ok(Node::Number(n.into()))
    }
    fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<Node, E> {
        serde_json::Number::from_f64(n)
            .map(Node::Number)
            .ok_or_else(|| E::custom("numbers must be finite"))
    }
    fn visit_str<E>(self, s: &str) -> Result<Node, E> {
        Ok(Node::String(s.to_owned()))
    }
    fn visit_string<E>(self, s: String) -> Result<Node, E> {
        Ok(Node::String(s))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut fields = Vec::new();
        while let Some((k, v)) = map.next_entry::<String, Node>()? {
            fields.push((k, v));
        }
        Ok(Node::Object(fields))
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

/// An envelope: how a message's payload is wrapped before it is sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope {
    /// The JSON template.
    pub template: Node,
}

/// The JSON field names an envelope may have, for the API's unknown-field check.
pub const FIELDS: [&str; 1] = ["template"];

/// A message field a placeholder can name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    /// `msg.id`: hookd's message id, also the `webhook-id`.
    MsgId,
    /// `msg.uuid`: a UUID derived from the message id.
    MsgUuid,
    /// `msg.eventId`: the publisher's idempotency key, or `null`.
    EventId,
    /// `msg.eventType`.
    EventType,
    /// `msg.timestamp`: when the message was accepted.
    Timestamp,
    /// `msg.channels`: an array of strings, or `null`.
    Channels,
    /// `endpoint.id`.
    EndpointId,
    /// `endpoint.uid`, or `null`.
    EndpointUid,
    /// `app.id`.
    AppId,
    /// `payload` and a path into it (empty for the whole payload).
    Payload(Vec<String>),
}

/// How a field's value is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    /// As the field's own JSON value (timestamps as Svix's RFC 3339 with milliseconds and `Z`).
    None,
    /// A timestamp formatted with a strftime pattern (checked when the template is).
    Date(String),
    /// A timestamp as whole seconds since the Unix epoch.
    Unix,
    /// A timestamp as milliseconds since the Unix epoch.
    UnixMs,
    /// Any value as a JSON text string.
    Json,
}

/// One placeholder's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    /// A quoted literal string, e.g. `{{ "{{" }}`.
    Literal(String),
    /// A field, maybe filtered.
    Field(Field, Filter),
}

/// A piece of a template string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Text copied as is.
    Text(String),
    /// A placeholder.
    Expr(Expr),
}

/// What a template is rendered with: the message and where it goes.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The message id.
    pub msg_id: &'a str,
    /// The publisher's `eventId`.
    pub event_id: Option<&'a str>,
    /// The event type.
    pub event_type: &'a str,
    /// When the message was accepted.
    pub timestamp: Timestamp,
    /// The message's channels.
    pub channels: Option<&'a [String]>,
    /// The payload's exact JSON text.
    pub payload: &'a str,
    /// The endpoint's id.
    pub endpoint_id: &'a str,
    /// The endpoint's uid.
    pub endpoint_uid: Option<&'a str>,
    /// The application's id.
    pub app_id: &'a str,
}

/// A UUID (version 8, RFC 9562) derived from a message id: the same for every attempt of the
/// message, for receivers that expect event ids to be UUIDs.
pub fn msg_uuid(msg_id: &str) -> String {
    let digest = Sha256::digest(msg_id.as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

impl Envelope {
    /// Every problem with this envelope, each naming where it is under `loc` (the path into
    /// the template, e.g. `[…, "envelope", "template", "event_time"]`).
    pub fn validate(&self, loc: &[&str]) -> Vec<Violation> {
        let mut base: Vec<String> = loc.iter().map(|s| (*s).to_owned()).collect();
        base.push("template".into());
        let mut out = Vec::new();
        let size = serde_json::to_string(&self.template).map_or(usize::MAX, |s| s.len());
        if size > MAX_TEMPLATE_BYTES {
            out.push(violation(
                &base,
                format!("must be at most {MAX_TEMPLATE_BYTES} bytes as JSON"),
            ));
            return out;
        }
        match &self.template {
            Node::Object(_) => {}
            Node::String(s) if matches!(parse_pieces(s).as_deref(), Ok([Piece::Expr(_)])) => {}
            _ => out.push(violation(
                &base,
                "must be a JSON object, or a string that is exactly one placeholder such as \"{{ payload }}\"",
            )),
        }
        let mut placeholders = 0;
        check_node(&self.template, &mut base, 0, &mut placeholders, &mut out);
        if placeholders > MAX_PLACEHOLDERS {
            out.push(violation(
                &base,
                format!("may hold at most {MAX_PLACEHOLDERS} placeholders"),
            ));
        }
        out
    }

    /// Renders the body for `ctx`. A validated template only fails when the result would be
    /// larger than [`MAX_RENDERED_BYTES`].
    pub fn render(&self, ctx: &Context) -> Result<String, TemplateError> {
        let mut out = Out {
            text: String::with_capacity(ctx.payload.len() + 256),
        };
        render_node(&self.template, ctx, &mut out)?;
        Ok(out.text)
    }
}
