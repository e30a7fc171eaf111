#!/usr/bin/env python3
"""Drives a real `hookd serve` with an *old* official Svix Python SDK (1.x, pinned in
requirements-v1.txt), whose generated client is strict about status codes: `rotate_secret`
must get an empty 204 and `send_example` a 202, where the newer 2.x SDK expects a body. hookd
answers each SDK the way it expects (see crates/hookd-server/src/api/client.rs); this flow
proves the old side of that, the 2.x flow the new side.

Usage: svix_python_v1_flow.py PATH_TO_HOOKD_BINARY
"""

import datetime
import sys

from svix.api import (
    ApplicationIn,
    EndpointHeadersIn,
    EndpointIn,
    EndpointSecretRotateIn,
    EventTypeIn,
    MessageIn,
    RecoverIn,
    Svix,
    SvixOptions,
)
from svix.exceptions import HttpError
from svix.internal.openapi_client.models.event_example_in import EventExampleIn
from svix.webhooks import Webhook

from harness import run_against_hookd, wait_for


def run(url, token, receiver, report):
    check = report.check
    client = Svix(token, SvixOptions(server_url=url))
    app = client.application.get_or_create(ApplicationIn(name="Old SDK", uid="old-sdk"))
    check("application created", app.id.startswith("app_"))
    client.event_type.create(
        EventTypeIn(name="t.one", description="one", schemas={"1": {"type": "object", "examples": [{"hello": "world"}]}})
    )
    ep = client.endpoint.create(app.id, EndpointIn(url=receiver.url + "/old", version=1, filter_types=["t.one"], uid="e"))
    check("endpoint created with the old filter_types name", ep.filter_types == ["t.one"], repr(ep))

    old_secret = client.endpoint.get_secret(app.id, ep.id).key
    rotated = client.endpoint.rotate_secret(app.id, ep.id, EndpointSecretRotateIn(key=None))
    check("rotate_secret gets the 204 a 1.x SDK requires", rotated is None)
    new_secret = client.endpoint.get_secret(app.id, ep.id).key
    check("the secret changed", new_secret != old_secret)

    client.endpoint.update_headers(app.id, ep.id, EndpointHeadersIn(headers={"X-A": "1", "Authorization": "x"}))
    headers = client.endpoint.get_headers(app.id, ep.id)
    check("sensitive headers are listed, not shown", headers.headers == {"X-A": "1"} and list(headers.sensitive) == ["Authorization"])

    msg = client.message.create(app.id, MessageIn(event_type="t.one", payload={"a": 1}))
    _, received_headers, body = receiver.next()
    check("delivery verifies with the SDK's own verifier (new and old secret)",
          Webhook(new_secret).verify(body, received_headers) == {"a": 1}
          and Webhook(old_secret).verify(body, received_headers) == {"a": 1})
    check("delivery carries the message id", received_headers.get("svix-id") == msg.id)

    example = client.endpoint.send_example(app.id, ep.id, EventExampleIn(event_type="t.one"))
    check("send_example gets the 202 a 1.x SDK requires", example.id.startswith("msg_"))
    _, _, body = receiver.next()
    check("the example payload is the schema's example", body == b'{"hello":"world"}', body)

    attempts = wait_for(lambda: client.message_attempt.list_by_msg(app.id, msg.id).data, lambda a: len(a) > 0)
    check("the attempt is listed", len(attempts) == 1 and attempts[0].response_status_code == 200)
    since = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=1)
    recovered = client.endpoint.recover(app.id, ep.id, RecoverIn(since=since))
    check("recover answers a task", recovered.id.startswith("qtask_"))
    stats = client.endpoint.get_stats(app.id, ep.id)
    check("stats count the deliveries", stats.success >= 1)

    client.application.delete(app.id)
    try:
        client.application.get(app.id)
        check("deleted application is gone", False)
    except HttpError as e:
        check("deleted application is gone (404)", e.status_code == 404)


def main():
    report = run_against_hookd(sys.argv[1], run)
    sys.exit(report.close("svix python sdk 1.24.0"))


if __name__ == "__main__":
    main()
