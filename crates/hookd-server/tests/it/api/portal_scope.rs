//! Portal scopes (`readOnly`, `capabilities`) over every route of the OpenAPI document: each
//! scope's token is sent to every operation, with real ids of its own application and of
//! another one, and must be refused (403) exactly where the scope says so. The routes come
//! from the served document, so a route added later is walked too; its expected answer comes
//! from the rules below, which restate Svix's capabilities independently of `crate::access`
//! (a write they do not name must be closed to every narrowed token).

use std::collections::BTreeSet;

use axum::http::Method;
use hookd_server::api::openapi;
use serde_json::{json, Value};

use crate::common::Harness;

/// Every (method, template) of the document.
fn operations() -> Vec<(Method, String)> {
    let doc: Value = serde_json::from_str(openapi::document_json()).expect("the document");
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("a path item").keys() {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("a method");
            out.push((method, path.clone()));
        }
    }
    assert!(out.len() > 40, "too few operations: {out:?}");
    out
}

/// What Svix's capabilities grant, restated for the test.
struct Expect {
    caps: BTreeSet<&'static str>,
}

const ALL: [&str; 6] = [
    "ViewBase",
    "ViewEndpointSecret",
    "ManageEndpointSecret",
    "ManageTransformations",
    "CreateAttempts",
    "ManageEndpoint",
];

