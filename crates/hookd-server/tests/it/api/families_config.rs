//! The newer configuration families of Svix's SDKs: operational-webhook endpoints, event types
//! from an OpenAPI document, environment export and import, and the usage statistics tasks.

use axum::http::Method;
use hookd_core::clock::Clock as _;
use serde_json::json;

use crate::common::Harness;

/// The operational-webhook endpoint API is the endpoint API of hookd's operational
/// application, which its first create brings into being.
#[tokio::test]
async fn operational_webhook_endpoints_are_the_operational_apps_endpoints() {
    let h = Harness::new().await;
    let base = "/api/v1/operational-webhook/endpoint";
    let empty = h.get(base).await.expect(200);
    assert_eq!(empty.json["data"], json!([]));
    assert_eq!(empty.json["done"], true);
    h.get(&format!("{base}/ops")).await.expect(404);

    let created = h
        .post(
            base,
            json!({"url": "https://ops.example.com", "uid": "ops",
                   "eventTypes": ["background_task.finished", "endpoint.disabled"],
                   "metadata": {"team": "sre"}}),
        )
        .await
        .expect(201);
    assert_eq!(created.json["uid"], "ops");
    let id = created.json["id"].as_str().unwrap().to_owned();
    // It is an endpoint of the operational application.
    let same = h
        .get("/api/v1/app/hookd-operational/endpoint/ops")
        .await
        .expect(200);
    assert_eq!(same.json["id"], id.as_str());
    let listed = h.get(base).await.expect(200);
    assert_eq!(listed.json["data"][0]["id"], id.as_str());
    let got = h.get(&format!("{base}/ops")).await.expect(200);
    assert_eq!(got.json["metadata"], json!({"team": "sre"}));

    // Only operational event types (or catalogued ones) may be filtered on.
    let r = h
        .post(
            base,
            json!({"url": "https://x.example.com", "eventTypes": ["no.such"]}),
        )
        .await
        .expect(422);
    assert_eq!(r.loc(), vec!["body", "eventTypes"]);

    let updated = h
        .put(
            &format!("{base}/{id}"),
            json!({"url": "https://ops2.example.com", "uid": "ops", "description": "pager"}),
        )
        .await
        .expect(200);
    assert_eq!(updated.json["url"], "https://ops2.example.com/");

    h.put(
        &format!("{base}/ops/headers"),
        json!({"headers": {"X-Team": "sre"}}),
    )
    .await
    .expect(204);
    let headers = h.get(&format!("{base}/ops/headers")).await.expect(200);
    assert_eq!(headers.json["headers"], json!({"X-Team": "sre"}));

    let secret = h.get(&format!("{base}/ops/secret")).await.expect(200);
    let old = secret.json["key"].as_str().unwrap().to_owned();
    assert!(old.starts_with("whsec_"));
    h.post(&format!("{base}/ops/secret/rotate"), json!({}))
        .await
        .expect(204);
    let rotated = h.get(&format!("{base}/ops/secret")).await.expect(200);
    assert_ne!(rotated.json["key"], old.as_str());

    // Only admin tokens reach it.
    let app = hookd_core::id::AppId::from_trusted(h.app("a").await);
    let portal = h
        .insert_token(hookd_core::model::TokenScope::App(app), None)
        .await;
    h.call(Method::GET, base, &portal, None).await.expect(403);

    h.delete(&format!("{base}/ops")).await.expect(204);
    h.get(&format!("{base}/ops")).await.expect(404);
}

