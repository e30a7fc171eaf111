// Drives a real `hookd serve` with the official Svix npm SDK (pinned in package.json and
// package-lock.json), as a customer's Node code would, and verifies every webhook that arrives
// with node's own crypto (HMAC-SHA256 per Standard Webhooks), not the SDK's verifier. Beyond
// the first steps here: steps.mjs (tags, raw payloads, deliverAt, Retry-After, deleteHeaders,
// precheck, replays, background tasks) and families.mjs (OpenAPI import, environment export and
// import, operational-webhook endpoints, statistics, message expunges).
//
// Run through the shared harness, which starts hookd and passes HOOKD_URL and HOOKD_TOKEN:
//   python3 tests/sdk/harness.py PATH_TO_HOOKD -- node tests/sdk/node/flow.mjs
// The closing line follows the "N passed, N failed" convention; the exit status is non-zero
// when any check failed. This script must not start hookd itself (harness.py does).

import { createServer } from "node:http";
import { once } from "node:events";
import { Svix, ApiException } from "svix";
import { verifyWebhook, ed25519Verify } from "./verify.mjs";
import { newerSteps } from "./steps.mjs";
import { familySteps } from "./families.mjs";

// How long a webhook may take to arrive, and an API read to show a change. Generous: CI
// machines are slow, and a missing webhook is a failure either way.
const DEADLINE_MS = 30_000;
const url = process.env.HOOKD_URL;
const token = process.env.HOOKD_TOKEN;
if (!url || !token) {
  console.error("run through tests/sdk/harness.py, which sets HOOKD_URL and HOOKD_TOKEN");
  process.exit(2);
}

let passed = 0;
let failed = 0;
function check(name, condition, detail = "") {
  if (condition) {
    passed += 1;
    console.log(`ok   ${name}`);
  } else {
    failed += 1;
    console.log(`FAIL ${name} ${detail}`);
  }
}

/** A local receiver: keeps every request with its arrival time (`at`, ms on the receiver's
 * clock); answers 500 on paths in `failing`, the answers queued in `scripted` (path → list of
 * `{status, headers}`) first, else 200. */
function receiver() {
  const arrived = [];
  const waiters = [];
  const failing = new Set();
  const scripted = new Map();
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const hit = { path: req.url, headers: req.headers, body: Buffer.concat(chunks), at: Date.now() };
      const script = scripted.get(req.url)?.shift();
      res.statusCode = script?.status ?? (failing.has(req.url) ? 500 : 200);
      for (const [name, value] of Object.entries(script?.headers ?? {})) res.setHeader(name, value);
      res.end("ok");
      const i = waiters.findIndex((w) => w.path === undefined || w.path === hit.path);
      if (i >= 0) waiters.splice(i, 1)[0].resolve(hit);
      else arrived.push(hit);
    });
  });
  return {
    server,
    failing,
    scripted,
    /** The oldest request not yet taken (to `path`, when given); others stay for later. */
    next(path) {
      const i = arrived.findIndex((h) => path === undefined || h.path === path);
      if (i >= 0) return Promise.resolve(arrived.splice(i, 1)[0]);
      return new Promise((resolve, reject) => {
        const waiter = { path, resolve: null };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`no webhook arrived at ${path ?? "any path"}`));
        }, DEADLINE_MS);
        waiter.resolve = (hit) => {
          clearTimeout(timer);
          resolve(hit);
        };
        waiters.push(waiter);
      });
    },
  };
}

