//! The newer fields of Svix's `MessageIn`: `tags`, `deliverAt`, `payloadRetentionHours` next to
//! `payloadRetentionPeriod`, and `transformationsParams` with the two keys Svix's SDKs send
//! through it (`rawPayload`, `headers`). Each is checked here, every failure naming its field,
//! and turned into what the message stores.
//!
//! hookd runs no transformations: any other `transformationsParams` key is refused with a 422
//! naming it, never accepted and ignored. This module must not write anything or decide how a
//! request is sent (the worker does).

use std::{collections::BTreeMap, ops::RangeInclusive};

use chrono::Duration;
use hookd_core::{validate, Timestamp};
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::{
    endpoint::headers::{FORBIDDEN_HEADERS, FORBIDDEN_PREFIXES, MAX_HEADER_VALUE_LEN},
    wire::{self, Checks},
};
use crate::error::ValidationItem;

/// Svix's bounds for `payloadRetentionPeriod`, in days (those of its open-source server).
pub const RETENTION_DAYS: RangeInclusive<i64> = 5..=90;
/// Svix's bounds for `payloadRetentionHours`: one hour to 90 days.
pub const RETENTION_HOURS: RangeInclusive<i64> = 1..=2160;
/// How far ahead `deliverAt` may be, in hours: Svix documents "no more than 24 hours in the
/// future", and code written against Svix must not find hookd holding messages longer.
pub const MAX_DELIVER_AHEAD_HOURS: i64 = 24;

/// The `transformationsParams` keys hookd honours.
const RAW_PAYLOAD: &str = "rawPayload";
const HEADERS: &str = "headers";

/// Svix's `transformationsParams` as hookd reads it (Svix's document types it as a free
/// object; these are the keys its SDKs send, and the only ones hookd accepts).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(dead_code)]
pub struct TransformationsParams {
    /// A body to send instead of `payload` (which must then be `{}`), byte for byte and
    /// signed over exactly those bytes: any text, such as form-encoded data or XML. It is
    /// sent with `Content-Type: application/json` unless `headers` sets `content-type`, and
    /// never goes through an envelope.
    #[schema(example = "name=Ada&plan=pro")]
    raw_payload: Option<String>,
    /// Headers added to this message's requests. They replace endpoint headers of the same
    /// name, and a `content-type` here replaces the endpoint's `contentType`; names hookd
    /// sets itself (signatures, `webhook-*`, `svix-*`, `user-agent`), hop-by-hop and
    /// transport headers are refused.
    #[schema(schema_with = super::endpoint::header_schema::message_headers)]
    headers: Option<BTreeMap<String, String>>,
}

/// What `transformationsParams` asks for.
#[derive(Debug, Default, PartialEq)]
pub struct Transform {
    /// The raw body, if any.
    pub raw_payload: Option<String>,
    /// The message's own headers.
    pub headers: BTreeMap<String, String>,
}

/// Reads `transformationsParams`, recording each problem in `checks`.
pub fn transformations(checks: &mut Checks, params: Option<&Map<String, Value>>) -> Transform {
    let mut out = Transform::default();
    let Some(params) = params else {
        return out;
    };
    let at = |key: &str| ["body", "transformationsParams", key].map(str::to_owned);
    for (key, value) in params {
        match (key.as_str(), value) {
            (_, Value::Null) if key == RAW_PAYLOAD || key == HEADERS => {}
            (RAW_PAYLOAD, Value::String(raw)) => {
                // PostgreSQL text cannot hold NUL, and no receiver expects one in a body.
                if raw.contains('\0') {
                    checks.push(item(&at(RAW_PAYLOAD), "must not contain NUL characters"));
                } else {
                    out.raw_payload = Some(raw.clone());
                }
            }
            (RAW_PAYLOAD, _) => checks.push(item(&at(RAW_PAYLOAD), "must be a string")),
            (HEADERS, Value::Object(headers)) => {
                out.headers = message_headers(checks, headers);
            }
            (HEADERS, _) => checks.push(item(
                &at(HEADERS),
                "must be an object of header names to string values",
            )),
            _ => checks.push(item(
                &at(key),
                format!(
                    "hookd runs no transformations: only '{RAW_PAYLOAD}' and '{HEADERS}' are \
                     accepted here"
                ),
            )),
        }
    }
    out
}

