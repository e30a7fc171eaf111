// hookd's operator dashboard: one endpoint's page (its state, charts, secret, recovery, custom
// headers, retry policy, delivery options, edit form, test event and recent attempts). The
// option forms list the fields the API's OpenAPI document describes (see options.js). It must
// not decide what the token may do: the API does, and its refusals are shown.

import { api, appPath, enc, epPath, qs, rawJson } from './api.js';
import { h, render, table } from './dom.js';
import { act, confirming } from './feedback.js';
import { field, onSubmit } from './forms.js';
import { checkHeaderName, checkHeaderValue } from './checks.js';
import { badge, endpointState, isoToLocalInput, localInputToIso, timeEl } from './format.js';
import { pagedList } from './paging.js';
import { secretCard } from './secrets.js';
import { endpointOptions } from './options.js';
import { endpointForm, testEventCard } from './common.js';
import { chartsCard } from './dashboard-charts.js';


export async function endpoint(p, again) {
  const [app, ep, described] = await Promise.all([api('GET', appPath(p.app)), api('GET', epPath(p.app, p.ep)), endpointOptions()]);
  const base = epPath(app.id, ep.id);

  const toggle = h('button.toggle', { type: 'button', 'data-writes': '' }, ep.disabled ? 'Enable endpoint' : 'Disable endpoint');
  toggle.addEventListener('click', async () => {
    const out = await act(toggle, () => api('PATCH', base, { disabled: !ep.disabled }),
      ep.disabled ? 'Endpoint enabled.' : 'Endpoint disabled: its pending deliveries are canceled.');
    if (out) again();
  });
  const del = confirming(h('button.danger', { type: 'button', 'data-writes': '' }, 'Delete endpoint'), 'Delete this endpoint and its delivery history?', 'Yes, delete', async (yes) => {
    // Moving to the list before saying so: the message belongs to the page it is read on.
    await act(yes, async () => {
      await api('DELETE', base);
      location.hash = '#/apps/' + enc(app.id);
    }, 'Endpoint deleted.');
  });

  const info = h('section.card',
    h('dl.kv',
      h('dt', 'URL'), h('dd.mono', ep.url),
      h('dt', 'State'), h('dd.endpoint-state', endpointState(ep)),
      h('dt', 'ID'), h('dd.mono', ep.id),
      ep.uid ? [h('dt', 'UID'), h('dd.mono', ep.uid)] : null,
      h('dt', 'Event types'), h('dd', ep.eventTypes ? ep.eventTypes.join(', ') : 'all'),
      h('dt', 'Channels'), h('dd', ep.channels ? ep.channels.join(', ') : 'all'),
      h('dt', 'Rate limit'), h('dd', ep.throttleRate ? ep.throttleRate + ' per second' : 'none'),
      h('dt', 'Created'), h('dd', timeEl(ep.createdAt))),
    h('div.row', toggle, del));

  const edit = await endpointForm(app.id, ep, true, again);

  render(h('div.crumbs', h('a', { href: '#/apps' }, 'Applications'), ' / ', h('a', { href: '#/apps/' + enc(app.id) }, app.name), ' / endpoint'),
    h('h1.break', ep.description || ep.url),
    info,
    chartsCard('Success rate', { appId: app.id, endpointId: ep.id }, ['rate', 'latency'], 'day'),
    h('div.grid2', secretCard(app.id, ep), recoverCard(app, ep)),
    await headersCard(app, ep, again),
    retryPolicyCard(app, ep, described),
    deliveryOptionsCard(app, ep, described),
    h('section.card', h('h2', 'Edit endpoint'), edit),
    await testEventCard(app.id, ep, () => {}),
    endpointAttempts(app, ep));
}