/** Polls an API read until `done` holds: over HTTP there is no completion signal to await. */
async function waitFor(fetch, done) {
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    const value = await fetch();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The status an SDK call failed with (or "no error"). */
async function statusOf(promise) {
  try {
    await promise;
    return "no error";
  } catch (e) {
    return e instanceof ApiException ? e.code : String(e);
  }
}

async function main() {
  const rx = receiver();
  rx.server.listen(0, "127.0.0.1");
  await once(rx.server, "listening");
  const base = `http://127.0.0.1:${rx.server.address().port}`;
  const svix = new Svix(token, { serverUrl: url });

  // Applications.
  const app = await svix.application.getOrCreate({ name: "Node Acme", uid: "node-acme" });
  const again = await svix.application.getOrCreate({ name: "Node Acme", uid: "node-acme" });
  check("getOrCreate returns the same application", app.id === again.id && app.id.startsWith("app_"));
  const patched = await svix.application.patch(app.id, { metadata: { tier: "gold" } });
  check("application patched", patched.metadata.tier === "gold", JSON.stringify(patched));
  const listed = await svix.application.list({ limit: 10 });
  check("application listed", listed.data.some((a) => a.id === app.id));

  // Event types.
  await svix.eventType.create({ name: "invoice.paid", description: "An invoice was paid" });
  const et = await svix.eventType.get("invoice.paid");
  check("event type read back", et.description === "An invoice was paid");

  // Endpoints, with a secret of our own, headers and a filter.
  const secret = "whsec_" + Buffer.from("node-flow-secret-0123456789abcdef").toString("base64");
  const ep = await svix.endpoint.create(app.id, {
    url: `${base}/hooks`,
    uid: "main",
    eventTypes: ["invoice.paid"],
    secret,
    headers: { "X-Tenant": "acme" },
  });
  check("endpoint created with its filter", ep.eventTypes?.[0] === "invoice.paid", JSON.stringify(ep));
  check("the given secret is kept", (await svix.endpoint.getSecret(app.id, ep.id)).key === secret);
  await svix.endpoint.patchHeaders(app.id, ep.id, { headers: { "X-Region": "eu" } });
  const headers = await svix.endpoint.getHeaders(app.id, ep.id);
  check("headers patched", headers.headers["X-Tenant"] === "acme" && headers.headers["X-Region"] === "eu",
    JSON.stringify(headers));
  const updated = await svix.endpoint.upsert(app.id, ep.id, {
    url: `${base}/hooks`, uid: "main", eventTypes: ["invoice.paid"], description: "main endpoint",
  });
  check("endpoint replaced", updated.description === "main endpoint");

  // A message, delivered and verified with our own HMAC.
  const payload = { invoice: "in_1", amount: 1999, currency: "eur" };
  const msg = await svix.message.create(app.id, { eventType: "invoice.paid", payload, eventId: "evt-1" });
  check("message accepted", msg.id.startsWith("msg_") && msg.eventId === "evt-1");
  let hit = await rx.next();
  check("webhook went to the endpoint's path", hit.path === "/hooks", hit.path);
  check("webhook-id is the message id", hit.headers["webhook-id"] === msg.id);
  check("endpoint headers are sent", hit.headers["x-tenant"] === "acme" && hit.headers["x-region"] === "eu");
  check("HMAC signature verifies", verifyWebhook(secret, hit.headers, hit.body).ok);
  check("body is the payload", JSON.stringify(JSON.parse(hit.body)) === JSON.stringify(payload));
  check("a tampered body does not verify", !verifyWebhook(secret, hit.headers, Buffer.from("{}")).ok);
  check("reused eventId is refused with 409",
    (await statusOf(svix.message.create(app.id, { eventType: "invoice.paid", payload, eventId: "evt-1" }))) === 409);

  const got = await svix.message.get(app.id, msg.id);
  check("message read back", got.eventType === "invoice.paid");
  const attempts = await waitFor(() => svix.messageAttempt.listByMsg(app.id, msg.id),
    (r) => r.data.length > 0);
  check("one successful attempt listed by message", attempts.data.length === 1
    && attempts.data[0].responseStatusCode === 200, JSON.stringify(attempts.data));
  const byEndpoint = await svix.messageAttempt.listByEndpoint(app.id, ep.id);
  check("attempt listed by endpoint", byEndpoint.data.some((a) => a.msgId === msg.id));
  const destinations = await svix.messageAttempt.listAttemptedDestinations(app.id, msg.id);
  check("attempted destination listed", destinations.data.some((d) => d.id === ep.id));
  const sent = await svix.messageAttempt.listAttemptedMessages(app.id, ep.id);
  check("attempted message listed", sent.data.some((m) => m.id === msg.id));
  const one = await svix.messageAttempt.get(app.id, msg.id, attempts.data[0].id);
  check("attempt read back", one.id === attempts.data[0].id);

  // Resend: the same message again, verifying again.
  await svix.messageAttempt.resend(app.id, msg.id, ep.id);
  hit = await rx.next();
  check("resend delivers the message again", hit.headers["webhook-id"] === msg.id
    && verifyWebhook(secret, hit.headers, hit.body).ok);

  // Rotation: the new secret verifies, and so does the old one during the grace period.
  await svix.endpoint.rotateSecret(app.id, ep.id, {});
  const newSecret = (await svix.endpoint.getSecret(app.id, ep.id)).key;
  check("rotation changes the secret", newSecret !== secret && newSecret.startsWith("whsec_"));
  const msg2 = await svix.message.create(app.id, { eventType: "invoice.paid", payload: { n: 2 } });
  hit = await rx.next();
  check("after rotation the new secret verifies", verifyWebhook(newSecret, hit.headers, hit.body).ok);
  check("and the old one still verifies", verifyWebhook(secret, hit.headers, hit.body).ok);
  check("second delivery carries its own id", hit.headers["webhook-id"] === msg2.id);
  const messages = await svix.message.list(app.id);
  check("messages listed newest first", messages.data[0]?.id === msg2.id);

  // Recover: an endpoint whose receiver fails, with a single attempt (hookd's `options`,
  // which no Svix SDK can send: set through the API directly), recovered once it answers.
  const failingSecret = "whsec_" + Buffer.from("node-flow-failing-0123456789abcd").toString("base64");
  const created = await fetch(`${url}/api/v1/app/${app.id}/endpoint`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({
      url: `${base}/flaky`, secret: failingSecret, eventTypes: ["invoice.paid"],
      options: { retryPolicy: { type: "delays", delaysSecs: [] } },
    }),
  });
  const flaky = await created.json();
  check("endpoint with a single attempt created", created.status === 201, JSON.stringify(flaky));
  rx.failing.add("/flaky");
  const msg3 = await svix.message.create(app.id, { eventType: "invoice.paid", payload: { n: 3 } });
  const firstTwo = [await rx.next(), await rx.next()];
  const flakyHit = firstTwo.find((h) => h.path === "/flaky");
  check("the failing endpoint was attempted", flakyHit?.headers["webhook-id"] === msg3.id);
  const failedAttempts = await waitFor(
    () => svix.messageAttempt.listByEndpoint(app.id, flaky.id, { status: 2 }),
    (r) => r.data.length > 0);
  check("its attempt failed", failedAttempts.data.length === 1, JSON.stringify(failedAttempts.data));
  rx.failing.delete("/flaky");
  const recovered = await svix.endpoint.recover(app.id, flaky.id, {
    since: new Date(Date.now() - 3600_000),
  });
  check("recover answers a task", recovered.id.startsWith("qtask_"), JSON.stringify(recovered));
  hit = await rx.next();
  check("recover delivers the failed message again", hit.path === "/flaky"
    && hit.headers["webhook-id"] === msg3.id && verifyWebhook(failingSecret, hit.headers, hit.body).ok);

  // Portal access: an application-scoped token.
  const portal = await svix.authentication.appPortalAccess(app.id, {});
  const tenant = new Svix(portal.token, { serverUrl: url });
  const tenantEndpoints = await tenant.endpoint.list(app.id);
  check("portal token reads its own application", tenantEndpoints.data.length === 2);
  check("portal token cannot list applications (403)", (await statusOf(tenant.application.list())) === 403);
  await portalScopeSteps(svix, app, ep, url);

  // What hookd serves beyond the first steps: tags, raw payloads, deliverAt, Retry-After,
  // deleteHeaders, precheck, replays and background tasks (see steps.mjs).
  await newerSteps({ svix, app, ep, base, rx, check, waitFor });

  // ed25519 (`v1a,`): the verifier is first checked against node's own key pair, then verifies
  // hookd's deliveries to an endpoint with a `whsk_` secret.
  check("the ed25519 verifier accepts its own signature and refuses a tampered one", ed25519Verify.selfTest());
  await ed25519Flow(svix, app, base, rx);

  // The families that manage the environment: event types from an OpenAPI document,
  // environment export and import, operational-webhook endpoints, statistics and the message
  // expunges (see families.mjs).
  await familySteps({ svix, base, rx, check, waitFor, statusOf });

  // Clean-up.
  await svix.endpoint.delete(app.id, ep.id);
  check("deleted endpoint is gone (404)", (await statusOf(svix.endpoint.get(app.id, ep.id))) === 404);
  await svix.application.delete(app.id);
  check("deleted application is gone (404)", (await statusOf(svix.application.get(app.id))) === 404);

  rx.server.close();
}

