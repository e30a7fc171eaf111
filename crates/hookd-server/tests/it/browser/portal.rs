//! The tenant's portal in Chromium: opened through the link `app-portal-access` returns, a
//! tenant adds an endpoint (with the URL checked and event types picked from the catalogue with
//! their schemas and examples, and its own ed25519 signing key), reveals and rotates its secret, sends a test event, watches the
//! failed delivery and its attempts, retries it once the receiver works, edits and deletes the
//! endpoint, and signs out. The same tenant fails to reach another application's data from the
//! page, and the portal shows inside a vendor's iframe only from an allowed origin. It must not
//! arrange through the store what the UI can do.

use reqwest::Method;
use serde_json::json;

use super::{Browser, Site};

/// A portal link for the application `uid`, as the vendor's backend would fetch it.
async fn portal_link(site: &Site, uid: &str) -> (String, String) {
    let out = site
        .api(
            Method::POST,
            &format!("/api/v1/auth/app-portal-access/{uid}"),
            Some(json!({})),
            200,
        )
        .await;
    (
        out["url"].as_str().unwrap().to_owned(),
        out["token"].as_str().unwrap().to_owned(),
    )
}

/// RFC 8032's first test key as a `whsk_` secret, and its `whpk_` public key.
const ED25519_SECRET: &str =
    "whsk_nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2DXWpgBgrEKt9VL/tPJZAc6DuFy89qmIyWvAhpo9wdRGg==";
