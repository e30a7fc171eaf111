//! The operator's dashboard in Chromium: logging in, creating an application and an endpoint,
//! watching a message published through the API arrive with its attempt (request and response),
//! resending it, searching messages, the endpoint's actions (disable/enable, reveal and rotate
//! the secret, headers, recover), charts, event types, pagination, readable errors, and
//! screenshots at both widths. It must not arrange through the store what the UI can do.

use reqwest::Method;
use serde_json::json;

use super::{Browser, Site};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_manages_deliveries_in_the_dashboard() {
    let mut site = Site::start().await;
    site.event_types().await;
    let b = Browser::start().await;

    // Logging in: a wrong token is refused readably, the admin token gets in.
    b.goto(&format!("{}/dashboard", site.base)).await;
    b.el("form.login-form").await;
    b.fill("input[name=token]", "hk_wrong").await;
    b.click("form.login-form button[type=submit]").await;
    b.flash("error", "not accepted").await;
    b.fill("input[name=token]", &site.admin).await;
    b.click("form.login-form button[type=submit]").await;
    b.el_text("main h1", "Overview").await;
    b.el_text("#flash .flash[data-kind=\"ok\"]", "Logged in")
        .await;

    // An application, made in the UI; a taken uid is a readable conflict. The message about
    // the last page does not follow to this one.
    b.click("a[href='#/apps']").await;
    b.el_text("main h1", "Applications").await;
    assert_eq!(
        b.run("return document.querySelector('#flash').textContent;")
            .await,
        json!(""),
        "a message said on another page stayed"
    );
    b.fill("input[name=name]", "Acme").await;
    b.fill("input[name=uid]", "acme").await;
    b.click("main form button[type=submit]").await;
    b.flash("ok", "Application Acme created").await;
    b.fill("input[name=name]", "Acme again").await;
    b.fill("input[name=uid]", "acme").await;
    b.click("main form button[type=submit]").await;
    b.flash("error", "already exists").await;
    b.fill("input[name=uid]", "bad uid!").await;
    b.click("main form button[type=submit]").await;
    b.el_text(".field-error", "UID may only contain").await;
    b.flash("error", "correct the highlighted fields").await;
    b.click_text("main table a", "Acme").await;
    b.el_text("main h1", "Acme").await;

    // An endpoint, with the form checking its URL as the API does.
    b.el("form.endpoint-form").await;
    b.fill("form.endpoint-form input[name=url]", "ftp://files.example")
        .await;
    b.click("form.endpoint-form button[type=submit]").await;
    b.el_text(".field-error", "must use the http or https scheme")
        .await;
    b.fill(
        "form.endpoint-form input[name=url]",
        &site.receiver.url("acme"),
    )
    .await;
    b.fill(
        "form.endpoint-form input[name=description]",
        "Acme's receiver",
    )
    .await;
    b.click("form.endpoint-form input[value='invoice.paid']")
        .await;
    b.fill("form.endpoint-form input[name=uid]", "main").await;
    b.click("form.endpoint-form button[type=submit]").await;
    b.flash("ok", "Endpoint added").await;
    b.el_text("main h1", "Acme's receiver").await;
    b.el_text(".endpoint-state", "enabled").await;

    // The operator can hand the tenant a portal link.
    b.click_text(".crumbs a", "Acme").await;
    b.click_text("button", "Create a portal link").await;
    b.flash("ok", "Portal link created").await;
    let link = b
        .el("a.portal-link")
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    assert!(
        link.starts_with(&format!("{}/portal#key=appsk_", site.base)),
        "{link}"
    );
    b.click_text("main table a", "/hook/acme").await;
    b.el_text("main h1", "Acme's receiver").await;

    // A message published through the API appears with its attempt.
    let msg = site
        .api(
            Method::POST,
            "/api/v1/app/acme/msg",
            Some(json!({"eventType": "invoice.paid", "eventId": "evt_1",
                        "payload": {"invoice": "in_1", "amount": 1200}})),
            202,
        )
        .await;
    let msg_id = msg["id"].as_str().unwrap().to_owned();
    site.receiver.wait_requests(1).await;
    b.click_text(".crumbs a", "Acme").await;
    b.click_text("nav.tabs a", "Messages").await;
    let row = b.el_text("tr.message-row", "evt_1").await;
    row.find(fantoccini::Locator::Css("a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.el_text("main h1", "evt_1").await;
    b.el_text("tr.destination", "success").await;
    b.el_text("details.attempt", "HTTP 200").await;
    // The attempts may be read again once nothing is pending, replacing the element: `click`
    // finds the summary afresh if so.
    b.click("details.attempt summary").await;
    // The request as the attempt recorded it (the real signature, the body sent) and the
    // response. The page shows the record the API holds, value for value.
    let attempts = site
        .api(
            Method::GET,
            &format!("/api/v1/app/acme/attempt/msg/{msg_id}"),
            None,
            200,
        )
        .await;
    let attempt_id = attempts["data"][0]["id"].as_str().unwrap().to_owned();
    let sent = site
        .api(
            Method::GET,
            &format!("/api/v1/app/acme/msg/{msg_id}/attempt/{attempt_id}/request"),
            None,
            200,
        )
        .await;
    let signature = sent["headers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["name"] == "webhook-signature")
        .unwrap()["value"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(signature.starts_with("v1,"), "{signature}");
    b.el_text(
        "details.attempt[open] .request-recorded table.headers",
        &format!("webhook-id\t{msg_id}"),
    )
    .await;
    b.el_text(
        "details.attempt[open] .request-recorded table.headers",
        &format!("webhook-signature\t{signature}"),
    )
    .await;
    b.el_text("details.attempt[open] table.headers", "user-agent\thookd/")
        .await;
    b.el_text("details.attempt[open] pre.request-body", "\"in_1\"")
        .await;
    b.el_text(
        "details.attempt[open] pre.response-body",
        "\"received\": true",
    )
    .await;
    b.el_text("details.attempt[open] .request-recorded", "As recorded")
        .await;
    b.screenshots("dashboard-message").await;

    // Resending makes a second, manual attempt, which appears without reloading.
    b.click("tr.destination button.resend").await;
    b.flash("ok", "Resend queued").await;
    site.receiver.wait_requests(2).await;
    b.el(".attempts[data-count='2']").await;
    b.el_text("details.attempt summary", "manual").await;
    // The attempts of one endpoint.
    b.el("select[name=endpoint_id]")
        .await
        .select_by_index(1)
        .await
        .unwrap();
    b.el(".attempts[data-count='2'] details.attempt").await;

    // Searching messages: by event type, by date, by channel, by id.
    b.click_text("a", "Acme").await;
    b.click_text("nav.tabs a", "Messages").await;
    b.el("form.message-filters").await;
    b.el("select[name=event_types]")
        .await
        .select_by_value("invoice.paid")
        .await
        .unwrap();
    let form = b.el("form.message-filters").await;
    b.click("form.message-filters button[type=submit]").await;
    // The search renders a new form; the date below goes into that one.
    b.gone(&form).await;
    b.el_text("tr.message-row", "evt_1").await;
    // A date range after the message finds nothing (the value is set as a date picker would).
    b.client
        .execute(
            "document.querySelector('form.message-filters input[name=after]').value = arguments[0];",
            vec![json!("2099-01-01T00:00")],
        )
        .await
        .unwrap();
    b.click("form.message-filters button[type=submit]").await;
    b.el_text(".empty-list", "No messages match").await;
    let form = b.el("form.message-filters").await;
    b.click_text("form.message-filters a", "Clear").await;
    b.gone(&form).await;
    b.el_text("tr.message-row", "evt_1").await;
    b.fill("form.message-filters input[name=channel]", "nowhere")
        .await;
    b.click("form.message-filters button[type=submit]").await;
    b.el_text(".empty-list", "No messages match").await;
    b.fill("form.find-message input[name=id]", "evt_missing")
        .await;
    b.click("form.find-message button[type=submit]").await;
    let error = b.el_text("main .form-error", "Entity not found").await;
    b.goto(&format!("{}/dashboard#/apps/acme/messages", site.base))
        .await;
    b.gone(&error).await;
    b.fill("form.find-message input[name=id]", "evt_1").await;
    b.click("form.find-message button[type=submit]").await;
    b.el_text("main h1", "evt_1").await;

    // The endpoint's actions.
    b.click("tr.destination a").await;
    b.el_text("main h1", "Acme's receiver").await;
    b.click("button.toggle").await;
    b.flash("ok", "Endpoint disabled").await;
    b.el_text(".endpoint-state", "disabled").await;
    b.click("button.toggle").await;
    b.flash("ok", "Endpoint enabled").await;
    b.el_text(".endpoint-state", "enabled").await;

    let masked = b.text(".secret-card code").await;
    assert!(masked.contains('•'), "the secret starts masked: {masked}");
    b.click(".secret-card button.reveal").await;
    let first = b.el_text(".secret-card code", "whsec_").await;
    let first = first.text().await.unwrap();
    assert!(!first.contains('•'), "revealed: {first}");
    b.click(".secret-card button.rotate").await;
    b.click(".secret-card button.confirm-yes").await;
    b.flash("ok", "Secret rotated").await;
    b.click(".secret-card button.reveal").await;
    b.el_text(".secret-card code", "whsec_").await;
    let second = b.text(".secret-card code").await;
    assert_ne!(first, second, "rotation made a new secret");

    b.click("form.headers-form button:not([type=submit])").await;
    b.fill(
        ".header-row:last-child input[name=header-name]",
        "Content-Type",
    )
    .await;
    b.fill(
        ".header-row:last-child input[name=header-value]",
        "text/plain",
    )
    .await;
    b.click("form.headers-form button[type=submit]").await;
    b.flash("error", "set by hookd").await;
    b.fill(".header-row:last-child input[name=header-name]", "X-Tenant")
        .await;
    b.fill(".header-row:last-child input[name=header-value]", "acme")
        .await;
    b.click("form.headers-form button[type=submit]").await;
    b.flash("ok", "Headers saved").await;
    let headers = site
        .api(
            Method::GET,
            "/api/v1/app/acme/endpoint/main/headers",
            None,
            200,
        )
        .await;
    assert_eq!(headers["headers"]["X-Tenant"], "acme");

    b.click("form.recover-form button[type=submit]").await;
    b.flash("ok", "Recovery started").await;

    // The retry policy: checked in the form, then by the API, then saved as the endpoint's
    // `options.retryPolicy`.
    b.el("form.retry-form select[name=type]")
        .await
        .select_by_value("exponential")
        .await
        .unwrap();
    b.fill("form.retry-form input[name=baseSecs]", "10").await;
    b.fill("form.retry-form input[name=factor]", "lots").await;
    b.click("form.retry-form button[type=submit]").await;
    b.el_text("form.retry-form .field-error", "Factor must be a number")
        .await;
    b.flash("error", "correct the highlighted fields").await;
    b.fill("form.retry-form input[name=factor]", "3").await;
    b.click("form.retry-form button[type=submit]").await;
    b.el_text(
        "form.retry-form .field-error",
        "needs maxAttempts or maxAgeSecs",
    )
    .await;
    b.flash("error", "needs maxAttempts or maxAgeSecs").await;
    b.fill("form.retry-form input[name=maxAttempts]", "5").await;
    b.click("form.retry-form button[type=submit]").await;
    b.flash("ok", "Retry policy saved").await;
    let ep = site
        .api(Method::GET, "/api/v1/app/acme/endpoint/main", None, 200)
        .await;
    assert_eq!(
        ep["options"]["retryPolicy"],
        json!({"type": "exponential", "baseSecs": 10, "factor": 3.0, "maxAttempts": 5})
    );

    // The other delivery options: checked in the form, then by the API (60 s is the longest
    // timeout), then saved; the retry policy saved above is left alone.
    b.fill("form.options-form input[name=timeoutMs]", "90000")
        .await;
    b.fill(
        "form.options-form input[name=successStatusCodes]",
        "200, 2O2",
    )
    .await;
    b.click("form.options-form button[type=submit]").await;
    b.el_text("form.options-form .field-error", "three-digit numbers")
        .await;
    b.fill(
        "form.options-form input[name=successStatusCodes]",
        "200, 202",
    )
    .await;
    b.click("form.options-form button[type=submit]").await;
    b.el("form.options-form input[name=timeoutMs][aria-invalid=true]")
        .await;
    b.flash("error", "timeoutMs").await;
    b.fill("form.options-form input[name=timeoutMs]", "4000")
        .await;
    b.fill(
        "form.options-form textarea[name=auth]",
        r#"[{"type":"staticHeader","header":"X-Partner-Key","value":"pk_live_1"}]"#,
    )
    .await;
    b.click("form.options-form button[type=submit]").await;
    b.flash("ok", "Delivery options saved").await;
    let ep = site
        .api(Method::GET, "/api/v1/app/acme/endpoint/main", None, 200)
        .await;
    assert_eq!(ep["options"]["timeoutMs"], 4000);
    assert_eq!(ep["options"]["successStatusCodes"], json!([200, 202]));
    assert_eq!(
        ep["options"]["auth"],
        json!([{"type": "staticHeader", "header": "X-Partner-Key"}]),
        "the secret is stored, never shown"
    );
    assert_eq!(ep["options"]["retryPolicy"]["type"], "exponential");
    // The message's attempts still show what they sent, not what the endpoint would send now:
    // Standard Webhooks signatures and no partner key.
    b.goto(&format!(
        "{}/dashboard#/apps/acme/messages/{msg_id}",
        site.base
    ))
    .await;
    b.click(&format!(
        "details.attempt[data-attempt='{attempt_id}'] summary"
    ))
    .await;
    b.el_text(
        "details.attempt[open] .request-recorded table.headers",
        &format!("webhook-signature\t{signature}"),
    )
    .await;
    let shown = b
        .text("details.attempt[open] .request-recorded table.headers")
        .await;
    assert!(!shown.contains("x-partner-key"), "{shown}");
    // The form shows the schemes without their secret; saving it again keeps the stored
    // secret (the API restores what a redacted read leaves out, as the options tests check).
    b.goto("about:blank").await;
    b.goto(&format!(
        "{}/dashboard#/apps/acme/endpoints/main",
        site.base
    ))
    .await;
    b.el("form.options-form textarea[name=auth]").await;
    let shown = b
        .run("return document.querySelector('form.options-form textarea[name=auth]').value;")
        .await;
    let shown = shown.as_str().unwrap_or_default().to_owned();
    assert!(
        shown.contains("X-Partner-Key") && !shown.contains("pk_live_1"),
        "{shown}"
    );
    b.fill("form.options-form input[name=timeoutMs]", "5000")
        .await;
    b.click("form.options-form button[type=submit]").await;
    b.flash("ok", "Delivery options saved").await;
    let ep = site
        .api(Method::GET, "/api/v1/app/acme/endpoint/main", None, 200)
        .await;
    assert_eq!(ep["options"]["timeoutMs"], 5000);
    // Back to defaults for the rest of the walk-through.
    b.fill("form.options-form input[name=timeoutMs]", "").await;
    b.fill("form.options-form input[name=successStatusCodes]", "")
        .await;
    b.fill("form.options-form textarea[name=auth]", "").await;
    b.click("form.options-form button[type=submit]").await;
    b.flash("ok", "Delivery options saved").await;
    let ep = site
        .api(Method::GET, "/api/v1/app/acme/endpoint/main", None, 200)
        .await;
    assert!(
        ep["options"].get("timeoutMs").is_none(),
        "{}",
        ep["options"]
    );
    assert!(ep["options"].get("auth").is_none(), "{}", ep["options"]);

    // The endpoint's charts: every attempt so far succeeded.
    b.el(".chart-rate[data-rate='100'] svg").await;
    b.el(".chart-latency svg").await;
    b.screenshots("dashboard-endpoint").await;

    // The overview's charts count both attempts.
    b.click("a[href='#/']").await;
    b.el(".chart-outcomes[data-total='2'] svg rect.s-success")
        .await;
    b.el(".chart-latency svg path").await;
    b.screenshots("dashboard-overview").await;

    // Event types: the catalogue's form checks its JSON; a new type appears.
    b.click("a[href='#/event-types']").await;
    b.el_text("main h1", "Event types").await;
    b.fill("form.event-type-form input[name=name]", "user.created")
        .await;
    b.fill("form.event-type-form textarea[name=schemas]", "{not json")
        .await;
    b.click("form.event-type-form button[type=submit]").await;
    b.el_text(".field-error", "not valid JSON").await;
    b.fill(
        "form.event-type-form textarea[name=schemas]",
        r#"{"1": {"type": "object", "examples": [{"user": "u_1"}]}}"#,
    )
    .await;
    b.click("form.event-type-form button[type=submit]").await;
    b.flash("ok", "Event type user.created created").await;
    b.el_text(".event-type", "user.created").await;
    b.screenshots("dashboard-event-types").await;

    // Long lists page with the API's cursors.
    for i in 0..22 {
        site.api(
            Method::POST,
            "/api/v1/app",
            Some(json!({"name": format!("Tenant {i:02}")})),
            201,
        )
        .await;
    }
    b.click("a[href='#/apps']").await;
    b.el_text("nav.pager", "Page 1").await;
    b.click("nav.pager button:nth-child(2)").await;
    b.el_text("nav.pager", "Page 2").await;
    b.click("nav.pager button:nth-child(1)").await;
    b.el_text("nav.pager", "Page 1").await;
    b.screenshots("dashboard-applications").await;

    // Logging out forgets the token.
    b.click("#logout").await;
    b.el("form.login-form").await;
    let stored = b
        .run("return sessionStorage.getItem('hookd.dashboard.token');")
        .await;
    assert!(stored.is_null(), "the token is gone: {stored}");
}

/// An operator's read-only token: the dashboard says so, shows every page and every setting,
/// and offers no control that changes anything.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_operator_sees_everything_and_no_control_that_changes_it() {
    let site = Site::start().await;
    site.event_types().await;
    let app = site
        .api(
            Method::POST,
            "/api/v1/app",
            Some(json!({"name": "Acme", "uid": "acme"})),
            201,
        )
        .await;
    let app_id = app["id"].as_str().unwrap().to_owned();
    let ep = site
        .api(
            Method::POST,
            &format!("/api/v1/app/{app_id}/endpoint"),
            Some(json!({"url": site.receiver.url("acme"), "description": "Acme's receiver"})),
            201,
        )
        .await;
    let operator = site
        .api(
            Method::POST,
            "/api/v1/hookd/token",
            Some(json!({"name": "night shift", "role": "operator"})),
            201,
        )
        .await["text"]
        .as_str()
        .unwrap()
        .to_owned();

    let b = Browser::start().await;
    b.goto(&format!("{}/dashboard", site.base)).await;
    b.fill("input[name=token]", &operator).await;
    b.click("form.login-form button[type=submit]").await;
    b.el_text("main h1", "Overview").await;
    b.el_text("#role", "read-only").await;

    let visible = |css: &'static str| {
        let b = &b;
        async move {
            b.run(&format!(
                "return Array.from(document.querySelectorAll('{css}')).filter((e) => e.offsetParent !== null).length;"
            ))
            .await
        }
    };
    b.click("a[href='#/apps']").await;
    b.el_text("main table", "Acme").await;
    assert_eq!(
        visible("main form").await,
        json!(0),
        "no form to create an application"
    );

    b.click_text("main table a", "Acme").await;
    b.el_text("main table", "Acme's receiver").await;
    assert_eq!(visible("main [data-writes]").await, json!(0));
    assert_eq!(visible("main button.primary").await, json!(0));

    let ep_id = ep["id"].as_str().unwrap();
    b.goto(&format!(
        "{}/dashboard#/apps/{app_id}/endpoints/{ep_id}",
        site.base
    ))
    .await;
    b.el_text("main h1", "Acme's receiver").await;
    // The settings are there to read; nothing to save, toggle, rotate or delete.
    b.el("form.retry-form").await;
    assert_eq!(visible("main button[type=submit]").await, json!(0));
    assert_eq!(
        visible("main button.toggle, main button.danger, main button.rotate").await,
        json!(0)
    );
    b.screenshots("dashboard-read-only-endpoint").await;

    // The audit log lists the changes made, the operator token's minting among them.
    b.click("a[href='#/audit']").await;
    b.el_text("main h1", "Audit log").await;
    b.el_text("main tr.audit-entry", "/api/v1/hookd/token")
        .await;
    b.el_text("main table", &format!("/api/v1/app/{app_id}/endpoint"))
        .await;
    b.screenshots("dashboard-audit-log").await;
}
