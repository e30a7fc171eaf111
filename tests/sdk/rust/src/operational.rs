//! The operational-webhook endpoint API (`svix.operational_webhook().endpoint()`): list,
//! create, get, upsert, get and rotate the secret, get and set the headers, delete; and the
//! endpoint at work in between: an endpoint created in an application is reported to it as
//! `endpoint.created`, signed with the rotated secret (checked with `verify`, never the SDK's
//! verifier) and carrying the headers set last. It must not start hookd or the receiver (the
//! flow does).

use std::collections::{BTreeMap, BTreeSet};

use svix::{
    api::Svix,
    error::Error,
    models::{
        EndpointIn, OperationalWebhookEndpointHeadersIn, OperationalWebhookEndpointIn,
        OperationalWebhookEndpointSecretIn, OperationalWebhookEndpointUpsertIn,
    },
};

use crate::{
    next_to,
    receiver::Receiver,
    report::{secret_of, status_of, Report},
    verify,
};

pub async fn step(svix: &Svix, app_id: &str, rx: &Receiver, r: &mut Report) -> Result<(), String> {
    let e = |e: Error| format!("{e:?}");
    let webhooks = svix.operational_webhook();
    let ops = webhooks.endpoint();
    let filter: BTreeSet<String> = ["endpoint.created".to_owned()].into();
    let headers = |value: &str| BTreeMap::from([("X-Ops".to_owned(), value.to_owned())]);

    let listed = ops.list(None).await.map_err(e)?.data;
    r.check(
        "no operational-webhook endpoint at first",
        listed.is_empty(),
        listed.len(),
    );
    let secret = secret_of("ops");
    let created = ops
        .create(
            OperationalWebhookEndpointIn {
                uid: Some("ops".into()),
                description: Some("Operations".into()),
                event_types: Some(filter.clone()),
                secret: Some(secret.clone()),
                metadata: Some(BTreeMap::from([("team".into(), "sre".into())])),
                headers: Some(headers("1")),
                ..OperationalWebhookEndpointIn::new(format!("{}/ops", rx.base))
            },
            None,
        )
        .await
        .map_err(e)?;
    r.check(
        "the operational endpoint is created as sent",
        created.id.starts_with("ep_")
            && created.uid.as_deref() == Some("ops")
            && created.url == format!("{}/ops", rx.base)
            && created.event_types.as_ref() == Some(&filter)
            && created.metadata.get("team").map(String::as_str) == Some("sre"),
        &created,
    );
    let id = || created.id.clone();
    let got = ops.get("ops".into()).await.map_err(e)?;
    r.check("get reads it by uid", got.id == created.id, &got.id);
    let listed = ops.list(None).await.map_err(e)?.data;
    r.check(
        "list shows it",
        listed.len() == 1 && listed[0].id == created.id,
        listed.len(),
    );
    let upsert = OperationalWebhookEndpointUpsertIn {
        description: Some("Operations, moved".into()),
        event_types: Some(filter.clone()),
        ..OperationalWebhookEndpointUpsertIn::new(format!("{}/ops2", rx.base))
    };
    let updated = ops.upsert(id(), upsert).await.map_err(e)?;
    r.check(
        "upsert replaces url and description",
        updated.id == created.id
            && updated.url == format!("{}/ops2", rx.base)
            && updated.description == "Operations, moved",
        &updated,
    );
    let shown = ops.get_secret(id()).await.map_err(e)?.key;
    r.check(
        "get_secret reads the secret it was created with",
        shown == secret,
        &shown,
    );
    let rotated = secret_of("ops-rotated");
    let rotate = OperationalWebhookEndpointSecretIn {
        key: Some(rotated.clone()),
        ..OperationalWebhookEndpointSecretIn::new()
    };
    ops.rotate_secret(id(), rotate, None).await.map_err(e)?;
    let shown = ops.get_secret(id()).await.map_err(e)?.key;
    r.check(
        "rotate_secret with a key makes it the secret",
        shown == rotated,
        &shown,
    );
    let read = ops.get_headers(id()).await.map_err(e)?.headers;
    r.check(
        "get_headers reads the headers it was created with",
        read == headers("1"),
        &read,
    );
    ops.set_headers(id(), OperationalWebhookEndpointHeadersIn::new(headers("2")))
        .await
        .map_err(e)?;
    let read = ops.get_headers(id()).await.map_err(e)?.headers;
    r.check("set_headers replaces them", read == headers("2"), &read);

    // The endpoint at work: an endpoint created in an application is reported to it.
    let ep = svix
        .endpoint()
        .create(
            app_id.to_owned(),
            EndpointIn::new(format!("{}/families", rx.base)),
            None,
        )
        .await
        .map_err(e)?;
    let hit = next_to(rx, "/ops2")?;
    let event: serde_json::Value = serde_json::from_slice(&hit.body).map_err(|e| e.to_string())?;
    r.check(
        "the operational endpoint gets endpoint.created for it",
        event["type"] == "endpoint.created"
            && event["data"]["endpointId"] == *ep.id
            && event["data"]["appId"] == *app_id,
        &event,
    );
    r.check(
        "signed with the rotated secret, with the set headers",
        verify::hmac(&rotated, &hit.headers, &hit.body)
            && hit.headers.get("x-ops").map(String::as_str) == Some("2"),
        &hit.headers,
    );

    ops.delete(id()).await.map_err(e)?;
    r.check(
        "the deleted operational endpoint is gone (404)",
        status_of(ops.get(id()).await) == Some(404),
        (),
    );
    let listed = ops.list(None).await.map_err(e)?.data;
    r.check("and no longer listed", listed.is_empty(), listed.len());
    Ok(())
}
