//! Request extractors that turn raw input into typed values or Svix-shaped errors:
//! [`ApiJson`] for bodies, [`ApiPath`] for path parameters and [`QueryParams`] for the query
//! string (which has to accept repeated keys and comma-separated lists, as Svix does).
//!
//! Malformed JSON and wrong types are answered as Svix answers them: 422 with the location of
//! the offending value (`["body", "channels", "0"]`) and type `value_error.jsondecode`; a missing
//! required field is `value_error.missing` at its name. A field the wire type does not know is
//! refused, `value_error.unknown` at its name (Svix ignores such fields; hookd does not, so that
//! a newer SDK's field is never accepted and then silently not honoured). Query parameter names
//! are held to the document by [`super::declared`]. This module must not apply business rules;
//! resources validate the typed values.

use axum::{
    extract::{FromRequest, FromRequestParts, Path, Request},
    http::request::Parts,
};
use hookd_core::{
    delivery::MessageStatus,
    page::{ListQuery, Order, MAX_LIMIT},
    validate, Timestamp,
};
use serde::de::DeserializeOwned;

use crate::error::{ApiError, ApiResult, ValidationItem};

/// Parses a JSON body into `T`, reporting where it failed.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> ApiResult<T> {
    parse_json_at(bytes, &["body"])
}

/// Parses JSON found at `prefix` (e.g. `["body", "options"]`) into `T`, reporting failures
/// under that prefix. Every body and options object is a JSON object: an array is refused
/// here, because serde would otherwise read it as the struct's fields in declaration order
/// (`[null, null]` as a PATCH clearing the second field).
pub fn parse_json_at<T: DeserializeOwned>(bytes: &[u8], prefix: &[&str]) -> ApiResult<T> {
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return Err(ApiError::Validation(vec![ValidationItem {
            loc: prefix.iter().map(|s| (*s).to_owned()).collect(),
            msg: "must be a JSON object, not an array".into(),
            kind: "value_error.jsondecode".into(),
        }]));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| json_error(e, prefix))?;
    de.end().map_err(|e| {
        ApiError::Validation(vec![ValidationItem {
            loc: prefix.iter().map(|s| (*s).to_owned()).collect(),
            msg: e.to_string(),
            kind: "value_error.jsondecode".into(),
        }])
    })?;
    Ok(value)
}

fn json_error(e: serde_path_to_error::Error<serde_json::Error>, prefix: &[&str]) -> ApiError {
    use serde_path_to_error::Segment;
    let mut loc: Vec<String> = prefix.iter().map(|s| (*s).to_owned()).collect();
    for segment in e.path().iter() {
        match segment {
            Segment::Seq { index } => loc.push(index.to_string()),
            Segment::Map { key } => loc.push(key.clone()),
            Segment::Enum { variant } => loc.push(variant.clone()),
            Segment::Unknown => {}
        }
    }
    let msg = e.inner().to_string();
    // serde words a missing field as "missing field `url` at line 1 column 2"; Svix's clients
    // (and people) are better served by the field's location.
    if let Some(field) = msg
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next())
    {
        loc.push(field.to_owned());
        return ApiError::Validation(vec![ValidationItem {
            loc,
            msg: "field required".into(),
            kind: "value_error.missing".into(),
        }]);
    }
    // Wire types refuse names they do not know (`deny_unknown_fields`); serde words that as
    // "unknown field `x`, expected one of `a`, `b`". The item names the field itself, so that
    // a client learns which of its fields hookd would otherwise have dropped.
    if let Some((field, known)) = unknown_field(&msg) {
        // serde_path_to_error has usually recorded the key already; never name it twice.
        if loc.last() != Some(&field) {
            loc.push(field);
        }
        let loc: Vec<&str> = loc.iter().map(String::as_str).collect();
        return ApiError::Validation(vec![ValidationItem::unknown(&loc, "field", &known)]);
    }
    ApiError::Validation(vec![ValidationItem {
        loc,
        msg,
        kind: "value_error.jsondecode".into(),
    }])
}

/// The field and the accepted names of serde's unknown-field message, without the position
/// serde_json appends (" at line 1 column 9").
fn unknown_field(msg: &str) -> Option<(String, String)> {
    let rest = msg.strip_prefix("unknown field `")?;
    let (field, rest) = rest.split_once('`')?;
    let rest = rest.rsplit_once(" at line ").map_or(rest, |(head, _)| head);
    let known = rest
        .strip_prefix(", expected one of ")
        .or_else(|| rest.strip_prefix(", expected "))
        .unwrap_or_default()
        // Two names read "`a` or `b`"; more read "`a`, `b`, `c`".
        .replace("` or `", ", ")
        .replace('`', "");
    Some((field.to_owned(), known))
}

