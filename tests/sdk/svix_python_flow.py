#!/usr/bin/env python3
"""Drives a real `hookd serve` with the official Svix Python SDK and verifies what arrives with
the Standard Webhooks reference verifier, as a customer's code would.

Usage: svix_python_flow.py PATH_TO_HOOKD_BINARY

It starts hookd on a free port with a fresh data directory, starts a local receiver, runs
create app -> event type -> endpoint -> message -> list attempts (plus idempotency, eventId
conflicts, secret rotation and a portal token; then an ed25519 endpoint, tags, a raw
form-encoded payload, deliverAt, a receiver's Retry-After, header deletion, precheck, replays
and background tasks: see svix_python_steps.py; portal scopes and expire-all; then event types
from an OpenAPI document, environment export and import, the operational-webhook endpoint API,
statistics tasks and the message expunges: see svix_python_families.py), and exits non-zero if
any check fails.
The closing line follows the "N passed, N failed" convention so CI can read it.
"""

import sys

import svix
from standardwebhooks.webhooks import Webhook
from svix.api import (
    ApplicationIn,
    EndpointIn,
    EndpointSecretRotateIn,
    EventTypeIn,
    MessageIn,
    Svix,
    SvixOptions,
)
from svix.exceptions import HttpError, HTTPValidationError

import svix_python_families
import svix_python_steps
from harness import run_against_hookd, wait_for


def main():
    report = run_against_hookd(sys.argv[1], run)
    sys.exit(report.close(f"svix python sdk {getattr(svix, '__version__', '')}"))


def run(url, token, receiver, report):
    check = report.check
    client = Svix(token, SvixOptions(server_url=url))

    app = client.application.get_or_create(ApplicationIn(name="Acme", uid="acme"))
    again = client.application.get_or_create(ApplicationIn(name="Acme", uid="acme"))
    check("get_or_create returns the same application", app.id == again.id and app.id.startswith("app_"))

    client.event_type.create(EventTypeIn(name="invoice.paid", description="An invoice was paid"))
    check("event type listed", any(e.name == "invoice.paid" for e in client.event_type.list().data))

    ep = client.endpoint.create(app.id, EndpointIn(url=receiver.url + "/hooks", event_types=["invoice.paid"], uid="main",
                                                   headers={"X-Tenant": "acme"}))
    check("endpoint created with filter", ep.event_types == ["invoice.paid"], repr(ep))
    secret = client.endpoint.get_secret(app.id, ep.id).key
    check("secret is whsec_", secret.startswith("whsec_"))

    payload = {"invoice": "in_1", "amount": 1999, "currency": "eur"}
    msg = client.message.create(app.id, MessageIn(event_type="invoice.paid", payload=payload, event_id="evt-1"))
    check("message accepted", msg.id.startswith("msg_") and msg.event_id == "evt-1")

    path, headers, body = receiver.next()
    check("webhook went to the endpoint's path", path == "/hooks", path)
    check("webhook-id is the message id", headers.get("webhook-id") == msg.id)
    check("headers given at endpoint creation are sent", headers.get("x-tenant") == "acme", repr(headers))
    verified = Webhook(secret).verify(body, headers)
    check("standard webhooks verifier accepts the delivery", verified == payload, repr(verified))

    attempts = wait_for(lambda: client.message_attempt.list_by_msg(app.id, msg.id).data, lambda a: len(a) > 0)
    check("one successful attempt listed", len(attempts) == 1 and attempts[0].response_status_code == 200, repr(attempts))

    try:
        client.message.create(app.id, MessageIn(event_type="invoice.paid", payload=payload, event_id="evt-1"))
        check("a reused eventId is refused", False, "no error raised")
    except HttpError as e:
        check("a reused eventId is refused with 409", e.status_code == 409, repr(e))

    rotated = client.endpoint.rotate_secret(app.id, ep.id, EndpointSecretRotateIn())
    new_secret = client.endpoint.get_secret(app.id, ep.id).key
    check("rotate answers with the new secret", rotated is not None and rotated.key == new_secret and new_secret != secret)

    msg2 = client.message.create(app.id, MessageIn(event_type="invoice.paid", payload={"n": 2}))
    _, headers, body = receiver.next()
    check("after rotation the new secret verifies", Webhook(new_secret).verify(body, headers) == {"n": 2})
    check("and the old secret still verifies during the grace period", Webhook(secret).verify(body, headers) == {"n": 2})
    check("second delivery carries its own id", headers.get("webhook-id") == msg2.id)

    listed = client.message.list(app.id).data
    check("messages listed newest first", [m.id for m in listed[:2]] == [msg2.id, msg.id], repr([m.id for m in listed]))

    portal = client.authentication.app_portal_access(app.id, svix.api.AppPortalAccessIn())
    tenant = Svix(portal.token, SvixOptions(server_url=url))
    check("portal token reads its own app", len(tenant.endpoint.list(app.id).data) == 1)
    try:
        tenant.application.list()
        check("portal token cannot list applications", False, "no error raised")
    except HttpError as e:
        check("portal token cannot list applications (403)", e.status_code == 403, repr(e))

    portal_scope_steps(client, url, app, ep, check)
    svix_python_steps.run(client, app, ep, receiver, check)
    svix_python_families.run(client, receiver, check)

    client.application.delete(app.id)
    try:
        client.application.get(app.id)
        check("deleted application is gone", False)
    except HttpError as e:
        check("deleted application is gone (404)", e.status_code == 404)


def status_of(call):
    """The HTTP status a call ended with: 200 if it raised nothing."""
    try:
        call()
        return 200
    except (HttpError, HTTPValidationError) as e:
        return e.status_code


def portal_scope_steps(client, url, app, ep, check):
    """Portal tokens scoped through the SDK's own AppPortalAccessIn, enforced by hookd's API."""
    from svix.api import AppPortalAccessIn, AppPortalCapability, ApplicationTokenExpireIn

    def tenant(**scope):
        token = client.authentication.app_portal_access(app.id, AppPortalAccessIn(**scope)).token
        return Svix(token, SvixOptions(server_url=url))

    read_only = tenant(read_only=True, session_id="flow-read-only")
    check("a read-only portal token reads its endpoints", len(read_only.endpoint.list(app.id).data) >= 1)
    check("a read-only portal token cannot create an endpoint (403)",
          status_of(lambda: read_only.endpoint.create(app.id, EndpointIn(url="https://example.com/ro"))) == 403)
    check("a read-only portal token cannot rotate the secret (403)",
          status_of(lambda: read_only.endpoint.rotate_secret(app.id, ep.id, EndpointSecretRotateIn())) == 403)

    view_base = tenant(capabilities=[AppPortalCapability.VIEW_BASE], session_id="flow-view-base")
    check("a ViewBase-only portal token cannot read the signing secret (403)",
          status_of(lambda: view_base.endpoint.get_secret(app.id, ep.id)) == 403)
    check("an expiry under an hour is refused (422)",
          status_of(lambda: client.authentication.app_portal_access(app.id, AppPortalAccessIn(expiry=60))) == 422)

    client.authentication.expire_all(app.id, ApplicationTokenExpireIn(session_ids=["flow-read-only"]))
    check("expire-all by session ends that session's token (401)",
          status_of(lambda: read_only.endpoint.list(app.id)) == 401)
    check("and leaves other sessions' tokens working", len(view_base.endpoint.list(app.id).data) >= 1)


if __name__ == "__main__":
    main()