fn item(loc: &[String], msg: impl Into<String>) -> ValidationItem {
    ValidationItem {
        loc: loc.to_vec(),
        msg: msg.into(),
        kind: "value_error".into(),
    }
}

/// The message's own headers: the rules of endpoint headers, except that `content-type` may
/// be set (it is how Svix's raw-payload helpers give a body's type).
fn message_headers(checks: &mut Checks, headers: &Map<String, Value>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut seen = std::collections::HashSet::new();
    for (name, value) in headers {
        let loc = ["body", "transformationsParams", HEADERS, name.as_str()];
        let Value::String(value) = value else {
            checks.push(ValidationItem::value(&loc, "must be a string"));
            continue;
        };
        if checks
            .check(validate::custom_header_name(&loc, name))
            .is_none()
        {
            continue;
        }
        let lower = name.to_ascii_lowercase();
        if lower != "content-type" && FORBIDDEN_HEADERS.contains(&lower.as_str()) {
            checks.push(ValidationItem::value(&loc, "Header uses a forbidden key."));
            continue;
        }
        if FORBIDDEN_PREFIXES.iter().any(|p| lower.starts_with(p)) {
            checks.push(ValidationItem::value(
                &loc,
                "Header starts with a forbidden prefix.",
            ));
            continue;
        }
        if !seen.insert(lower) {
            checks.push(ValidationItem::value(
                &loc,
                "Header is given twice (names are case-insensitive).",
            ));
            continue;
        }
        checks.check(validate::custom_header_value(&loc, value));
        if value.chars().count() > MAX_HEADER_VALUE_LEN {
            checks.push(ValidationItem::value(
                &loc,
                format!("Maximum header length is {MAX_HEADER_VALUE_LEN} characters"),
            ));
        }
        out.insert(name.clone(), value.clone());
    }
    out
}

/// The message's tags, deduplicated as channels are, and checked.
pub fn tags(checks: &mut Checks, tags: Option<Vec<String>>) -> Option<Vec<String>> {
    let tags = wire::dedupe(tags?);
    checks.check(validate::tags(&["body", "tags"], &tags));
    Some(tags)
}

/// How long the payload is kept, if the message says: `payloadRetentionPeriod` (days) or
/// `payloadRetentionHours`. They are mutually exclusive, as in Svix: both is a 422 naming both.
pub fn retention(checks: &mut Checks, days: Option<i64>, hours: Option<i64>) -> Option<Duration> {
    let bounded = |checks: &mut Checks, field: &str, v: i64, range: &RangeInclusive<i64>, unit| {
        if range.contains(&v) {
            true
        } else {
            checks.push(ValidationItem::value(
                &["body", field],
                format!(
                    "must be between {} and {} {unit}",
                    range.start(),
                    range.end()
                ),
            ));
            false
        }
    };
    match (days, hours) {
        (Some(_), Some(_)) => {
            for field in ["payloadRetentionPeriod", "payloadRetentionHours"] {
                checks.push(ValidationItem::value(
                    &["body", field],
                    "payloadRetentionPeriod and payloadRetentionHours are mutually exclusive",
                ));
            }
            None
        }
        (Some(d), None) => bounded(checks, "payloadRetentionPeriod", d, &RETENTION_DAYS, "days")
            .then(|| Duration::days(d)),
        (None, Some(h)) => bounded(
            checks,
            "payloadRetentionHours",
            h,
            &RETENTION_HOURS,
            "hours",
        )
        .then(|| Duration::hours(h)),
        (None, None) => None,
    }
}

