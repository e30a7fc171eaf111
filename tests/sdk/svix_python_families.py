"""The Python flow's steps for the Svix families that manage an environment rather than deliver
to one: event types imported from an OpenAPI document, the environment export and import,
the operational-webhook endpoint API (and one operational webhook it then receives),
statistics tasks, and the message expunges (bulk-expunge, expunge-all-contents). Each goes
through the SDK's own calls and checks what hookd gives back against what was sent; tasks are
polled through the background-task route until they finish. It must not start hookd or the
receiver (svix_python_flow.py does).

The SDK has no `auth/dashboard-access` call, and no bulk expunge of an endpoint (only of
messages), so neither is here.
"""

import datetime
import json

from svix.api import (
    ApplicationIn,
    AppUsageStatsIn,
    BackgroundTaskStatus,
    BackgroundTaskType,
    BulkExpungeContentsIn,
    EndpointIn,
    EnvironmentIn,
    EventTypeDeleteOptions,
    EventTypeImportOpenApiIn,
    EventTypeIn,
    EventTypePatch,
    MessageGetOptions,
    MessageIn,
    OperationalWebhookEndpointHeadersIn,
    OperationalWebhookEndpointIn,
    OperationalWebhookEndpointSecretIn,
    OperationalWebhookEndpointUpsertIn,
)
from svix.exceptions import HttpError, HTTPValidationError

from harness import wait_for
from svix_python_steps import hmac_ok, whsec

# A small OpenAPI 3.1 document: two webhooks, one whose body schema is a `$ref` into
# `components` (hookd stores it resolved), one deprecated and without a body.
PET = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
OPENAPI = {
    "openapi": "3.1.0",
    "info": {"title": "Pets", "version": "1.0.0"},
    "webhooks": {
        "pet.adopted": {"post": {"summary": "Adopted", "description": "A pet found a home",
                                 "requestBody": {"content": {"application/json": {
                                     "schema": {"$ref": "#/components/schemas/Pet"}}}}}},
        "pet.retired": {"post": {"summary": "A pet retired", "deprecated": True}},
    },
    "components": {"schemas": {"Pet": PET}},
}


def status_of(call):
    """The HTTP status a call ended with: 200 if it raised nothing."""
    try:
        call()
        return 200
    except (HttpError, HTTPValidationError) as e:
        return e.status_code


def finished(client, task_id):
    """The task once it is no longer running (tasks have no completion signal but this read)."""
    return wait_for(lambda: client.background_task.get(task_id), lambda t: t.status != BackgroundTaskStatus.RUNNING)


def run(client, receiver, check):
    app = client.application.create(ApplicationIn(name="Families", uid="families"))
    openapi_import(client, check)
    environment(client, check)
    operational_webhooks(client, app, receiver, check)
    stats_and_expunges(client, app, check)
    client.application.delete(app.id)


def openapi_import(client, check):
    dry = client.event_type.import_openapi(EventTypeImportOpenApiIn(spec=OPENAPI, dry_run=True)).data
    check("import_openapi dry_run lists both webhooks and writes nothing",
          sorted(t.name for t in dry.to_modify or []) == ["pet.adopted", "pet.retired"] and dry.modified == []
          and status_of(lambda: client.event_type.get("pet.adopted")) == 404, repr(dry))
    done = client.event_type.import_openapi(EventTypeImportOpenApiIn(spec=OPENAPI)).data
    check("import_openapi creates an event type per webhook", sorted(done.modified) == ["pet.adopted", "pet.retired"],
          repr(done))
    adopted = client.event_type.get("pet.adopted")
    check("the imported type has the webhook's description and its resolved body schema as version 1",
          adopted.description == "A pet found a home" and adopted.schemas == {"1": PET} and not adopted.deprecated,
          repr(adopted))
    retired = client.event_type.get("pet.retired")
    check("a deprecated webhook without a body: summary as description, deprecated, no schema",
          retired.description == "A pet retired" and retired.deprecated and not retired.schemas, repr(retired))
    # The same document again, as text this time: nothing left to change.
    again = client.event_type.import_openapi(EventTypeImportOpenApiIn(spec_raw=json.dumps(OPENAPI))).data
    check("importing the same document again (as spec_raw) modifies nothing", again.modified == [], repr(again))


