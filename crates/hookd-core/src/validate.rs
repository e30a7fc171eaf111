//! Input validation rules shared by the API and anything else that accepts user input. Each
//! check returns a [`Violation`] that names the offending field, which the server turns into
//! Svix's 422 shape (`detail: [{loc, msg, type}]`). This module must not know about HTTP.

/// The longest `uid`, event type name or `eventId` Svix accepts.
pub const MAX_KEY_LEN: usize = 256;
/// The longest channel name Svix accepts.
pub const MAX_CHANNEL_LEN: usize = 128;
/// The longest endpoint URL Svix accepts.
pub const MAX_URL_LEN: usize = 65_536;
/// Svix allows at most 10 channels on an endpoint.
pub const MAX_ENDPOINT_CHANNELS: usize = 10;
/// Svix allows at most 5 channels on a message.
pub const MAX_MESSAGE_CHANNELS: usize = 5;
/// The longest portal `sessionId` Svix accepts.
pub const MAX_SESSION_ID_LEN: usize = 64;

/// One validation failure: where, what, and a machine-readable kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The path to the field, e.g. `["body", "url"]`.
    pub loc: Vec<String>,
    /// A human-readable message.
    pub msg: String,
    /// A machine-readable kind, e.g. `value_error`.
    pub kind: String,
}

impl Violation {
    /// A `value_error` at `loc`.
    pub fn value(loc: &[&str], msg: impl Into<String>) -> Self {
        Self {
            loc: loc.iter().map(|s| (*s).to_owned()).collect(),
            msg: msg.into(),
            kind: "value_error".into(),
        }
    }
}

fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.'
}

/// Checks a key-like string (`uid`, event type name, `eventId`, channel, feature flag): 1 to
/// `max` characters from `[a-zA-Z0-9-_.]`.
pub fn key(loc: &[&str], value: &str, max: usize) -> Result<(), Violation> {
    if value.is_empty() {
        return Err(Violation::value(loc, "must not be empty"));
    }
    if value.len() > max {
        return Err(Violation::value(
            loc,
            format!("must be at most {max} characters long"),
        ));
    }
    if !value.chars().all(is_key_char) {
        return Err(Violation::value(
            loc,
            "may only contain letters, digits, '-', '_' and '.'",
        ));
    }
    Ok(())
}

/// Checks a `uid` (a user-chosen key usable in place of an id).
pub fn uid(loc: &[&str], value: &str) -> Result<(), Violation> {
    key(loc, value, MAX_KEY_LEN)
}

/// Checks a list of channels: each a key of at most 128 characters, no duplicates, at most
/// `max_items`, at least one.
pub fn channels(loc: &[&str], values: &[String], max_items: usize) -> Result<(), Violation> {
    if values.is_empty() {
        return Err(Violation::value(loc, "must contain at least one channel"));
    }
    if values.len() > max_items {
        return Err(Violation::value(
            loc,
            format!("must contain at most {max_items} channels"),
        ));
    }
    unique(loc, values)?;
    values.iter().try_for_each(|c| key(loc, c, MAX_CHANNEL_LEN))
}

/// Svix allows at most 5 tags on a message.
pub const MAX_MESSAGE_TAGS: usize = 5;
/// The longest tag Svix accepts.
pub const MAX_TAG_LEN: usize = 128;

/// Checks one tag: 1 to 128 characters from Svix's `[a-zA-Z0-9-_./\\#]`.
pub fn tag(loc: &[&str], value: &str) -> Result<(), Violation> {
    if value.is_empty() {
        return Err(Violation::value(loc, "must not be empty"));
    }
    if value.len() > MAX_TAG_LEN {
        return Err(Violation::value(
            loc,
            format!("must be at most {MAX_TAG_LEN} characters long"),
        ));
    }
    let tag_char = |c: char| c.is_ascii_alphanumeric() || "-_./\\#".contains(c);
    if !value.chars().all(tag_char) {
        return Err(Violation::value(
            loc,
            "may only contain letters, digits and '-', '_', '.', '/', '\\', '#'",
        ));
    }
    Ok(())
}