function recoverCard(app, ep) {
  const since = h('input', { type: 'datetime-local', name: 'since', value: isoToLocalInput(new Date(Date.now() - 24 * 3600 * 1000)) });
  const form = onSubmit(h('form.stack.recover-form', { novalidate: true, 'data-writes': '' },
    field('Failed since', since, 'at most 14 days back'),
    h('div.row', h('button.primary', { type: 'submit' }, 'Recover failed messages'))), () => {
    if (!localInputToIso(since.value)) return [{ field: 'since', msg: 'Choose a date and time.' }];
    return [];
  }, () => api('POST', epPath(app.id, ep.id) + '/recover', { since: localInputToIso(since.value) }),
  'Recovery started: every delivery that failed for good since then is being attempted again.');
  return h('section.card', { 'data-writes': '' }, h('h2', 'Recover'), h('p.hint', 'Sends every message that failed for good again, from a time on.'), form);
}

async function headersCard(app, ep, again) {
  const base = epPath(app.id, ep.id) + '/headers';
  const current = await api('GET', base);
  const rows = h('div.header-rows.stack');
  const removed = new Set();
  function addRow(name, value, sensitive) {
    const n = h('input', { type: 'text', name: 'header-name', value: name || '', 'aria-label': 'Header name', autocomplete: 'off' });
    const v = sensitive
      ? h('input', { type: 'password', name: 'header-value', value: '', placeholder: 'hidden (sensitive): type to replace', 'aria-label': 'Header value', autocomplete: 'off' })
      : h('input', { type: 'text', name: 'header-value', value: value || '', 'aria-label': 'Header value', autocomplete: 'off' });
    const rm = h('button.small.danger', { type: 'button', 'data-writes': '' }, 'Remove');
    const row = h('div.row.header-row', { 'data-original': name || '', 'data-sensitive': sensitive ? '1' : '' }, h('div.field', n), h('div.field', v), rm);
    rm.addEventListener('click', () => {
      if (name) removed.add(name);
      row.remove();
    });
    rows.appendChild(row);
  }
  Object.keys(current.headers).forEach((k) => addRow(k, current.headers[k], false));
  current.sensitive.forEach((k) => addRow(k, '', true));
  const add = h('button.small', { type: 'button', 'data-writes': '' }, 'Add header');
  add.addEventListener('click', () => addRow('', '', false));
  const form = h('form.stack.headers-form', { novalidate: true, 'data-edits': '' }, rows, h('div.row', add, h('button.primary', { type: 'submit' }, 'Save headers')));
  onSubmit(form, () => {
    const problems = [];
    rows.querySelectorAll('.header-row').forEach((row) => {
      const [n, v] = row.querySelectorAll('input');
      const e = checkHeaderName(n.value.trim());
      if (e) problems.push({ field: '', msg: e });
      const ev = checkHeaderValue(v.value);
      if (ev) problems.push({ field: '', msg: n.value + ': ' + ev });
    });
    return problems;
  }, async () => {
    // PATCH: set what is shown, remove what was removed or renamed; a sensitive header whose
    // value was left blank keeps its hidden value.
    const patch = {};
    removed.forEach((k) => (patch[k] = null));
    rows.querySelectorAll('.header-row').forEach((row) => {
      const [n, v] = row.querySelectorAll('input');
      const original = row.getAttribute('data-original');
      const name = n.value.trim();
      if (original && original !== name) patch[original] = null;
      if (row.getAttribute('data-sensitive') && !v.value && original === name) return;
      patch[name] = v.value;
    });
    await api('PATCH', base, { headers: patch });
    again();
  }, 'Headers saved.');
  return h('section.card', h('h2', 'Custom headers'),
    h('p.hint', 'Sent with every delivery to this endpoint. Values of sensitive headers (Authorization, X-API-Key, …) are never shown again.'), form);
}

// The short names the forms show for the option fields the document describes (its own
// description is the hint). A field the document adds later shows under its own name.
const LABELS = {
  delaysSecs: 'Delays',
  baseSecs: 'Base delay',
  incrementSecs: 'Increment',
  factor: 'Factor',
  capSecs: 'Longest delay',
  maxAttempts: 'Most attempts',
  maxAgeSecs: 'Give up after',
  jitter: 'Jitter',
  timeoutMs: 'Timeout',
  successStatusCodes: 'Success status codes',
  contentType: 'Content-Type',
  auth: 'Authentication schemes',
  envelope: 'Envelope',
};
const RETRY_TYPE_LABELS = {
  delays: 'A list of delays',
  fixed: 'Fixed delay',
  linear: 'Linear back-off',
  exponential: 'Exponential back-off',
};
// Examples of the JSON options, shown in their empty inputs.
const EXAMPLES = {
  auth: '[{"type":"staticHeader","header":"X-Auth","value":"…"}]',
  envelope: '{"template":{"data":"{{ msg.payload }}"}}',
};
const label = (f) => LABELS[f.name] || f.name;

