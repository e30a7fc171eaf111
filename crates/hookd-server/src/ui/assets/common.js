// hookd's consoles: the endpoint cards both consoles show, the dashboard with the operator's
// fields and the portal with a tenant's: the form that creates or edits an endpoint and the
// card that sends it a test event. Which cards a token may use is the page's choice and the
// API's decision; this module must not make either.

import { api, enc } from './api.js';
import { eventTypePicker, eventTypes, firstExample } from './catalogue.js';
import { checkKey, checkRate, checkUrl } from './checks.js';
import { clear, h } from './dom.js';
import { act, flash } from './feedback.js';
import { badge, pretty } from './format.js';
import { field, onSubmit } from './forms.js';

// The form that creates (no `ep`) or edits an endpoint. `full` adds the operator's fields
// (uid, rate limit). Resolves to the saved endpoint through `onSaved`.
export async function endpointForm(appId, ep, full, onSaved) {
  const url = h('input', { type: 'url', name: 'url', required: true, value: ep ? ep.url : '', placeholder: 'https://example.com/webhooks', autocomplete: 'off' });
  const description = h('input', { type: 'text', name: 'description', value: ep ? ep.description : '' });
  const channels = h('input', { type: 'text', name: 'channels', value: ep && ep.channels ? ep.channels.join(', ') : '', placeholder: 'optional, comma-separated' });
  const uid = h('input', { type: 'text', name: 'uid', value: ep && ep.uid ? ep.uid : '', placeholder: 'optional' });
  const rate = h('input', { type: 'number', name: 'throttleRate', min: '1', value: ep && ep.throttleRate ? String(ep.throttleRate) : '', placeholder: 'no limit' });
  const secret = h('input', { type: 'text', name: 'secret', value: '', placeholder: 'optional: whsec_… (HMAC) or whsk_… (ed25519)', autocomplete: 'off', spellcheck: 'false' });
  const picker = await eventTypePicker(ep ? ep.eventTypes : null, !full);
  const form = h('form.stack.endpoint-form', { novalidate: true, 'data-edits': '' },
    field('Endpoint URL', url, 'where hookd POSTs the events (http or https)'),
    field('Description', description),
    picker,
    field('Channels', channels),
    full ? field('UID', uid, 'your own key for this endpoint') : null,
    full ? field('Rate limit', rate, 'deliveries per second') : null,
    ep ? null : field('Signing secret', secret, 'leave empty to have one generated; a whsk_ ed25519 key makes the endpoint sign with v1a'),
    h('div.row', h('button.primary', { type: 'submit' }, ep ? 'Save endpoint' : 'Add endpoint')));
  const splitList = (v) => v.split(',').map((x) => x.trim()).filter(Boolean);
  return onSubmit(form, () => {
    const problems = [];
    const u = checkUrl(url.value.trim());
    if (u) problems.push({ field: 'url', msg: 'URL ' + u });
    splitList(channels.value).forEach((c) => {
      const e = checkKey(c, 128);
      if (e) problems.push({ field: 'channels', msg: "channel '" + c + "' " + e });
    });
    if (full && uid.value.trim()) {
      const e = checkKey(uid.value.trim());
      if (e) problems.push({ field: 'uid', msg: 'UID ' + e });
      else if (uid.value.trim().startsWith('ep_')) problems.push({ field: 'uid', msg: "UID may not start with 'ep_', the prefix of ids" });
    }
    if (full) {
      const e = checkRate(rate.value.trim());
      if (e) problems.push({ field: 'throttleRate', msg: 'Rate limit ' + e });
    }
    return problems;
  }, async () => {
    const types = picker.selected();
    const chans = splitList(channels.value);
    const body = {
      url: url.value.trim(),
      description: description.value,
      eventTypes: types.length ? types : null,
      channels: chans.length ? chans : null,
    };
    if (full) {
      body.uid = uid.value.trim() || null;
      body.throttleRate = rate.value.trim() ? Number(rate.value.trim()) : null;
    }
    const base = '/api/v1/app/' + enc(appId) + '/endpoint';
    let saved;
    if (ep) {
      saved = await api('PATCH', base + '/' + enc(ep.id), body);
    } else {
      body.secret = secret.value.trim() || null;
      Object.keys(body).forEach((k) => body[k] === null && delete body[k]);
      saved = await api('POST', base, body);
    }
    onSaved(saved);
    return saved;
  }, ep ? 'Endpoint saved.' : 'Endpoint added.');
}
// Sends a test event (an event type's example, or the built-in svix.ping) to the endpoint.
export async function testEventCard(appId, ep, onSent) {
  const list = await eventTypes().catch(() => ({ data: [] }));
  const withExamples = list.data.filter((et) => !et.archived && firstExample(et) !== undefined);
  const select = h('select', { name: 'eventType' },
    h('option', { value: 'svix.ping' }, 'svix.ping (a ping: {"success": true})'),
    withExamples.map((et) => h('option', { value: et.name }, et.name + ' (its example)')));
  // Checking the URL sends the same event right away and waits for the receiver's answer
  // (nothing is stored or retried), so a person learns at once whether the URL works.
  const check = h('button.check-url', { type: 'button', 'data-writes': '' }, 'Check the URL now');
  const result = h('div.check-result');
  check.addEventListener('click', async () => {
    clear(result);
    const out = await act(check, () => api('POST', '/api/v1/app/' + enc(appId) + '/endpoint/' + enc(ep.id) + '/test', { eventType: select.value }));
    if (out === undefined) return;
    const answer = out.responseStatusCode ? 'HTTP ' + out.responseStatusCode : 'no answer';
    if (out.success) flash('The endpoint answered ' + answer + ' in ' + out.responseDurationMs + ' ms: it works.', 'ok');
    else flash('The endpoint did not accept the test event (' + answer + '): ' + out.response.slice(0, 200), 'error');
    result.appendChild(h('p.small', badge(out.success ? 'success' : 'fail'), ' ', answer + ', ' + out.responseDurationMs + ' ms'));
    result.appendChild(h('pre.small', out.response === '' ? '(empty body)' : pretty(out.response)));
  });
  const form = h('form.stack.test-form', { 'data-writes': '' }, field('Event type', select),
    h('div.row', h('button.primary', { type: 'submit' }, 'Send test event'), check), result);
  onSubmit(form, null, async () => {
    const msg = await api('POST', '/api/v1/app/' + enc(appId) + '/endpoint/' + enc(ep.id) + '/send-example', { eventType: select.value });
    if (onSent) onSent(msg);
    return msg;
  }, (msg) => 'Test event ' + msg.id + ' queued for delivery.');
  return h('section.card', { 'data-writes': '' }, h('h2', 'Send a test event'),
    h('p.hint', '"Send" queues it like any event (retried, listed under deliveries); "Check" sends it at once and shows the answer.'), form);
}
