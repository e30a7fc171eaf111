// The npm flow's steps for the Svix families that manage an environment rather than deliver
// to one: event types imported from an OpenAPI document, the environment export and import,
// the operational-webhook endpoint API (and one operational webhook it then receives),
// statistics tasks, and the message expunges (bulk-expunge, expunge-all-contents). Each goes
// through the SDK's own calls and checks what hookd gives back against what was sent; tasks
// are polled through the background-task route until they finish. It must not start hookd or
// the receiver (flow.mjs does).
//
// This SDK has no `auth/dashboard-access` call, and no bulk expunge of an endpoint (only of
// messages), so neither is here.

import { verifyWebhook } from "./verify.mjs";

// A small OpenAPI 3.1 document: two webhooks, one whose body schema is a `$ref` into
// `components` (hookd stores it resolved), one deprecated and without a body.
const PET = { type: "object", properties: { name: { type: "string" } }, required: ["name"] };
const OPENAPI = {
  openapi: "3.1.0",
  info: { title: "Pets", version: "1.0.0" },
  webhooks: {
    "pet.adopted": {
      post: {
        summary: "Adopted", description: "A pet found a home",
        requestBody: { content: { "application/json": { schema: { $ref: "#/components/schemas/Pet" } } } },
      },
    },
    "pet.retired": { post: { summary: "A pet retired", deprecated: true } },
  },
  components: { schemas: { Pet: PET } },
};

// Deep equality of JSON values whatever their objects' key order (hookd sorts keys; a
// literal here need not).
const canon = (v) => Array.isArray(v) ? v.map(canon)
  : v && typeof v === "object" ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon(v[k])])) : v;
const same = (a, b) => JSON.stringify(canon(a)) === JSON.stringify(canon(b));
const secretOf = (tag) => "whsec_" + Buffer.from(`node-flow-${tag}-0123456789abcdefghij`.slice(0, 32)).toString("base64");

export async function familySteps({ svix, base, rx, check, waitFor, statusOf }) {
  const app = await svix.application.create({ name: "Families", uid: "families" });
  // The task once it is no longer running (tasks have no completion signal but this read).
  const finished = (id) => waitFor(() => svix.backgroundTask.get(id), (t) => t.status !== "running");
  await openapiImport({ svix, check, statusOf });
  await environment({ svix, check, statusOf });
  await operationalWebhooks({ svix, app, base, rx, check, statusOf });
  await statsAndExpunges({ svix, app, check, finished });
  await svix.application.delete(app.id);
}

async function openapiImport({ svix, check, statusOf }) {
  const dry = (await svix.eventType.importOpenapi({ spec: OPENAPI, dryRun: true })).data;
  check("importOpenapi dryRun lists both webhooks and writes nothing",
    same((dry.toModify ?? []).map((t) => t.name).sort(), ["pet.adopted", "pet.retired"]) && dry.modified.length === 0
    && (await statusOf(svix.eventType.get("pet.adopted"))) === 404, JSON.stringify(dry));
  const done = (await svix.eventType.importOpenapi({ spec: OPENAPI })).data;
  check("importOpenapi creates an event type per webhook", same([...done.modified].sort(), ["pet.adopted", "pet.retired"]),
    JSON.stringify(done));
  const adopted = await svix.eventType.get("pet.adopted");
  check("the imported type has the webhook's description and its resolved body schema as version 1",
    adopted.description === "A pet found a home" && same(adopted.schemas, { 1: PET }) && !adopted.deprecated,
    JSON.stringify(adopted));
  const retired = await svix.eventType.get("pet.retired");
  check("a deprecated webhook without a body: summary as description, deprecated, no schema",
    retired.description === "A pet retired" && retired.deprecated && !retired.schemas, JSON.stringify(retired));
  // The same document again, as text this time: nothing left to change.
  const again = (await svix.eventType.importOpenapi({ specRaw: JSON.stringify(OPENAPI) })).data;
  check("importing the same document again (as specRaw) modifies nothing", again.modified.length === 0,
    JSON.stringify(again));
}