async fn body_bytes(req: Request) -> ApiResult<axum::body::Bytes> {
    // The size limit was enforced by the outer body-limit middleware.
    axum::body::to_bytes(req.into_body(), usize::MAX)
        .await
        .map_err(|_| ApiError::bad_request("generic_error", "Failed to read the request body."))
}

/// A JSON body of type `T`.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let bytes = body_bytes(req).await?;
        parse_json(&bytes).map(Self)
    }
}

/// A JSON body of type `T` whose fields are all optional, where an empty body counts as `{}`
/// (some clients send nothing at all for such operations).
#[derive(Debug)]
pub struct ApiJsonOrEmpty<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJsonOrEmpty<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let bytes = body_bytes(req).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return parse_json(b"{}").map(Self);
        }
        parse_json(&bytes).map(Self)
    }
}

/// Path parameters of type `T` (a `String` or a tuple of them).
#[derive(Debug)]
pub struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(v)| Self(v))
            .map_err(|e| ApiError::invalid(&["path"], e.body_text()))
    }
}

/// Checks an id-or-uid path parameter, so that garbage never reaches the store.
pub fn path_key(name: &str, value: &str) -> ApiResult<()> {
    validate::key(&["path", name], value, validate::MAX_KEY_LEN)?;
    Ok(())
}

/// The decoded query string, in order.
#[derive(Debug, Default)]
pub struct QueryParams {
    pairs: Vec<(String, String)>,
}

impl<S: Send + Sync> FromRequestParts<S> for QueryParams {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::parse(parts.uri.query().unwrap_or_default()))
    }
}

fn invalid_query(name: &str, msg: impl Into<String>) -> ApiError {
    ApiError::invalid(&["query", name], msg)
}

