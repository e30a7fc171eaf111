//! Applications: list, create (with `get_if_exists`), get, PUT upsert, PATCH, delete.

use serde_json::json;

use crate::common::Harness;

#[tokio::test]
async fn create_get_and_list() {
    let h = Harness::new().await;
    let r = h
        .post(
            "/api/v1/app",
            json!({"name": "Acme", "uid": "acme", "metadata": {"tier": "gold"}}),
        )
        .await
        .expect(201);
    let id = r.json["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("app_"));
    assert_eq!(r.json["uid"], "acme");
    assert_eq!(r.json["metadata"]["tier"], "gold");
    assert_eq!(r.json["throttleRate"], serde_json::Value::Null);
    assert_eq!(r.json["createdAt"], "2026-01-01T00:00:00.000Z");

    // By id and by uid.
    let by_id = h.get(&format!("/api/v1/app/{id}")).await.expect(200);
    let by_uid = h.get("/api/v1/app/acme").await.expect(200);
    assert_eq!(by_id.json, by_uid.json);

    let list = h.get("/api/v1/app").await.expect(200);
    assert_eq!(list.json["data"].as_array().unwrap().len(), 1);
    assert_eq!(list.json["done"], true);
    assert!(
        list.json.get("iterator").is_some(),
        "iterator is always present"
    );
}

#[tokio::test]
async fn duplicate_uid_conflicts_unless_get_if_exists() {
    let h = Harness::new().await;
    let id = h.app("dup").await;
    let r = h
        .post("/api/v1/app", json!({"name": "Again", "uid": "dup"}))
        .await
        .expect(409);
    assert_eq!(r.code(), "conflict");
    let r = h
        .post(
            "/api/v1/app?get_if_exists=true",
            json!({"name": "Again", "uid": "dup"}),
        )
        .await
        .expect(200);
    assert_eq!(r.json["id"], id.as_str());
    assert_eq!(
        r.json["name"], "App dup",
        "the existing application is returned unchanged"
    );
    // get_if_exists with a new uid creates.
    h.post(
        "/api/v1/app?get_if_exists=true",
        json!({"name": "New", "uid": "fresh"}),
    )
    .await
    .expect(201);
    // A bad boolean is a query validation error.
    let r = h
        .post("/api/v1/app?get_if_exists=maybe", json!({"name": "X"}))
        .await
        .expect(422);
    assert_eq!(r.loc(), vec!["query", "get_if_exists"]);
}

#[tokio::test]
async fn validation_errors_name_the_field() {
    let h = Harness::new().await;
    let r = h.post("/api/v1/app", json!({"name": ""})).await.expect(422);
    assert_eq!(r.loc(), vec!["body", "name"]);
    assert_eq!(r.json["detail"][0]["type"], "value_error");

    let long = "a".repeat(257);
    let r = h
        .post("/api/v1/app", json!({"name": "x", "uid": long}))
        .await
        .expect(422);
    assert_eq!(r.loc(), vec!["body", "uid"]);

    let r = h
        .post(
            "/api/v1/app",
            json!({"name": "x", "uid": "app_lookslikeanid"}),
        )
        .await
        .expect(422);
    assert_eq!(r.loc(), vec!["body", "uid"]);

    let r = h
        .post("/api/v1/app", json!({"name": "x", "throttleRate": 0}))
        .await
        .expect(422);
    assert_eq!(r.loc(), vec!["body", "throttleRate"]);

    // Wrong type: Svix's jsondecode error at the field.
    let r = h.post("/api/v1/app", json!({"name": 5})).await.expect(422);
    assert_eq!(r.loc(), vec!["body", "name"]);
    assert_eq!(r.json["detail"][0]["type"], "value_error.jsondecode");

    // Missing required field.
    let r = h.post("/api/v1/app", json!({})).await.expect(422);
    assert_eq!(r.loc(), vec!["body", "name"]);
    assert_eq!(r.json["detail"][0]["type"], "value_error.missing");
}

#[tokio::test]
async fn malformed_json_is_422() {
    let h = Harness::new().await;
    let admin = h.admin.clone();
    let r = h
        .raw(
            axum::http::Method::POST,
            "/api/v1/app",
            Some(&admin),
            Some("{\"name\": "),
            &[],
        )
        .await
        .expect(422);
    assert_eq!(r.json["detail"][0]["type"], "value_error.jsondecode");
    assert_eq!(r.loc()[0], "body");
}

#[tokio::test]
async fn put_creates_then_updates() {
    let h = Harness::new().await;
    let r = h
        .put("/api/v1/app/by-put", json!({"name": "First"}))
        .await
        .expect(201);
    assert_eq!(
        r.json["uid"], "by-put",
        "the path's uid names a new application"
    );
    let id = r.json["id"].as_str().unwrap().to_owned();
    h.advance_ms(1000);
    let r = h
        .put(
            "/api/v1/app/by-put",
            json!({"name": "Second", "uid": "by-put", "rateLimit": 7}),
        )
        .await
        .expect(200);
    assert_eq!(r.json["id"], id.as_str());
    assert_eq!(r.json["name"], "Second");
    assert_eq!(r.json["throttleRate"], 7, "the older rateLimit is accepted");
    assert_eq!(r.json["updatedAt"], "2026-01-01T00:00:01.000Z");
    // PUT replaces: omitting the uid clears it.
    let r = h
        .put(&format!("/api/v1/app/{id}"), json!({"name": "Third"}))
        .await
        .expect(200);
    assert!(r.json.get("uid").is_none());
}

#[tokio::test]
async fn patch_changes_only_what_is_given() {
    let h = Harness::new().await;
    h.post(
        "/api/v1/app",
        json!({"name": "P", "uid": "p", "throttleRate": 5, "metadata": {"a": "1"}}),
    )
    .await
    .expect(201);
    let r = h
        .patch("/api/v1/app/p", json!({"name": "Renamed"}))
        .await
        .expect(200);
    assert_eq!(r.json["name"], "Renamed");
    assert_eq!(r.json["throttleRate"], 5);
    assert_eq!(r.json["metadata"]["a"], "1");
    assert_eq!(r.json["uid"], "p");

    let r = h
        .patch(
            "/api/v1/app/p",
            json!({"throttleRate": null, "metadata": {}}),
        )
        .await
        .expect(200);
    assert_eq!(r.json["throttleRate"], serde_json::Value::Null);
    assert_eq!(r.json["metadata"], json!({}));
    assert_eq!(r.json["name"], "Renamed");

    h.patch("/api/v1/app/p", json!({"name": ""}))
        .await
        .expect(422);
    h.patch("/api/v1/app/nope", json!({"name": "x"}))
        .await
        .expect(404);
}

/// Found by Schemathesis: serde reads a JSON array as a struct's fields in order, so
/// `[null, null]` was a PATCH that cleared `throttleRate`. A body must be an object.
#[tokio::test]
async fn an_array_body_is_refused_and_changes_nothing() {
    let h = Harness::new().await;
    h.post(
        "/api/v1/app",
        json!({"name": "P", "uid": "p", "throttleRate": 5}),
    )
    .await
    .expect(201);
    let r = h
        .patch("/api/v1/app/p", json!([null, null]))
        .await
        .expect(422);
    assert_eq!(r.loc(), vec!["body"]);
    h.post("/api/v1/app", json!(["Array", 1])).await.expect(422);
    let r = h.get("/api/v1/app/p").await.expect(200);
    assert_eq!(r.json["throttleRate"], 5);
}

#[tokio::test]
async fn delete_and_unknown_ids() {
    let h = Harness::new().await;
    let id = h.app("gone").await;
    h.delete(&format!("/api/v1/app/{id}")).await.expect(204);
    let r = h.get(&format!("/api/v1/app/{id}")).await.expect(404);
    assert_eq!(r.code(), "not_found");
    assert_eq!(r.json["detail"], "Entity not found");
    h.delete(&format!("/api/v1/app/{id}")).await.expect(404);
    h.get("/api/v1/app/app_2zzzzzzzzzzzzzzzzzzzzz")
        .await
        .expect(404);
    // A path key that cannot be an id or uid is a path validation error.
    let r = h.get("/api/v1/app/bad%20uid").await.expect(422);
    assert_eq!(r.loc(), vec!["path", "app_id"]);
}

#[tokio::test]
async fn pagination_walks_forward_and_back() {
    let h = Harness::new().await;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(h.app(&format!("page-{i}")).await);
        h.advance_ms(10);
    }
    let mut seen = Vec::new();
    let mut pages = Vec::new();
    let mut url = "/api/v1/app?limit=2".to_owned();
    loop {
        let r = h.get(&url).await.expect(200);
        for a in r.json["data"].as_array().unwrap() {
            seen.push(a["id"].as_str().unwrap().to_owned());
        }
        pages.push(r.json.clone());
        if r.json["done"] == true {
            break;
        }
        url = format!(
            "/api/v1/app?limit=2&iterator={}",
            r.json["iterator"].as_str().unwrap()
        );
    }
    assert_eq!(seen, ids);
    assert_eq!(pages.len(), 3);
    // Back from the last page to the middle one.
    let prev = pages[2]["prevIterator"].as_str().unwrap();
    let r = h
        .get(&format!("/api/v1/app?limit=2&iterator={prev}"))
        .await
        .expect(200);
    assert_eq!(r.json["data"], pages[1]["data"]);

    // Descending order.
    let r = h
        .get("/api/v1/app?order=descending&limit=1")
        .await
        .expect(200);
    assert_eq!(r.json["data"][0]["id"], ids[4].as_str());

    // Limits above 250 are refused, as in Svix.
    let r = h.get("/api/v1/app?limit=251").await.expect(422);
    assert_eq!(r.loc(), vec!["query", "limit"]);
    h.get("/api/v1/app?limit=ten").await.expect(422);
    h.get("/api/v1/app?order=sideways").await.expect(422);
}