def environment(client, check):
    schema = {"1": {"type": "object", "properties": {"sku": {"type": "string"}}}}
    client.event_type.create(EventTypeIn(name="env.kept", description="Kept across import", schemas=schema))
    client.event_type.create(EventTypeIn(name="env.changed", description="As exported"))
    client.event_type.create(EventTypeIn(name="env.archived", description="Archived before export"))
    client.event_type.delete("env.archived")

    exported = client.environment.export()
    by_name = {e.name: e for e in exported.event_types}
    check("export carries every event type, with schemas and the archived flag",
          by_name.get("env.kept") and by_name["env.kept"].schemas == schema
          and by_name.get("env.archived") and by_name["env.archived"].archived
          and {"invoice.paid", "pet.adopted"} <= set(by_name), repr(sorted(by_name)))
    check("export has no settings and no connectors", exported.settings is None and exported.connectors == [],
          repr(exported))

    # Lose one type and change another, then import the export: both come back as exported.
    client.event_type.delete("env.kept", EventTypeDeleteOptions(expunge=True))
    client.event_type.patch("env.changed", EventTypePatch(description="Changed after export"))
    check("the expunged type is gone before the import", status_of(lambda: client.event_type.get("env.kept")) == 404)
    fields = set(EventTypeIn.model_fields)
    client.environment.import_(EnvironmentIn(event_types=[
        EventTypeIn.model_validate(e.model_dump(include=fields, exclude_none=True)) for e in exported.event_types]))
    kept = client.event_type.get("env.kept")
    check("import recreates the expunged type with its schema",
          kept.description == "Kept across import" and kept.schemas == schema, repr(kept))
    check("import restores the changed description",
          client.event_type.get("env.changed").description == "As exported")
    check("import keeps the archived type archived", client.event_type.get("env.archived").archived)
    check("an import carrying settings is refused (422), not dropped",
          status_of(lambda: client.environment.import_(EnvironmentIn(settings={"colour": "blue"}))) == 422)


def operational_webhooks(client, app, receiver, check):
    ops = client.operational_webhook.endpoint
    check("no operational-webhook endpoint at first", ops.list().data == [])
    secret = whsec("ops")
    created = ops.create(OperationalWebhookEndpointIn(
        url=receiver.url + "/ops", uid="ops", description="Operations", event_types=["endpoint.created"],
        secret=secret, metadata={"team": "sre"}, headers={"X-Ops": "1"}))
    check("the operational endpoint is created as sent",
          created.id.startswith("ep_") and created.uid == "ops" and created.url == receiver.url + "/ops"
          and created.event_types == ["endpoint.created"] and created.metadata == {"team": "sre"}, repr(created))
    check("get reads it by uid", ops.get("ops").id == created.id)
    check("list shows it", [e.id for e in ops.list().data] == [created.id])
    updated = ops.upsert(created.id, OperationalWebhookEndpointUpsertIn(
        url=receiver.url + "/ops2", description="Operations, moved", event_types=["endpoint.created"]))
    check("upsert replaces url and description", updated.id == created.id and updated.url == receiver.url + "/ops2"
          and updated.description == "Operations, moved", repr(updated))
    check("get_secret reads the secret it was created with", ops.get_secret(created.id).key == secret)
    rotated = whsec("ops-rotated")
    ops.rotate_secret(created.id, OperationalWebhookEndpointSecretIn(key=rotated))
    check("rotate_secret with a key makes it the secret", ops.get_secret(created.id).key == rotated)
    check("get_headers reads the headers it was created with", ops.get_headers(created.id).headers == {"X-Ops": "1"})
    ops.set_headers(created.id, OperationalWebhookEndpointHeadersIn(headers={"X-Ops": "2"}))
    check("set_headers replaces them", ops.get_headers(created.id).headers == {"X-Ops": "2"})

    # The endpoint at work: an endpoint created in an application is reported to it, signed with
    # the rotated secret and carrying the headers set last.
    ep = client.endpoint.create(app.id, EndpointIn(url=receiver.url + "/families"))
    _, headers, body = receiver.next("/ops2")
    event = json.loads(body)
    check("the operational endpoint gets endpoint.created for it",
          event.get("type") == "endpoint.created" and event["data"].get("endpointId") == ep.id
          and event["data"].get("appId") == app.id, repr(event))
    check("signed with the rotated secret, with the set headers",
          hmac_ok(rotated, headers, body) and headers.get("x-ops") == "2", repr(headers))

    ops.delete(created.id)
    check("the deleted operational endpoint is gone (404)", status_of(lambda: ops.get(created.id)) == 404)
    check("and no longer listed", ops.list().data == [])


