// The npm flow's steps for what hookd serves beyond its first ones: message tags and the tag
// filter, a raw form-encoded payload (`messageInRaw`), deliverAt, a receiver's Retry-After,
// deleteHeaders, message precheck, bulk-replay and replay-missing, and background tasks. Each
// goes through the SDK's own calls; deliveries are checked with verify.mjs (node's crypto),
// never the SDK's verifier. It must not start hookd or the receiver (flow.mjs does).

import { messageInRaw } from "svix";
import { verifyWebhook } from "./verify.mjs";

// How far ahead a message is scheduled: long enough that an early delivery would be seen,
// short enough for CI.
const DELIVER_AHEAD_MS = 2_000;
// What the rate-limited receiver asks for; hookd retries no sooner (and no sooner than its
// schedule's next attempt, 5 s by default).
const RETRY_AFTER_SECONDS = 1;
// A form-encoded body with what JSON normalisation would mangle: `+`, escapes, non-ASCII.
const FORM_BODY = "name=J%C3%BCrgen+M%C3%BCller&amount=19.99&note=a%26b%3Dc&empty=";
const FORM_TYPE = "application/x-www-form-urlencoded";

const secretOf = (tag) => "whsec_" + Buffer.from(`node-flow-${tag}-0123456789abcdefghij`.slice(0, 32)).toString("base64");

