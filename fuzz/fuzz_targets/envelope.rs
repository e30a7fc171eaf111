//! Fuzzes envelope templates (`hookd_core::envelope`): any JSON text either fails to parse or
//! yields an envelope that validates without panicking, survives a round trip through JSON
//! with its key order intact, and, when valid, renders for any message into valid JSON no
//! larger than the rendering cap (or fails only for being too large). Arbitrary placeholder
//! text goes through `parse_pieces` too. It must not assert anything the envelope's
//! documentation does not promise.

#![no_main]

use arbitrary::Arbitrary;
use chrono::DateTime;
use hookd_core::envelope::{parse_pieces, Context, Envelope, TemplateError, MAX_RENDERED_BYTES};
use libfuzzer_sys::fuzz_target;
use serde_json::value::RawValue;

#[derive(Debug, Arbitrary)]
struct Input {
    template: String,
    payload: String,
    event_id: Option<String>,
    event_type: String,
    channels: Option<Vec<String>>,
    millis: i64,
    endpoint_uid: Option<String>,
}

fuzz_target!(|input: Input| {
    let _ = parse_pieces(&input.template);

    let Ok(envelope) = serde_json::from_str::<Envelope>(&input.template) else {
        return;
    };
    let text = serde_json::to_string(&envelope).expect("a parsed envelope serializes");
    let again: Envelope = serde_json::from_str(&text).expect("a serialized envelope parses");
    assert_eq!(again, envelope, "round trip changed the envelope: {text}");

    if !envelope.validate(&["envelope"]).is_empty() {
        return;
    }
    // A payload is what the API accepted: a JSON object, kept as its exact text.
    let payload = match serde_json::from_str::<Box<RawValue>>(&input.payload) {
        Ok(raw) if raw.get().trim_start().starts_with('{') => input.payload.as_str(),
        _ => r#"{"a": [1, 2.50, {"b": null}], "c": "d\u00e9"}"#,
    };
    let timestamp = DateTime::from_timestamp_millis(input.millis)
        .or_else(|| DateTime::from_timestamp_millis(0))
        .expect("a valid time");
    let ctx = Context {
        msg_id: "msg_2ZkS6PqMbX0Xh1Ue5JmYpB",
        event_id: input.event_id.as_deref(),
        event_type: &input.event_type,
        timestamp,
        channels: input.channels.as_deref(),
        payload,
        endpoint_id: "ep_2ZkS6PqMbX0Xh1Ue5JmYpC",
        endpoint_uid: input.endpoint_uid.as_deref(),
        app_id: "app_2ZkS6PqMbX0Xh1Ue5JmYpD",
    };
    match envelope.render(&ctx) {
        Ok(body) => {
            assert!(
                body.len() <= MAX_RENDERED_BYTES,
                "{} bytes rendered",
                body.len()
            );
            if let Err(e) = serde_json::from_str::<serde_json::Value>(&body) {
                panic!("rendered invalid JSON ({e}): {body}");
            }
        }
        Err(TemplateError::TooLarge) => {}
        Err(e) => panic!("a valid template failed to render: {e}"),
    }
});