const ED25519_PUBLIC: &str = "whpk_11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_manages_their_endpoints_in_the_portal_and_nothing_else() {
    let mut site = Site::start().await;
    site.event_types().await;
    // A catalogue longer than one page of the API (250): the picker pages through all of it.
    for i in 0..260 {
        site.api(
            Method::POST,
            "/api/v1/event-type",
            Some(json!({"name": format!("zz.bulk.{i:03}"), "description": "bulk"})),
            201,
        )
        .await;
    }
    site.api(
        Method::POST,
        "/api/v1/app",
        Some(json!({"name": "Acme", "uid": "acme"})),
        201,
    )
    .await;
    // Another tenant, with data the first must never reach.
    let globex = site
        .api(
            Method::POST,
            "/api/v1/app",
            Some(json!({"name": "Globex", "uid": "globex"})),
            201,
        )
        .await;
    let globex_id = globex["id"].as_str().unwrap().to_owned();
    let globex_ep = site
        .api(
            Method::POST,
            "/api/v1/app/globex/endpoint",
            Some(json!({"url": site.receiver.url("globex"), "description": "Globex secret hook"})),
            201,
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let (url, token) = portal_link(&site, "acme").await;
    assert!(url.starts_with(&format!("{}/portal#key=appsk_", site.base)));
    let b = Browser::start().await;
    b.goto(&url).await;
    b.el_text("main h1", "Endpoints").await;
    b.el_text("#whoami", "Acme").await;
    let address = b.client.current_url().await.unwrap();
    assert!(
        !address.as_str().contains("appsk_"),
        "the token left the address bar: {address}"
    );
    b.el_text(".empty-list", "no endpoints yet").await;

    // Adding an endpoint: the URL is checked, event types come with schemas and examples.
    b.click("a.add-endpoint").await;
    b.el("form.endpoint-form").await;
    b.fill("form.endpoint-form input[name=url]", "not a url")
        .await;
    b.click("form.endpoint-form button[type=submit]").await;
    b.el_text(".field-error", "URL is not a valid URL").await;
    b.flash("error", "correct the highlighted fields").await;
    b.click_text("form.endpoint-form .event-type summary", "Example payload")
        .await;
    b.el_text("form.endpoint-form pre.example", "in_example")
        .await;
    b.click_text("form.endpoint-form .event-type summary", "Schema")
        .await;
    b.el_text("form.endpoint-form pre.schema", "\"amount\"")
        .await;
    b.fill(
        "form.endpoint-form input[name=url]",
        &site.receiver.url("acme"),
    )
    .await;
    b.fill("form.endpoint-form input[name=description]", "Billing hook")
        .await;
    b.click("form.endpoint-form input[value='invoice.paid']")
        .await;
    // The last type of the catalogue's second page is there, and the filter finds it.
    b.el("form.endpoint-form input[value='zz.bulk.259']").await;
    b.fill("form.endpoint-form input[name=eventTypeFilter]", "bulk.259")
        .await;
    let visible = b
        .run(
            "return Array.from(document.querySelectorAll('form.endpoint-form div.event-type'))\
             .filter((r) => !r.hidden).map((r) => r.querySelector('input').value);",
        )
        .await;
    assert_eq!(visible, json!(["zz.bulk.259"]));
    b.fill("form.endpoint-form input[name=eventTypeFilter]", "")
        .await;
    b.screenshots("portal-new-endpoint").await;
    // The tenant brings an ed25519 key: a damaged one is refused beside its field (the API's
    // 422 names `secret`), a whole one is kept.
    b.fill(
        "form.endpoint-form input[name=secret]",
        "whsk_nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=",
    )
    .await;
    b.click("form.endpoint-form button[type=submit]").await;
    b.el_text(".field-error", "must decode to 64 bytes").await;
    b.fill("form.endpoint-form input[name=secret]", ED25519_SECRET)
        .await;
    b.click("form.endpoint-form button[type=submit]").await;
    b.flash("ok", "Endpoint added").await;
    b.el_text("main h1", "Billing hook").await;

    // The secret is masked until revealed (as the public key receivers verify with), and
    // rotates to a new key of the same kind.
    assert!(b.text(".secret-card code").await.contains('•'));
    b.click(".secret-card button.reveal").await;
    let revealed = b.el_text(".secret-card code", "whpk_").await;
    let first = revealed.text().await.unwrap();
    assert_eq!(first, ED25519_PUBLIC);
    b.click(".secret-card button.rotate").await;
    b.click(".secret-card button.confirm-yes").await;
    b.flash("ok", "Secret rotated").await;
    b.click(".secret-card button.reveal").await;
    b.el_text(".secret-card code", "whpk_").await;
    assert_ne!(b.text(".secret-card code").await, first);

    // Checking the URL sends a ping at once and shows the receiver's answer.
    b.click("form.test-form button.check-url").await;
    b.flash("ok", "The endpoint answered HTTP 200").await;
    b.el_text(".check-result pre", "\"received\": true").await;
    site.receiver.wait_requests(1).await;

    // A test event to a receiver that is overloaded (503 with `Retry-After: 120`): the
    // delivery shows its failed attempt, and when it will be retried.
    site.receiver.answer(503);
    b.el("form.test-form select")
        .await
        .select_by_value("invoice.paid")
        .await
        .unwrap();
    b.click("form.test-form button[type=submit]").await;
    b.flash("ok", "queued for delivery").await;
    site.receiver.wait_requests(2).await;
    b.el_text("details.delivery", "invoice.paid").await;
    // The list refreshes while the delivery waits for its retry: `click` finds the summary
    // again if a refresh replaced it (an element found earlier would be stale), and the
    // portal keeps an opened delivery open across refreshes.
    b.click("details.delivery summary").await;
    b.el_text("details.delivery[open] .attempts", "HTTP 503")
        .await;
    // Opening the attempt shows the request it recorded: the signature sent (ed25519, `v1a`,
    // by the tenant's key) and the body. The list refreshes while the delivery waits for its
    // retry, and keeps the attempt open.
    b.click("details.delivery[open] details.attempt:not(.delivery) summary")
        .await;
    b.el_text(
        "details.attempt[open] .request-recorded table.headers",
        "webhook-signature\tv1a,",
    )
    .await;
    b.el_text("details.attempt[open] pre.request-body", "in_example")
        .await;
    b.el_text("details.attempt[open] .retry-after", "Retry-After: 120")
        .await;
    b.el("details.attempt[open] .next-attempt time").await;
    b.screenshots("portal-endpoint").await;

    // The endpoint list says the endpoint is failing (not a green "enabled"), and says so
    // no longer once it has delivered.
    b.click("a[href='#/']").await;
    b.el_text("main table", "failing").await;
    b.run("history.back(); return true;").await;

    // Once the receiver works, retrying delivers it.
    site.receiver.answer(200);
    b.click("details.delivery button.retry").await;
    b.flash("ok", "Retry queued").await;
    b.el_text("details.delivery summary", "success").await;
    b.click("a[href='#/']").await;
    b.el_text("main table", "enabled").await;
    b.run("history.back(); return true;").await;
    b.el("form.endpoint-form").await;

    // Editing the endpoint.
    b.fill(
        "form.endpoint-form input[name=description]",
        "Billing hook v2",
    )
    .await;
    b.click("form.endpoint-form button[type=submit]").await;
    b.flash("ok", "Endpoint saved").await;
    b.el_text("main h1", "Billing hook v2").await;

    // The catalogue, with schemas and examples.
    b.click("a[href='#/event-types']").await;
    b.el_text(".catalogue-entry", "invoice.voided").await;
    b.click_text(
        ".catalogue-entry[data-event-type='invoice.paid'] summary",
        "Example",
    )
    .await;
    b.el_text(".catalogue-entry pre", "in_example").await;
    b.screenshots("portal-event-types").await;
    // A catalogue this long has a filter, which finds a type by part of its name.
    b.fill("main input[name=eventTypeFilter]", "bulk.259").await;
    let visible = b
        .run(
            "return Array.from(document.querySelectorAll('.catalogue-entry'))\
             .filter((r) => !r.hidden).map((r) => r.dataset.eventType);",
        )
        .await;
    assert_eq!(visible, json!(["zz.bulk.259"]));

    // Another application's data cannot be reached from the portal: not by its pages...
    b.goto(&format!("{}/portal#/endpoints/{globex_ep}", site.base))
        .await;
    b.el_text("main .form-error", "Entity not found").await;
    assert!(!b.text("body").await.contains("Globex secret hook"));
    // ...nor with the portal's token from the page's own script.
    let statuses = b
        .run(&format!(
            r#"const t = sessionStorage.getItem('hookd.portal.token');
               const get = async (p) => (await fetch(p, {{ headers: {{ Authorization: 'Bearer ' + t }} }})).status;
               return [
                 await get('/api/v1/app/{globex_id}/endpoint'),
                 await get('/api/v1/app/globex/endpoint/{globex_ep}'),
                 await get('/api/v1/app/globex/msg'),
                 await get('/api/v1/app/{globex_id}/endpoint/{globex_ep}/secret'),
                 await get('/api/v1/hookd/stats/attempts?appId=globex'),
                 await get('/api/v1/app'),
                 await get('/api/v1/app/globex/msg/msg_x/attempt/atmpt_x/request'),
                 await get('/api/v1/app/acme/endpoint'),
               ];"#
        ))
        .await;
    assert_eq!(statuses, json!([403, 403, 403, 403, 403, 403, 403, 200]));

    // Deleting the endpoint.
    b.goto(&format!("{}/portal#/endpoints", site.base)).await;
    b.click_text("tr.endpoint-row a", "acme").await;
    b.el_text("main h1", "Billing hook v2").await;
    b.click("button.delete-endpoint").await;
    b.click("button.confirm-yes").await;
    b.flash("ok", "Endpoint deleted").await;
    b.el_text(".empty-list", "no endpoints yet").await;

    // Embedded by the vendor: allowed from the configured origin...
    let (url, _) = portal_link(&site, "acme").await;
    let embed = |origin: String| {
        let mut page = reqwest::Url::parse(&format!("{origin}/embed")).unwrap();
        page.query_pairs_mut().append_pair("src", &url);
        page.to_string()
    };
    b.goto(&embed(site.receiver.origin())).await;
    b.el("body[data-framed='yes']").await;
    b.client.enter_frame(0).await.unwrap();
    b.el_text("main h1", "Endpoints").await;
    b.el_text("#whoami", "Acme").await;
    b.client.enter_parent_frame().await.unwrap();
    // ...and refused from any other.
    b.goto(&embed(site.stranger.origin())).await;
    b.el("body[data-framed='yes']").await;
    b.client.enter_frame(0).await.unwrap();
    let framed = b
        .client
        .execute("return location.href;", vec![])
        .await
        .unwrap();
    assert!(
        framed
            .as_str()
            .unwrap_or_default()
            .starts_with("chrome-error://"),
        "a stranger's page framed the portal: {framed}"
    );
    b.client.enter_parent_frame().await.unwrap();

    // Signing out revokes the portal token.
    b.goto(&url).await;
    b.el_text("main h1", "Endpoints").await;
    b.click("#logout").await;
    b.el_text(".locked", "signed out").await;
    site.api_as(&token, Method::GET, "/api/v1/app/acme", None, 200)
        .await;
    let revoked = url.split("#key=").nth(1).unwrap().to_owned();
    site.api_as(&revoked, Method::GET, "/api/v1/app/acme", None, 401)
        .await;
}

