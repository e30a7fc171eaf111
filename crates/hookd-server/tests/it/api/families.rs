//! The newer route families of Svix's SDKs: message precheck and bulk expunges, `deleteHeaders`,
//! the deprecated attempt lists, and the 501 that names each family hookd does not serve.

use axum::http::Method;
use hookd_core::clock::Clock as _;
use serde_json::json;

use crate::common::Harness;

#[tokio::test]
async fn precheck_says_whether_any_endpoint_would_get_it() {
    let h = Harness::new().await;
    h.app("a").await;
    let precheck = |body: serde_json::Value| {
        let h = &h;
        async move {
            h.post("/api/v1/app/a/msg/precheck/active", body)
                .await
                .expect(200)
                .json["active"]
                .clone()
        }
    };
    assert_eq!(precheck(json!({"eventType": "x.y"})).await, false);
    h.event_type("x.y").await;
    let ep = h
        .endpoint(
            "a",
            json!({"url": "https://e.com", "uid": "e", "filterTypes": ["x.y"], "channels": ["c1"]}),
        )
        .await;
    assert_eq!(
        precheck(json!({"eventType": "x.y"})).await,
        false,
        "no channel"
    );
    assert_eq!(
        precheck(json!({"eventType": "x.y", "channels": ["c2", "c1"]})).await,
        true
    );
    assert_eq!(
        precheck(json!({"eventType": "x.z", "channels": ["c1"]})).await,
        false
    );
    h.patch(
        &format!("/api/v1/app/a/endpoint/{}", ep["id"].as_str().unwrap()),
        json!({"disabled": true}),
    )
    .await
    .expect(200);
    assert_eq!(
        precheck(json!({"eventType": "x.y", "channels": ["c1"]})).await,
        false,
        "a disabled endpoint gets nothing"
    );
    // Nothing was published.
    assert_eq!(
        h.get("/api/v1/app/a/msg").await.expect(200).json["data"],
        json!([])
    );
    let r = h
        .post("/api/v1/app/a/msg/precheck/active", json!({}))
        .await
        .expect(422);
    assert_eq!(r.loc(), vec!["body", "eventType"]);
    h.post(
        "/api/v1/app/zzz/msg/precheck/active",
        json!({"eventType": "x.y"}),
    )
    .await
    .expect(404);
}

#[tokio::test]
async fn bulk_expunge_answers_per_id() {
    let h = Harness::new().await;
    h.app("a").await;
    let m1 = h
        .message("a", json!({"eventType": "x.y", "payload": {"secret": 1}}))
        .await;
    h.message(
        "a",
        json!({"eventType": "x.y", "eventId": "evt-2", "payload": {"secret": 2}}),
    )
    .await;
    let keep = h
        .message("a", json!({"eventType": "x.y", "payload": {"kept": 3}}))
        .await;
    let m1 = m1["id"].as_str().unwrap();
    let r = h
        .post(
            "/api/v1/app/a/msg/bulk-expunge",
            json!({"ids": [m1, "evt-2", "msg_2AAAAAAAAAAAAAAAAAAAAA"]}),
        )
        .await
        .expect(200);
    assert_eq!(
        r.json,
        json!({"results": {
            m1: "expunged", "evt-2": "expunged", "msg_2AAAAAAAAAAAAAAAAAAAAA": "not-found"
        }})
    );
    for id in [m1, "evt-2"] {
        let got = h.get(&format!("/api/v1/app/a/msg/{id}")).await.expect(200);
        assert_eq!(
            got.json["payload"],
            json!({"expired": true}),
            "{id} lost its payload"
        );
    }
    let kept = h
        .get(&format!(
            "/api/v1/app/a/msg/{}",
            keep["id"].as_str().unwrap()
        ))
        .await
        .expect(200);
    assert_eq!(kept.json["payload"], json!({"kept": 3}));

    let too_many: Vec<String> = (0..1001).map(|i| format!("m{i}")).collect();
    let r = h
        .post("/api/v1/app/a/msg/bulk-expunge", json!({"ids": too_many}))
        .await
        .expect(422);
    assert_eq!(r.loc(), vec!["body", "ids"]);
}