async function environment({ svix, check, statusOf }) {
  const schemas = { 1: { type: "object", properties: { sku: { type: "string" } } } };
  await svix.eventType.create({ name: "env.kept", description: "Kept across import", schemas });
  await svix.eventType.create({ name: "env.changed", description: "As exported" });
  await svix.eventType.create({ name: "env.archived", description: "Archived before export" });
  await svix.eventType.delete("env.archived");

  const exported = await svix.environment.export();
  const byName = new Map(exported.eventTypes.map((e) => [e.name, e]));
  check("export carries every event type, with schemas and the archived flag",
    same(byName.get("env.kept")?.schemas, schemas) && byName.get("env.archived")?.archived === true
    && byName.has("invoice.paid") && byName.has("pet.adopted"), JSON.stringify([...byName.keys()]));
  check("export has no settings and no connectors", exported.settings === null && exported.connectors.length === 0,
    JSON.stringify(exported));

  // Lose one type and change another, then import the export as it is (the SDK's EventTypeIn
  // serializer keeps an EventTypeOut's writable fields): both come back as exported.
  await svix.eventType.delete("env.kept", { expunge: true });
  await svix.eventType.patch("env.changed", { description: "Changed after export" });
  check("the expunged type is gone before the import", (await statusOf(svix.eventType.get("env.kept"))) === 404);
  await svix.environment.import({ eventTypes: exported.eventTypes });
  const kept = await svix.eventType.get("env.kept");
  check("import recreates the expunged type with its schema",
    kept.description === "Kept across import" && same(kept.schemas, schemas), JSON.stringify(kept));
  check("import restores the changed description",
    (await svix.eventType.get("env.changed")).description === "As exported");
  check("import keeps the archived type archived", (await svix.eventType.get("env.archived")).archived === true);
  check("an import carrying settings is refused (422), not dropped",
    (await statusOf(svix.environment.import({ settings: { colour: "blue" } }))) === 422);
}

async function operationalWebhooks({ svix, app, base, rx, check, statusOf }) {
  const ops = svix.operationalWebhook.endpoint;
  check("no operational-webhook endpoint at first", (await ops.list()).data.length === 0);
  const secret = secretOf("ops");
  const created = await ops.create({
    url: `${base}/ops`, uid: "ops", description: "Operations", eventTypes: ["endpoint.created"],
    secret, metadata: { team: "sre" }, headers: { "X-Ops": "1" },
  });
  check("the operational endpoint is created as sent", created.id.startsWith("ep_") && created.uid === "ops"
    && created.url === `${base}/ops` && same(created.eventTypes, ["endpoint.created"])
    && same(created.metadata, { team: "sre" }), JSON.stringify(created));
  check("get reads it by uid", (await ops.get("ops")).id === created.id);
  check("list shows it", same((await ops.list()).data.map((e) => e.id), [created.id]));
  const updated = await ops.upsert(created.id, {
    url: `${base}/ops2`, description: "Operations, moved", eventTypes: ["endpoint.created"],
  });
  check("upsert replaces url and description", updated.id === created.id && updated.url === `${base}/ops2`
    && updated.description === "Operations, moved", JSON.stringify(updated));
  check("getSecret reads the secret it was created with", (await ops.getSecret(created.id)).key === secret);
  const rotated = secretOf("ops-rotated");
  await ops.rotateSecret(created.id, { key: rotated });
  check("rotateSecret with a key makes it the secret", (await ops.getSecret(created.id)).key === rotated);
  check("getHeaders reads the headers it was created with",
    same((await ops.getHeaders(created.id)).headers, { "X-Ops": "1" }));
  await ops.setHeaders(created.id, { headers: { "X-Ops": "2" } });
  check("setHeaders replaces them", same((await ops.getHeaders(created.id)).headers, { "X-Ops": "2" }));

  // The endpoint at work: an endpoint created in an application is reported to it, signed with
  // the rotated secret and carrying the headers set last.
  const ep = await svix.endpoint.create(app.id, { url: `${base}/families` });
  const hit = await rx.next("/ops2");
  const event = JSON.parse(hit.body);
  check("the operational endpoint gets endpoint.created for it", event.type === "endpoint.created"
    && event.data?.endpointId === ep.id && event.data?.appId === app.id, hit.body.toString());
  check("signed with the rotated secret, with the set headers",
    verifyWebhook(rotated, hit.headers, hit.body).ok && hit.headers["x-ops"] === "2", JSON.stringify(hit.headers));

  await ops.delete(created.id);
  check("the deleted operational endpoint is gone (404)", (await statusOf(ops.get(created.id))) === 404);
  check("and no longer listed", (await ops.list()).data.length === 0);
}

