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

/// A small cursor over a string that only ever stops on character boundaries.
struct Cursor<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn rest(&self) -> &'a str {
        self.s.get(self.pos..).unwrap_or("")
    }
    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }
    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }
    fn eat(&mut self, prefix: &str) -> bool {
        if self.rest().starts_with(prefix) {
            self.pos += prefix.len();
            true
        } else {
            false
        }
    }
    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.bump();
        }
    }
    fn err(&self, msg: impl Into<String>) -> TemplateError {
        TemplateError::Syntax {
            at: self.s.get(..self.pos).map_or(0, |p| p.chars().count()),
            msg: msg.into(),
        }
    }
    /// A quoted literal (`"…"` or `'…'`) with `\` escaping the next character.
    fn literal(&mut self) -> Result<String, TemplateError> {
        let quote = self.bump().ok_or_else(|| self.err("expected a quote"))?;
        let mut out = String::new();
        loop {
            match self.bump() {
                None => return Err(self.err("unterminated string literal")),
                Some('\\') => match self.bump() {
                    Some(c) => out.push(c),
                    None => return Err(self.err("unterminated string literal")),
                },
                Some(c) if c == quote => return Ok(out),
                Some(c) => out.push(c),
            }
        }
    }
    fn ident(&mut self) -> String {
        let mut out = String::new();
        while let Some(c) = self.peek() {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '$' || c == '@' {
                out.push(c);
                self.bump();
            } else {
                break;
            }
        }
        out
    }
}

/// Splits a template string into text and placeholders, checking every placeholder.
pub fn parse_pieces(s: &str) -> Result<Vec<Piece>, TemplateError> {
    let mut cur = Cursor { s, pos: 0 };
    let mut pieces = Vec::new();
    let mut text = String::new();
    while let Some(c) = cur.peek() {
        if cur.eat("{{") {
            if !text.is_empty() {
                pieces.push(Piece::Text(std::mem::take(&mut text)));
            }
            pieces.push(Piece::Expr(parse_expr(&mut cur)?));
        } else {
            text.push(c);
            cur.bump();
        }
    }
    if !text.is_empty() {
        pieces.push(Piece::Text(text));
    }
    Ok(pieces)
}

fn parse_expr(cur: &mut Cursor) -> Result<Expr, TemplateError> {
    cur.skip_ws();
    if matches!(cur.peek(), Some('"' | '\'')) {
        let literal = cur.literal()?;
        cur.skip_ws();
        if !cur.eat("}}") {
            return Err(cur.err("expected '}}' after a literal (literals take no filter)"));
        }
        return Ok(Expr::Literal(literal));
    }
    let mut segments = Vec::new();
    loop {
        if cur.eat("[") {
            cur.skip_ws();
            if !matches!(cur.peek(), Some('"' | '\'')) {
                return Err(cur.err("expected a quoted key after '['"));
            }
            segments.push(cur.literal()?);
            cur.skip_ws();
            if !cur.eat("]") {
                return Err(cur.err("expected ']'"));
            }
        } else {
            let name = cur.ident();
            if name.is_empty() {
                return Err(cur.err("expected a field name"));
            }
            segments.push(name);
        }
        if cur.eat(".") {
            continue;
        }
        if cur.peek() == Some('[') {
            continue;
        }
        break;
    }
    let field = resolve_field(&segments)?;
    cur.skip_ws();
    let filter = if cur.eat("|") {
        cur.skip_ws();
        let name = cur.ident();
        cur.skip_ws();
        let arg = if cur.eat(":") {
            cur.skip_ws();
            if !matches!(cur.peek(), Some('"' | '\'')) {
                return Err(cur.err("a filter argument must be a quoted string"));
            }
            Some(cur.literal()?)
        } else {
            None
        };
        cur.skip_ws();
        resolve_filter(&field, &name, arg)?
    } else {
        Filter::None
    };
    if !cur.eat("}}") {
        return Err(cur.err("expected '}}'"));
    }
    Ok(Expr::Field(field, filter))
}

