//! The envelope's tests: parsing, checking and rendering, and the fuzz-like properties.

use super::*;
use rand::{rngs::StdRng, Rng, SeedableRng};

fn envelope(json: &str) -> Envelope {
    let e: Envelope = serde_json::from_str(json).unwrap();
    assert_eq!(e.validate(&["envelope"]), vec![], "{json}");
    e
}

fn ctx(payload: &str) -> Context<'_> {
    Context {
        msg_id: "msg_2bX9",
        event_id: None,
        event_type: "shop.incoming_message",
        timestamp: chrono::DateTime::parse_from_rfc3339("2021-11-04T21:52:41.025Z")
            .unwrap()
            .to_utc(),
        channels: None,
        payload,
        endpoint_id: "ep_1",
        endpoint_uid: Some("89066f0a-eb36-4ed8-b98c-606e6dcac715"),
        app_id: "app_1",
    }
}

#[test]
fn postscript_envelope_renders_in_order_with_the_exact_payload() {
    let e = envelope(
        r#"{"template":{"webhook_id":"{{ endpoint.uid }}","resource_type":"shop","resource_id":"{{ payload.shop_id }}","event_time":"{{ msg.timestamp | date: \"%Y-%m-%dT%H:%M:%S%.6f\" }}","event":"{{ msg.eventType }}","event_data":"{{ payload }}"}}"#,
    );
    let payload = r#"{"id": "im_1", "shop_id": "shop_1234567abcd", "n": 1.50}"#;
    assert_eq!(
        e.render(&ctx(payload)).unwrap(),
        r#"{"webhook_id":"89066f0a-eb36-4ed8-b98c-606e6dcac715","resource_type":"shop","resource_id":"shop_1234567abcd","event_time":"2021-11-04T21:52:41.025000","event":"shop.incoming_message","event_data":{"id": "im_1", "shop_id": "shop_1234567abcd", "n": 1.50}}"#
    );
    // The stored form keeps the key order too.
    let stored = serde_json::to_string(&e).unwrap();
    let back: Envelope = serde_json::from_str(&stored).unwrap();
    assert_eq!(back, e);
    assert!(stored.find("webhook_id").unwrap() < stored.find("event_data").unwrap());
}