/** Portal tokens scoped through the SDK's own AppPortalAccessIn, enforced by hookd's API. */
async function portalScopeSteps(svix, app, ep, url) {
  const tenantWith = async (scope) =>
    new Svix((await svix.authentication.appPortalAccess(app.id, scope)).token, { serverUrl: url });
  const readOnly = await tenantWith({ readOnly: true, sessionId: "flow-read-only" });
  check("a read-only portal token reads its endpoints", (await readOnly.endpoint.list(app.id)).data.length >= 1);
  check("a read-only portal token cannot create an endpoint (403)",
    (await statusOf(readOnly.endpoint.create(app.id, { url: "https://example.com/ro" }))) === 403);
  check("a read-only portal token cannot rotate the secret (403)",
    (await statusOf(readOnly.endpoint.rotateSecret(app.id, ep.id, {}))) === 403);
  const viewBase = await tenantWith({ capabilities: ["ViewBase"], sessionId: "flow-view-base" });
  check("a ViewBase-only portal token cannot read the signing secret (403)",
    (await statusOf(viewBase.endpoint.getSecret(app.id, ep.id))) === 403);
  check("an expiry under an hour is refused (422)",
    (await statusOf(svix.authentication.appPortalAccess(app.id, { expiry: 60 }))) === 422);
  await svix.authentication.expireAll(app.id, { sessionIds: ["flow-read-only"] });
  check("expire-all by session ends that session's token (401)",
    (await statusOf(readOnly.endpoint.list(app.id))) === 401);
  check("and leaves other sessions' tokens working", (await viewBase.endpoint.list(app.id)).data.length >= 1);
}

/** An endpoint with an ed25519 secret: its deliveries carry `v1a,` signatures that verify with
 * the public key hookd shows. */
async function ed25519Flow(svix, app, base, rx) {
  const ep = await svix.endpoint.create(app.id, {
    url: `${base}/ed25519`, eventTypes: ["invoice.paid"], secret: ed25519Verify.newSecret(),
  });
  const publicKey = (await svix.endpoint.getSecret(app.id, ep.id)).key;
  const msg = await svix.message.create(app.id, { eventType: "invoice.paid", payload: { ed: 1 } });
  const hit = await rx.next("/ed25519");
  check("ed25519 delivery carries the message id", hit.headers["webhook-id"] === msg.id);
  check("ed25519 signature verifies with the public key", ed25519Verify.webhook(publicKey, hit.headers, hit.body));
}

main()
  .catch((e) => {
    failed += 1;
    console.log(`FAIL the flow stopped: ${e?.stack ?? e}`);
  })
  .finally(() => {
    console.log("svix npm sdk 2.5.0");
    console.log(`${passed} passed, ${failed} failed`);
    process.exit(failed ? 1 : 0);
  });