impl Expect {
    fn new(read_only: bool, given: Option<&[&'static str]>) -> Self {
        let caps = given
            .unwrap_or(&ALL)
            .iter()
            .copied()
            .filter(|c| !read_only || *c == "ViewBase" || *c == "ViewEndpointSecret")
            .collect();
        Self { caps }
    }

    fn has(&self, any: &[&str]) -> bool {
        any.iter().any(|c| self.caps.contains(c))
    }

    /// Whether an application token of this scope may use the route on its own application.
    fn allowed(&self, method: &Method, template: &str) -> bool {
        let reads = method == Method::GET || method == Method::HEAD;
        let app = "/api/v1/app/{app_id}";
        let ep = "/api/v1/app/{app_id}/endpoint/{endpoint_id}";
        if template.starts_with("/api/v1/hookd/token") || template == "/api/v1/hookd/audit" {
            // The admin tokens and the audit log are the operators' business alone.
            return false;
        }
        if template.starts_with("/api/v1/hookd/")
            || template.starts_with("/api/v1/health")
            || template == "/api/v1/openapi.json"
        {
            // Open routes that only read.
            return reads;
        }
        if template == "/api/v1/auth/logout" {
            return true;
        }
        if template.starts_with("/api/v1/event-type") {
            return reads;
        }
        if !(template == app || template.starts_with(&format!("{app}/"))) {
            return false;
        }
        if reads {
            return if template == format!("{ep}/secret")
                || template == format!("{ep}/signing-token")
            {
                self.has(&[
                    "ViewEndpointSecret",
                    "ManageEndpointSecret",
                    "ManageEndpoint",
                ])
            } else {
                self.has(&["ViewBase"])
            };
        }
        if template == app {
            return false;
        }
        let manage_endpoint = (template == format!("{app}/endpoint") && method == Method::POST)
            || template == ep
            || template == format!("{ep}/headers");
        let attempts = [
            format!("{ep}/recover"),
            format!("{ep}/send-example"),
            format!("{ep}/test"),
            format!("{ep}/bulk-resend"),
            format!("{ep}/bulk-replay"),
            format!("{ep}/replay-missing"),
            format!("{app}/msg/{{msg_id}}/endpoint/{{endpoint_id}}/resend"),
        ];
        if manage_endpoint {
            self.has(&["ManageEndpoint"])
        } else if template == format!("{ep}/secret/rotate") {
            self.has(&["ManageEndpointSecret", "ManageEndpoint"])
        } else if attempts.contains(&template.to_owned()) {
            self.has(&["CreateAttempts"])
        } else {
            ALL.iter().all(|c| self.caps.contains(c))
        }
    }
}

/// The ids a template's parameters are filled with.
struct Ids {
    app: String,
    endpoint: String,
    msg: String,
    attempt: String,
}

fn concrete(template: &str, ids: &Ids) -> String {
    template
        .replace("{app_id}", &ids.app)
        .replace("{endpoint_id}", &ids.endpoint)
        .replace("{msg_id}", &ids.msg)
        .replace("{attempt_id}", &ids.attempt)
        .replace("{event_type_name}", "invoice.paid")
}

/// An application with an endpoint, a message and an attempt.
async fn world(h: &Harness, uid: &str) -> Ids {
    let app = h.app(uid).await;
    let endpoint = h
        .endpoint(&app, json!({"url": format!("https://{uid}.example/hook")}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let msg = h
        .message(&app, json!({"eventType": "invoice.paid", "payload": {}}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let attempt = h.attempt_due(200).await.remove(0).id.to_string();
    Ids {
        app,
        endpoint,
        msg,
        attempt,
    }
}

/// Mints a token of the scope `body` describes for `app` and walks every operation with it.
async fn walk(read_only: bool, capabilities: Option<&[&'static str]>) {
    let h = Harness::new().await;
    h.event_type("invoice.paid").await;
    let own = world(&h, "own").await;
    let other = world(&h, "other").await;
    let mut body = json!({"readOnly": read_only});
    if let Some(caps) = capabilities {
        body["capabilities"] = json!(caps);
    }
    let r = h
        .post(&format!("/api/v1/auth/app-portal-access/{}", own.app), body)
        .await
        .expect(200);
    let token = r.json["token"].as_str().unwrap().to_owned();
    let expect = Expect::new(read_only, capabilities);
    let scope = format!("readOnly={read_only} capabilities={capabilities:?}");

    let mut wrong = Vec::new();
    let (mut allowed, mut refused_count) = (0, 0);
    for (method, template) in operations() {
        if template == "/api/v1/auth/logout" {
            continue; // Walked last: it ends the token.
        }
        let body = (method != Method::GET && method != Method::HEAD).then(|| json!({}));
        let r = h
            .call(
                method.clone(),
                &concrete(&template, &own),
                &token,
                body.clone(),
            )
            .await;
        let refused = r.status == 403;
        if refused {
            refused_count += 1;
        } else {
            allowed += 1;
        }
        if refused == expect.allowed(&method, &template) {
            wrong.push(format!("{method} {template}: {} ({})", r.status, r.code()));
        }
        if refused && r.code() != "insufficient_access" {
            wrong.push(format!("{method} {template}: 403 with code {}", r.code()));
        }
        // Another application's routes are closed whatever the scope.
        if template.starts_with("/api/v1/app/{app_id}") {
            let r = h
                .call(method.clone(), &concrete(&template, &other), &token, body)
                .await;
            if r.status != 403 {
                wrong.push(format!("{method} {template} of another app: {}", r.status));
            }
        }
    }
    assert!(wrong.is_empty(), "{scope}: {wrong:#?}");
    // The walk is not vacuous: every scope reads its application and is refused the
    // operator's routes.
    assert!(
        allowed > 20 && refused_count > 5,
        "{scope}: {allowed} allowed, {refused_count} refused"
    );
    // Every scope may end its own session.
    h.call(Method::POST, "/api/v1/auth/logout", &token, None)
        .await
        .expect(204);
}

#[tokio::test]
async fn the_default_scope_reaches_its_whole_application() {
    walk(false, None).await;
}

#[tokio::test]
async fn a_read_only_token_changes_nothing() {
    walk(true, None).await;
    walk(true, Some(&ALL)).await;
    walk(true, Some(&["ViewBase"])).await;
}

#[tokio::test]
async fn view_base_reads_everything_but_the_secret() {
    walk(false, Some(&["ViewBase"])).await;
    walk(false, Some(&["ViewBase", "ViewEndpointSecret"])).await;
}

#[tokio::test]
async fn each_managing_capability_opens_its_routes_only() {
    walk(false, Some(&["ViewBase", "ManageEndpointSecret"])).await;
    walk(false, Some(&["ViewBase", "ManageTransformations"])).await;
    walk(false, Some(&["ViewBase", "CreateAttempts"])).await;
    walk(false, Some(&["ViewBase", "ManageEndpoint"])).await;
    walk(false, Some(&ALL)).await;
}

#[tokio::test]
async fn the_session_tells_the_portal_its_scope() {
    let h = Harness::new().await;
    h.app("a").await;
    let r = h
        .post(
            "/api/v1/auth/app-portal-access/a",
            json!({"readOnly": true, "featureFlags": ["beta"]}),
        )
        .await
        .expect(200);
    let token = r.json["token"].as_str().unwrap().to_owned();
    let r = h
        .call(Method::GET, "/api/v1/hookd/session", &token, None)
        .await
        .expect(200);
    assert_eq!(r.json["readOnly"], true);
    assert_eq!(
        r.json["capabilities"],
        json!(["ViewBase", "ViewEndpointSecret"])
    );
    assert_eq!(r.json["featureFlags"], json!(["beta"]));
    let r = h.get("/api/v1/hookd/session").await.expect(200);
    assert_eq!(r.json["readOnly"], false);
    assert_eq!(r.json["capabilities"], json!(ALL));
}
