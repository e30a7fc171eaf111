//! Nothing a client sends is accepted and then ignored: on every documented operation, a query
//! parameter or a body field the operation does not document is a 422 naming it, and the
//! document says so (`additionalProperties: false` on every request object schema), so that
//! generated clients and fuzzers see the same contract the server keeps.
//!
//! The cases are derived from the served document rather than listed by hand, so a route or
//! a request type added later is covered without anyone remembering to add it here.

use axum::http::Method;
use serde_json::{json, Value};

use crate::common::Harness;

/// A name no operation declares.
const PROBE: &str = "hookdProbeUnknownName";

fn document() -> Value {
    serde_json::from_str(hookd_server::api::openapi::document_json()).expect("the document")
}

/// Every documented `(method, path template, operation)`.
fn operations(doc: &Value) -> Vec<(Method, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("a path item") {
            if let Ok(m) = method.to_ascii_uppercase().parse::<Method>() {
                out.push((m, path.clone(), op.clone()));
            }
        }
    }
    assert!(out.len() > 40, "the document lists its operations");
    out
}

/// A concrete path for a template: every `{param}` becomes a harmless id.
fn concrete(template: &str) -> String {
    let mut out = String::new();
    let mut in_param = false;
    for c in template.chars() {
        match c {
            '{' => in_param = true,
            '}' => {
                in_param = false;
                out.push_str("probe1");
            }
            _ if in_param => {}
            c => out.push(c),
        }
    }
    out
}

fn first_loc(r: &Value) -> Value {
    r["detail"][0]["loc"].clone()
}

#[tokio::test]
async fn every_operation_refuses_an_undocumented_query_parameter_by_name() {
    let h = Harness::new().await;
    let admin = h.admin.clone();
    for (method, template, _) in operations(&document()) {
        let path = format!("{}?{PROBE}=1", concrete(&template));
        let r = h.raw(method.clone(), &path, Some(&admin), None, &[]).await;
        assert_eq!(r.status.as_u16(), 422, "{method} {template}: {:?}", r.json);
        if method == Method::HEAD {
            continue; // the same answer as GET's, without its body
        }
        assert_eq!(
            first_loc(&r.json),
            json!(["query", PROBE]),
            "{method} {template}"
        );
    }
}

#[tokio::test]
async fn every_request_body_refuses_an_undocumented_field_by_name() {
    let h = Harness::new().await;
    let admin = h.admin.clone();
    let body = json!({ PROBE: null }).to_string();
    let mut seen = 0;
    let doc = document();
    for (method, template, op) in operations(&doc) {
        let schema = &op["requestBody"]["content"]["application/json"]["schema"];
        let schema = match schema["$ref"].as_str() {
            Some(r) => &doc["components"]["schemas"][r.rsplit('/').next().expect("a name")],
            None => schema,
        };
        // A body documented as free-form (no properties, e.g. a whole document to import) is
        // data, not fields; every other body names its fields.
        if !schema["properties"].is_object() {
            continue;
        }
        seen += 1;
        let r = h
            .raw(
                method.clone(),
                &concrete(&template),
                Some(&admin),
                Some(&body),
                &[],
            )
            .await;
        assert_eq!(r.status.as_u16(), 422, "{method} {template}: {:?}", r.json);
        assert_eq!(
            first_loc(&r.json),
            json!(["body", PROBE]),
            "{method} {template}"
        );
        assert_eq!(r.json["detail"][0]["type"], "value_error.unknown");
    }
    assert!(seen > 10, "the document has request bodies");
}