/// `deliverAt` as stored: a time already past means now (`None`); one further ahead than
/// [`MAX_DELIVER_AHEAD_HOURS`], or after the payload expires, is refused.
pub fn deliver_at(
    checks: &mut Checks,
    at: Option<Timestamp>,
    now: Timestamp,
    payload_expires_at: Timestamp,
) -> Option<Timestamp> {
    let at = at.filter(|at| *at > now)?;
    let loc = ["body", "deliverAt"];
    if at > now + Duration::hours(MAX_DELIVER_AHEAD_HOURS) {
        checks.push(ValidationItem::value(
            &loc,
            format!("must be no more than {MAX_DELIVER_AHEAD_HOURS} hours in the future"),
        ));
        return None;
    }
    if at >= payload_expires_at {
        checks.push(ValidationItem::value(
            &loc,
            "must be before the payload expires (see payloadRetentionHours)",
        ));
        return None;
    }
    Some(at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hookd_core::clock::{Clock, ManualClock};
    use serde_json::json;

    fn locs(checks: Checks) -> Vec<String> {
        match checks.finish() {
            Ok(()) => vec![],
            Err(crate::error::ApiError::Validation(items)) => {
                items.into_iter().map(|i| i.loc.join(".")).collect()
            }
            Err(other) => panic!("{other:?}"),
        }
    }

    fn params(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn raw_payload_and_headers_are_read_and_other_keys_named() {
        let mut checks = Checks::default();
        let t = transformations(
            &mut checks,
            Some(&params(json!({
                "rawPayload": "a=1&b=2",
                "headers": {"content-type": "application/x-www-form-urlencoded", "X-A": "1"}
            }))),
        );
        assert!(locs(checks).is_empty());
        assert_eq!(t.raw_payload.as_deref(), Some("a=1&b=2"));
        assert_eq!(t.headers.len(), 2);

        let mut checks = Checks::default();
        transformations(
            &mut checks,
            Some(&params(json!({
                "rawPayload": 3,
                "headers": {"webhook-signature": "v1,x", "Connection": "close",
                            "x-svix-a": "b", "X-Ok": 1},
                "template": "x"
            }))),
        );
        let mut got = locs(checks);
        got.sort();
        assert_eq!(
            got,
            [
                "body.transformationsParams.headers.Connection",
                "body.transformationsParams.headers.X-Ok",
                "body.transformationsParams.headers.webhook-signature",
                "body.transformationsParams.headers.x-svix-a",
                "body.transformationsParams.rawPayload",
                "body.transformationsParams.template",
            ]
        );
        // Names are case-insensitive: one of the two spellings is refused, whichever comes
        // second.
        let mut checks = Checks::default();
        let t = transformations(
            &mut checks,
            Some(&params(json!({"headers": {"x-a": "1", "X-A": "2"}}))),
        );
        assert_eq!(locs(checks).len(), 1);
        assert_eq!(t.headers.len(), 1);
        // Nulls are what some SDKs send for "none".
        let mut checks = Checks::default();
        let t = transformations(
            &mut checks,
            Some(&params(json!({"rawPayload": null, "headers": null}))),
        );
        assert!(locs(checks).is_empty());
        assert_eq!(t, Transform::default());
    }

    #[test]
    fn retention_takes_days_or_hours_not_both() {
        let mut checks = Checks::default();
        assert_eq!(
            retention(&mut checks, None, Some(1)),
            Some(Duration::hours(1))
        );
        assert_eq!(
            retention(&mut checks, Some(5), None),
            Some(Duration::days(5))
        );
        assert!(locs(checks).is_empty());
        let mut checks = Checks::default();
        assert_eq!(retention(&mut checks, Some(5), Some(5)), None);
        assert_eq!(retention(&mut checks, None, Some(2161)), None);
        assert_eq!(retention(&mut checks, None, Some(0)), None);
        assert_eq!(
            locs(checks),
            [
                "body.payloadRetentionPeriod",
                "body.payloadRetentionHours",
                "body.payloadRetentionHours",
                "body.payloadRetentionHours"
            ]
        );
    }

    #[test]
    fn deliver_at_is_bounded_and_a_past_time_is_now() {
        let now = ManualClock::at_epoch().now();
        let expiry = now + Duration::days(90);
        let mut checks = Checks::default();
        assert_eq!(
            deliver_at(&mut checks, Some(now - Duration::hours(1)), now, expiry),
            None
        );
        let soon = now + Duration::hours(24);
        assert_eq!(deliver_at(&mut checks, Some(soon), now, expiry), Some(soon));
        assert!(locs(checks).is_empty());
        let mut checks = Checks::default();
        let late = now + Duration::hours(24) + Duration::seconds(1);
        assert_eq!(deliver_at(&mut checks, Some(late), now, expiry), None);
        let hour = now + Duration::hours(1);
        assert_eq!(
            deliver_at(&mut checks, Some(soon), now, hour),
            None,
            "a payload gone before its delivery is refused"
        );
        assert_eq!(locs(checks), ["body.deliverAt", "body.deliverAt"]);
    }
}
