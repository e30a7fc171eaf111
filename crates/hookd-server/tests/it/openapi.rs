//! The OpenAPI document: served without a token, equal to the committed snapshot, complete
//! (every route the router serves under `/api/v1` is in it, and every operation in it is
//! routed), and faithful to Svix's operation ids for Svix's operations.
//!
//! These tests must not rewrite the snapshot unless asked to (`HOOKD_UPDATE_OPENAPI=1`), so
//! that a change to the document is always a reviewed change.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
};

use axum::{
    body::Body,
    http::{Method, Request, StatusCode},
};
use hookd_server::api::{self, openapi, UnknownRoute};
use serde_json::Value;
use tower::ServiceExt;

use crate::common::Harness;

/// The committed snapshot of the generated document.
fn snapshot_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/openapi.json")
}

/// How to accept a change to the document.
const UPDATE_HINT: &str = "the generated OpenAPI document differs from the committed snapshot \
     crates/hookd-server/tests/openapi.json. If the change is intended, regenerate the snapshot \
     with `HOOKD_UPDATE_OPENAPI=1 cargo nextest run -p hookd-server openapi` (or `cargo test -p \
     hookd-server --test it openapi`), review `git diff crates/hookd-server/tests/openapi.json` \
     and commit it with the code that changed it";

#[test]
fn the_document_matches_the_committed_snapshot() {
    let generated = openapi::document_json();
    let path = snapshot_path();
    if std::env::var_os("HOOKD_UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, generated).expect("write the snapshot");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != generated {
        let first_difference = committed
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| committed.lines().count().min(generated.lines().count()));
        panic!(
            "{UPDATE_HINT}. First difference at line {}: snapshot has {:?}, generated has {:?}",
            first_difference + 1,
            committed.lines().nth(first_difference).unwrap_or("<end>"),
            generated.lines().nth(first_difference).unwrap_or("<end>"),
        );
    }
}

#[tokio::test]
async fn the_document_is_served_without_a_token() {
    let h = Harness::new().await;
    let r = h
        .raw(Method::GET, "/api/v1/openapi.json", None, None, &[])
        .await
        .expect(200);
    assert_eq!(
        r.headers["content-type"], "application/json",
        "served as JSON"
    );
    assert_eq!(r.body, openapi::document_json().as_bytes());
    assert_eq!(
        r.json["paths"]["/api/v1/openapi.json"]["get"]["operationId"],
        "hookd.openapi.get"
    );
}

