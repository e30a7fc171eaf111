//! The recover step: an endpoint whose receiver fails, given a single attempt through hookd's
//! `options` (which no Svix SDK can send, so set through the API directly), then recovered
//! with the SDK once the receiver answers, and the recovered delivery verified. It must not
//! start hookd or the receiver (the flow does).

use svix::{
    api::{MessageAttemptListByEndpointOptions, Svix},
    error::Error,
    models::{MessageIn, MessageStatus, RecoverIn},
};

use crate::{
    next_to,
    receiver::{raw_request, Receiver},
    report::{secret_of, Report},
    verify, POLL,
};

pub async fn step(
    svix: &Svix,
    url: &str,
    token: &str,
    app_id: &str,
    rx: &Receiver,
    r: &mut Report,
) -> Result<(), String> {
    let e = |e: Error| format!("{e:?}");
    // Recover: an endpoint whose receiver fails, with a single attempt (hookd's `options`,
    // which no Svix SDK can send: set through the API directly), recovered once it answers.
    let flaky_secret = secret_of("flaky");
    let body = serde_json::json!({
        "url": format!("{}/flaky", rx.base), "secret": flaky_secret, "eventTypes": ["invoice.paid"],
        "options": {"retryPolicy": {"type": "delays", "delaysSecs": []}},
    });
    let (status, created) = raw_request(
        url,
        token,
        "POST",
        &format!("/api/v1/app/{}/endpoint", app_id),
        &body.to_string(),
    )?;
    r.check(
        "endpoint with a single attempt created",
        status == 201,
        &created,
    );
    let flaky: serde_json::Value = serde_json::from_str(&created).map_err(|e| e.to_string())?;
    let flaky_id = flaky["id"].as_str().ok_or("no endpoint id")?.to_owned();
    rx.set_failing("/flaky", true);
    let msg3 = svix
        .message()
        .create(
            app_id.to_owned(),
            MessageIn::new("invoice.paid".into(), serde_json::json!({"n": 3})),
            None,
        )
        .await
        .map_err(e)?;
    let hit = next_to(rx, "/flaky")?;
    r.check(
        "the failing endpoint was attempted",
        hit.headers.get("webhook-id") == Some(&msg3.id),
        &hit.headers,
    );
    let failed = loop {
        let filter = MessageAttemptListByEndpointOptions {
            status: Some(MessageStatus::Fail),
            ..Default::default()
        };
        let page = svix
            .message_attempt()
            .list_by_endpoint(app_id.to_owned(), flaky_id.clone(), Some(filter))
            .await
            .map_err(e)?;
        if !page.data.is_empty() {
            break page.data;
        }
        tokio::time::sleep(POLL).await;
    };
    r.check("its attempt failed", failed.len() == 1, failed.len());
    rx.set_failing("/flaky", false);
    let since = chrono::Utc::now() - chrono::Duration::hours(1);
    let recovered = svix
        .endpoint()
        .recover(
            app_id.to_owned(),
            flaky_id.clone(),
            RecoverIn::new(since),
            None,
        )
        .await
        .map_err(e)?;
    r.check(
        "recover answers a task",
        recovered.id.starts_with("qtask_"),
        &recovered.id,
    );
    let hit = next_to(rx, "/flaky")?;
    r.check(
        "recover delivers the failed message again",
        hit.headers.get("webhook-id") == Some(&msg3.id)
            && verify::hmac(&flaky_secret, &hit.headers, &hit.body),
        &hit.headers,
    );
    Ok(())
}
