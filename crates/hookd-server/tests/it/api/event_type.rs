//! Event types: list (archived, content), create or unarchive, get, PUT upsert, PATCH, delete
//! as archive or expunge.

use serde_json::json;

use crate::common::Harness;

fn schema() -> serde_json::Value {
    json!({"1": {"type": "object", "examples": [{"invoiceId": "inv_1"}]}})
}

#[tokio::test]
async fn create_get_list_with_and_without_content() {
    let h = Harness::new().await;
    let r = h
        .post(
            "/api/v1/event-type",
            json!({"name": "invoice.paid", "description": "Paid", "schemas": schema(), "featureFlag": "beta"}),
        )
        .await
        .expect(201);
    assert_eq!(r.json["name"], "invoice.paid");
    assert_eq!(r.json["archived"], false);
    assert_eq!(r.json["deprecated"], false);
    assert_eq!(r.json["featureFlag"], "beta");
    assert_eq!(r.json["schemas"], schema());

    let r = h.get("/api/v1/event-type/invoice.paid").await.expect(200);
    assert_eq!(r.json["schemas"], schema());

    let r = h.get("/api/v1/event-type").await.expect(200);
    assert_eq!(
        r.json["data"][0]["schemas"],
        serde_json::Value::Null,
        "no content by default"
    );
    let r = h
        .get("/api/v1/event-type?with_content=true")
        .await
        .expect(200);
    assert_eq!(r.json["data"][0]["schemas"], schema());

    let r = h
        .post(
            "/api/v1/event-type",
            json!({"name": "invoice.paid", "description": "Again"}),
        )
        .await
        .expect(409);
    assert_eq!(r.code(), "event_type_exists");
}

#[tokio::test]
async fn validation() {
    let h = Harness::new().await;
    let r = h
        .post(
            "/api/v1/event-type",
            json!({"name": "bad name", "description": "x"}),
        )
        .await
        .expect(422);
    assert_eq!(r.loc(), vec!["body", "name"]);
    let r = h
        .post(
            "/api/v1/event-type",
            json!({"name": "a".repeat(257), "description": "x"}),
        )
        .await
        .expect(422);
    assert_eq!(r.loc(), vec!["body", "name"]);
    let r = h
        .post(
            "/api/v1/event-type",
            json!({"name": "ok", "description": "x", "schemas": [1]}),
        )
        .await
        .expect(422);
    assert_eq!(r.loc(), vec!["body", "schemas"]);
    let r = h
        .post("/api/v1/event-type", json!({"name": "ok"}))
        .await
        .expect(422);
    assert_eq!(r.loc(), vec!["body", "description"]);
    let r = h
        .post(
            "/api/v1/event-type",
            json!({"name": "ok", "description": "x", "archived": "no"}),
        )
        .await
        .expect(422);
    assert_eq!(r.loc(), vec!["body", "archived"]);
    h.get("/api/v1/event-type/unknown").await.expect(404);
}

#[tokio::test]
async fn archive_hides_unarchive_by_create_and_expunge_deletes() {
    let h = Harness::new().await;
    h.event_type("user.created").await;
    h.event_type("user.deleted").await;

    h.delete("/api/v1/event-type/user.created")
        .await
        .expect(204);
    let r = h.get("/api/v1/event-type").await.expect(200);
    let names: Vec<_> = r.json["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].clone())
        .collect();
    assert_eq!(names, vec![json!("user.deleted")]);
    let r = h
        .get("/api/v1/event-type?include_archived=true")
        .await
        .expect(200);
    assert_eq!(r.json["data"].as_array().unwrap().len(), 2);
    let r = h.get("/api/v1/event-type/user.created").await.expect(200);
    assert_eq!(r.json["archived"], true);

    // Creating an archived type again unarchives it with the new fields.
    let r = h
        .post(
            "/api/v1/event-type",
            json!({"name": "user.created", "description": "Back"}),
        )
        .await
        .expect(201);
    assert_eq!(r.json["archived"], false);
    assert_eq!(r.json["description"], "Back");

    h.delete("/api/v1/event-type/user.created?expunge=true")
        .await
        .expect(204);
    h.get("/api/v1/event-type/user.created").await.expect(404);
    h.delete("/api/v1/event-type/user.created")
        .await
        .expect(404);
}

#[tokio::test]
async fn put_upserts_and_patch_is_partial() {
    let h = Harness::new().await;
    let r = h
        .put(
            "/api/v1/event-type/order.shipped",
            json!({"description": "Shipped"}),
        )
        .await
        .expect(201);
    assert_eq!(r.json["name"], "order.shipped");
    let r = h
        .put(
            "/api/v1/event-type/order.shipped",
            json!({"description": "Shipped!", "deprecated": true, "schemas": schema()}),
        )
        .await
        .expect(200);
    assert_eq!(r.json["deprecated"], true);
    assert_eq!(r.json["schemas"], schema());

    let r = h
        .patch(
            "/api/v1/event-type/order.shipped",
            json!({"archived": true}),
        )
        .await
        .expect(200);
    assert_eq!(r.json["archived"], true);
    assert_eq!(r.json["description"], "Shipped!");
    assert_eq!(r.json["schemas"], schema());
    let r = h
        .patch(
            "/api/v1/event-type/order.shipped",
            json!({"schemas": null, "featureFlag": "f"}),
        )
        .await
        .expect(200);
    assert_eq!(r.json["schemas"], serde_json::Value::Null);
    assert_eq!(r.json["featureFlag"], "f");
    h.patch("/api/v1/event-type/nope", json!({}))
        .await
        .expect(404);
    h.put("/api/v1/event-type/order.shipped", json!({}))
        .await
        .expect(422);
}

#[tokio::test]
async fn pagination_by_name() {
    let h = Harness::new().await;
    for n in ["a.1", "a.2", "a.3"] {
        h.event_type(n).await;
    }
    let r = h.get("/api/v1/event-type?limit=2").await.expect(200);
    assert_eq!(r.json["data"][1]["name"], "a.2");
    assert_eq!(r.json["done"], false);
    let it = r.json["iterator"].as_str().unwrap().to_owned();
    let r = h
        .get(&format!("/api/v1/event-type?limit=2&iterator={it}"))
        .await
        .expect(200);
    assert_eq!(r.json["data"][0]["name"], "a.3");
    assert_eq!(r.json["done"], true);
    let prev = r.json["prevIterator"].as_str().unwrap().to_owned();
    let r = h
        .get(&format!("/api/v1/event-type?limit=2&iterator={prev}"))
        .await
        .expect(200);
    assert_eq!(r.json["data"][0]["name"], "a.1");
}
