//! Pieces of Svix's wire format shared by every resource: the list envelope, timestamps, PATCH
//! fields that tell "absent" from "null", and the input checks that are specific to the API
//! (the domain-level checks live in `hookd_core::validate` and are reused, not repeated).
//!
//! **API Boundary:** only the `api` module serializes; domain types never derive the wire
//! format. This module must not touch the store.

use std::collections::BTreeMap;

use chrono::SecondsFormat;
use hookd_core::{page::Page, validate, Timestamp};
use serde::{Deserialize, Deserializer, Serialize};

use crate::error::{ApiError, ApiResult, ValidationItem};

/// Svix metadata: free-form string pairs.
pub type Metadata = BTreeMap<String, String>;

/// Formats a timestamp as Svix does: RFC 3339, UTC, millisecond precision, `Z`.
pub fn ts(t: Timestamp) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Svix's `ListResponse_*_` envelope. `iterator` is always present (possibly null);
/// `prevIterator` is left out when there is none, as Svix does.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListResponse<T> {
    /// The page's items.
    pub data: Vec<T>,
    /// The cursor for the next page.
    pub iterator: Option<String>,
    /// The cursor for the previous page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prev_iterator: Option<String>,
    /// Whether there is nothing more in the direction of travel.
    pub done: bool,
}

impl<T> ListResponse<T> {
    /// Converts a store page, mapping each item to its wire form.
    pub fn from_page<U>(page: Page<U>, f: impl FnMut(U) -> T) -> Self {
        let page = page.map(f);
        Self {
            data: page.data,
            iterator: page.iterator,
            prev_iterator: page.prev_iterator,
            done: page.done,
        }
    }

    /// Like [`Self::from_page`] for a conversion that can fail.
    pub fn try_from_page<U>(page: Page<U>, f: impl FnMut(U) -> ApiResult<T>) -> ApiResult<Self> {
        let data = page
            .data
            .into_iter()
            .map(f)
            .collect::<ApiResult<Vec<T>>>()?;
        Ok(Self {
            data,
            iterator: page.iterator,
            prev_iterator: page.prev_iterator,
            done: page.done,
        })
    }
}

/// A PATCH field that may be absent (leave as is), `null` (clear) or a value (set). Fields of
/// this type need `#[serde(default)]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Patch<T> {
    /// Not in the body.
    #[default]
    Absent,
    /// Explicitly `null`.
    Null,
    /// A new value.
    Value(T),
}

impl<T> Patch<T> {
    /// Applies the patch to an optional field.
    pub fn apply_to(self, field: &mut Option<T>) {
        match self {
            Self::Absent => {}
            Self::Null => *field = None,
            Self::Value(v) => *field = Some(v),
        }
    }

    /// The new value, if one is set.
    pub fn value(&self) -> Option<&T> {
        match self {
            Self::Value(v) => Some(v),
            _ => None,
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match Option::<T>::deserialize(d)? {
            Some(v) => Self::Value(v),
            None => Self::Null,
        })
    }
}

/// A PATCH field holding a whole number, read as JSON Schema reads integers (`3.0` is 3; see
/// `hookd_core::integral`). Pair it with `#[serde(default)]`, which gives `Absent`.
pub fn patch_integral<'de, D, T>(d: D) -> Result<Patch<T>, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<u64> + TryFrom<i64>,
{
    Ok(match hookd_core::integral::optional(d)? {
        Some(v) => Patch::Value(v),
        None => Patch::Null,
    })
}

/// A PATCH field holding a list of whole numbers, as [`patch_integral`].
pub fn patch_integral_vec<'de, D, T>(d: D) -> Result<Patch<Vec<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<u64> + TryFrom<i64>,
{
    Ok(match hookd_core::integral::optional_vec(d)? {
        Some(v) => Patch::Value(v),
        None => Patch::Null,
    })
}

/// Collects every violation of one request, so the caller learns about all of them at once
/// (as Svix reports them).
#[derive(Debug, Default)]
pub struct Checks {
    items: Vec<ValidationItem>,
}

impl Checks {
    /// Records a failed check.
    pub fn push(&mut self, item: ValidationItem) {
        self.items.push(item);
    }

    /// Records the outcome of a core check.
    pub fn check<T>(&mut self, result: Result<T, validate::Violation>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(v) => {
                self.items.push(v.into());
                None
            }
        }
    }

    /// Fails with 422 if any check failed.
    pub fn finish(self) -> ApiResult<()> {
        if self.items.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.items))
        }
    }
}

/// Svix refuses the control characters 0x00 to 0x08 in names and descriptions.
pub fn no_control_chars(checks: &mut Checks, loc: &[&str], value: &str) {
    if value.chars().any(|c| ('\u{0}'..='\u{8}').contains(&c)) {
        checks.push(ValidationItem::value(
            loc,
            "Control characters 0x00-0x08 not allowed.",
        ));
    }
}

/// Checks a `uid`: a valid key that does not start with the id prefix of its kind, so that an
/// id and a uid can never be mistaken for each other (Svix's rule).
pub fn uid(checks: &mut Checks, loc: &[&str], value: &str, id_prefix: &str) {
    if checks.check(validate::uid(loc, value)).is_some() && value.starts_with(id_prefix) {
        checks.push(ValidationItem::value(
            loc,
            format!("Uids are not allowed to start with '{id_prefix}', the prefix of ids."),
        ));
    }
}

/// Removes repeated items, keeping the first of each. Svix treats these lists as sets, so a
/// repeated item is not an error.
pub fn dedupe(values: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    values
        .into_iter()
        .filter(|v| seen.insert(v.clone()))
        .collect()
}

/// Checks a rate (`throttleRate` or the older `rateLimit`): at least 1 when set.
pub fn rate(checks: &mut Checks, loc: &[&str], value: Option<u16>) {
    if value == Some(0) {
        checks.push(ValidationItem::value(loc, "must be at least 1 if set"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct P {
        #[serde(default)]
        a: Patch<u16>,
    }

    #[test]
    fn patch_tells_absent_null_and_value_apart() {
        let p: P = serde_json::from_str("{}").unwrap();
        assert_eq!(p.a, Patch::Absent);
        let p: P = serde_json::from_str(r#"{"a":null}"#).unwrap();
        assert_eq!(p.a, Patch::Null);
        let p: P = serde_json::from_str(r#"{"a":3}"#).unwrap();
        assert_eq!(p.a, Patch::Value(3));
    }

    #[test]
    fn timestamps_have_millis_and_z() {
        let t = chrono::DateTime::from_timestamp(1_700_000_000, 5_000_000).unwrap();
        assert_eq!(ts(t), "2023-11-14T22:13:20.005Z");
    }

    #[test]
    fn uids_may_not_look_like_ids() {
        let mut c = Checks::default();
        uid(&mut c, &["body", "uid"], "app_123", "app_");
        uid(&mut c, &["body", "uid"], "fine", "app_");
        assert!(c.finish().is_err());
    }
}