impl QueryParams {
    /// Decodes a query string.
    pub fn parse(query: &str) -> Self {
        Self {
            pairs: form_urlencoded::parse(query.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        }
    }

    /// The last value of `name`, as given. An empty value (`?channel=`) is a value: every
    /// parameter but `iterator` refuses it (the document gives each a type or a `minLength`
    /// that "" does not meet), rather than reading it as absent and answering as if the
    /// client had not filtered at all.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A boolean, `true` or `false` (the document's `boolean`: nothing else, as Svix), with a
    /// default.
    pub fn bool(&self, name: &str, default: bool) -> ApiResult<bool> {
        match self.get(name) {
            None => Ok(default),
            Some("true") => Ok(true),
            Some("false") => Ok(false),
            Some(_) => Err(invalid_query(
                name,
                "value could not be parsed to a boolean: give true or false",
            )),
        }
    }

    /// An RFC 3339 timestamp.
    pub fn timestamp(&self, name: &str) -> ApiResult<Option<Timestamp>> {
        self.get(name).map(|v| parse_timestamp(name, v)).transpose()
    }

    /// Every value of a list parameter: repeated keys (`a=1&a=2`), bracketed keys (`a[]=1`,
    /// `a[0]=1`) and comma-separated values (`a=1,2`), in order, without repeats. An empty
    /// item (`a=` or `a=1,,2`) is kept, for the caller's validation to refuse.
    pub fn list(&self, name: &str) -> Vec<String> {
        let bracketed = |k: &str| {
            k.strip_prefix(name)
                .and_then(|rest| rest.strip_prefix('['))
                .is_some_and(|rest| rest.ends_with(']'))
        };
        let values = self
            .pairs
            .iter()
            .filter(|(k, _)| k == name || bracketed(k))
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
            .map(str::to_owned)
            .collect();
        super::wire::dedupe(values)
    }

    /// The `event_types` filter, validated; `None` when absent.
    pub fn event_types(&self) -> ApiResult<Option<Vec<String>>> {
        let types = self.list("event_types");
        if types.is_empty() {
            return Ok(None);
        }
        if types.iter().any(String::is_empty) {
            return Err(invalid_query(
                "event_types",
                "an event type must not be empty",
            ));
        }
        validate::event_types(&["query", "event_types"], &types)?;
        Ok(Some(types))
    }

    /// The `channel` filter, validated.
    pub fn channel(&self) -> ApiResult<Option<String>> {
        let Some(channel) = self.get("channel") else {
            return Ok(None);
        };
        validate::key(&["query", "channel"], channel, validate::MAX_CHANNEL_LEN)?;
        Ok(Some(channel.to_owned()))
    }

    /// The `tag` filter, validated.
    pub fn tag(&self) -> ApiResult<Option<String>> {
        let Some(tag) = self.get("tag") else {
            return Ok(None);
        };
        validate::tag(&["query", "tag"], tag)?;
        Ok(Some(tag.to_owned()))
    }

    /// A `MessageStatus` filter (0 to 3).
    pub fn message_status(&self, name: &str) -> ApiResult<Option<MessageStatus>> {
        let Some(v) = self.get(name) else {
            return Ok(None);
        };
        v.parse::<i64>()
            .ok()
            .and_then(MessageStatus::from_code)
            .map(Some)
            .ok_or_else(|| invalid_query(name, "must be one of 0, 1, 2, 3"))
    }

    /// A `StatusCodeClass` filter (0, 100, 200, 300, 400 or 500).
    pub fn status_code_class(&self, name: &str) -> ApiResult<Option<u16>> {
        let Some(v) = self.get(name) else {
            return Ok(None);
        };
        match v.parse::<u16>() {
            Ok(c @ (0 | 100 | 200 | 300 | 400 | 500)) => Ok(Some(c)),
            _ => Err(invalid_query(
                name,
                "must be one of 0, 100, 200, 300, 400, 500",
            )),
        }
    }

    /// The pagination parameters. `order` is read only where the document has it
    /// (`allow_order`); elsewhere the resource's fixed order applies.
    pub fn list_query(&self, default_order: Order, allow_order: bool) -> ApiResult<ListQuery> {
        let limit = match self.get("limit") {
            None => None,
            Some(v) => {
                let n: u64 = v
                    .parse()
                    .map_err(|_| invalid_query("limit", "value is not a valid integer"))?;
                // Svix refuses larger pages rather than clamping them.
                if n > u64::from(MAX_LIMIT) {
                    return Err(invalid_query(
                        "limit",
                        format!("Given limit must not exceed {MAX_LIMIT}"),
                    ));
                }
                Some(n)
            }
        };
        let order = match self.get("order").filter(|_| allow_order) {
            None => default_order,
            Some("ascending") => Order::Ascending,
            Some("descending") => Order::Descending,
            Some(_) => {
                return Err(invalid_query(
                    "order",
                    "must be 'ascending' or 'descending'",
                ))
            }
        };
        // The one parameter where empty means absent, as the document says: a client that
        // echoes back the `iterator` of a first page it got as `null` sends `?iterator=`.
        let iterator = self.get("iterator").filter(|it| !it.is_empty());
        if let Some(it) = iterator {
            let key = it.strip_prefix('-').unwrap_or(it);
            validate::key(&["query", "iterator"], key, validate::MAX_KEY_LEN)?;
        }
        Ok(ListQuery::from_params(limit, iterator, order))
    }
}

/// Parses an RFC 3339 timestamp from the query string or the body. A `+` of an offset that a
/// client forgot to escape arrives as a space; it is read back as the `+` it was.
pub fn parse_timestamp(name: &str, value: &str) -> ApiResult<Timestamp> {
    let parse = |s: &str| chrono::DateTime::parse_from_rfc3339(s).map(|t| t.to_utc());
    parse(value)
        .or_else(|_| parse(&value.replace(' ', "+")))
        .map_err(|_| invalid_query(name, "invalid datetime format; expected RFC 3339"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[test]
    fn lists_take_repeats_brackets_and_commas() {
        let q = QueryParams::parse(
            "event_types=a,b&event_types=c&event_types[]=d&event_types[0]=a&x=y",
        );
        assert_eq!(q.list("event_types"), vec!["a", "b", "c", "d"]);
        assert!(q.list("other").is_empty());
    }

    #[test]
    fn an_empty_value_is_refused_except_the_iterator() {
        // `?tag=` must not read as "no tag filter": the client asked for something.
        let q = QueryParams::parse("tag=&channel=&with_content=&event_types=&limit=&iterator=");
        assert!(q.tag().is_err());
        assert!(q.channel().is_err());
        assert!(q.bool("with_content", true).is_err());
        assert!(q.event_types().is_err());
        assert!(q.list_query(Order::Ascending, true).is_err());
        let q = QueryParams::parse("iterator=");
        let page = q.list_query(Order::Ascending, true).unwrap();
        assert_eq!(page, ListQuery::from_params(None, None, Order::Ascending));
        let q = QueryParams::parse("event_types=a,,b");
        assert!(q.event_types().is_err());
    }

    #[test]
    fn booleans_are_true_or_false_only() {
        for (raw, want) in [("true", Some(true)), ("false", Some(false))] {
            let q = QueryParams::parse(&format!("async={raw}"));
            assert_eq!(q.bool("async", false).ok(), want);
        }
        for raw in ["1", "0", "-708582792", "TRUE", "yes"] {
            let q = QueryParams::parse(&format!("async={raw}"));
            assert!(
                q.bool("async", false).is_err(),
                "{raw} was read as a boolean"
            );
        }
    }

    #[test]
    fn limits_above_the_cap_are_refused() {
        let q = QueryParams::parse("limit=251");
        assert!(q.list_query(Order::Ascending, true).is_err());
        let q = QueryParams::parse("limit=abc");
        assert!(q.list_query(Order::Ascending, true).is_err());
        let q = QueryParams::parse("limit=10&order=descending");
        let lq = q.list_query(Order::Ascending, true).unwrap();
        assert_eq!((lq.limit, lq.order), (10, Order::Descending));
        let lq = q.list_query(Order::Ascending, false).unwrap();
        assert_eq!(lq.order, Order::Ascending);
    }

    #[test]
    fn timestamps_tolerate_an_unescaped_plus() {
        assert!(parse_timestamp("after", "2026-01-01T00:00:00 00:00").is_ok());
        assert!(parse_timestamp("after", "2026-01-01T00:00:00Z").is_ok());
        assert!(parse_timestamp("after", "yesterday").is_err());
    }

    #[derive(Debug, Deserialize)]
    struct T {
        #[allow(dead_code)]
        url: String,
        #[allow(dead_code)]
        #[serde(default)]
        channels: Vec<String>,
    }

    #[test]
    fn json_errors_name_their_location() {
        let ApiError::Validation(items) =
            parse_json::<T>(br#"{"url":"x","channels":[1]}"#).unwrap_err()
        else {
            panic!("expected a validation error")
        };
        assert_eq!(items[0].loc, vec!["body", "channels", "0"]);
        let ApiError::Validation(items) = parse_json::<T>(b"{}").unwrap_err() else {
            panic!("expected a validation error")
        };
        assert_eq!(items[0].loc, vec!["body", "url"]);
        assert_eq!(items[0].kind, "value_error.missing");
        assert!(parse_json::<T>(b"{not json").is_err());
        // An array would fill the struct's fields in order; it is refused as a whole.
        let ApiError::Validation(items) = parse_json::<T>(br#" ["x", []]"#).unwrap_err() else {
            panic!("expected a validation error")
        };
        assert_eq!(items[0].loc, vec!["body"]);
        assert!(parse_json::<T>(br#"{"url":"x","extra":true}"#).is_ok());
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Strict {
        #[allow(dead_code)]
        #[serde(default)]
        inner: Option<Inner>,
        #[allow(dead_code)]
        #[serde(default)]
        items: Vec<Inner>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        #[allow(dead_code)]
        #[serde(default)]
        name: String,
    }

    #[test]
    fn unknown_fields_are_refused_at_their_own_name() {
        let refused = |body: &[u8]| match parse_json::<Strict>(body).unwrap_err() {
            ApiError::Validation(items) => items.into_iter().next().unwrap(),
            other => panic!("expected a validation error, got {other:?}"),
        };
        let item = refused(br#"{"inner": {"name": "a"}, "readOnly": true}"#);
        assert_eq!(item.loc, vec!["body", "readOnly"]);
        assert_eq!(item.kind, crate::error::UNKNOWN_NAME_KIND);
        assert!(item.msg.contains("inner, items"), "{}", item.msg);
        let item = refused(br#"{"inner": {"nmae": "a"}}"#);
        assert_eq!(item.loc, vec!["body", "inner", "nmae"]);
        let item = refused(br#"{"items": [{"name": "a"}, {"x": 1}]}"#);
        assert_eq!(item.loc, vec!["body", "items", "1", "x"]);
    }
}