/// An OpenAPI document's webhooks become event types with their schemas, `$ref`s resolved;
/// a dry run writes nothing; `replaceAll` archives the rest.
#[tokio::test]
async fn openapi_webhooks_become_event_types() {
    let h = Harness::new().await;
    h.event_type("legacy.type").await;
    let spec = json!({
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "webhooks": {
            "invoice.paid": {"post": {
                "summary": "An invoice was paid",
                "requestBody": {"content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Invoice"}}}}
            }},
            "invoice.void": {"post": {"description": "Voided", "deprecated": true}}
        },
        "components": {"schemas": {
            "Invoice": {"type": "object", "properties": {
                "amount": {"$ref": "#/components/schemas/Money"}}},
            "Money": {"type": "integer"}
        }}
    });
    let path = "/api/v1/event-type/import/openapi";
    let dry = h
        .post(path, json!({"spec": spec, "dryRun": true}))
        .await
        .expect(200);
    assert_eq!(dry.json["data"]["modified"], json!([]));
    assert_eq!(dry.json["data"]["to_modify"].as_array().unwrap().len(), 2);
    h.get("/api/v1/event-type/invoice.paid").await.expect(404);

    let r = h
        .post(
            path,
            json!({"specRaw": spec.to_string(), "replaceAll": true}),
        )
        .await
        .expect(200);
    assert_eq!(
        r.json["data"]["modified"],
        json!(["invoice.paid", "invoice.void", "legacy.type"])
    );
    let paid = h.get("/api/v1/event-type/invoice.paid").await.expect(200);
    assert_eq!(paid.json["description"], "An invoice was paid");
    assert_eq!(
        paid.json["schemas"],
        json!({"1": {"type": "object", "properties": {"amount": {"type": "integer"}}}})
    );
    let void = h.get("/api/v1/event-type/invoice.void").await.expect(200);
    assert_eq!(
        (&void.json["deprecated"], &void.json["description"]),
        (&json!(true), &json!("Voided"))
    );
    let legacy = h.get("/api/v1/event-type/legacy.type").await.expect(200);
    assert_eq!(legacy.json["archived"], true);
    // The same document again changes nothing.
    let again = h.post(path, json!({"spec": spec})).await.expect(200);
    assert_eq!(again.json["data"]["modified"], json!([]));

    // Refused, each naming what is wrong.
    let cyclic = json!({"webhooks": {"a.b": {"post": {"requestBody": {"content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/Node"}}}}}}},
        "components": {"schemas": {"Node": {"properties": {"next": {"$ref": "#/components/schemas/Node"}}}}}});
    let r = h.post(path, json!({"spec": cyclic})).await.expect(422);
    assert_eq!(r.loc(), vec!["body", "spec", "#/components/schemas/Node"]);
    let r = h
        .post(path, json!({"specRaw": "openapi: 3.1.0\nwebhooks: {}"}))
        .await
        .expect(422);
    assert_eq!(r.loc(), vec!["body", "specRaw"]);
    h.post(path, json!({})).await.expect(400);
    h.post(path, json!({"spec": spec, "specRaw": "{}"}))
        .await
        .expect(400);
}

/// An export is the event type catalogue; importing it elsewhere recreates it; settings and
/// connectors, which hookd lacks, are refused rather than dropped.
#[tokio::test]
async fn environment_export_imports_into_another_server() {
    let h = Harness::new().await;
    h.post(
        "/api/v1/event-type",
        json!({"name": "invoice.paid", "description": "Paid",
               "schemas": {"1": {"type": "object"}}}),
    )
    .await
    .expect(201);
    h.post(
        "/api/v1/event-type",
        json!({"name": "old.one", "description": "Old", "archived": true}),
    )
    .await
    .expect(201);
    let export = h
        .call(Method::POST, "/api/v1/environment/export", &h.admin, None)
        .await
        .expect(200);
    assert_eq!(export.json["settings"], serde_json::Value::Null);
    assert_eq!(export.json["connectors"], json!([]));
    assert_eq!(export.json["eventTypes"].as_array().unwrap().len(), 2);

    let other = Harness::new().await;
    let body = json!({"eventTypes": export.json["eventTypes"], "settings": {}});
    other
        .post("/api/v1/environment/import", body.clone())
        .await
        .expect(204);
    let paid = other
        .get("/api/v1/event-type/invoice.paid")
        .await
        .expect(200);
    assert_eq!(paid.json["schemas"], json!({"1": {"type": "object"}}));
    let old = other.get("/api/v1/event-type/old.one").await.expect(200);
    assert_eq!(old.json["archived"], true);
    // Importing again changes nothing and fails nothing.
    other
        .post("/api/v1/environment/import", body)
        .await
        .expect(204);

    for (body, loc) in [
        (
            json!({"settings": {"colorPaletteLight": {}}}),
            vec!["body", "settings"],
        ),
        (
            json!({"connectors": [{"name": "c"}]}),
            vec!["body", "connectors"],
        ),
        (
            json!({"eventTypes": [{"description": "no name"}]}),
            vec!["body", "eventTypes", "0", "name"],
        ),
    ] {
        let r = other
            .post("/api/v1/environment/import", body)
            .await
            .expect(422);
        assert_eq!(r.loc(), loc);
    }
}

