// hookd's consoles: one delivery attempt, collapsed, with the request it sent (as recorded, or
// reconstructed from the message and the endpoint's current settings for attempts that
// predate recording) and the response it received. Secrets and signatures stay masked; it must
// not show a value the API left out.

import { api } from './api.js';
import { h, clear } from './dom.js';
import { badge, pretty, timeEl, triggerText } from './format.js';

// Reconstructs what hookd sent for an attempt: attempts record the response, not the request,
// so this is derived from the message (id, payload), the attempt's time and the endpoint's
// *current* custom headers. Signatures and sensitive header values are masked.
export function derivedRequest(msg, attempt, endpointHeaders, userAgent, options) {
  const opts = options || {};
  const ts = String(Math.floor(new Date(attempt.timestamp).getTime() / 1000));
  const rows = [];
  const notes = [];
  const custom = (endpointHeaders && endpointHeaders.headers) || {};
  Object.keys(custom).forEach((k) => rows.push([k, custom[k], 'endpoint header (current value)']));
  ((endpointHeaders && endpointHeaders.sensitive) || []).forEach((k) => rows.push([k, '•••••• (sensitive)', 'endpoint header']));
  if (opts.contentType === undefined) rows.push(['content-type', 'application/json', '']);
  else if (opts.contentType !== '') rows.push(['content-type', opts.contentType, 'endpoint option']);
  rows.push(['user-agent', userAgent || 'hookd', '']);
  if (opts.auth) {
    notes.push('The endpoint authenticates with its own schemes (options.auth): their headers are sent with secret values, not shown here, and the Standard Webhooks headers only if a scheme asks for them.');
  }
  rows.push(['webhook-id', msg.id, opts.auth ? 'when signed' : '']);
  rows.push(['webhook-timestamp', ts, 'about the attempt time']);
  rows.push(['webhook-signature', 'v1,•••••• (masked)', '']);
  rows.push(['svix-id', msg.id, '']);
  rows.push(['svix-timestamp', ts, 'about the attempt time']);
  rows.push(['svix-signature', 'v1,•••••• (masked)', '']);
  if (opts.envelope) notes.push('The endpoint wraps payloads in an envelope (options.envelope): the body sent was the rendered envelope around this payload.');
  else notes.push('If the event type defines an envelope, the body sent was that envelope around this payload.');
  return { method: 'POST', url: attempt.url, headers: rows, body: msg.payload, notes: notes };
}

// The request part of an attempt's details: derived from the message and the endpoint's
// current settings, for attempts that did not record their request.
function derivedRequestPart(attempt, msg, endpointHeaders, userAgent, options) {
  const req = derivedRequest(msg, attempt, endpointHeaders, userAgent, options);
  return h('div.request-derived',
    h('p.note', 'This attempt did not record its request: this is reconstructed from the message and the endpoint\'s current headers and options. Signatures and sensitive values are masked.'),
    req.notes.map((n) => h('p.muted.small', n)),
    h('p.mono.break', req.method + ' ' + req.url),
    h('div.table-wrap', h('table.headers', h('tbody', req.headers.map((r) =>
      h('tr', h('td.mono', r[0]), h('td.mono.break', r[1]), h('td.muted.small', r[2])))))),
    h('pre.request-body', pretty(req.body)));
}

// The request part of an attempt's details, as the attempt recorded it. A body cut at the
// recording limit is shown as the text it is (not re-indented: it is not whole JSON).
function recordedRequestPart(sent) {
  let body;
  if (sent.body === null) {
    body = h('p.muted.request-body-note', sent.bodyNote || 'The body is not available.');
  } else if (sent.bodyTruncated) {
    body = [h('pre.request-body.truncated', sent.body + '…'),
      h('p.muted.small.request-body-note', sent.bodyNote || 'The body was cut where recording stopped.')];
  } else {
    body = h('pre.request-body', pretty(sent.body));
  }
  return h('div.request-recorded',
    h('p.muted.small', 'As recorded when the attempt was made; secret values are masked.'),
    h('p.mono.break', sent.method + ' ' + sent.url),
    h('div.table-wrap', h('table.headers', h('tbody', sent.headers.map((r) =>
      h('tr', h('td.mono', r.name), h('td.mono.break', r.value)))))),
    body);
}

// One attempt, collapsed: opening it loads the request it recorded (once).
export function attemptDetails(attempt, msg, endpointHeaders, userAgent, actions, options, appId) {
  const ok = attempt.status === 0;
  const request = h('div.request', h('p.muted.small', 'Loading the request…'));
  let loaded = false;
  const load = async () => {
    if (loaded) return;
    loaded = true;
    try {
      const sent = await api('GET', '/api/v1/app/' + encodeURIComponent(appId) + '/msg/' +
        encodeURIComponent(msg.id) + '/attempt/' + encodeURIComponent(attempt.id) + '/request');
      clear(request).appendChild(sent.recorded
        ? recordedRequestPart(sent)
        : derivedRequestPart(attempt, msg, endpointHeaders, userAgent, options));
    } catch (e) {
      loaded = false;
      clear(request).appendChild(h('p.form-error', { role: 'alert' }, e.message));
    }
  };
  const details = h('details.attempt', { 'data-attempt': attempt.id },
    h('summary',
      badge(attempt.status),
      h('span.mono', attempt.responseStatusCode ? 'HTTP ' + attempt.responseStatusCode : 'no response'),
      h('span.muted', attempt.responseDurationMs + ' ms'),
      h('span.muted', triggerText(attempt.triggerType)),
      timeEl(attempt.timestamp),
      h('span.muted.small.break', attempt.url)),
    h('div',
      actions || null,
      h('h4', 'Request sent'),
      request,
      h('h4', 'Response received'),
      h('p', ok ? 'Delivered: ' : 'Failed: ', attempt.responseStatusCode ? 'HTTP ' + attempt.responseStatusCode : 'no response (status 0)', ' in ' + attempt.responseDurationMs + ' ms'),
      attempt.retryAfter ? h('p.retry-after', 'The receiver asked to be retried later: ', h('code', 'Retry-After: ' + attempt.retryAfter)) : null,
      attempt.nextAttempt ? h('p.next-attempt', 'Next attempt scheduled for ', timeEl(attempt.nextAttempt), attempt.retryAfter ? ' (the retry schedule\'s time, moved later when the receiver asked for later, at most 24 hours after its answer).' : '.') : null,
      h('pre.response-body', attempt.response === '' ? '(empty body)' : pretty(attempt.response))));
  details.addEventListener('toggle', () => {
    if (details.open) load();
  });
  // Opened by the caller before it is shown (a refresh keeps open what was open).
  queueMicrotask(() => {
    if (details.open) load();
  });
  return details;
}
