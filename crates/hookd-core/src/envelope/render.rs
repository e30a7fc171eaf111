//! Rendering a checked template for one message and endpoint: payload values copied as the
//! publisher's exact bytes, the output bounded by [`MAX_RENDERED_BYTES`]. It must not parse
//! placeholders beyond what [`parse_pieces`] gives it.

use super::*;

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
pub(super) struct Out {
    pub(super) text: String,
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

pub(super) fn render_node(node: &Node, ctx: &Context, out: &mut Out) -> Result<(), TemplateError> {
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