// An input for an option field of `kind`, showing `value` (the endpoint's current one).
function optionInput(f, value) {
  if (f.kind === 'json') {
    const area = h('textarea.mono', { name: f.name, rows: f.name === 'auth' ? 4 : 6, spellcheck: 'false', placeholder: EXAMPLES[f.name] || 'JSON' });
    area.value = value === undefined || value === null ? '' : JSON.stringify(value, null, 2);
    return area;
  }
  const shown = value === undefined || value === null ? '' : Array.isArray(value) ? value.join(', ') : String(value);
  const inputmode = f.kind === 'integer' ? 'numeric' : f.kind === 'number' ? 'decimal' : 'text';
  return h('input', { type: 'text', name: f.name, inputmode: inputmode, value: shown });
}

// The client's check of one field's text (empty means "not set" and is always fine): its
// form only, the API checks the rest. `problems` gets {field, msg}.
function checkOption(f, raw, problems) {
  if (!raw) return;
  if (f.name === 'successStatusCodes') {
    if (raw.split(',').some((c) => !/^\s*\d{3}\s*$/.test(c))) problems.push({ field: f.name, msg: 'Status codes must be three-digit numbers, comma-separated' });
  } else if (f.kind === 'integers') {
    if (raw.split(',').some((x) => !/^\s*\d+\s*$/.test(x))) problems.push({ field: f.name, msg: label(f) + ' must be whole numbers, comma-separated' });
  } else if (f.kind === 'number') {
    if (!isFinite(Number(raw)) || Number(raw) < 0) problems.push({ field: f.name, msg: label(f) + ' must be a number of at least 0' });
  } else if (f.kind === 'integer') {
    if (!/^\d+$/.test(raw)) problems.push({ field: f.name, msg: label(f) + ' must be a whole number' });
  } else if (f.kind === 'json') {
    try {
      JSON.parse(raw);
    } catch (e) {
      problems.push({ field: f.name, msg: label(f) + ' must be valid JSON (' + e.message + ')' });
    }
  }
}

// One field's text as JSON text (`null` when empty: on PATCH that resets the option). JSON
// fields go as typed, so that an envelope template keeps its key order (the order on the wire).
function optionJson(f, raw) {
  if (!raw) return 'null';
  if (f.kind === 'integers') return '[' + raw.split(',').map((x) => x.trim()).join(',') + ']';
  if (f.kind === 'string') return JSON.stringify(raw);
  return raw;
}

// The endpoint's retry policy: hookd's `options.retryPolicy` (see docs/extensions.md). The
// form shows the fields of the chosen schedule type; the API checks the combination and its
// bounds, and its 422 lands at the field it names.
function retryPolicyCard(app, ep, described) {
  const current = (ep.options && ep.options.retryPolicy) || null;
  const type = h('select', { name: 'type' },
    h('option', { value: '' }, 'Server default (Svix: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h)'),
    described.retryTypes.map((t) => h('option', { value: t }, RETRY_TYPE_LABELS[t] || t)));
  type.value = current ? current.type : '';
  const inputs = {};
  const fields = described.retry.map((f) => {
    inputs[f.name] = optionInput(f, current ? current[f.name] : undefined);
    return field(label(f), inputs[f.name], f.description);
  });
  const applicable = () => described.retry.filter((f) => f.appliesTo.indexOf(type.value) >= 0);
  const show = () => {
    const wanted = applicable();
    described.retry.forEach((f, i) => {
      fields[i].hidden = wanted.indexOf(f) < 0;
    });
  };
  type.addEventListener('change', show);
  show();
  const form = onSubmit(h('form.stack.retry-form', { novalidate: true, 'data-edits': '' },
    field('Schedule', type), h('div.filters', fields), h('div.row', h('button.primary', { type: 'submit' }, 'Save retry policy'))), () => {
    const problems = [];
    applicable().forEach((f) => checkOption(f, inputs[f.name].value.trim(), problems));
    return problems;
  }, async () => {
    let policy = null;
    if (type.value) {
      policy = { type: type.value };
      applicable().forEach((f) => {
        const raw = inputs[f.name].value.trim();
        if (!raw) return;
        if (f.kind === 'integers') policy[f.name] = raw.split(',').map((x) => Number(x.trim()));
        else if (f.kind === 'integer' || f.kind === 'number') policy[f.name] = Number(raw);
        else policy[f.name] = f.kind === 'json' ? JSON.parse(raw) : raw;
      });
    }
    const saved = await api('PATCH', epPath(app.id, ep.id), { options: { retryPolicy: policy } });
    ep.options = saved.options;
    return saved;
  }, () => (type.value ? 'Retry policy saved: failed deliveries now follow it.' : 'Retry policy reset to the server default.'));
  return h('section.card.retry-policy', h('h2', 'Retry policy'),
    h('p.hint', 'How failed deliveries to this endpoint are retried.'), form);
}

