//! How the OpenAPI document states the custom-header rules of `headers.rs`: a header map's
//! `propertyNames` pattern (an HTTP token that is none of the refused names or prefixes, in any
//! case) and its values' pattern and `maxLength`, built from the very lists the validation
//! uses, so that the document and the checks cannot drift apart.
//!
//! This module only describes; nothing here runs on a request.

use hookd_core::{
    options::SCHEME_FORBIDDEN_HEADERS,
    validate::{HEADER_TOKEN_PUNCTUATION, RESERVED_HEADERS, RESERVED_HEADER_PREFIXES},
};
use utoipa::openapi::{
    schema::{AdditionalProperties, ObjectBuilder, Schema, SchemaType, Type},
    RefOr,
};

use super::headers::{FORBIDDEN_HEADERS, FORBIDDEN_PREFIXES, MAX_HEADER_VALUE_LEN};

/// A header value: no control character but the tab (`validate::is_header_control`).
const VALUE_PATTERN: &str = r"^[^\x00-\x08\x0A-\x1F\x7F]*$";

/// `text` as a regex matching it in any letter case (`te` → `[tT][eE]`).
fn any_case(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphabetic() {
                format!("[{}{}]", c.to_ascii_lowercase(), c.to_ascii_uppercase())
            } else if c.is_ascii_alphanumeric() || c == '-' {
                c.to_string()
            } else {
                format!("\\{c}")
            }
        })
        .collect()
}

/// A header-name pattern: an HTTP token that is none of `names` and starts with none of
/// `prefixes`, in any case.
fn token_pattern<'a>(
    names: impl Iterator<Item = &'a &'a str>,
    prefixes: impl Iterator<Item = &'a &'a str>,
) -> String {
    let names: Vec<String> = names.map(|n| any_case(n)).collect();
    let prefixes: Vec<String> = prefixes.map(|p| any_case(p)).collect();
    let token: String = HEADER_TOKEN_PUNCTUATION
        .chars()
        .map(|c| {
            if c == '-' {
                r"\-".to_owned()
            } else {
                c.to_string()
            }
        })
        .collect();
    format!(
        "^(?!(?:{})$)(?!(?:{}))[{token}0-9A-Za-z]+$",
        names.join("|"),
        prefixes.join("|")
    )
}

/// The pattern of a custom header's name. `content-type` is refused on endpoints (the
/// endpoint's `contentType` option sets it) but allowed on a message's own headers.
pub(crate) fn name_pattern(allow_content_type: bool) -> String {
    token_pattern(
        FORBIDDEN_HEADERS
            .iter()
            .chain(RESERVED_HEADERS.iter())
            .filter(|n| !(allow_content_type && **n == "content-type")),
        FORBIDDEN_PREFIXES
            .iter()
            .chain(RESERVED_HEADER_PREFIXES.iter()),
    )
}

/// The header of an `auth` scheme (`options.auth[].header`): a token that hookd does not set
/// itself (`hookd_core::options` checks the same lists).
pub(crate) fn scheme_header() -> Schema {
    ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::String))
        .pattern(Some(token_pattern(
            RESERVED_HEADERS
                .iter()
                .chain(SCHEME_FORBIDDEN_HEADERS.iter()),
            RESERVED_HEADER_PREFIXES.iter(),
        )))
        .into()
}

fn value_schema(nullable: bool) -> Schema {
    let kind = if nullable {
        SchemaType::from_iter([Type::String, Type::Null])
    } else {
        SchemaType::new(Type::String)
    };
    ObjectBuilder::new()
        .schema_type(kind)
        .max_length(Some(MAX_HEADER_VALUE_LEN))
        .pattern(Some(VALUE_PATTERN))
        .into()
}

fn map_schema(allow_content_type: bool, nullable_values: bool, nullable_map: bool) -> Schema {
    let kind = if nullable_map {
        SchemaType::from_iter([Type::Object, Type::Null])
    } else {
        SchemaType::new(Type::Object)
    };
    let names = ObjectBuilder::new()
        .schema_type(SchemaType::new(Type::String))
        .pattern(Some(name_pattern(allow_content_type)));
    ObjectBuilder::new()
        .schema_type(kind)
        .property_names(Some(names))
        .additional_properties(Some(AdditionalProperties::RefOr(RefOr::T(value_schema(
            nullable_values,
        )))))
        .into()
}

/// An endpoint's headers (`EndpointIn.headers`, `EndpointHeadersIn.headers`).
pub(crate) fn endpoint_headers() -> Schema {
    let mut schema = map_schema(false, false, false);
    with_example(
        &mut schema,
        serde_json::json!({"X-Example": "123", "X-Foobar": "Bar"}),
    );
    schema
}

/// A PATCH of an endpoint's headers: a `null` value removes the header.
pub(crate) fn endpoint_headers_patch() -> Schema {
    let mut schema = map_schema(false, true, false);
    with_example(
        &mut schema,
        serde_json::json!({"X-Example": "123", "X-Foobar": null}),
    );
    schema
}

/// A message's own headers (`transformationsParams.headers`), where `content-type` may be set.
pub(crate) fn message_headers() -> Schema {
    let mut schema = map_schema(true, false, true);
    with_example(
        &mut schema,
        serde_json::json!({"content-type": "application/x-www-form-urlencoded"}),
    );
    schema
}

fn with_example(schema: &mut Schema, example: serde_json::Value) {
    if let Schema::Object(object) = schema {
        object.examples = vec![example];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_pattern_names_every_refused_header_in_any_case() {
        let pattern = name_pattern(false);
        for name in FORBIDDEN_HEADERS.iter().chain(RESERVED_HEADERS.iter()) {
            assert!(pattern.contains(&any_case(name)), "{name} missing");
        }
        for prefix in FORBIDDEN_PREFIXES
            .iter()
            .chain(RESERVED_HEADER_PREFIXES.iter())
        {
            assert!(pattern.contains(&any_case(prefix)), "{prefix} missing");
        }
        assert!(!name_pattern(true).contains(&any_case("content-type")));
        assert_eq!(any_case("x-amz-"), "[xX]-[aA][mM][zZ]-");
    }
}
