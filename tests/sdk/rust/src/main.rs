//! Drives a real `hookd serve` with the official Svix Rust crate (`svix` 2.9.1, pinned in
//! Cargo.toml and Cargo.lock), as a customer's Rust code would, and verifies every webhook
//! that arrives with its own HMAC and ed25519 (`verify`), not the SDK's verifier. Beyond the
//! first steps here: `recover`, `portal`, `steps` (tags, raw payloads, deliverAt, Retry-After,
//! deleteHeaders, precheck, replays, background tasks), `catalogue` (OpenAPI import,
//! environment export and import), `operational` (operational-webhook endpoints) and `tasks`
//! (statistics, message expunges).
//!
//! Run through the shared harness, which starts hookd and passes HOOKD_URL and HOOKD_TOKEN:
//! `python3 tests/sdk/harness.py PATH_TO_HOOKD -- PATH_TO_THIS_BINARY`. The closing line
//! follows the "N passed, N failed" convention; the exit status is non-zero when any check
//! failed. This binary must not start hookd itself (harness.py does).

mod catalogue;
mod operational;
mod portal;
mod receiver;
mod recover;
mod report;
mod steps;
mod tasks;
mod verify;

use std::{collections::BTreeMap, process::ExitCode};

use receiver::{Hit, Receiver};
use report::{secret_of, status_of, Report};
use svix::{
    api::{Svix, SvixOptions},
    error::Error,
    models::{
        AppPortalAccessIn, ApplicationIn, ApplicationPatch, EndpointHeadersPatchIn, EndpointIn,
        EndpointSecretRotateIn, EndpointUpsertIn, EventTypeIn, MessageIn,
    },
};

/// Polls between API reads that wait for the workers: over HTTP there is no completion
/// signal to await.
pub const POLL: std::time::Duration = std::time::Duration::from_millis(50);

/// The next request to `path` (others in between stay for later).
pub fn next_to(rx: &Receiver, path: &str) -> Result<Hit, String> {
    rx.next_to(path)
}