/// Checks a message's tags: at most [`MAX_MESSAGE_TAGS`], no duplicates, each a valid [`tag`].
/// An empty list is allowed, as in Svix.
pub fn tags(loc: &[&str], values: &[String]) -> Result<(), Violation> {
    if values.len() > MAX_MESSAGE_TAGS {
        return Err(Violation::value(
            loc,
            format!("must contain at most {MAX_MESSAGE_TAGS} tags"),
        ));
    }
    unique(loc, values)?;
    values.iter().try_for_each(|t| tag(loc, t))
}

/// Checks a list of event type names: each valid, no duplicates, at least one.
pub fn event_types(loc: &[&str], values: &[String]) -> Result<(), Violation> {
    if values.is_empty() {
        return Err(Violation::value(
            loc,
            "must contain at least one event type",
        ));
    }
    unique(loc, values)?;
    values.iter().try_for_each(|t| key(loc, t, MAX_KEY_LEN))
}

/// Checks a list of feature flags: each a key, no duplicates, at most `max_items` when given.
/// An empty list is no flag at all.
pub fn feature_flags(
    loc: &[&str],
    values: &[String],
    max_items: Option<usize>,
) -> Result<(), Violation> {
    if let Some(max) = max_items.filter(|max| values.len() > *max) {
        return Err(Violation::value(
            loc,
            format!("must contain at most {max} feature flags"),
        ));
    }
    unique(loc, values)?;
    values.iter().try_for_each(|f| key(loc, f, MAX_KEY_LEN))
}

/// Checks a portal session id: 1 to 64 characters from `[a-zA-Z0-9@_-]`, as Svix does.
pub fn session_id(loc: &[&str], value: &str) -> Result<(), Violation> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || c == '@' || c == '_' || c == '-';
    if value.is_empty() || value.len() > MAX_SESSION_ID_LEN || !value.chars().all(allowed) {
        return Err(Violation::value(
            loc,
            format!(
                "must be 1 to {MAX_SESSION_ID_LEN} characters from letters, digits, '@', '_' \
                 and '-'"
            ),
        ));
    }
    Ok(())
}

fn unique(loc: &[&str], values: &[String]) -> Result<(), Violation> {
    let mut seen = std::collections::HashSet::new();
    if values.iter().all(|v| seen.insert(v)) {
        Ok(())
    } else {
        Err(Violation::value(loc, "must not contain duplicates"))
    }
}

