"""Schemathesis's positive-data check, with the refusals that no JSON Schema can state (and
its resource-availability and use-after-free checks, aware of idempotent replays and of
archived event types: see the end of this file).

`positive_data_acceptance` holds a server to accepting every request its document allows.
hookd's document states every limit that JSON Schema can express (lengths, patterns, ranges,
one-of-two fields, fields that exclude each other). A few refusals depend on what is not in
the request: what is stored (an endpoint may only filter on event types that exist), the
current time (recover reaches back 14 days), or a relation between two values (`since` before
`until`). Each is stated in its operation's description instead, and listed here with the
exact answer that shows it, so that this check lets through that answer and nothing else: any
other refusal of schema-valid data still fails the run.

Imported by launch.py, which registers the check before Schemathesis starts.
"""

import json
import re

import schemathesis
from schemathesis.specs.openapi.checks import (
    ensure_resource_availability,
    positive_data_acceptance,
    use_after_free,
)

ENDPOINT_WRITES = r"(POST|PUT|PATCH) /api/v1/(app/\{app_id\}|operational-webhook)/endpoint(/\{endpoint_id\})?"

# (operation label regex, status, the dotted location of every item (a regex) or `code:` and
# the error code, message regex, why no schema can say it).
REFUSALS = [
    (ENDPOINT_WRITES, 422, r"body\.eventTypes", r"^The following event types don't exist",
     "an endpoint may only filter on event types that exist (stored state)"),
    (ENDPOINT_WRITES, 422, r"body\.secret", r"does not belong to its seed",
     "a whsk_ key's public half must be its seed's (a cryptographic relation)"),
    (r"POST .*/secret/rotate", 422, r"body\.key", r"does not belong to its seed",
     "a whsk_ key's public half must be its seed's (a cryptographic relation)"),
    (r"POST /api/v1/app/\{app_id\}/endpoint/\{endpoint_id\}/(send-example|test)", 400,
     "code:invalid_scheme", r"",
     "the event type may have no example to send (stored state)"),
    (r"POST /api/v1/app/\{app_id\}/msg/\{msg_id\}/endpoint/\{endpoint_id\}/resend", 400,
     "code:missing_payload", r"",
     "the message's payload may have been expunged (stored state)"),
    (r"POST /api/v1/app/\{app_id\}/endpoint/\{endpoint_id\}/recover", 422, r"body\.since",
     r"^Cannot recover more than 14 days", "recover reaches back 14 days from now (the clock)"),
    (r"GET /api/v1/app/\{app_id\}/endpoint/\{endpoint_id\}/(attempt-)?stats", 400,
     "code:invalid_range", r"", "statistics reach back 28 days from now (the clock)"),
    (r"GET /api/v1/hookd/stats/attempts", 422, r"query\.bucketSecs", r"buckets",
     "a window holds at most 2000 buckets (a relation between three parameters)"),
    (r"GET /api/v1/hookd/stats/attempts", 422, r"query\.endpointId", r"give appId too",
     "an endpoint is named within its application (one parameter requires another)"),
    (r"GET /api/v1/hookd/stats/attempts", 422, r"query\.since", r"^must be before until",
     "since must come before until (a relation between two parameters)"),
    (r"POST /api/v1/stats/usage/app", 422, r"body\.until", r"^must be after since",
     "until must come after since (a relation between two fields)"),
    (ENDPOINT_WRITES, 422, r"body\.options\.auth\.\d+\.(type|param|header)",
     r"^(is listed twice|another scheme sets this header)$",
     "each scheme type, header and query parameter appears once (uniqueness by a field)"),
    (ENDPOINT_WRITES, 422, r"body\.options\.auth\.\d+\.param", r"^the endpoint URL has no value",
     "a query secret's parameter must be in the endpoint's URL (a relation between fields)"),
    (ENDPOINT_WRITES, 422, r"body\.options\.auth\.\d+\.value", r"^is required$",
     "a static header's value is required unless one is stored (stored state)"),
    (ENDPOINT_WRITES, 422, r"body\.options\.retryPolicy\.\w+",
     r"^(does not apply to a schedule of type|is required for type|a schedule of type .* needs"
     r" maxAttempts or maxAgeSecs)",
     "which retry fields a schedule takes depends on its type (a relation between fields)"),
    (r"POST .*/secret/rotate", 400, "code:limit_reached", r"",
     "at most 10 secrets may be in their grace period at once (stored state)"),
    (r"POST /api/v1/app/\{app_id\}/msg", 422, r"body\.deliverAt", r"no more than 24 hours in the future",
     "deliverAt is at most 24 hours from now (the clock)"),
    (r"POST /api/v1/(app/\{app_id\}/msg|auth/app-portal-access/\{app_id\})", 422,
     r"body\.application\.uid", r"in the path and body must match",
     "an application created on the way takes the path's uid (a relation between path and body)"),
    (r"POST /api/v1/stats/usage/app", 422, r"body\.appIds", r"^none of these applications",
     "at least one of the applications named must exist (stored state)"),
    (r"POST /api/v1/event-type/import/openapi", 422, r"body\.specRaw", r"in JSON",
     "specRaw must hold a JSON document (the content of a string)"),
]


def _documented(case, response):
    """Whether the answer is one of the refusals listed for this operation: an error code, or
    a 422 each of whose items is one of them."""
    try:
        body = response.json()
    except (ValueError, json.JSONDecodeError):
        return False
    entries = [(where, message) for op, status, where, message, _why in REFUSALS
               if status == response.status_code and re.fullmatch(op, case.operation.label)]
    if not entries or not isinstance(body, dict):
        return False
    items = body.get("detail")
    if isinstance(items, list):
        return bool(items) and all(
            any(not where.startswith("code:")
                and re.fullmatch(where, ".".join(str(p) for p in item.get("loc", [])))
                and re.search(message, item.get("msg", ""))
                for where, message in entries)
            for item in items
        )
    return any(where == "code:" + str(body.get("code")) and re.search(message, str(items))
               for where, message in entries)


@schemathesis.check
def positive_data_acceptance_documented(ctx, response, case):
    """`positive_data_acceptance`, except for the refusals listed in REFUSALS."""
    if _documented(case, response):
        return None
    return positive_data_acceptance(ctx, response, case)


@schemathesis.check
def ensure_resource_availability_unless_replayed(ctx, response, case):
    """`ensure_resource_availability`, except after a replayed create.

    The stateful phase may send a create again with an `Idempotency-Key` it used before; hookd
    then answers the first answer again (`Idempotent-Replayed: true`), as Stripe and Svix do,
    naming a resource that a later step may have deleted. A 404 for it is right, not a
    resource that vanished."""
    parent = ctx.internals.find_parent(case_id=case.id)
    if parent is not None:
        parent_response = ctx.internals.find_response(case_id=parent.id)
        if parent_response is not None and "true" in parent_response.headers.get("idempotent-replayed", []):
            return None
    return ensure_resource_availability(ctx, response, case)


@schemathesis.check
def use_after_free_unless_archived(ctx, response, case):
    """`use_after_free`, except for an event type that DELETE archived.

    `DELETE /api/v1/event-type/{name}` archives the type unless `expunge=true`, as in Svix (the
    document says so): the type still reads, and can still be changed, with `"archived": true`.
    That is not a deleted resource still served."""
    if re.match(r"(GET|PUT|PATCH) /api/v1/event-type/\{", case.operation.label):
        try:
            if response.status_code == 200 and response.json().get("archived") is True:
                return None
        except (ValueError, AttributeError):
            pass
    return use_after_free(ctx, response, case)