/// Svix's operations as its open-source document names them (the reference document gives
/// `/health/ping` no id; hookd names it `v1.health.ping`).
const SVIX_OPERATIONS: [(&str, &str, &str); 44] = [
    ("GET", "/api/v1/app", "v1.application.list"),
    ("POST", "/api/v1/app", "v1.application.create"),
    ("DELETE", "/api/v1/app/{app_id}", "v1.application.delete"),
    ("GET", "/api/v1/app/{app_id}", "v1.application.get"),
    ("PATCH", "/api/v1/app/{app_id}", "patch_application"),
    ("PUT", "/api/v1/app/{app_id}", "v1.application.update"),
    (
        "GET",
        "/api/v1/app/{app_id}/attempt/endpoint/{endpoint_id}",
        "v1.message-attempt.list-by-endpoint",
    ),
    (
        "GET",
        "/api/v1/app/{app_id}/attempt/msg/{msg_id}",
        "v1.message-attempt.list-by-msg",
    ),
    ("GET", "/api/v1/app/{app_id}/endpoint", "v1.endpoint.list"),
    (
        "POST",
        "/api/v1/app/{app_id}/endpoint",
        "v1.endpoint.create",
    ),
    (
        "DELETE",
        "/api/v1/app/{app_id}/endpoint/{endpoint_id}",
        "v1.endpoint.delete",
    ),
    (
        "GET",
        "/api/v1/app/{app_id}/endpoint/{endpoint_id}",
        "v1.endpoint.get",
    ),
    (
        "PATCH",
        "/api/v1/app/{app_id}/endpoint/{endpoint_id}",
        "patch_endpoint",
    ),
    (
        "PUT",
        "/api/v1/app/{app_id}/endpoint/{endpoint_id}",
        "v1.endpoint.update",
    ),
    (
        "GET",
        "/api/v1/app/{app_id}/endpoint/{endpoint_id}/headers",
        "v1.endpoint.get-headers",
    ),
    (
        "PATCH",
        "/api/v1/app/{app_id}/endpoint/{endpoint_id}/headers",
        "v1.endpoint.patch-headers",
    ),
    (
        "PUT",
        "/api/v1/app/{app_id}/endpoint/{endpoint_id}/headers",
        "v1.endpoint.update-headers",
    ),
    (
        "GET",
        "/api/v1/app/{app_id}/endpoint/{endpoint_id}/msg",
        "v1.message-attempt.list-attempted-messages",
    ),
    (
        "POST",
        "/api/v1/app/{app_id}/endpoint/{endpoint_id}/recover",
        "v1.endpoint.recover",
    ),
    (
        "GET",
        "/api/v1/app/{app_id}/endpoint/{endpoint_id}/secret",
        "v1.endpoint.get-secret",
    ),
    (
        "POST",
        "/api/v1/app/{app_id}/endpoint/{endpoint_id}/secret/rotate",
        "v1.endpoint.rotate-secret",
    ),
    (
        "POST",
        "/api/v1/app/{app_id}/endpoint/{endpoint_id}/send-example",
        "v1.endpoint.send-example",
    ),
    (
        "GET",
        "/api/v1/app/{app_id}/endpoint/{endpoint_id}/stats",
        "v1.endpoint.get-stats",
    ),
    ("GET", "/api/v1/app/{app_id}/msg", "v1.message.list"),
    ("POST", "/api/v1/app/{app_id}/msg", "v1.message.create"),
    ("GET", "/api/v1/app/{app_id}/msg/{msg_id}", "v1.message.get"),
    (
        "GET",
        "/api/v1/app/{app_id}/msg/{msg_id}/attempt/{attempt_id}",
        "v1.message-attempt.get",
    ),
    (
        "DELETE",
        "/api/v1/app/{app_id}/msg/{msg_id}/attempt/{attempt_id}/content",
        "v1.message-attempt.expunge-content",
    ),
    (
        "DELETE",
        "/api/v1/app/{app_id}/msg/{msg_id}/content",
        "v1.message.expunge-content",
    ),
    (
        "GET",
        "/api/v1/app/{app_id}/msg/{msg_id}/endpoint",
        "v1.message-attempt.list-attempted-destinations",
    ),
    (
        "POST",
        "/api/v1/app/{app_id}/msg/{msg_id}/endpoint/{endpoint_id}/resend",
        "v1.message-attempt.resend",
    ),
    (
        "POST",
        "/api/v1/auth/app-portal-access/{app_id}",
        "v1.authentication.app-portal-access",
    ),
    (
        "POST",
        "/api/v1/auth/logout",
        "logout_api_v1_auth_logout__post",
    ),
    ("GET", "/api/v1/event-type", "v1.event-type.list"),
    ("POST", "/api/v1/event-type", "v1.event-type.create"),
    (
        "DELETE",
        "/api/v1/event-type/{event_type_name}",
        "v1.event-type.delete",
    ),
    (
        "GET",
        "/api/v1/event-type/{event_type_name}",
        "v1.event-type.get",
    ),
    (
        "PATCH",
        "/api/v1/event-type/{event_type_name}",
        "patch_event_type",
    ),
    (
        "PUT",
        "/api/v1/event-type/{event_type_name}",
        "v1.event-type.update",
    ),
    ("GET", "/api/v1/health", "v1.health.get"),
    ("HEAD", "/api/v1/health", "v1.health.get"),
    ("GET", "/api/v1/health/ping", "v1.health.ping"),
    ("HEAD", "/api/v1/health/ping", "v1.health.ping"),
    ("GET", "/api/v1/openapi.json", "hookd.openapi.get"),
];

/// The document as JSON.
fn document() -> Value {
    serde_json::from_str(openapi::document_json()).expect("the document is JSON")
}

/// Every (METHOD, path) → operation id in the document.
fn operations(doc: &Value) -> BTreeMap<(String, String), String> {
    let mut out = BTreeMap::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("a path item") {
            let id = op["operationId"].as_str().unwrap_or_default().to_owned();
            out.insert((method.to_uppercase(), path.clone()), id);
        }
    }
    out
}

#[test]
fn svix_operations_keep_their_ids_and_every_operation_has_a_unique_one() {
    let doc = document();
    let ops = operations(&doc);
    for (method, path, id) in SVIX_OPERATIONS {
        assert_eq!(
            ops.get(&(method.to_owned(), path.to_owned()))
                .map(String::as_str),
            Some(id),
            "{method} {path}"
        );
    }
    let mut seen = BTreeMap::new();
    for ((method, path), id) in &ops {
        assert!(!id.is_empty(), "{method} {path} has no operationId");
        // GET and HEAD of one path are one operation, as in Svix's document.
        if let Some(other) = seen.insert(id.clone(), path.clone()) {
            assert_eq!(&other, path, "operationId {id} is used twice");
        }
    }
}

