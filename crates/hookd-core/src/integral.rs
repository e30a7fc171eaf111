//! Whole numbers read the way JSON Schema reads them: `3` and `3.0` are the same integer.
//!
//! The API's document says `"type": "integer"` for counts, rates and seconds, and by JSON
//! Schema (and so by every generated client and fuzzer) `3.0` is such an integer. serde reads
//! `3.0` as a float and refuses it for a `u16`; these helpers, used through
//! `#[serde(deserialize_with = ...)]`, accept a float with no fractional part that fits the
//! target type and refuse anything else with an error naming the value. This module must not
//! round: `3.5` stays an error, never 3 or 4.

use std::{fmt, marker::PhantomData};

use serde::{
    de::{self, Visitor},
    Deserialize, Deserializer,
};

/// A whole number of type `T`, from a JSON integer or an integral JSON float.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Integral<T>(pub T);

/// The largest float that still converts to a whole `i64`/`u64` without loss of meaning:
/// beyond 2^53 a float no longer tells neighbouring integers apart.
const MAX_EXACT_FLOAT: f64 = 9_007_199_254_740_992.0;

struct IntegralVisitor<T>(PhantomData<T>);

impl<'de, T> Visitor<'de> for IntegralVisitor<T>
where
    T: TryFrom<u64> + TryFrom<i64>,
{
    type Value = Integral<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "an integer that fits {}", std::any::type_name::<T>())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        T::try_from(v)
            .map(Integral)
            .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        T::try_from(v)
            .map(Integral)
            .map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        let refuse = || E::invalid_value(de::Unexpected::Float(v), &self);
        if v.fract() != 0.0 || !v.is_finite() || v.abs() > MAX_EXACT_FLOAT {
            return Err(refuse());
        }
        // Exact: the value is whole and within ±2^53, so the cast neither rounds nor saturates.
        #[allow(clippy::cast_possible_truncation)]
        let whole = v as i64;
        T::try_from(whole).map(Integral).map_err(|_| refuse())
    }
}

impl<'de, T> Deserialize<'de> for Integral<T>
where
    T: TryFrom<u64> + TryFrom<i64>,
{
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(IntegralVisitor(PhantomData))
    }
}

/// An optional whole number (`null` is `None`); pair it with `#[serde(default)]`.
pub fn optional<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<u64> + TryFrom<i64>,
{
    Option::<Integral<T>>::deserialize(d).map(|o| o.map(|Integral(v)| v))
}

/// An optional list of whole numbers; pair it with `#[serde(default)]`.
pub fn optional_vec<'de, D, T>(d: D) -> Result<Option<Vec<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<u64> + TryFrom<i64>,
{
    Option::<Vec<Integral<T>>>::deserialize(d)
        .map(|o| o.map(|v| v.into_iter().map(|Integral(x)| x).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Probe {
        #[serde(default, deserialize_with = "optional")]
        rate: Option<u16>,
        #[serde(default, deserialize_with = "optional_vec")]
        codes: Option<Vec<u16>>,
        #[serde(default, deserialize_with = "optional")]
        secs: Option<i64>,
    }

    fn probe(json: &str) -> Result<Probe, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn an_integral_float_is_the_integer() {
        let p = probe(r#"{"rate": 1029.0, "codes": [200.0, 204], "secs": -5.0}"#).unwrap();
        assert_eq!(p.rate, Some(1029));
        assert_eq!(p.codes, Some(vec![200, 204]));
        assert_eq!(p.secs, Some(-5));
        let p = probe(r#"{"rate": null}"#).unwrap();
        assert_eq!(p.rate, None);
        assert_eq!(p.codes, None);
    }

    #[test]
    fn fractions_and_out_of_range_values_are_refused_naming_the_value() {
        for json in [
            r#"{"rate": 1.5}"#,
            r#"{"rate": 65536}"#,
            r#"{"rate": 65536.0}"#,
            r#"{"rate": -1}"#,
            r#"{"rate": "3"}"#,
            r#"{"secs": 1e300}"#,
            r#"{"codes": [200.5]}"#,
        ] {
            let err = probe(json).unwrap_err();
            assert!(err.contains("an integer that fits"), "{json}: {err}");
        }
    }
}