/// A portal link of the application `uid` with the scope `body` asks for.
async fn scoped_link(site: &Site, uid: &str, body: serde_json::Value) -> String {
    site.api(
        Method::POST,
        &format!("/api/v1/auth/app-portal-access/{uid}"),
        Some(body),
        200,
    )
    .await["url"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// How many elements of the page match each selector.
async fn counts(b: &Browser, selectors: &[&str]) -> serde_json::Value {
    let list = serde_json::to_string(selectors).unwrap();
    b.run(&format!(
        "return {list}.map((s) => document.querySelectorAll(s).length);"
    ))
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_portal_shows_no_control_that_changes_anything() {
    let mut site = Site::start().await;
    site.event_types().await;
    site.api(
        Method::POST,
        "/api/v1/app",
        Some(json!({"name": "Acme", "uid": "acme"})),
        201,
    )
    .await;
    let ep = site
        .api(
            Method::POST,
            "/api/v1/app/acme/endpoint",
            Some(json!({"url": site.receiver.url("acme"), "description": "Billing hook"})),
            201,
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // A failed delivery, which a full portal would offer to retry.
    site.receiver.answer(500);
    site.api(
        Method::POST,
        "/api/v1/app/acme/msg",
        Some(json!({"eventType": "invoice.paid", "payload": {"id": "in_1"}})),
        202,
    )
    .await;
    site.receiver.wait_requests(1).await;

    let write_controls = [
        "a.add-endpoint",
        "button.toggle",
        "button.delete-endpoint",
        "form.endpoint-form",
        "form.test-form",
        "button.rotate",
        "button.retry",
    ];
    let b = Browser::start().await;
    b.goto(&scoped_link(&site, "acme", json!({"readOnly": true})).await)
        .await;
    b.el_text("#whoami", "Acme (read-only)").await;
    b.el_text("tr.endpoint-row", "Billing hook").await;
    assert_eq!(
        counts(&b, &write_controls).await,
        json!([0, 0, 0, 0, 0, 0, 0])
    );
    b.click_text("tr.endpoint-row a", "acme").await;
    b.el_text("main h1", "Billing hook").await;
    // The deliveries show, without a retry; the secret can be read (read-only keeps
    // ViewEndpointSecret) but not rotated.
    b.el_text("details.delivery", "invoice.paid").await;
    b.click(".secret-card button.reveal").await;
    b.el_text(".secret-card code", "whsec_").await;
    assert_eq!(
        counts(&b, &write_controls).await,
        json!([0, 0, 0, 0, 0, 0, 0])
    );
    b.screenshots("portal-read-only").await;
    // The add page says so rather than offering a form.
    b.goto(&format!("{}/portal#/endpoints/new", site.base))
        .await;
    b.el_text(".locked", "does not allow adding endpoints")
        .await;
    assert_eq!(counts(&b, &["form.endpoint-form"]).await, json!([0]));
    // And the API refuses the writes the page does not offer, from the page's own script.
    let statuses = b
        .run(&format!(
            r#"const t = sessionStorage.getItem('hookd.portal.token');
               const send = async (m, p) => (await fetch(p, {{ method: m,
                 headers: {{ Authorization: 'Bearer ' + t, 'Content-Type': 'application/json' }},
                 body: JSON.stringify({{ url: 'https://evil.example' }}) }})).status;
               return [
                 await send('POST', '/api/v1/app/acme/endpoint'),
                 await send('PATCH', '/api/v1/app/acme/endpoint/{ep}'),
                 await send('DELETE', '/api/v1/app/acme/endpoint/{ep}'),
                 await send('POST', '/api/v1/app/acme/endpoint/{ep}/secret/rotate'),
               ];"#
        ))
        .await;
    assert_eq!(statuses, json!([403, 403, 403, 403]));

    // A ViewBase-only link does not even show the secret.
    b.goto(&scoped_link(&site, "acme", json!({"capabilities": ["ViewBase"]})).await)
        .await;
    b.el_text("tr.endpoint-row", "Billing hook").await;
    b.click_text("tr.endpoint-row a", "acme").await;
    b.el_text("details.delivery", "invoice.paid").await;
    assert_eq!(counts(&b, &[".secret-card"]).await, json!([0]));
    assert_eq!(
        counts(&b, &write_controls).await,
        json!([0, 0, 0, 0, 0, 0, 0])
    );
}