/// Checks an endpoint URL: absolute, `http` or `https`, with a host, at most 65,536 characters.
/// Whether its address may be reached is decided at delivery time, on the resolved address.
pub fn endpoint_url(loc: &[&str], value: &str) -> Result<url::Url, Violation> {
    if value.len() > MAX_URL_LEN {
        return Err(Violation::value(
            loc,
            format!("must be at most {MAX_URL_LEN} characters long"),
        ));
    }
    let parsed = url::Url::parse(value)
        .map_err(|e| Violation::value(loc, format!("is not a valid URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(Violation::value(loc, "must use the http or https scheme"));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(Violation::value(loc, "must have a host"));
    }
    Ok(parsed)
}

/// Header names (lower case) that a user may never set: the transport's own, which the HTTP
/// client writes.
pub const RESERVED_HEADERS: [&str; 6] = [
    "content-length",
    "host",
    "transfer-encoding",
    "connection",
    "content-encoding",
    "te",
];

/// Header name prefixes (lower case) that a user may never use: the signature headers.
pub const RESERVED_HEADER_PREFIXES: [&str; 2] = ["webhook-", "svix-"];

/// The characters of an HTTP token (RFC 9110 `tchar`), which a header name is made of.
pub const HEADER_TOKEN_PUNCTUATION: &str = "!#$%&'*+-.^_`|~";

/// Checks a header name for endpoint custom headers: a valid HTTP token, and not one of the
/// headers hookd itself sets (which a user could otherwise use to forge signatures).
pub fn custom_header_name(loc: &[&str], name: &str) -> Result<(), Violation> {
    let token_char = |c: char| c.is_ascii_alphanumeric() || HEADER_TOKEN_PUNCTUATION.contains(c);
    if name.is_empty() || !name.chars().all(token_char) {
        return Err(Violation::value(
            loc,
            format!("'{name}' is not a valid header name"),
        ));
    }
    let lower = name.to_ascii_lowercase();
    if RESERVED_HEADERS.contains(&lower.as_str())
        || RESERVED_HEADER_PREFIXES
            .iter()
            .any(|p| lower.starts_with(p))
    {
        return Err(Violation::value(
            loc,
            format!("the header '{name}' is reserved"),
        ));
    }
    Ok(())
}

/// Checks a header value: an HTTP field value (RFC 9110), so no control character but the
/// tab. A line break would split the request; any other control character would be refused by
/// the HTTP client at delivery time, long after the API had said yes.
pub fn custom_header_value(loc: &[&str], value: &str) -> Result<(), Violation> {
    if value.chars().any(is_header_control) {
        return Err(Violation::value(
            loc,
            "must not contain control characters (a tab is allowed)",
        ));
    }
    Ok(())
}

/// A character an HTTP field value may not hold: the C0 controls but the tab, and DEL.
pub fn is_header_control(c: char) -> bool {
    (c.is_ascii_control() && c != '\t') || c == '\u{7f}'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        assert!(key(&["uid"], "good-uid_1.x", 256).is_ok());
        assert!(key(&["uid"], "", 256).is_err());
        assert!(key(&["uid"], "spa ce", 256).is_err());
        assert!(key(&["uid"], &"a".repeat(257), 256).is_err());
        let v = uid(&["body", "uid"], "bad/uid").unwrap_err();
        assert_eq!(v.loc, vec!["body", "uid"]);
    }

    #[test]
    fn urls() {
        assert!(endpoint_url(&["url"], "https://example.com/hook").is_ok());
        assert!(endpoint_url(&["url"], "http://127.0.0.1:9000/x?secret=1").is_ok());
        assert!(endpoint_url(&["url"], "ftp://example.com").is_err());
        assert!(endpoint_url(&["url"], "not a url").is_err());
        assert!(endpoint_url(&["url"], "file:///etc/passwd").is_err());
    }

    #[test]
    fn lists() {
        let two = vec!["a".to_string(), "a".to_string()];
        assert!(channels(&["channels"], &two, 10).is_err());
        assert!(channels(&["channels"], &[], 10).is_err());
        let six: Vec<String> = (0..6).map(|i| i.to_string()).collect();
        assert!(channels(&["channels"], &six, 5).is_err());
        assert!(event_types(&["eventTypes"], &["a.b".to_string()]).is_ok());
    }

    #[test]
    fn tags_follow_svix_pattern_and_count() {
        assert!(tag(&["t"], "project/1#a\\b.c-d_e").is_ok());
        assert!(tag(&["t"], "").is_err());
        assert!(tag(&["t"], "no spaces").is_err());
        assert!(tag(&["t"], "a:b").is_err());
        assert!(tag(&["t"], &"x".repeat(129)).is_err());
        assert!(tags(&["t"], &[]).is_ok());
        let six: Vec<String> = (0..6).map(|i| format!("t{i}")).collect();
        assert!(tags(&["t"], &six[..5]).is_ok());
        assert!(tags(&["t"], &six).is_err());
        assert!(tags(&["t"], &["a".into(), "a".into()]).is_err());
    }

    #[test]
    fn headers() {
        assert!(custom_header_name(&["h"], "X-Custom").is_ok());
        assert!(custom_header_name(&["h"], "webhook-signature").is_err());
        assert!(custom_header_name(&["h"], "bad header").is_err());
        assert!(custom_header_value(&["h"], "a\r\nb").is_err());
    }
}
