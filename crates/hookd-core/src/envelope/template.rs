//! The placeholder language of templates: parsing a string into pieces, and checking a whole
//! template (depth, placeholders, filters) with every problem named where it is. Works on
//! `&str` with checked indices only, so it can be fuzzed. It must not render anything.

use super::*;

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

pub(super) fn violation(loc: &[String], msg: impl Into<String>) -> Violation {
    Violation {
        loc: loc.to_vec(),
        msg: msg.into(),
        kind: "value_error".into(),
    }
}

pub(super) fn check_node(
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