/// A malformed `Idempotency-Key` is answered 400 (`invalid_idempotency_key`) before the handler
/// runs, so every operation that takes the header must document a 400 (Schemathesis found two
/// that did not).
#[test]
fn every_operation_taking_an_idempotency_key_documents_its_400() {
    let doc = document();
    let mut missing = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("a path item") {
            let takes_key = op["parameters"].as_array().into_iter().flatten().any(|p| {
                p["name"]
                    .as_str()
                    .is_some_and(|n| n.eq_ignore_ascii_case("idempotency-key"))
            });
            if takes_key && op["responses"].get("400").is_none() {
                missing.push(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    assert!(missing.is_empty(), "no 400 documented: {missing:?}");
}

/// Every string literal in the server's sources that is an API path (route templates, paths
/// in checks): a route added outside the documented routers shows up here.
fn api_path_literals() -> BTreeSet<String> {
    fn walk(dir: &Path, out: &mut BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).expect("read the sources") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("read a source");
                for (i, _) in text.match_indices("\"/api/v1") {
                    let rest = &text[i + 1..];
                    let end = rest.find('"').unwrap_or(rest.len());
                    let literal = rest[..end].split('?').next().unwrap_or_default();
                    if !literal.contains(char::is_whitespace) {
                        out.insert(literal.trim_end_matches('/').to_owned());
                    }
                }
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut out);
    out
}

/// A concrete path for a template: every `{param}` becomes a harmless value.
fn concrete(template: &str) -> String {
    let mut out = String::new();
    let mut in_param = false;
    for c in template.chars() {
        match (c, in_param) {
            ('{', _) => in_param = true,
            ('}', true) => {
                in_param = false;
                out.push_str("x1");
            }
            (_, true) => {}
            (c, false) => out.push(c),
        }
    }
    out
}

/// Whether `path` is `template` with each `{param}` filled by one segment.
fn fills(template: &str, path: &str) -> bool {
    let (t, p): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(t, p)| t == p || (t.starts_with('{') && t.ends_with('}')))
}

/// Whether the router answers `method path` with a route (rather than its fallback or a 405).
/// The request carries an admin token: the authentication middleware wraps each path's
/// methods and would otherwise answer 401 before the 405.
async fn routed(router: &axum::Router, token: &str, method: &Method, path: &str) -> bool {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .expect("a request");
    let response = router
        .clone()
        .oneshot(request)
        .await
        .expect("the router is infallible");
    response.status() != StatusCode::METHOD_NOT_ALLOWED
        && response.extensions().get::<UnknownRoute>().is_none()
}

#[tokio::test]
async fn every_route_under_api_v1_is_documented_and_every_operation_is_routed() {
    let h = Harness::new().await;
    let router = api::router(h.state.clone());
    let doc = document();
    let ops = operations(&doc);

    // Candidates: every documented path, every prefix of one, and every API path literal in
    // the sources.
    let mut candidates: BTreeSet<String> = api_path_literals();
    for (_, path) in ops.keys() {
        let mut prefix = String::new();
        for segment in path.split('/').filter(|s| !s.is_empty()) {
            prefix.push('/');
            prefix.push_str(segment);
            candidates.insert(prefix.clone());
        }
    }
    candidates.retain(|p| p.starts_with("/api/v1"));
    assert!(
        candidates.len() > 40,
        "the scan found too few paths: {candidates:?}"
    );

    let methods = [
        Method::GET,
        Method::HEAD,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::OPTIONS,
        Method::TRACE,
    ];
    let documented = |method: &Method, path: &str| {
        let key = |m: &Method| (m.as_str().to_owned(), path.to_owned());
        // axum answers HEAD wherever it answers GET; the document lists HEAD where Svix does.
        ops.contains_key(&key(method))
            || (method == Method::HEAD && ops.contains_key(&key(&Method::GET)))
    };
    let mut undocumented = Vec::new();
    for template in &candidates {
        // A literal that is a concrete path of a documented template is that template.
        let path = concrete(template);
        let matching_template = ops
            .keys()
            .map(|(_, p)| p)
            .find(|p| concrete(p) == path)
            .cloned()
            .unwrap_or_else(|| template.clone());
        for method in &methods {
            // A static segment beside a parameter (`…/msg/precheck` next to `…/msg/{msg_id}`)
            // routes to the parameter's operation, which must be documented for this method.
            let by_parameter = ops.keys().any(|(m, p)| {
                (m == method.as_str() || (method == Method::HEAD && m == "GET")) && fills(p, &path)
            });
            if routed(&router, &h.admin, method, &path).await
                && !documented(method, &matching_template)
                && !by_parameter
            {
                undocumented.push(format!("{method} {template}"));
            }
        }
    }
    assert!(
        undocumented.is_empty(),
        "routes served under /api/v1 but missing from the OpenAPI document: {undocumented:?}"
    );

    let mut unrouted = Vec::new();
    for (method, path) in ops.keys() {
        let method = Method::from_bytes(method.as_bytes()).expect("a method");
        if !routed(&router, &h.admin, &method, &concrete(path)).await {
            unrouted.push(format!("{method} {path}"));
        }
    }
    assert!(
        unrouted.is_empty(),
        "operations in the OpenAPI document that no route serves: {unrouted:?}"
    );
}
