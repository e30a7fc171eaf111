//! `docs/extensions.md` against the OpenAPI document: the options tables a reader follows name
//! exactly the fields the document (and so the API and the consoles, which read it) has, with
//! the same bounds. The document is the one description of hookd's options; the docs table
//! must not drift from it. These tests must not read anything but the two texts.

use std::collections::BTreeSet;

use serde_json::Value;

/// The docs' text.
fn docs() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/extensions.md");
    std::fs::read_to_string(path).expect("docs/extensions.md is readable")
}

/// The served document's schema `name`.
fn schema(name: &str) -> Value {
    let doc: Value = serde_json::from_str(hookd_server::api::openapi::document_json())
        .expect("the document is JSON");
    doc["components"]["schemas"][name].clone()
}

/// The rows of the first table under the heading `heading`, as cells without their backticks.
fn table(docs: &str, heading: &str) -> Vec<Vec<String>> {
    let start = docs
        .lines()
        .position(|l| l == heading)
        .unwrap_or_else(|| panic!("docs/extensions.md has no heading {heading:?}"));
    docs.lines()
        .skip(start + 1)
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2) // the header row and its rule
        .map(|row| {
            row.trim_matches('|')
                .split(" | ")
                .map(|cell| cell.trim().trim_matches('`').to_owned())
                .collect()
        })
        .collect()
}

fn first_column(rows: &[Vec<String>]) -> BTreeSet<String> {
    rows.iter().map(|r| r[0].clone()).collect()
}

fn properties(schema: &Value) -> BTreeSet<String> {
    schema["properties"]
        .as_object()
        .expect("an object schema")
        .keys()
        .cloned()
        .collect()
}

/// The `A–B` bounds a docs cell states first, if any (`integer, 100–60000`).
fn range(cell: &str) -> Option<(u64, u64)> {
    let (low, rest) = cell.split_once('–')?;
    let low = low
        .rsplit(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()?;
    let high = rest
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()?;
    Some((low, high))
}

#[test]
fn the_endpoint_options_table_names_the_documented_fields_with_their_bounds() {
    let rows = table(&docs(), "## Endpoint `options`");
    let options = schema("EndpointOptions");
    assert_eq!(first_column(&rows), properties(&options));
    for row in &rows {
        let (name, kind) = (&row[0], &row[1]);
        let field = &options["properties"][name];
        let Some((low, high)) = range(kind) else {
            continue;
        };
        let (min, max) = if kind.starts_with("array") {
            ("minItems", "maxItems")
        } else {
            ("minimum", "maximum")
        };
        assert_eq!(
            field[min].as_u64(),
            Some(low),
            "{name}: {kind} against {field}"
        );
        assert_eq!(
            field[max].as_u64(),
            Some(high),
            "{name}: {kind} against {field}"
        );
    }
    let content_type = &options["properties"]["contentType"];
    assert!(rows.iter().any(
        |r| r[0] == "contentType" && r[1].contains(&format!("≤ {}", content_type["maxLength"]))
    ));
}

#[test]
fn the_retry_policy_and_event_type_tables_name_the_documented_fields() {
    let docs = docs();
    assert_eq!(
        first_column(&table(&docs, "### RetryPolicy")),
        properties(&schema("RetryPolicy"))
    );
    assert_eq!(
        first_column(&table(&docs, "## Event type `options`")),
        properties(&schema("EventTypeOptions"))
    );
}

#[test]
fn the_auth_scheme_table_names_the_documented_types_and_their_fields() {
    let rows = table(&docs(), "### AuthScheme");
    let variants = schema("AuthScheme")["oneOf"]
        .as_array()
        .expect("AuthScheme is a oneOf")
        .clone();
    let documented: BTreeSet<String> = variants
        .iter()
        .map(|v| {
            v["properties"]["type"]["enum"][0]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(first_column(&rows), documented);
    for variant in &variants {
        let kind = variant["properties"]["type"]["enum"][0].as_str().unwrap();
        let row = rows.iter().find(|r| r[0] == kind).unwrap();
        for field in properties(variant).iter().filter(|f| *f != "type") {
            assert!(
                row[1].contains(&format!("`{field}`")) || row[1].starts_with(field.as_str()),
                "the {kind} row does not name its field {field}: {row:?}"
            );
        }
    }
}