#[tokio::main]
async fn main() -> ExitCode {
    let (Ok(url), Ok(token)) = (std::env::var("HOOKD_URL"), std::env::var("HOOKD_TOKEN")) else {
        eprintln!("run through tests/sdk/harness.py, which sets HOOKD_URL and HOOKD_TOKEN");
        return ExitCode::from(2);
    };
    let mut report = Report::default();
    if let Err(e) = flow(&url, &token, &mut report).await {
        report.check("the flow ran to its end", false, e);
    }
    println!("svix rust sdk 2.9.1");
    println!("{} passed, {} failed", report.passed, report.failed);
    if report.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

async fn flow(url: &str, token: &str, r: &mut Report) -> Result<(), String> {
    let e = |e: Error| format!("{e:?}");
    let rx = Receiver::start();
    let options = || {
        Some(SvixOptions {
            server_url: Some(url.to_owned()),
            ..SvixOptions::default()
        })
    };
    let svix = Svix::new(token.to_owned(), options());

    // Applications.
    let mut app_in = ApplicationIn::new("Rust Acme".into());
    app_in.uid = Some("rust-acme".into());
    let app = svix
        .application()
        .get_or_create(app_in.clone(), None)
        .await
        .map_err(e)?;
    let again = svix
        .application()
        .get_or_create(app_in, None)
        .await
        .map_err(e)?;
    r.check(
        "get_or_create returns the same application",
        app.id == again.id,
        &app.id,
    );
    let mut patch = ApplicationPatch::new();
    patch.metadata = Some(BTreeMap::from([("tier".into(), "gold".into())]));
    let patched = svix
        .application()
        .patch(app.id.clone(), patch)
        .await
        .map_err(e)?;
    r.check(
        "application patched",
        patched.metadata.get("tier").map(String::as_str) == Some("gold"),
        &patched.metadata,
    );

    // Event types.
    svix.event_type()
        .create(
            EventTypeIn::new("invoice.paid".into(), "An invoice was paid".into()),
            None,
        )
        .await
        .map_err(e)?;
    let et = svix
        .event_type()
        .get("invoice.paid".into())
        .await
        .map_err(e)?;
    r.check(
        "event type read back",
        et.description == "An invoice was paid",
        &et.description,
    );

    // Endpoints, with a secret of our own, headers and a filter.
    let secret = secret_of("main");
    let mut ep_in = EndpointIn::new(format!("{}/hooks", rx.base));
    ep_in.uid = Some("main".into());
    ep_in.event_types = Some(["invoice.paid".to_owned()].into());
    ep_in.secret = Some(secret.clone());
    ep_in.headers = Some(BTreeMap::from([("X-Tenant".into(), "acme".into())]));
    let ep = svix
        .endpoint()
        .create(app.id.clone(), ep_in, None)
        .await
        .map_err(e)?;
    r.check(
        "endpoint created with its filter",
        ep.event_types
            .as_ref()
            .is_some_and(|t| t.contains("invoice.paid")),
        &ep.event_types,
    );
    let kept = svix
        .endpoint()
        .get_secret(app.id.clone(), ep.id.clone())
        .await
        .map_err(e)?;
    r.check("the given secret is kept", kept.key == secret, &kept.key);
    let headers_in =
        EndpointHeadersPatchIn::new(BTreeMap::from([("X-Region".into(), "eu".into())]));
    svix.endpoint()
        .patch_headers(app.id.clone(), ep.id.clone(), headers_in)
        .await
        .map_err(e)?;
    let headers = svix
        .endpoint()
        .get_headers(app.id.clone(), ep.id.clone())
        .await
        .map_err(e)?;
    r.check(
        "headers patched",
        headers.headers.contains_key("X-Tenant") && headers.headers.contains_key("X-Region"),
        &headers.headers,
    );
    let mut upsert = EndpointUpsertIn::new(format!("{}/hooks", rx.base));
    upsert.uid = Some("main".into());
    upsert.event_types = Some(["invoice.paid".to_owned()].into());
    upsert.description = Some("main endpoint".into());
    let replaced = svix
        .endpoint()
        .upsert(app.id.clone(), ep.id.clone(), upsert)
        .await
        .map_err(e)?;
    r.check(
        "endpoint replaced",
        replaced.description == "main endpoint",
        &replaced.description,
    );

    // A message, delivered and verified with our own HMAC.
    let payload = serde_json::json!({"invoice": "in_1", "amount": 1999, "currency": "eur"});
    let mut msg_in = MessageIn::new("invoice.paid".into(), payload.clone());
    msg_in.event_id = Some("evt-1".into());
    let msg = svix
        .message()
        .create(app.id.clone(), msg_in.clone(), None)
        .await
        .map_err(e)?;
    r.check(
        "message accepted",
        msg.id.starts_with("msg_") && msg.event_id.as_deref() == Some("evt-1"),
        &msg.id,
    );
    let hit = rx.next()?;
    r.check(
        "webhook went to the endpoint's path",
        hit.path == "/hooks",
        &hit.path,
    );
    r.check(
        "webhook-id is the message id",
        hit.headers.get("webhook-id") == Some(&msg.id),
        &hit.headers,
    );
    r.check(
        "endpoint headers are sent",
        hit.headers.get("x-tenant").map(String::as_str) == Some("acme")
            && hit.headers.get("x-region").map(String::as_str) == Some("eu"),
        &hit.headers,
    );
    r.check(
        "HMAC signature verifies",
        verify::hmac(&secret, &hit.headers, &hit.body),
        &hit.headers,
    );
    let body: serde_json::Value = serde_json::from_slice(&hit.body).map_err(|e| e.to_string())?;
    r.check("body is the payload", body == payload, &body);
    r.check(
        "a tampered body does not verify",
        !verify::hmac(&secret, &hit.headers, b"{}"),
        (),
    );
    r.check(
        "reused eventId is refused with 409",
        status_of(svix.message().create(app.id.clone(), msg_in, None).await) == Some(409),
        (),
    );

    let got = svix
        .message()
        .get(app.id.clone(), msg.id.clone(), None)
        .await
        .map_err(e)?;
    r.check(
        "message read back",
        got.event_type == "invoice.paid",
        &got.event_type,
    );
    let attempts = loop {
        let page = svix
            .message_attempt()
            .list_by_msg(app.id.clone(), msg.id.clone(), None)
            .await
            .map_err(e)?;
        if !page.data.is_empty() {
            break page.data;
        }
        tokio::time::sleep(POLL).await;
    };
    r.check(
        "one successful attempt listed by message",
        attempts.len() == 1 && attempts[0].response_status_code == 200,
        attempts.len(),
    );
    let by_endpoint = svix
        .message_attempt()
        .list_by_endpoint(app.id.clone(), ep.id.clone(), None)
        .await
        .map_err(e)?;
    r.check(
        "attempt listed by endpoint",
        by_endpoint.data.iter().any(|a| a.msg_id == msg.id),
        by_endpoint.data.len(),
    );
    let destinations = svix
        .message_attempt()
        .list_attempted_destinations(app.id.clone(), msg.id.clone(), None)
        .await
        .map_err(e)?;
    r.check(
        "attempted destination listed",
        destinations.data.iter().any(|d| d.id == ep.id),
        destinations.data.len(),
    );
    let sent = svix
        .message_attempt()
        .list_attempted_messages(app.id.clone(), ep.id.clone(), None)
        .await
        .map_err(e)?;
    r.check(
        "attempted message listed",
        sent.data.iter().any(|m| m.id == msg.id),
        sent.data.len(),
    );
    let one = svix
        .message_attempt()
        .get(app.id.clone(), msg.id.clone(), attempts[0].id.clone(), None)
        .await
        .map_err(e)?;
    r.check("attempt read back", one.id == attempts[0].id, &one.id);

    // Resend: the same message again, verifying again.
    svix.message_attempt()
        .resend(app.id.clone(), msg.id.clone(), ep.id.clone(), None)
        .await
        .map_err(e)?;
    let hit = rx.next()?;
    r.check(
        "resend delivers the message again",
        hit.headers.get("webhook-id") == Some(&msg.id)
            && verify::hmac(&secret, &hit.headers, &hit.body),
        &hit.headers,
    );

    // Rotation: the new secret verifies, and so does the old one during the grace period.
    svix.endpoint()
        .rotate_secret(
            app.id.clone(),
            ep.id.clone(),
            EndpointSecretRotateIn::new(),
            None,
        )
        .await
        .map_err(e)?;
    let new_secret = svix
        .endpoint()
        .get_secret(app.id.clone(), ep.id.clone())
        .await
        .map_err(e)?
        .key;
    r.check(
        "rotation changes the secret",
        new_secret != secret && new_secret.starts_with("whsec_"),
        &new_secret,
    );
    let msg2 = svix
        .message()
        .create(
            app.id.clone(),
            MessageIn::new("invoice.paid".into(), serde_json::json!({"n": 2})),
            None,
        )
        .await
        .map_err(e)?;
    let hit = rx.next()?;
    r.check(
        "after rotation the new secret verifies",
        verify::hmac(&new_secret, &hit.headers, &hit.body),
        &hit.headers,
    );
    r.check(
        "and the old one still verifies",
        verify::hmac(&secret, &hit.headers, &hit.body),
        (),
    );
    r.check(
        "second delivery carries its own id",
        hit.headers.get("webhook-id") == Some(&msg2.id),
        (),
    );
    let messages = svix.message().list(app.id.clone(), None).await.map_err(e)?;
    r.check(
        "messages listed newest first",
        messages.data.first().map(|m| &m.id) == Some(&msg2.id),
        messages.data.len(),
    );

    // Recover: a failed delivery made due again (see `recover`).
    recover::step(&svix, url, token, &app.id, &rx, r).await?;

    // Portal access: an application-scoped token.
    let portal = svix
        .authentication()
        .app_portal_access(app.id.clone(), AppPortalAccessIn::new(), None)
        .await
        .map_err(e)?;
    let tenant = Svix::new(portal.token, options());
    let endpoints = tenant
        .endpoint()
        .list(app.id.clone(), None)
        .await
        .map_err(e)?;
    r.check(
        "portal token reads its own application",
        endpoints.data.len() == 2,
        endpoints.data.len(),
    );
    r.check(
        "portal token cannot list applications (403)",
        status_of(tenant.application().list(None).await) == Some(403),
        (),
    );

    // Portal scopes: read-only, a capability list, a session, and expire-all (see `portal`).
    portal::step(&svix, url, &app.id, &ep.id, r).await?;

    // What hookd serves beyond the first steps: tags, raw payloads, deliverAt, Retry-After,
    // deleteHeaders, precheck, replays and background tasks (see `steps`).
    steps::run(&svix, &app.id, &ep.id, &rx, r).await?;

    // ed25519 (`v1a,`): the verifier is first checked against a key of our own, then verifies
    // hookd's deliveries to an endpoint with a `whsk_` secret.
    r.check(
        "the ed25519 verifier accepts its own signature and refuses a tampered one",
        verify::ed25519_self_test(),
        (),
    );
    ed25519_flow(&svix, &app.id, &rx, r).await?;

    // The families that manage the environment, in an application of their own: OpenAPI import
    // and environment export/import (`catalogue`), operational-webhook endpoints
    // (`operational`), statistics and message expunges (`tasks`).
    let mut families = ApplicationIn::new("Families".into());
    families.uid = Some("families".into());
    let families = svix.application().create(families, None).await.map_err(e)?;
    catalogue::step(&svix, r).await?;
    operational::step(&svix, &families.id, &rx, r).await?;
    tasks::step(&svix, &families.id, r).await?;
    svix.application().delete(families.id).await.map_err(e)?;

    // Clean-up.
    svix.endpoint()
        .delete(app.id.clone(), ep.id.clone())
        .await
        .map_err(e)?;
    r.check(
        "deleted endpoint is gone (404)",
        status_of(svix.endpoint().get(app.id.clone(), ep.id.clone()).await) == Some(404),
        (),
    );
    svix.application().delete(app.id.clone()).await.map_err(e)?;
    r.check(
        "deleted application is gone (404)",
        status_of(svix.application().get(app.id.clone()).await) == Some(404),
        (),
    );
    Ok(())
}

/// An endpoint with an ed25519 secret: its deliveries carry `v1a,` signatures that verify with
/// the public key hookd shows.
async fn ed25519_flow(
    svix: &Svix,
    app_id: &str,
    rx: &Receiver,
    r: &mut Report,
) -> Result<(), String> {
    let e = |e: Error| format!("{e:?}");
    let mut ep_in = EndpointIn::new(format!("{}/ed25519", rx.base));
    ep_in.secret = Some(verify::ed25519_secret(9));
    let ep = svix
        .endpoint()
        .create(app_id.to_owned(), ep_in, None)
        .await
        .map_err(e)?;
    let public = svix
        .endpoint()
        .get_secret(app_id.to_owned(), ep.id)
        .await
        .map_err(e)?
        .key;
    let msg = svix
        .message()
        .create(
            app_id.to_owned(),
            MessageIn::new("invoice.paid".into(), serde_json::json!({"ed": 1})),
            None,
        )
        .await
        .map_err(e)?;
    let hit = next_to(rx, "/ed25519")?;
    r.check(
        "ed25519 delivery carries the message id",
        hit.headers.get("webhook-id") == Some(&msg.id),
        &hit.headers,
    );
    r.check(
        "ed25519 signature verifies with the public key",
        verify::ed25519(&public, &hit.headers, &hit.body),
        &hit.headers,
    );
    Ok(())
}