// The endpoint's other delivery options (docs/extensions.md): every field of the document's
// EndpointOptions but the retry policy, which has its own card. Each empty field resets its
// option to the default. Secrets in authentication schemes are never shown; a scheme saved
// without its secret keeps the stored one, as the API does for every redacted read sent back.
function deliveryOptionsCard(app, ep, described) {
  const o = ep.options || {};
  const options = described.endpoint.filter((f) => f.name !== 'retryPolicy');
  const inputs = {};
  options.forEach((f) => {
    inputs[f.name] = optionInput(f, o[f.name]);
  });
  // `contentType: ""` sends no Content-Type at all, which an empty input cannot say.
  const noContentType = h('input', { type: 'checkbox', name: 'noContentType' });
  noContentType.checked = o.contentType === '';
  const short = options.filter((f) => f.kind !== 'json');
  const long = options.filter((f) => f.kind === 'json');
  const form = onSubmit(h('form.stack.options-form', { novalidate: true, 'data-edits': '' },
    h('div.filters', short.map((f) => [field(label(f), inputs[f.name], f.description),
      f.name === 'contentType' ? h('label.check', noContentType, ' Send no Content-Type header') : null])),
    long.map((f) => field(label(f), inputs[f.name], f.description)),
    h('div.row', h('button.primary', { type: 'submit' }, 'Save delivery options'))), () => {
    const problems = [];
    options.forEach((f) => checkOption(f, inputs[f.name].value.trim(), problems));
    return problems;
  }, async () => {
    const parts = options.map((f) => {
      const value = f.name === 'contentType' && noContentType.checked ? '""' : optionJson(f, inputs[f.name].value.trim());
      return JSON.stringify(f.name) + ':' + value;
    });
    const saved = await api('PATCH', epPath(app.id, ep.id), rawJson('{"options":{' + parts.join(',') + '}}'));
    ep.options = saved.options;
    return saved;
  }, 'Delivery options saved: the next attempts use them.');
  return h('section.card.delivery-options', h('h2', 'Delivery options'),
    h('p.hint', 'How requests to this endpoint are made and judged.'), form);
}

function endpointAttempts(app, ep) {
  const list = pagedList({
    label: 'Attempt pages',
    empty: 'No attempts yet.',
    load: (it) => api('GET', appPath(app.id) + '/attempt/endpoint/' + enc(ep.id) + qs({ limit: 20, iterator: it, with_content: 'false' })),
    render: (data) => table(['Status', 'Code', 'Message', ['Duration', 'num'], 'When'], data.map((a) =>
      h('tr', h('td', badge(a.status)), h('td.mono', a.responseStatusCode || '—'),
        h('td.mono', h('a', { href: '#/apps/' + enc(app.id) + '/messages/' + enc(a.msgId) }, a.msgId)),
        h('td.num', a.responseDurationMs + ' ms'), h('td', timeEl(a.timestamp))))),
  });
  return h('section.card', h('h2', 'Recent attempts'), list);
}