/// The statistics tasks answer in the shapes Svix's SDKs document: deliveries made
/// (`messageDestinations`) per application, and the event types endpoints subscribe to.
#[tokio::test]
async fn usage_statistics_are_tasks_in_svix_shapes() {
    let h = Harness::new().await;
    h.event_type("x.y").await;
    h.event_type("x.z").await;
    let a = h.app("a").await;
    let b = h.app("b").await;
    h.endpoint(
        "a",
        json!({"url": "https://one.example.com", "eventTypes": ["x.y"]}),
    )
    .await;
    h.endpoint("a", json!({"url": "https://all.example.com"}))
        .await;
    h.endpoint(
        "b",
        json!({"url": "https://b.example.com", "eventTypes": ["x.z"]}),
    )
    .await;
    let since = hookd_server::api::wire::ts(h.clock.now());
    // x.y reaches both of a's endpoints, x.z only the catch-all: three destinations.
    h.message("a", json!({"eventType": "x.y", "payload": {}}))
        .await;
    h.message("a", json!({"eventType": "x.z", "payload": {}}))
        .await;
    h.advance_ms(10);
    let until = hookd_server::api::wire::ts(h.clock.now());
    h.message("a", json!({"eventType": "x.y", "payload": {}}))
        .await;
    let r = h
        .post(
            "/api/v1/stats/usage/app",
            json!({"since": since, "until": until, "appIds": ["a", "ghost"]}),
        )
        .await
        .expect(202);
    assert_eq!(r.json["task"], "application.stats");
    assert_eq!(r.json["unresolvedAppIds"], json!(["ghost"]));
    assert_eq!(
        r.json["data"],
        json!({"appStats": [{"messageDestinations": 3, "appId": a, "appUid": "a"}]})
    );
    let all = h
        .post(
            "/api/v1/stats/usage/app",
            json!({"since": since, "until": until}),
        )
        .await
        .expect(202);
    assert_eq!(all.json["data"]["appStats"].as_array().unwrap().len(), 2);
    let r = h
        .post(
            "/api/v1/stats/usage/app",
            json!({"since": since, "until": until, "appIds": ["ghost"]}),
        )
        .await
        .expect(422);
    assert_eq!(r.loc(), vec!["body", "appIds"]);

    let r = h
        .call(
            Method::PUT,
            "/api/v1/stats/usage/event-types",
            &h.admin,
            None,
        )
        .await
        .expect(202);
    assert_eq!(r.json["task"], "event-type.aggregate");
    let of = |id: &str| {
        r.json["data"]["event_types"]
            .as_array()
            .unwrap()
            .iter()
            .find(|app| app["appId"] == id)
            .expect("every application is listed")
            .clone()
    };
    assert_eq!(
        of(&a),
        json!({"appId": a, "explicitlySubscribedEventTypes": ["x.y"], "hasCatchAllEndpoint": true})
    );
    assert_eq!(
        of(&b),
        json!({"appId": b, "explicitlySubscribedEventTypes": ["x.z"], "hasCatchAllEndpoint": false})
    );
}