fn resolve_field(segments: &[String]) -> Result<Field, TemplateError> {
    let parts: Vec<&str> = segments.iter().map(String::as_str).collect();
    let field = match parts.as_slice() {
        ["payload", rest @ ..] => {
            return Ok(Field::Payload(
                rest.iter().map(|s| (*s).to_owned()).collect(),
            ))
        }
        ["msg", "id"] => Field::MsgId,
        ["msg", "uuid"] => Field::MsgUuid,
        ["msg", "eventId"] => Field::EventId,
        ["msg", "eventType"] => Field::EventType,
        ["msg", "timestamp"] => Field::Timestamp,
        ["msg", "channels"] => Field::Channels,
        ["endpoint", "id"] => Field::EndpointId,
        ["endpoint", "uid"] => Field::EndpointUid,
        ["app", "id"] => Field::AppId,
        _ => return Err(TemplateError::UnknownField(segments.join("."))),
    };
    Ok(field)
}

fn resolve_filter(field: &Field, name: &str, arg: Option<String>) -> Result<Filter, TemplateError> {
    let timestamp_only = |f: Filter| {
        if *field == Field::Timestamp {
            Ok(f)
        } else {
            Err(TemplateError::BadFilter(format!(
                "the filter '{name}' applies to msg.timestamp only"
            )))
        }
    };
    let no_arg = |f: Filter| match &arg {
        None => Ok(f),
        Some(_) => Err(TemplateError::BadFilter(format!(
            "the filter '{name}' takes no argument"
        ))),
    };
    match name {
        "date" => {
            let pattern = arg.clone().ok_or_else(|| {
                TemplateError::BadFilter(
                    "the filter 'date' needs a strftime pattern, e.g. date: \"%Y-%m-%dT%H:%M:%S%:z\""
                        .into(),
                )
            })?;
            if pattern.is_empty()
                || StrftimeItems::new(&pattern).any(|item| matches!(item, Item::Error))
            {
                return Err(TemplateError::BadFilter(format!(
                    "'{pattern}' is not a valid strftime pattern"
                )));
            }
            timestamp_only(Filter::Date(pattern))
        }
        "unix" => no_arg(Filter::Unix).and_then(timestamp_only),
        "unixMs" => no_arg(Filter::UnixMs).and_then(timestamp_only),
        "json" => no_arg(Filter::Json),
        "" => Err(TemplateError::BadFilter(
            "expected a filter name after '|'".into(),
        )),
        other => Err(TemplateError::UnknownFilter(other.to_owned())),
    }
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

/// A field's value while rendering.
enum Value<'a> {
    Null,
    Str(Cow<'a, str>),
    /// JSON text copied as is (a payload part, a number, an array).
    Raw(Cow<'a, str>),
}

/// The part of the payload at `path`, as the exact text the publisher sent.
fn payload_at<'a>(payload: &'a str, path: &[String]) -> Option<&'a str> {
    let mut current: &'a RawValue = serde_json::from_str(payload).ok()?;
    for segment in path {
        let text: &'a str = current.get();
        current = match text.trim_start().as_bytes().first() {
            Some(b'{') => {
                let map: BTreeMap<String, &'a RawValue> = serde_json::from_str(text).ok()?;
                *map.get(segment)?
            }
            Some(b'[') => {
                let items: Vec<&'a RawValue> = serde_json::from_str(text).ok()?;
                *items.get(segment.parse::<usize>().ok()?)?
            }
            _ => return None,
        };
    }
    Some(current.get())
}

fn json_string(s: &str) -> String {
    // Serializing a string cannot fail.
    serde_json::to_string(s).unwrap_or_else(|_| String::from("\"\""))
}

fn value_of<'a>(field: &Field, filter: &Filter, ctx: &Context<'a>) -> Value<'a> {
    let value = match field {
        Field::MsgId => Value::Str(Cow::Borrowed(ctx.msg_id)),
        Field::MsgUuid => Value::Str(Cow::Owned(msg_uuid(ctx.msg_id))),
        Field::EventId => ctx
            .event_id
            .map_or(Value::Null, |s| Value::Str(Cow::Borrowed(s))),
        Field::EventType => Value::Str(Cow::Borrowed(ctx.event_type)),
        Field::Timestamp => match filter {
            Filter::Date(pattern) => {
                let mut out = String::new();
                // The pattern was checked when the template was; a failure here yields "".
                let _ = write!(out, "{}", ctx.timestamp.format(pattern));
                Value::Str(Cow::Owned(out))
            }
            Filter::Unix => Value::Raw(Cow::Owned(ctx.timestamp.timestamp().to_string())),
            Filter::UnixMs => Value::Raw(Cow::Owned(ctx.timestamp.timestamp_millis().to_string())),
            _ => Value::Str(Cow::Owned(
                ctx.timestamp
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            )),
        },
        Field::Channels => match ctx.channels {
            None => Value::Null,
            Some(list) => Value::Raw(Cow::Owned(
                serde_json::to_string(list).unwrap_or_else(|_| "[]".into()),
            )),
        },
        Field::EndpointId => Value::Str(Cow::Borrowed(ctx.endpoint_id)),
        Field::EndpointUid => ctx
            .endpoint_uid
            .map_or(Value::Null, |s| Value::Str(Cow::Borrowed(s))),
        Field::AppId => Value::Str(Cow::Borrowed(ctx.app_id)),
        Field::Payload(path) => match payload_at(ctx.payload, path) {
            Some(raw) => Value::Raw(Cow::Borrowed(raw)),
            None => Value::Null,
        },
    };
    if *filter == Filter::Json {
        return Value::Str(Cow::Owned(match value {
            Value::Null => "null".to_owned(),
            Value::Str(s) => json_string(&s),
            Value::Raw(r) => r.into_owned(),
        }));
    }
    value
}