#[tokio::test]
async fn expunge_all_contents_is_a_task_that_purges_the_app() {
    let h = Harness::new().await;
    h.app("a").await;
    h.app("b").await;
    for _ in 0..3 {
        h.message("a", json!({"eventType": "x.y", "payload": {"n": 1}}))
            .await;
    }
    let other = h
        .message("b", json!({"eventType": "x.y", "payload": {"n": 2}}))
        .await;
    let r = h
        .call(
            Method::POST,
            "/api/v1/app/a/msg/expunge-all-contents",
            &h.admin,
            None,
        )
        .await
        .expect(202);
    assert_eq!(
        (&r.json["status"], &r.json["task"], &r.json["data"]),
        (
            &json!("finished"),
            &json!("application.purge_content"),
            &json!({"messagesPurged": 3})
        )
    );
    let id = r.json["id"].as_str().unwrap();
    let task = h
        .get(&format!("/api/v1/background-task/{id}"))
        .await
        .expect(200);
    assert_eq!(task.json["data"], json!({"messagesPurged": 3}));
    let listed = h.get("/api/v1/app/a/msg").await.expect(200);
    for msg in listed.json["data"].as_array().unwrap() {
        assert_eq!(msg["payload"], json!({"expired": true}));
    }
    let other = h
        .get(&format!(
            "/api/v1/app/b/msg/{}",
            other["id"].as_str().unwrap()
        ))
        .await
        .expect(200);
    assert_eq!(
        other.json["payload"],
        json!({"n": 2}),
        "another app keeps its own"
    );
}

#[tokio::test]
async fn patch_headers_delete_headers_removes_by_name() {
    let h = Harness::new().await;
    h.app("a").await;
    h.endpoint("a", json!({"url": "https://e.com", "uid": "e"}))
        .await;
    let path = "/api/v1/app/a/endpoint/e/headers";
    h.put(
        path,
        json!({"headers": {"X-One": "1", "X-Two": "2", "X-Three": "3"}}),
    )
    .await
    .expect(204);
    // Without `headers` at all (the Rust SDK's way to remove one), and in another case.
    h.patch(path, json!({"deleteHeaders": ["x-one"]}))
        .await
        .expect(204);
    assert_eq!(
        h.get(path).await.expect(200).json["headers"],
        json!({"X-Three": "3", "X-Two": "2"})
    );
    h.patch(
        path,
        json!({"headers": {"X-Four": "4"}, "deleteHeaders": ["X-Two", "X-Absent"]}),
    )
    .await
    .expect(204);
    assert_eq!(
        h.get(path).await.expect(200).json["headers"],
        json!({"X-Four": "4", "X-Three": "3"})
    );
    // Setting and deleting one header in one request says two things: refused, nothing changes.
    let r = h
        .patch(
            path,
            json!({"headers": {"X-Three": "new"}, "deleteHeaders": ["x-three"]}),
        )
        .await
        .expect(422);
    assert_eq!(r.loc(), vec!["body", "deleteHeaders", "x-three"]);
    assert_eq!(
        h.get(path).await.expect(200).json["headers"]["X-Three"],
        "3"
    );
}

#[tokio::test]
async fn deprecated_attempt_lists_answer_as_the_current_one() {
    let h = Harness::new().await;
    h.app("a").await;
    let e1 = h
        .endpoint("a", json!({"url": "https://one.example.com", "uid": "e1"}))
        .await;
    h.endpoint("a", json!({"url": "https://two.example.com", "uid": "e2"}))
        .await;
    let msg = h
        .message("a", json!({"eventType": "x.y", "payload": {}}))
        .await;
    assert_eq!(h.attempt_due(200).await.len(), 2);
    let msg = msg["id"].as_str().unwrap();

    let current = h
        .get(&format!("/api/v1/app/a/attempt/msg/{msg}"))
        .await
        .expect(200);
    let old = h
        .get(&format!("/api/v1/app/a/msg/{msg}/attempt"))
        .await
        .expect(200);
    assert_eq!(old.json, current.json);
    assert_eq!(old.json["data"].as_array().unwrap().len(), 2);

    let e1_id = e1["id"].as_str().unwrap();
    let current = h
        .get(&format!(
            "/api/v1/app/a/attempt/msg/{msg}?endpoint_id={e1_id}"
        ))
        .await
        .expect(200);
    // The path's endpoint wins over a query's.
    let old = h
        .get(&format!(
            "/api/v1/app/a/msg/{msg}/endpoint/e1/attempt?endpoint_id=e2"
        ))
        .await
        .expect(200);
    assert_eq!(old.json, current.json);
    assert_eq!(old.json["data"].as_array().unwrap().len(), 1);
    assert_eq!(old.json["data"][0]["endpointId"], e1_id);
    h.get(&format!("/api/v1/app/a/msg/{msg}/endpoint/zzz/attempt"))
        .await
        .expect(404);
}