export async function newerSteps({ svix, app, ep, base, rx, check, waitFor }) {
  // One event type and one endpoint path per step, so each message reaches one endpoint.
  for (const name of ["raw.form", "later.due", "retry.after"]) {
    await svix.eventType.create({ name, description: name });
  }
  const endpoint = (path, eventType, secret) =>
    svix.endpoint.create(app.id, { url: `${base}${path}`, eventTypes: [eventType], secret });

  // deleteHeaders: one header removed, another added, in one call; the next delivery shows it.
  await svix.endpoint.patchHeaders(app.id, ep.id, { headers: { "X-Env": "test" }, deleteHeaders: ["X-Tenant"] });
  const kept = (await svix.endpoint.getHeaders(app.id, ep.id)).headers;
  check("patchHeaders with deleteHeaders removes that header only",
    JSON.stringify(kept) === JSON.stringify({ "X-Env": "test", "X-Region": "eu" }), JSON.stringify(kept));

  // Tags: returned, and the message list's tag filter finds the message (and only it).
  const tagged = await svix.message.create(app.id, { eventType: "invoice.paid", payload: { t: 1 }, tags: ["flow-tag", "node"] });
  check("message tags are returned", JSON.stringify([...(tagged.tags ?? [])].sort()) === '["flow-tag","node"]',
    JSON.stringify(tagged.tags));
  const found = await svix.message.list(app.id, { tag: "flow-tag" });
  check("the tag filter finds the tagged message only",
    found.data.length === 1 && found.data[0].id === tagged.id, JSON.stringify(found.data));
  let hit = await rx.next("/hooks");
  check("the deleted header is no longer sent, the others are", hit.headers["webhook-id"] === tagged.id
    && !("x-tenant" in hit.headers) && hit.headers["x-env"] === "test" && hit.headers["x-region"] === "eu",
    JSON.stringify(hit.headers));

  // A raw payload: form-encoded, delivered and signed byte for byte with its content type.
  const rawSecret = secretOf("raw");
  const rawEp = await endpoint("/raw", "raw.form", rawSecret);
  const raw = await svix.message.create(app.id, messageInRaw("raw.form", FORM_BODY, FORM_TYPE));
  hit = await rx.next("/raw");
  check("the raw payload arrives byte for byte", hit.body.equals(Buffer.from(FORM_BODY)), hit.body.toString());
  check("with its content type", hit.headers["content-type"] === FORM_TYPE, hit.headers["content-type"]);
  check("and an HMAC over exactly those bytes", verifyWebhook(rawSecret, hit.headers, hit.body).ok);
  check("which a changed byte breaks",
    !verifyWebhook(rawSecret, hit.headers, Buffer.concat([hit.body, Buffer.from("x")])).ok);

  // deliverAt: shown as the destination's next attempt, and the delivery arrives no earlier,
  // on the receiver's clock.
  const laterEp = await endpoint("/later", "later.due", secretOf("later"));
  const at = new Date(Date.now() + DELIVER_AHEAD_MS);
  const later = await svix.message.create(app.id, { eventType: "later.due", payload: { later: true }, deliverAt: at });
  check("deliverAt reads back", later.deliverAt?.getTime() === at.getTime(), String(later.deliverAt));
  const dests = await svix.messageAttempt.listAttemptedDestinations(app.id, later.id);
  const dest = dests.data.find((d) => d.id === laterEp.id);
  // Read before the delivery is due, unless this machine stalled for the whole 2 s.
  check("the destination shows deliverAt as its next attempt (or has been delivered)",
    dest?.nextAttempt?.getTime() === at.getTime() || Date.now() >= at.getTime(), JSON.stringify(dests.data));
  hit = await rx.next("/later");
  check("the scheduled message arrives no earlier than deliverAt",
    hit.headers["webhook-id"] === later.id && hit.at >= at.getTime(), `${hit.at} < ${at.getTime()}`);

  // Retry-After: the receiver answers 429 once; hookd retries no sooner than it asked.
  rx.scripted.set("/ratelimited", [{ status: 429, headers: { "Retry-After": String(RETRY_AFTER_SECONDS) } }]);
  const raEp = await endpoint("/ratelimited", "retry.after", secretOf("ra"));
  const ra = await svix.message.create(app.id, { eventType: "retry.after", payload: { ra: 1 } });
  const first = await rx.next("/ratelimited");
  const raDests = await waitFor(() => svix.messageAttempt.listAttemptedDestinations(app.id, ra.id),
    (r) => r.data.some((d) => d.id === raEp.id && (d.nextAttempt || d.statusText === "success")));
  const raDest = raDests.data.find((d) => d.id === raEp.id);
  // Read between the two attempts (5 s apart by default), unless the retry was already made.
  check("the destination's next attempt is no sooner than Retry-After asks", raDest?.statusText === "success"
    || raDest?.nextAttempt?.getTime() >= first.at + RETRY_AFTER_SECONDS * 1000, JSON.stringify(raDest));
  const second = await rx.next("/ratelimited");
  check("the 429'd delivery is retried no sooner than Retry-After", second.headers["webhook-id"] === ra.id
    && second.at - first.at >= RETRY_AFTER_SECONDS * 1000, `${second.at - first.at} ms`);
  const attempts = await waitFor(() => svix.messageAttempt.listByMsg(app.id, ra.id), (r) => r.data.length >= 2);
  check("the attempts list the 429 then the 200",
    JSON.stringify(attempts.data.map((a) => a.responseStatusCode).sort()) === "[200,429]",
    JSON.stringify(attempts.data));
  // nextAttempt/retryAfter (hookd's extension fields of an attempt) are dropped by the SDK's
  // MessageAttemptOut deserializer, so they are not asserted here.

  // Precheck: active for an event type an endpoint takes, not for one nobody takes (every
  // endpoint so far has a filter).
  check("precheck: an endpoint listens to raw.form",
    (await svix.message.precheck(app.id, { eventType: "raw.form" })).active === true);
  check("precheck: nobody listens to nobody.listens",
    (await svix.message.precheck(app.id, { eventType: "nobody.listens" })).active === false);

  const since = new Date(Date.now() - 3600_000);
  // bulk-replay: the raw message again, still byte for byte and signed.
  const bulk = await svix.endpoint.bulkReplay(app.id, rawEp.id, { since });
  check("bulkReplay answers a task", bulk.id.startsWith("qtask_") && bulk.task === "endpoint.bulk-replay",
    JSON.stringify(bulk));
  hit = await rx.next("/raw");
  check("bulkReplay resends the raw message", hit.headers["webhook-id"] === raw.id
    && hit.body.equals(Buffer.from(FORM_BODY)) && verifyWebhook(rawSecret, hit.headers, hit.body).ok);

  // replay-missing: an endpoint created after the raw message gets it.
  const lateSecret = secretOf("late");
  const lateEp = await endpoint("/late", "raw.form", lateSecret);
  const missing = await svix.endpoint.replayMissing(app.id, lateEp.id, { since });
  check("replayMissing answers a task", missing.task === "endpoint.replay", JSON.stringify(missing));
  hit = await rx.next("/late");
  check("replayMissing sends the message the new endpoint never got",
    hit.headers["webhook-id"] === raw.id && verifyWebhook(lateSecret, hit.headers, hit.body).ok);

  // Background tasks: a recover's task is a row that can be read and listed.
  const recovered = await svix.endpoint.recover(app.id, laterEp.id, { since });
  const got = await svix.backgroundTask.get(recovered.id);
  check("backgroundTask.get reads the recover's task", got.id === recovered.id && got.task === "endpoint.recover"
    && got.status === "finished" && JSON.stringify(got.data) === '{"recovered":0}', JSON.stringify(got));
  const listed = await svix.backgroundTask.list({ task: "endpoint.recover" });
  // The flow's earlier recover (of /flaky) is listed too: newest first.
  check("backgroundTask.list filtered by task shows it first",
    listed.data[0]?.id === recovered.id && listed.data.every((t) => t.task === "endpoint.recover"),
    JSON.stringify(listed.data));
  const every = new Set((await svix.backgroundTask.list({ limit: 50 })).data.map((t) => t.id));
  check("and the unfiltered list holds the replays' tasks too",
    every.has(recovered.id) && every.has(bulk.id) && every.has(missing.id), JSON.stringify([...every]));
}