async function statsAndExpunges({ svix, app, check, finished }) {
  const payloads = [0, 1, 2].map((i) => ({ name: `pet-${i}` }));
  const msgs = [];
  for (const [i, payload] of payloads.entries()) {
    msgs.push(await svix.message.create(app.id, { eventType: "pet.adopted", payload, eventId: `fam-${i}` }));
  }
  const stats = await svix.statistics.aggregateAppStats({
    since: new Date(Date.now() - 3600_000), until: new Date(Date.now() + 60_000), appIds: [app.id, "app_not_here"],
  });
  check("aggregateAppStats answers an application.stats task naming the unknown id",
    stats.task === "application.stats" && same(stats.unresolvedAppIds, ["app_not_here"]), JSON.stringify(stats));
  let task = await finished(stats.id);
  check("and the task, polled, finishes",
    task.id === stats.id && task.status === "finished" && task.task === "application.stats", JSON.stringify(task));
  const statRows = (task.data.appStats ?? []).filter((r) => r.appId === app.id);
  check("its data is the SDK's documented shape: appStats with messageDestinations",
    statRows.length === 1 && same(Object.keys(statRows[0]).sort(), ["appId", "appUid", "messageDestinations"])
    && Number.isInteger(statRows[0].messageDestinations), JSON.stringify(task.data));
  const aggregate = await svix.statistics.aggregateEventTypes();
  task = await finished(aggregate.id);
  check("aggregateEventTypes answers an event-type.aggregate task that finishes",
    aggregate.task === "event-type.aggregate" && task.status === "finished", JSON.stringify(task));
  const typeRows = (task.data.event_types ?? []).filter((r) => r.appId === app.id);
  check("its data is the SDK's documented shape: event_types per application",
    typeRows.length === 1 && Array.isArray(typeRows[0].explicitlySubscribedEventTypes)
    && typeof typeRows[0].hasCatchAllEndpoint === "boolean", JSON.stringify(task.data));

  // bulk-expunge by id and by eventId; an unknown id is reported, not an error.
  const out = await svix.message.bulkExpungeContent(app.id, { ids: [msgs[0].id, "fam-1", "msg_not_here"] });
  check("bulkExpungeContent answers per id", same(out.results,
    { [msgs[0].id]: "expunged", "fam-1": "expunged", msg_not_here: "not-found" }), JSON.stringify(out));
  // Read with content: this SDK asks for messages without their payloads by default.
  const payloadOf = async (msg) => (await svix.message.get(app.id, msg.id, { withContent: true })).payload;
  const read = [];
  for (const m of msgs) read.push(await payloadOf(m));
  check("the expunged payloads are gone, the third is kept",
    same(read.map((p, i) => same(p, payloads[i])), [false, false, true]), JSON.stringify(read));
  const purge = await svix.message.expungeAllContents(app.id);
  task = await finished(purge.id);
  check("expungeAllContents is an application.purge_content task that purged the one payload left",
    purge.task === "application.purge_content" && task.status === "finished"
    && same(task.data, { messagesPurged: 1 }), JSON.stringify(task));
  const last = await payloadOf(msgs[2]);
  check("and that payload is gone too", !same(last, payloads[2]), JSON.stringify(last));
}