/// Output with a size limit, checked as it grows.
struct Out {
    text: String,
}

impl Out {
    fn push(&mut self, s: &str) -> Result<(), TemplateError> {
        if self.text.len() + s.len() > MAX_RENDERED_BYTES {
            return Err(TemplateError::TooLarge);
        }
        self.text.push_str(s);
        Ok(())
    }
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

fn violation(loc: &[String], msg: impl Into<String>) -> Violation {
    Violation {
        loc: loc.to_vec(),
        msg: msg.into(),
        kind: "value_error".into(),
    }
}

fn check_node(
    node: &Node,
    loc: &mut Vec<String>,
    depth: usize,
    placeholders: &mut usize,
    out: &mut Vec<Violation>,
) {
    if depth > MAX_TEMPLATE_DEPTH {
        out.push(violation(
            loc,
            format!("nests deeper than {MAX_TEMPLATE_DEPTH} levels"),
        ));
        return;
    }
    match node {
        Node::String(s) => match parse_pieces(s) {
            Ok(pieces) => {
                *placeholders += pieces
                    .iter()
                    .filter(|p| matches!(p, Piece::Expr(_)))
                    .count()
            }
            Err(e) => out.push(violation(loc, e.to_string())),
        },
        Node::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                loc.push(i.to_string());
                check_node(item, loc, depth + 1, placeholders, out);
                loc.pop();
            }
        }
        Node::Object(fields) => {
            let mut seen = std::collections::HashSet::new();
            for (key, value) in fields {
                loc.push(key.clone());
                if !seen.insert(key.as_str()) {
                    out.push(violation(loc, "this key appears twice"));
                }
                check_node(value, loc, depth + 1, placeholders, out);
                loc.pop();
            }
        }
        Node::Null | Node::Bool(_) | Node::Number(_) => {}
    }
}

fn render_node(node: &Node, ctx: &Context, out: &mut Out) -> Result<(), TemplateError> {
    match node {
        Node::Null => out.push("null"),
        Node::Bool(b) => out.push(if *b { "true" } else { "false" }),
        Node::Number(n) => out.push(&n.to_string()),
        Node::String(s) => render_string(s, ctx, out),
        Node::Array(items) => {
            out.push("[")?;
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(",")?;
                }
                render_node(item, ctx, out)?;
            }
            out.push("]")
        }
        Node::Object(fields) => {
            out.push("{")?;
            for (i, (key, value)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(",")?;
                }
                out.push(&json_string(key))?;
                out.push(":")?;
                render_node(value, ctx, out)?;
            }
            out.push("}")
        }
    }
}