/// Every route prefix of Svix's current SDKs that hookd does not serve answers 501 in Svix's
/// shape, naming its family; routes next to them still route, and a typo is still a 404.
#[tokio::test]
async fn unserved_families_answer_501_naming_the_family() {
    let h = Harness::new().await;
    let cases = [
        (Method::GET, "/ingest/api/v1/source", "Ingest"),
        (
            Method::POST,
            "/ingest/api/v1/source/src_1/endpoint/ep_1/secret/rotate",
            "Ingest",
        ),
        (Method::GET, "/api/v1/stream", "Streaming"),
        (
            Method::POST,
            "/api/v1/stream/strm_1/sink/sink_1/events",
            "Streaming",
        ),
        (
            Method::POST,
            "/api/v1/auth/stream-portal-access/strm_1",
            "Streaming",
        ),
        (Method::POST, "/api/v1/auth/stream-logout", "Streaming"),
        (
            Method::POST,
            "/api/v1/auth/stream/strm_1/expire-all",
            "Streaming",
        ),
        (Method::GET, "/api/v1/connector", "Connectors"),
        (Method::DELETE, "/api/v1/connector/conn_1", "Connectors"),
        (Method::GET, "/api/v1/app/a/integration", "Integrations"),
        (
            Method::POST,
            "/api/v1/app/a/integration/i/key/rotate",
            "Integrations",
        ),
        (
            Method::PATCH,
            "/api/v1/app/a/endpoint/e/transformation",
            "Transformations",
        ),
        (
            Method::GET,
            "/api/v1/app/a/poller/p/consumer/c",
            "Message polling",
        ),
        (Method::GET, "/api/v1/app/a/autoconfig", "Autoconfig"),
        (Method::GET, "/api/v1/app/a/destination/d", "Destinations"),
        (
            Method::GET,
            "/api/v1/app/a/endpoint/e/attempt-stats",
            "Endpoint attempt statistics",
        ),
    ];
    for (method, path, family) in cases {
        let r = h.call(method.clone(), path, &h.admin, None).await;
        assert_eq!(r.status.as_u16(), 501, "{method} {path}: {:?}", r.json);
        assert_eq!(r.code(), "not_implemented", "{method} {path}");
        let detail = r.json["detail"].as_str().unwrap();
        assert!(
            detail.starts_with(family),
            "{method} {path}: {detail:?} names {family}"
        );
    }
    assert_eq!(h.get("/api/v1/app/a/endpointz").await.status.as_u16(), 404);
    assert_eq!(h.get("/api/v1/streams").await.status.as_u16(), 404);
}

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

/// The statistics tasks count what the store holds, per application.
#[tokio::test]
async fn usage_statistics_are_tasks_over_the_messages() {
    let h = Harness::new().await;
    let a = h.app("a").await;
    h.app("b").await;
    let since = hookd_server::api::wire::ts(h.clock.now());
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
        json!({"apps": [{"appId": a, "appUid": "a", "messages": 2}]})
    );
    let all = h
        .post(
            "/api/v1/stats/usage/app",
            json!({"since": since, "until": until}),
        )
        .await
        .expect(202);
    assert_eq!(all.json["data"]["apps"].as_array().unwrap().len(), 2);
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
    let types = |uid: &str| {
        r.json["data"]["apps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|app| app["appUid"] == uid)
            .expect("every application is listed")["eventTypes"]
            .clone()
    };
    assert_eq!(types("a"), json!(["x.y", "x.z"]));
    assert_eq!(types("b"), json!([]));
}