/// Every object schema with properties that `schema` reaches (through `$ref`, unions, array
/// items and map values), named by where it was reached; `refs` holds the components seen.
fn request_objects(
    doc: &Value,
    schema: &Value,
    at: &str,
    refs: &mut Vec<String>,
    out: &mut Vec<(String, Value)>,
) {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r
            .rsplit('/')
            .next()
            .expect("a ref names a schema")
            .to_owned();
        if !refs.contains(&name) {
            refs.push(name.clone());
            request_objects(doc, &doc["components"]["schemas"][&name], &name, refs, out);
        }
        return;
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        for (i, s) in schema[key].as_array().into_iter().flatten().enumerate() {
            request_objects(doc, s, &format!("{at}/{key}/{i}"), refs, out);
        }
    }
    // An object that a wire type declares says `"type": "object"`; a schema with `properties`
    // but no type is one of the document's rules between fields (`api::doc_rules`), which
    // constrains the object around it and must stay open.
    let declares_object = schema["type"] == json!("object")
        || schema["type"]
            .as_array()
            .is_some_and(|t| t.contains(&json!("object")));
    if let Some(props) = schema["properties"].as_object().filter(|_| declares_object) {
        out.push((at.to_owned(), schema.clone()));
        for (name, s) in props {
            request_objects(doc, s, &format!("{at}.{name}"), refs, out);
        }
    }
    if schema["items"].is_object() {
        request_objects(doc, &schema["items"], &format!("{at}[]"), refs, out);
    }
    if schema["additionalProperties"].is_object() {
        request_objects(
            doc,
            &schema["additionalProperties"],
            &format!("{at}{{}}"),
            refs,
            out,
        );
    }
}

#[test]
fn the_document_shows_every_request_object_as_closed() {
    let doc = document();
    let (mut refs, mut objects) = (Vec::new(), Vec::new());
    for (method, template, op) in operations(&doc) {
        for (_, content) in op["requestBody"]["content"]
            .as_object()
            .into_iter()
            .flatten()
        {
            let at = format!("{method} {template}");
            request_objects(&doc, &content["schema"], &at, &mut refs, &mut objects);
        }
    }
    assert!(
        refs.iter().any(|r| r == "ApplicationIn"),
        "nested request types are reached"
    );
    let open: Vec<&String> = objects
        .iter()
        .filter(|(_, s)| s["additionalProperties"] != json!(false))
        .map(|(at, _)| at)
        .collect();
    assert!(
        open.is_empty(),
        "request object schemas that would accept unknown fields (add \
         `#[serde(deny_unknown_fields)]` to their wire type): {open:?}"
    );
}

#[tokio::test]
async fn auth_schemes_refuse_fields_they_do_not_have() {
    let h = Harness::new().await;
    h.app("a").await;
    let endpoint = |scheme: Value| json!({"url": "https://e.com", "options": {"auth": [scheme]}});
    let r = h
        .post(
            "/api/v1/app/a/endpoint",
            endpoint(json!({"type": "standardWebhooks", "header": "X-A"})),
        )
        .await
        .expect(422);
    assert_eq!(
        first_loc(&r.json),
        json!(["body", "options", "auth", "0", "header"])
    );
    let r = h
        .post(
            "/api/v1/app/a/endpoint",
            endpoint(json!({"type": "staticHeader", "header": "X-A", "valeu": "v"})),
        )
        .await
        .expect(422);
    assert_eq!(
        first_loc(&r.json),
        json!(["body", "options", "auth", "0", "valeu"])
    );
    h.post(
        "/api/v1/app/a/endpoint",
        endpoint(json!({"type": "standardWebhooks"})),
    )
    .await
    .expect(201);
}

/// `PUT …/endpoint/{id}` shares `EndpointIn` with `POST` but is documented as Svix's
/// `EndpointUpdate`, without `secret` and `headers`: they are refused there, not dropped.
#[tokio::test]
async fn endpoint_put_refuses_a_secret_and_headers() {
    let h = Harness::new().await;
    h.app("a").await;
    let path = "/api/v1/app/a/endpoint/by-put";
    let secret = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
    let r = h
        .put(path, json!({"url": "https://e.com", "secret": secret}))
        .await
        .expect(422);
    assert_eq!(first_loc(&r.json), json!(["body", "secret"]));
    let r = h
        .put(
            path,
            json!({"url": "https://e.com", "headers": {"X-A": "1"}}),
        )
        .await
        .expect(422);
    assert_eq!(first_loc(&r.json), json!(["body", "headers"]));
    h.put(path, json!({"url": "https://e.com", "headers": {}}))
        .await
        .expect(201);
}