def stats_and_expunges(client, app, check):
    payloads = [{"name": f"pet-{i}"} for i in range(3)]
    msgs = [client.message.create(app.id, MessageIn(event_type="pet.adopted", payload=p, event_id=f"fam-{i}"))
            for i, p in enumerate(payloads)]
    now = datetime.datetime.now(datetime.timezone.utc)
    stats = client.statistics.aggregate_app_stats(AppUsageStatsIn(
        since=now - datetime.timedelta(hours=1), until=now + datetime.timedelta(minutes=1),
        app_ids=[app.id, "app_not_here"]))
    check("aggregate_app_stats answers an application.stats task naming the unknown id",
          stats.task == BackgroundTaskType.APPLICATION_STATS and stats.unresolved_app_ids == ["app_not_here"],
          repr(stats))
    task = finished(client, stats.id)
    check("and the task, polled, finishes", task.id == stats.id and task.status == BackgroundTaskStatus.FINISHED
          and task.task == BackgroundTaskType.APPLICATION_STATS, repr(task))
    rows = [r for r in task.data.get("appStats", []) if r.get("appId") == app.id]
    check("its data is the SDK's documented shape: appStats with messageDestinations",
          len(rows) == 1 and set(rows[0]) == {"messageDestinations", "appId", "appUid"}
          and isinstance(rows[0]["messageDestinations"], int), repr(task.data))
    aggregate = client.statistics.aggregate_event_types()
    task = finished(client, aggregate.id)
    check("aggregate_event_types answers an event-type.aggregate task that finishes",
          aggregate.task == BackgroundTaskType.EVENT_TYPE_AGGREGATE and task.status == BackgroundTaskStatus.FINISHED,
          repr(task))
    rows = [r for r in task.data.get("event_types", []) if r.get("appId") == app.id]
    check("its data is the SDK's documented shape: event_types per application",
          len(rows) == 1 and isinstance(rows[0].get("explicitlySubscribedEventTypes"), list)
          and isinstance(rows[0].get("hasCatchAllEndpoint"), bool), repr(task.data))

    # bulk-expunge by id and by eventId; an unknown id is reported, not an error.
    out = client.message.bulk_expunge_content(app.id, BulkExpungeContentsIn(ids=[msgs[0].id, "fam-1", "msg_not_here"]))
    check("bulk_expunge_content answers per id",
          {k: str(v) for k, v in out.results.items()}
          == {msgs[0].id: "expunged", "fam-1": "expunged", "msg_not_here": "not-found"}, repr(out))
    # Read with content: this SDK asks for messages without their payloads by default.
    def payload_of(msg):
        return client.message.get(app.id, msg.id, MessageGetOptions(with_content=True)).payload

    now_read = [payload_of(m) for m in msgs]
    check("the expunged payloads are gone, the third is kept",
          [read == p for read, p in zip(now_read, payloads)] == [False, False, True], repr(now_read))
    purge = client.message.expunge_all_contents(app.id)
    task = finished(client, purge.id)
    check("expunge_all_contents is an application.purge_content task that purged the one payload left",
          purge.task == BackgroundTaskType.APPLICATION_PURGE_CONTENT and task.status == BackgroundTaskStatus.FINISHED
          and task.data == {"messagesPurged": 1}, repr(task))
    check("and that payload is gone too", payload_of(msgs[2]) != payloads[2], repr(payload_of(msgs[2])))