fn render_string(s: &str, ctx: &Context, out: &mut Out) -> Result<(), TemplateError> {
    // A stored template was validated; should one not parse, its text is sent as written
    // rather than failing the delivery.
    let Ok(pieces) = parse_pieces(s) else {
        return out.push(&json_string(s));
    };
    if let [Piece::Expr(expr)] = pieces.as_slice() {
        return match expr {
            Expr::Literal(text) => out.push(&json_string(text)),
            Expr::Field(field, filter) => match value_of(field, filter, ctx) {
                Value::Null => out.push("null"),
                Value::Str(text) => out.push(&json_string(&text)),
                Value::Raw(raw) => out.push(raw.trim()),
            },
        };
    }
    let mut text = String::new();
    for piece in &pieces {
        match piece {
            Piece::Text(t) => text.push_str(t),
            Piece::Expr(Expr::Literal(t)) => text.push_str(t),
            Piece::Expr(Expr::Field(field, filter)) => match value_of(field, filter, ctx) {
                Value::Null => {}
                Value::Str(s) => text.push_str(&s),
                // A JSON string is interpolated as its content, anything else as its text.
                Value::Raw(raw) => match serde_json::from_str::<String>(&raw) {
                    Ok(s) => text.push_str(&s),
                    Err(_) => text.push_str(raw.trim()),
                },
            },
        }
        if text.len() > MAX_RENDERED_BYTES {
            return Err(TemplateError::TooLarge);
        }
    }
    out.push(&json_string(&text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{rngs::StdRng, Rng, SeedableRng};

    fn envelope(json: &str) -> Envelope {
        let e: Envelope = serde_json::from_str(json).unwrap();
        assert_eq!(e.validate(&["envelope"]), vec![], "{json}");
        e
    }

    fn ctx(payload: &str) -> Context<'_> {
        Context {
            msg_id: "msg_2bX9",
            event_id: None,
            event_type: "shop.incoming_message",
            timestamp: chrono::DateTime::parse_from_rfc3339("2021-11-04T21:52:41.025Z")
                .unwrap()
                .to_utc(),
            channels: None,
            payload,
            endpoint_id: "ep_1",
            endpoint_uid: Some("89066f0a-eb36-4ed8-b98c-606e6dcac715"),
            app_id: "app_1",
        }
    }

    #[test]
    fn postscript_envelope_renders_in_order_with_the_exact_payload() {
        let e = envelope(
            r#"{"template":{"webhook_id":"{{ endpoint.uid }}","resource_type":"shop","resource_id":"{{ payload.shop_id }}","event_time":"{{ msg.timestamp | date: \"%Y-%m-%dT%H:%M:%S%.6f\" }}","event":"{{ msg.eventType }}","event_data":"{{ payload }}"}}"#,
        );
        let payload = r#"{"id": "im_1", "shop_id": "shop_1234567abcd", "n": 1.50}"#;
        assert_eq!(
            e.render(&ctx(payload)).unwrap(),
            r#"{"webhook_id":"89066f0a-eb36-4ed8-b98c-606e6dcac715","resource_type":"shop","resource_id":"shop_1234567abcd","event_time":"2021-11-04T21:52:41.025000","event":"shop.incoming_message","event_data":{"id": "im_1", "shop_id": "shop_1234567abcd", "n": 1.50}}"#
        );
        // The stored form keeps the key order too.
        let stored = serde_json::to_string(&e).unwrap();
        let back: Envelope = serde_json::from_str(&stored).unwrap();
        assert_eq!(back, e);
        assert!(stored.find("webhook_id").unwrap() < stored.find("event_data").unwrap());
    }

    #[test]
    fn postmen_envelope() {
        let e = envelope(
            r#"{"template":{"event":"{{msg.eventType}}","date_time":"{{msg.timestamp|date:'%Y-%m-%dT%H:%M:%S%:z'}}","meta":"{{payload.meta}}","data":"{{payload.data}}"}}"#,
        );
        let mut c = ctx(r#"{"meta":{"code":4713},"data":{"id":"x"}}"#);
        c.event_type = "calculate_rates";
        assert_eq!(
            e.render(&c).unwrap(),
            r#"{"event":"calculate_rates","date_time":"2021-11-04T21:52:41+00:00","meta":{"code":4713},"data":{"id":"x"}}"#
        );
    }

    #[test]
    fn fields_filters_interpolation_and_missing_paths() {
        let e = envelope(
            r#"{"template":{"a":"id {{ msg.id }} at {{ msg.timestamp | unix }}","b":"{{ payload.items.1 }}","c":"{{ payload.nope.deeper }}","d":"x{{ payload.nope }}y","e":"{{ payload[\"odd key\"] }}","f":"{{ msg.eventId }}","g":"{{ \"{{\" }} literal","h":"{{ payload.items | json }}","i":"{{ msg.timestamp }}","j":"{{ msg.timestamp | unixMs }}","k":"{{ payload.s }}!","l":[1,true,null,"{{app.id}}"],"m":"{{ msg.uuid }}"}}"#,
        );
        let out = e
            .render(&ctx(r#"{"items":[1,{"x":2}],"odd key":"v","s":"q\"uote"}"#))
            .unwrap();
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["a"], "id msg_2bX9 at 1636062761");
        assert_eq!(v["b"], serde_json::json!({"x": 2}));
        assert_eq!(v["c"], serde_json::Value::Null);
        assert_eq!(v["d"], "xy");
        assert_eq!(v["e"], "v");
        assert_eq!(v["f"], serde_json::Value::Null);
        assert_eq!(v["g"], "{{ literal");
        assert_eq!(v["h"], r#"[1,{"x":2}]"#);
        assert_eq!(v["i"], "2021-11-04T21:52:41.025Z");
        assert_eq!(v["j"], 1_636_062_761_025_i64);
        assert_eq!(v["k"], "q\"uote!");
        assert_eq!(v["l"], serde_json::json!([1, true, null, "app_1"]));
        assert_eq!(v["m"].as_str().unwrap().len(), 36);
        assert_eq!(v["m"], msg_uuid("msg_2bX9"));
        assert_eq!(&msg_uuid("msg_2bX9")[14..15], "8", "version 8");
    }

    #[test]
    fn identity_envelope_is_byte_exact() {
        let e = envelope(r#"{"template":"{{ payload }}"}"#);
        let payload = r#"{ "b": 1,   "a": [1.0] }"#;
        assert_eq!(e.render(&ctx(payload)).unwrap(), payload);
    }

    #[test]
    fn bad_templates_name_where() {
        let cases = [
            (
                r#"{"template":{"a":{"b":"{{ msg.nope }}"}}}"#,
                "b",
                "unknown field",
            ),
            (r#"{"template":{"a":"{{ payload"}}"#, "a", "expected"),
            (
                r#"{"template":{"a":"{{ msg.id | date: \"%Y\" }}"}}"#,
                "a",
                "msg.timestamp only",
            ),
            (
                r#"{"template":{"a":"{{ msg.timestamp | date: \"%Q\" }}"}}"#,
                "a",
                "strftime",
            ),
            (
                r#"{"template":{"a":"{{ msg.timestamp | shout }}"}}"#,
                "a",
                "unknown filter",
            ),
            (r#"{"template":{"a":"{{ \"x }}"}}"#, "a", "unterminated"),
            (r#"{"template":[1]}"#, "template", "JSON object"),
            (r#"{"template":{"a":1,"a":2}}"#, "a", "twice"),
        ];
        for (json, last, words) in cases {
            let e: Envelope = serde_json::from_str(json).unwrap();
            let v = e.validate(&["body", "envelope"]);
            assert!(
                v.iter().any(
                    |v| v.loc.last().map(String::as_str) == Some(last) && v.msg.contains(words)
                ),
                "{json}: {v:?}"
            );
        }
    }

    #[test]
    fn rendering_is_bounded() {
        let many: Vec<String> = (0..MAX_PLACEHOLDERS)
            .map(|_| "\"{{payload}}\"".into())
            .collect();
        let e: Envelope =
            serde_json::from_str(&format!(r#"{{"template":{{"a":[{}]}}}}"#, many.join(",")))
                .unwrap();
        assert_eq!(e.validate(&["e"]), vec![]);
        let big = format!(r#"{{"s":"{}"}}"#, "x".repeat(MAX_RENDERED_BYTES / 32));
        assert_eq!(e.render(&ctx(&big)), Err(TemplateError::TooLarge));
        let too_many: Vec<String> = (0..=MAX_PLACEHOLDERS)
            .map(|_| "\"{{payload}}\"".into())
            .collect();
        let e: Envelope = serde_json::from_str(&format!(
            r#"{{"template":{{"a":[{}]}}}}"#,
            too_many.join(",")
        ))
        .unwrap();
        assert!(!e.validate(&["e"]).is_empty());
    }

    /// A poor man's fuzzer: random strings over the template alphabet never make the parser
    /// panic, and whatever parses renders.
    #[test]
    fn the_parser_survives_random_input() {
        let alphabet: Vec<char> = "{}|:.[]\"'\\ msgpayloadidtimestampdateunixjson%Y-é💥"
            .chars()
            .collect();
        let mut rng = StdRng::seed_from_u64(7);
        for _ in 0..20_000 {
            let len = rng.gen_range(0..24);
            let s: String = (0..len)
                .map(|_| alphabet[rng.gen_range(0..alphabet.len())])
                .collect();
            if parse_pieces(&s).is_ok() {
                let e = Envelope {
                    template: Node::Object(vec![("k".into(), Node::String(s.clone()))]),
                };
                let out = e.render(&ctx(r#"{"a":1}"#)).unwrap();
                assert!(
                    serde_json::from_str::<serde_json::Value>(&out).is_ok(),
                    "{s:?} → {out}"
                );
            }
        }
    }
}