#[test]
fn postmen_envelope() {
    let e = envelope(
        r#"{"template":{"event":"{{msg.eventType}}","date_time":"{{msg.timestamp|date:'%Y-%m-%dT%H:%M:%S%:z'}}","meta":"{{payload.meta}}","data":"{{payload.data}}"}}"#,
    );
    let mut c = ctx(r#"{"meta":{"code":4713},"data":{"id":"x"}}"#);
    c.event_type = "calculate_rates";
    assert_eq!(
        e.render(&c).unwrap(),
        r#"{"event":"calculate_rates","date_time":"2021-11-04T21:52:41+00:00","meta":{"code":4713},"data":{"id":"x"}}"#
    );
}

#[test]
fn fields_filters_interpolation_and_missing_paths() {
    let e = envelope(
        r#"{"template":{"a":"id {{ msg.id }} at {{ msg.timestamp | unix }}","b":"{{ payload.items.1 }}","c":"{{ payload.nope.deeper }}","d":"x{{ payload.nope }}y","e":"{{ payload[\"odd key\"] }}","f":"{{ msg.eventId }}","g":"{{ \"{{\" }} literal","h":"{{ payload.items | json }}","i":"{{ msg.timestamp }}","j":"{{ msg.timestamp | unixMs }}","k":"{{ payload.s }}!","l":[1,true,null,"{{app.id}}"],"m":"{{ msg.uuid }}"}}"#,
    );
    let out = e
        .render(&ctx(r#"{"items":[1,{"x":2}],"odd key":"v","s":"q\"uote"}"#))
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["a"], "id msg_2bX9 at 1636062761");
    assert_eq!(v["b"], serde_json::json!({"x": 2}));
    assert_eq!(v["c"], serde_json::Value::Null);
    assert_eq!(v["d"], "xy");
    assert_eq!(v["e"], "v");
    assert_eq!(v["f"], serde_json::Value::Null);
    assert_eq!(v["g"], "{{ literal");
    assert_eq!(v["h"], r#"[1,{"x":2}]"#);
    assert_eq!(v["i"], "2021-11-04T21:52:41.025Z");
    assert_eq!(v["j"], 1_636_062_761_025_i64);
    assert_eq!(v["k"], "q\"uote!");
    assert_eq!(v["l"], serde_json::json!([1, true, null, "app_1"]));
    assert_eq!(v["m"].as_str().unwrap().len(), 36);
    assert_eq!(v["m"], msg_uuid("msg_2bX9"));
    assert_eq!(&msg_uuid("msg_2bX9")[14..15], "8", "version 8");
}

#[test]
fn identity_envelope_is_byte_exact() {
    let e = envelope(r#"{"template":"{{ payload }}"}"#);
    let payload = r#"{ "b": 1,   "a": [1.0] }"#;
    assert_eq!(e.render(&ctx(payload)).unwrap(), payload);
}

#[test]
fn bad_templates_name_where() {
    let cases = [
        (
            r#"{"template":{"a":{"b":"{{ msg.nope }}"}}}"#,
            "b",
            "unknown field",
        ),
        (r#"{"template":{"a":"{{ payload"}}"#, "a", "expected"),
        (
            r#"{"template":{"a":"{{ msg.id | date: \"%Y\" }}"}}"#,
            "a",
            "msg.timestamp only",
        ),
        (
            r#"{"template":{"a":"{{ msg.timestamp | date: \"%Q\" }}"}}"#,
            "a",
            "strftime",
        ),
        (
            r#"{"template":{"a":"{{ msg.timestamp | shout }}"}}"#,
            "a",
            "unknown filter",
        ),
        (r#"{"template":{"a":"{{ \"x }}"}}"#, "a", "unterminated"),
        (r#"{"template":[1]}"#, "template", "JSON object"),
        (r#"{"template":{"a":1,"a":2}}"#, "a", "twice"),
    ];
    for (json, last, words) in cases {
        let e: Envelope = serde_json::from_str(json).unwrap();
        let v = e.validate(&["body", "envelope"]);
        assert!(
            v.iter()
                .any(|v| v.loc.last().map(String::as_str) == Some(last) && v.msg.contains(words)),
            "{json}: {v:?}"
        );
    }
}

#[test]
fn rendering_is_bounded() {
    let many: Vec<String> = (0..MAX_PLACEHOLDERS)
        .map(|_| "\"{{payload}}\"".into())
        .collect();
    let e: Envelope =
        serde_json::from_str(&format!(r#"{{"template":{{"a":[{}]}}}}"#, many.join(","))).unwrap();
    assert_eq!(e.validate(&["e"]), vec![]);
    let big = format!(r#"{{"s":"{}"}}"#, "x".repeat(MAX_RENDERED_BYTES / 32));
    assert_eq!(e.render(&ctx(&big)), Err(TemplateError::TooLarge));
    let too_many: Vec<String> = (0..=MAX_PLACEHOLDERS)
        .map(|_| "\"{{payload}}\"".into())
        .collect();
    let e: Envelope = serde_json::from_str(&format!(
        r#"{{"template":{{"a":[{}]}}}}"#,
        too_many.join(",")
    ))
    .unwrap();
    assert!(!e.validate(&["e"]).is_empty());
}

/// A poor man's fuzzer: random strings over the template alphabet never make the parser
/// panic, and whatever parses renders.
#[test]
fn the_parser_survives_random_input() {
    let alphabet: Vec<char> = "{}|:.[]\"'\\ msgpayloadidtimestampdateunixjson%Y-é💥"
        .chars()
        .collect();
    let mut rng = StdRng::seed_from_u64(7);
    for _ in 0..20_000 {
        let len = rng.gen_range(0..24);
        let s: String = (0..len)
            .map(|_| alphabet[rng.gen_range(0..alphabet.len())])
            .collect();
        if parse_pieces(&s).is_ok() {
            let e = Envelope {
                template: Node::Object(vec![("k".into(), Node::String(s.clone()))]),
            };
            let out = e.render(&ctx(r#"{"a":1}"#)).unwrap();
            assert!(
                serde_json::from_str::<serde_json::Value>(&out).is_ok(),
                "{s:?} → {out}"
            );
        }
    }
}
