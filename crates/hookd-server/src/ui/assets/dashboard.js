// hookd's operator dashboard (/dashboard): log in with an admin token, then browse
// applications, endpoints, event types and messages; inspect each message's attempts with the
// request sent and the response received; resend, recover, enable or disable, rotate secrets,
// edit headers; and look at delivery charts. All data comes from the JSON API; this page only
// draws it, and the API decides what the token may do.

import * as charts from './charts.js';
import { ApiError, api, clearToken, configure, enc, qs, rawJson, setToken, setUnauthorized, token } from './api.js';
import { clear, h, render, table } from './dom.js';
import { act, confirming, flash } from './feedback.js';
import { field, onSubmit } from './forms.js';
import { checkHeaderName, checkHeaderValue, checkKey } from './checks.js';
import { badge, isoToLocalInput, localInputToIso, pretty, timeEl } from './format.js';
import { pagedList } from './paging.js';
import { secretCard } from './secrets.js';
import { attemptDetails } from './attempts.js';
import { eventTypes, firstExample, forgetEventTypes } from './catalogue.js';
import { endpointForm, testEventCard } from './common.js';
import { router } from './router.js';

configure({ tokenKey: 'hookd.dashboard.token' });

let session = null;

const appPath = (app) => '/api/v1/app/' + enc(app);
const epPath = (app, ep) => appPath(app) + '/endpoint/' + enc(ep);

// ---- Login ----

function showLogin(reason) {
  document.getElementById('nav').hidden = true;
  const input = h('input', { type: 'password', name: 'token', autocomplete: 'current-password', required: true, spellcheck: 'false' });
  const form = h('form.stack.login-form', { novalidate: true },
    field('Admin token', input, 'printed at first start, or made with `hookd token create`'),
    h('div.row', h('button.primary', { type: 'submit' }, 'Log in')));
  onSubmit(form, () => (input.value.trim() ? [] : [{ field: 'token', msg: 'Enter the admin token.' }]), async () => {
    setToken(input.value.trim());
    try {
      const s = await api('GET', '/api/v1/hookd/session');
      if (s.scope !== 'admin') {
        throw new Error('This is an application token. Tenants use the portal link that app-portal-access returns; the dashboard needs an admin token.');
      }
      session = s;
    } catch (e) {
      clearToken();
      if (e instanceof ApiError && e.status === 401) {
        throw new Error('That token was not accepted: ' + ((e.body && e.body.detail) || 'unknown token') + ' Check it and try again.');
      }
      throw e;
    }
    document.getElementById('nav').hidden = false;
    route();
  }, 'Logged in.');
  render(h('section.card.login', h('h1', 'Log in to hookd'), reason ? h('p.form-error', { role: 'alert' }, reason) : null, form));
  input.focus();
}

setUnauthorized(() => {
  // While logging in, the login form reports the refusal itself.
  if (!session) return;
  clearToken();
  session = null;
  showLogin('Your token is no longer accepted; log in again.');
});

document.getElementById('logout').addEventListener('click', () => {
  clearToken();
  session = null;
  flash('Logged out.', 'ok');
  showLogin();
});

// ---- Charts ----

const WINDOWS = {
  hour: { label: 'Last hour, per minute', secs: 3600, bucket: 60, unit: 'minute' },
  day: { label: 'Last 24 hours, per hour', secs: 86400, bucket: 3600, unit: 'hour' },
  week: { label: 'Last 7 days, per day', secs: 7 * 86400, bucket: 86400, unit: 'day' },
};

function stats(params, win) {
  const until = new Date();
  const since = new Date(until.getTime() - win.secs * 1000);
  return api('GET', '/api/v1/hookd/stats/attempts' + qs(Object.assign({
    since: since.toISOString(), until: until.toISOString(), bucketSecs: win.bucket,
  }, params)));
}

function fmtMs(v) {
  if (v === undefined) return '—';
  if (v === null) return '> 15 s';
  return v >= 1000 ? '≤ ' + v / 1000 + ' s' : '≤ ' + v + ' ms';
}

// A card with a window selector and the delivery charts for `params` (app, endpoint or all).
function chartsCard(title, params, which, initial) {
  const select = h('select', { name: 'window', 'aria-label': 'Time window' },
    Object.keys(WINDOWS).map((k) => h('option', { value: k }, WINDOWS[k].label)));
  select.value = initial || 'hour';
  const body = h('div.charts-body', h('p.muted', 'Loading charts…'));
  async function load() {
    const win = WINDOWS[select.value];
    try {
      const st = await stats(params, win);
      const t = st.total;
      const all = t.success + t.fail;
      clear(body).appendChild(h('div',
        h('div.stats',
          h('div', h('div.muted.small', 'Delivered'), h('div.stat.stat-success', String(t.success))),
          h('div', h('div.muted.small', 'Failed'), h('div.stat.stat-fail', String(t.fail))),
          h('div', h('div.muted.small', 'Success rate'), h('div.stat', all ? Math.round((t.success / all) * 1000) / 10 + ' %' : '—')),
          h('div', h('div.muted.small', 'Latency p50 / p90 / p99'), h('div.small', fmtMs(t.p50Ms) + ' / ' + fmtMs(t.p90Ms) + ' / ' + fmtMs(t.p99Ms)))),
        which.indexOf('outcomes') >= 0 ? h('div', h('h3', 'Attempts per ' + win.unit + ' by outcome'), charts.outcomes(st, win.unit)) : null,
        which.indexOf('rate') >= 0 ? h('div', h('h3', 'Success rate per ' + win.unit), charts.successRate(st)) : null,
        which.indexOf('latency') >= 0 ? h('div', h('h3', 'Latency percentiles per ' + win.unit), charts.latency(st)) : null));
    } catch (e) {
      clear(body).appendChild(h('p.form-error', { role: 'alert' }, e.message));
    }
  }
  select.addEventListener('change', load);
  load();
  return h('section.card.charts', h('div.row.spread', h('h2', title), select), body);
}

// ---- Overview ----

function overview() {
  render(h('h1', 'Overview'),
    h('p.muted', 'Every application\'s delivery attempts.'),
    chartsCard('Deliveries', {}, ['outcomes', 'latency'], 'hour'));
}

// ---- Applications ----

function apps() {
  const name = h('input', { type: 'text', name: 'name', required: true });
  const uid = h('input', { type: 'text', name: 'uid', placeholder: 'optional' });
  let list;
  const form = onSubmit(h('form.stack', { novalidate: true },
    h('div.grid2', field('Name', name), field('UID', uid, 'your own key for it')),
    h('div.row', h('button.primary', { type: 'submit' }, 'Create application'))), () => {
    const p = [];
    if (!name.value.trim()) p.push({ field: 'name', msg: 'Name must not be empty' });
    if (uid.value.trim()) {
      const e = checkKey(uid.value.trim());
      if (e) p.push({ field: 'uid', msg: 'UID ' + e });
    }
    return p;
  }, async () => {
    const body = { name: name.value.trim() };
    if (uid.value.trim()) body.uid = uid.value.trim();
    const app = await api('POST', '/api/v1/app', body);
    name.value = '';
    uid.value = '';
    list.reload();
    return app;
  }, (app) => 'Application ' + app.name + ' created.');
  list = pagedList({
    label: 'Applications pages',
    empty: 'No applications yet.',
    load: (it) => api('GET', '/api/v1/app' + qs({ limit: 20, iterator: it })),
    render: (data) => table(['Name', 'UID', ['ID', 'hide-sm'], ['Created', 'hide-sm']], data.map((a) =>
      h('tr', h('td', h('a', { href: '#/apps/' + enc(a.id) }, a.name)), h('td.mono', a.uid || '—'),
        h('td.mono.hide-sm', a.id), h('td.hide-sm', timeEl(a.createdAt))))),
  });
  render(h('h1', 'Applications'),
    h('section.card', h('h2', 'New application'), form),
    h('section.card', h('h2', 'All applications'), list));
}

async function appHeader(appId, tab) {
  const app = await api('GET', appPath(appId));
  const tabs = h('nav.tabs', { 'aria-label': 'Application' },
    h('a', { href: '#/apps/' + enc(app.id), 'aria-current': tab === 'endpoints' ? 'page' : null }, 'Endpoints'),
    h('a', { href: '#/apps/' + enc(app.id) + '/messages', 'aria-current': tab === 'messages' ? 'page' : null }, 'Messages'),
    h('a', { href: '#/apps/' + enc(app.id) + '/stats', 'aria-current': tab === 'stats' ? 'page' : null }, 'Charts'));
  return { app, nodes: [h('div.crumbs', h('a', { href: '#/apps' }, 'Applications'), ' / ', app.name),
    h('h1', app.name, ' ', h('span.muted.small.mono', app.uid ? app.uid + ' · ' + app.id : app.id)), tabs] };
}

async function appEndpoints(p) {
  const { app, nodes } = await appHeader(p.app, 'endpoints');
  let list;
  const form = await endpointForm(app.id, null, true, (ep) => {
    list.reload();
    location.hash = '#/apps/' + enc(app.id) + '/endpoints/' + enc(ep.id);
  });
  const portal = h('button', { type: 'button' }, 'Create a portal link');
  const portalOut = h('div');
  portal.addEventListener('click', async () => {
    const out = await act(portal, () => api('POST', '/api/v1/auth/app-portal-access/' + enc(app.id), {}), 'Portal link created; it works for 7 days.');
    if (out) clear(portalOut).appendChild(h('p.break', h('a.portal-link', { href: out.url, target: '_blank', rel: 'noopener noreferrer' }, 'Open the tenant portal'), h('span.muted.small', ' (the link carries a token: share it only with this tenant)')));
  });
  list = pagedList({
    label: 'Endpoint pages',
    empty: 'No endpoints yet: add one above.',
    load: (it) => api('GET', appPath(app.id) + '/endpoint' + qs({ limit: 20, iterator: it })),
    render: (data) => {
      const rows = data.map((ep) => {
        const spark = h('td.spark-cell.hide-sm', h('span.muted.small', '…'));
        stats({ appId: app.id, endpointId: ep.id }, WINDOWS.day).then((st) => clear(spark).appendChild(charts.spark(st)), () => clear(spark).appendChild(h('span.muted.small', 'n/a')));
        return h('tr', h('td.break', h('a', { href: '#/apps/' + enc(app.id) + '/endpoints/' + enc(ep.id) }, ep.url), ep.description ? h('div.muted.small', ep.description) : null),
          h('td', ep.disabled ? h('span.badge.badge-disabled', 'disabled') : h('span.badge.badge-success', 'enabled')),
          h('td.small', ep.eventTypes ? ep.eventTypes.join(', ') : 'all'),
          spark);
      });
      return table(['URL', 'State', 'Event types', ['Last 24 h', 'hide-sm']], rows);
    },
  });
  render(...nodes,
    h('section.card', h('h2', 'Endpoints'), list),
    h('section.card', h('h2', 'Add an endpoint'), form),
    h('section.card', h('h2', 'Tenant portal'), h('p.muted', 'A link that opens this application\'s portal for its tenant (and no other application).'), portal, portalOut));
}

async function appStats(p) {
  const { app, nodes } = await appHeader(p.app, 'stats');
  render(...nodes, chartsCard('Deliveries of ' + app.name, { appId: app.id }, ['outcomes', 'rate', 'latency'], 'hour'));
}

// ---- Endpoint ----

async function endpoint(p) {
  const [app, ep] = await Promise.all([api('GET', appPath(p.app)), api('GET', epPath(p.app, p.ep))]);
  const base = epPath(app.id, ep.id);
  const again = () => route();

  const toggle = h('button.toggle', { type: 'button' }, ep.disabled ? 'Enable endpoint' : 'Disable endpoint');
  toggle.addEventListener('click', async () => {
    const out = await act(toggle, () => api('PATCH', base, { disabled: !ep.disabled }),
      ep.disabled ? 'Endpoint enabled.' : 'Endpoint disabled: its pending deliveries are canceled.');
    if (out) again();
  });
  const del = confirming(h('button.danger', { type: 'button' }, 'Delete endpoint'), 'Delete this endpoint and its delivery history?', 'Yes, delete', async (yes) => {
    const out = await act(yes, () => api('DELETE', base), 'Endpoint deleted.');
    if (out !== undefined) location.hash = '#/apps/' + enc(app.id);
  });

  const info = h('section.card',
    h('dl.kv',
      h('dt', 'URL'), h('dd.mono', ep.url),
      h('dt', 'State'), h('dd.endpoint-state', ep.disabled ? h('span.badge.badge-disabled', 'disabled') : h('span.badge.badge-success', 'enabled')),
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
    await headersCard(app, ep),
    retryPolicyCard(app, ep),
    deliveryOptionsCard(app, ep),
    h('section.card', h('h2', 'Edit endpoint'), edit),
    await testEventCard(app.id, ep, () => {}),
    endpointAttempts(app, ep));
}

function recoverCard(app, ep) {
  const since = h('input', { type: 'datetime-local', name: 'since', value: isoToLocalInput(new Date(Date.now() - 24 * 3600 * 1000)) });
  const form = onSubmit(h('form.stack.recover-form', { novalidate: true },
    field('Failed since', since, 'at most 14 days back'),
    h('div.row', h('button.primary', { type: 'submit' }, 'Recover failed messages'))), () => {
    if (!localInputToIso(since.value)) return [{ field: 'since', msg: 'Choose a date and time.' }];
    return [];
  }, () => api('POST', epPath(app.id, ep.id) + '/recover', { since: localInputToIso(since.value) }),
  'Recovery started: every delivery that failed for good since then is being attempted again.');
  return h('section.card', h('h2', 'Recover'), h('p.hint', 'Sends every message that failed for good again, from a time on.'), form);
}

async function headersCard(app, ep) {
  const base = epPath(app.id, ep.id) + '/headers';
  const current = await api('GET', base);
  const rows = h('div.header-rows.stack');
  const removed = new Set();
  function addRow(name, value, sensitive) {
    const n = h('input', { type: 'text', name: 'header-name', value: name || '', 'aria-label': 'Header name', autocomplete: 'off' });
    const v = sensitive
      ? h('input', { type: 'password', name: 'header-value', value: '', placeholder: 'hidden (sensitive): type to replace', 'aria-label': 'Header value', autocomplete: 'off' })
      : h('input', { type: 'text', name: 'header-value', value: value || '', 'aria-label': 'Header value', autocomplete: 'off' });
    const rm = h('button.small.danger', { type: 'button' }, 'Remove');
    const row = h('div.row.header-row', { 'data-original': name || '', 'data-sensitive': sensitive ? '1' : '' }, h('div.field', n), h('div.field', v), rm);
    rm.addEventListener('click', () => {
      if (name) removed.add(name);
      row.remove();
    });
    rows.appendChild(row);
  }
  Object.keys(current.headers).forEach((k) => addRow(k, current.headers[k], false));
  current.sensitive.forEach((k) => addRow(k, '', true));
  const add = h('button.small', { type: 'button' }, 'Add header');
  add.addEventListener('click', () => addRow('', '', false));
  const form = h('form.stack.headers-form', { novalidate: true }, rows, h('div.row', add, h('button.primary', { type: 'submit' }, 'Save headers')));
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
    route();
  }, 'Headers saved.');
  return h('section.card', h('h2', 'Custom headers'),
    h('p.hint', 'Sent with every delivery to this endpoint. Values of sensitive headers (Authorization, X-API-Key, …) are never shown again.'), form);
}

// The endpoint's retry policy: hookd's `options.retryPolicy` (see docs/extensions.md). The
// form shows the fields of the chosen schedule type; the API checks the combination and its
// bounds, and its 422 lands at the field it names.
const RETRY_FIELDS = {
  delays: ['delaysSecs', 'maxAttempts', 'maxAgeSecs', 'jitter'],
  fixed: ['baseSecs', 'maxAttempts', 'maxAgeSecs', 'jitter'],
  linear: ['baseSecs', 'incrementSecs', 'capSecs', 'maxAttempts', 'maxAgeSecs', 'jitter'],
  exponential: ['baseSecs', 'factor', 'capSecs', 'maxAttempts', 'maxAgeSecs', 'jitter'],
};
const RETRY_LABELS = {
  delaysSecs: ['Delays', 'seconds before each retry, comma-separated'],
  baseSecs: ['Base delay', 'seconds before the first retry'],
  incrementSecs: ['Increment', 'seconds added per retry'],
  factor: ['Factor', 'each delay multiplied by this (default 2)'],
  capSecs: ['Longest delay', 'seconds'],
  maxAttempts: ['Most attempts', 'the first one included'],
  maxAgeSecs: ['Give up after', 'seconds of schedule'],
  jitter: ['Jitter', 'fraction 0 to 0.5 each delay may move'],
};

function retryPolicyCard(app, ep) {
  const current = (ep.options && ep.options.retryPolicy) || null;
  const type = h('select', { name: 'type' },
    h('option', { value: '' }, 'Server default (Svix: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h)'),
    h('option', { value: 'delays' }, 'A list of delays'),
    h('option', { value: 'fixed' }, 'Fixed delay'),
    h('option', { value: 'linear' }, 'Linear back-off'),
    h('option', { value: 'exponential' }, 'Exponential back-off'));
  type.value = current ? current.type : '';
  const inputs = {};
  const fields = Object.keys(RETRY_LABELS).map((name) => {
    const v = current && current[name] !== undefined ? current[name] : '';
    const input = h('input', { type: 'text', name: name, inputmode: name === 'delaysSecs' ? 'text' : 'decimal',
      value: Array.isArray(v) ? v.join(', ') : String(v) });
    inputs[name] = input;
    return field(RETRY_LABELS[name][0], input, RETRY_LABELS[name][1]);
  });
  const grid = h('div.filters', fields);
  const show = () => {
    const wanted = RETRY_FIELDS[type.value] || [];
    fields.forEach((f, i) => {
      f.hidden = wanted.indexOf(Object.keys(RETRY_LABELS)[i]) < 0;
    });
  };
  type.addEventListener('change', show);
  show();
  const form = onSubmit(h('form.stack.retry-form', { novalidate: true },
    field('Schedule', type), grid, h('div.row', h('button.primary', { type: 'submit' }, 'Save retry policy'))), () => {
    const problems = [];
    (RETRY_FIELDS[type.value] || []).forEach((name) => {
      const raw = inputs[name].value.trim();
      if (!raw) return;
      if (name === 'delaysSecs') {
        if (raw.split(',').some((x) => !/^\s*\d+\s*$/.test(x))) {
          problems.push({ field: name, msg: 'Delays must be whole numbers of seconds, comma-separated' });
        }
      } else if (name === 'factor' || name === 'jitter') {
        if (!isFinite(Number(raw)) || Number(raw) < 0) problems.push({ field: name, msg: RETRY_LABELS[name][0] + ' must be a number of at least 0' });
      } else if (!/^\d+$/.test(raw)) {
        problems.push({ field: name, msg: RETRY_LABELS[name][0] + ' must be a whole number' });
      }
    });
    return problems;
  }, async () => {
    let policy = null;
    if (type.value) {
      policy = { type: type.value };
      RETRY_FIELDS[type.value].forEach((name) => {
        const raw = inputs[name].value.trim();
        if (!raw) return;
        policy[name] = name === 'delaysSecs' ? raw.split(',').map((x) => Number(x.trim())) : Number(raw);
      });
    }
    const saved = await api('PATCH', epPath(app.id, ep.id), { options: { retryPolicy: policy } });
    ep.options = saved.options;
    return saved;
  }, () => (type.value ? 'Retry policy saved: failed deliveries now follow it.' : 'Retry policy reset to the server default.'));
  return h('section.card.retry-policy', h('h2', 'Retry policy'),
    h('p.hint', 'How failed deliveries to this endpoint are retried.'), form);
}

// The endpoint's other delivery options (docs/extensions.md): timeout, success codes,
// Content-Type, authentication schemes and envelope. Each empty field resets its option to
// the default. Secrets in authentication schemes are never shown; a scheme saved without
// its secret keeps the stored one, as the API does for every redacted read sent back.
function deliveryOptionsCard(app, ep) {
  const o = ep.options || {};
  const timeout = h('input', { type: 'text', name: 'timeoutMs', inputmode: 'numeric', value: o.timeoutMs === undefined || o.timeoutMs === null ? '' : String(o.timeoutMs) });
  const codes = h('input', { type: 'text', name: 'successStatusCodes', value: (o.successStatusCodes || []).join(', ') });
  const contentType = h('input', { type: 'text', name: 'contentType', value: o.contentType || '', placeholder: 'application/json' });
  const noContentType = h('input', { type: 'checkbox', name: 'noContentType' });
  noContentType.checked = o.contentType === '';
  const auth = h('textarea.mono', { name: 'auth', rows: 4, spellcheck: 'false' });
  auth.value = o.auth ? JSON.stringify(o.auth, null, 2) : '';
  const envelope = h('textarea.mono', { name: 'envelope', rows: 6, spellcheck: 'false' });
  envelope.value = o.envelope ? JSON.stringify(o.envelope, null, 2) : '';
  const form = onSubmit(h('form.stack.options-form', { novalidate: true },
    h('div.filters',
      field('Timeout', timeout, 'ms, 1 to 60000; empty: the server\'s'),
      field('Success status codes', codes, 'comma-separated; empty: any 2xx')),
    h('div.filters',
      field('Content-Type', contentType, 'empty: application/json'),
      h('label.check', noContentType, ' Send no Content-Type header')),
    field('Authentication schemes', auth, 'JSON list, e.g. [{"type":"staticHeader","header":"X-Auth","value":"…"}]; empty: Standard Webhooks signatures'),
    field('Envelope', envelope, 'JSON, e.g. {"template":{"data":"{{ msg.payload }}"}}; empty: the event type\'s, else the payload as is'),
    h('div.row', h('button.primary', { type: 'submit' }, 'Save delivery options'))), () => {
    const problems = [];
    if (timeout.value.trim() && !/^\d+$/.test(timeout.value.trim())) problems.push({ field: 'timeoutMs', msg: 'Timeout must be a whole number of milliseconds' });
    if (codes.value.trim() && codes.value.split(',').some((c) => !/^\s*\d{3}\s*$/.test(c))) problems.push({ field: 'successStatusCodes', msg: 'Status codes must be three-digit numbers, comma-separated' });
    [[auth, 'auth', 'Authentication schemes'], [envelope, 'envelope', 'Envelope']].forEach(([input, name, label]) => {
      if (!input.value.trim()) return;
      try {
        JSON.parse(input.value);
      } catch (e) {
        problems.push({ field: name, msg: label + ' must be valid JSON (' + e.message + ')' });
      }
    });
    return problems;
  }, async () => {
    const parts = [
      '"timeoutMs":' + (timeout.value.trim() ? timeout.value.trim() : 'null'),
      '"successStatusCodes":' + (codes.value.trim() ? '[' + codes.value.split(',').map((c) => c.trim()).join(',') + ']' : 'null'),
      '"contentType":' + (noContentType.checked ? '""' : contentType.value.trim() ? JSON.stringify(contentType.value.trim()) : 'null'),
      '"auth":' + (auth.value.trim() || 'null'),
      '"envelope":' + (envelope.value.trim() || 'null'),
    ];
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

// ---- Messages ----

async function messages(p, query) {
  const { app, nodes } = await appHeader(p.app, 'messages');
  const types = await eventTypes().catch(() => ({ data: [] }));
  const eventType = h('select', { name: 'event_types' }, h('option', { value: '' }, 'any'),
    types.data.map((et) => h('option', { value: et.name }, et.name)));
  eventType.value = query.get('event_types') || '';
  const channel = h('input', { type: 'text', name: 'channel', value: query.get('channel') || '' });
  const after = h('input', { type: 'datetime-local', name: 'after', value: query.get('after') ? isoToLocalInput(new Date(query.get('after'))) : '' });
  const before = h('input', { type: 'datetime-local', name: 'before', value: query.get('before') ? isoToLocalInput(new Date(query.get('before'))) : '' });
  const filter = onSubmit(h('form.filters.message-filters', { novalidate: true, role: 'search' },
    field('Event type', eventType), field('Channel', channel), field('After', after), field('Before', before),
    h('div.row', h('button.primary', { type: 'submit' }, 'Search'), h('a.button', { href: '#/apps/' + enc(app.id) + '/messages' }, 'Clear'))), () => {
    const problems = [];
    if (channel.value.trim()) {
      const e = checkKey(channel.value.trim(), 128);
      if (e) problems.push({ field: 'channel', msg: 'Channel ' + e });
    }
    return problems;
  }, async () => {
    location.hash = '#/apps/' + enc(app.id) + '/messages' + qs({
      event_types: eventType.value, channel: channel.value.trim(),
      after: localInputToIso(after.value), before: localInputToIso(before.value),
    });
  });
  const id = h('input', { type: 'search', name: 'id', placeholder: 'msg_… or your eventId' });
  const byId = onSubmit(h('form.row.find-message', { novalidate: true, role: 'search' },
    h('div.field', h('label', { for: 'find-id' }, 'Find by id'), id), h('button', { type: 'submit' }, 'Open')), () => {
    const e = checkKey(id.value.trim());
    return e ? [{ field: 'id', msg: 'Message id ' + e }] : [];
  }, async () => {
    location.hash = '#/apps/' + enc(app.id) + '/messages/' + enc(id.value.trim());
  });
  id.id = 'find-id';
  const params = {
    event_types: query.get('event_types'), channel: query.get('channel'),
    after: query.get('after'), before: query.get('before'),
  };
  const list = pagedList({
    label: 'Message pages',
    empty: 'No messages match.',
    load: (it) => api('GET', appPath(app.id) + '/msg' + qs(Object.assign({ limit: 20, iterator: it, with_content: 'false' }, params))),
    render: (data) => table(['Message', 'Event type', ['Channels', 'hide-sm'], 'Published'], data.map((m) =>
      h('tr.message-row', { 'data-msg': m.id },
        h('td.mono', h('a', { href: '#/apps/' + enc(app.id) + '/messages/' + enc(m.id) }, m.eventId || m.id)),
        h('td', h('code', m.eventType)), h('td.hide-sm', m.channels ? m.channels.join(', ') : '—'), h('td', timeEl(m.timestamp))))),
  });
  const refresh = h('button.small.refresh', { type: 'button' }, 'Refresh');
  refresh.addEventListener('click', () => list.reload());
  render(...nodes,
    h('section.card', h('h2', 'Search'), filter, byId),
    h('section.card', h('div.row.spread', h('h2', 'Messages'), refresh), list));
}

async function message(p) {
  const app = await api('GET', appPath(p.app));
  const msg = await api('GET', appPath(app.id) + '/msg/' + enc(p.msg));
  const headersCache = new Map();
  const openAttempts = new Set();
  const known = new Set();
  let endpointFilter = '';
  let polls = 0;
  let timer = null;
  // Whether a delivery was seen on its way since the attempts were last loaded for sure.
  let settling = false;

  // The endpoint's current headers and options, from which the request an attempt sent is
  // reconstructed (attempts do not record it).
  async function endpointInfo(epId) {
    if (!headersCache.has(epId)) {
      headersCache.set(epId, Promise.all([
        api('GET', epPath(app.id, epId) + '/headers').catch(() => null),
        api('GET', epPath(app.id, epId)).then((ep) => ep.options || {}, () => ({})),
      ]));
    }
    return headersCache.get(epId);
  }

  async function resend(button, epId) {
    const out = await act(button, () => api('POST', appPath(app.id) + '/msg/' + enc(msg.id) + '/endpoint/' + enc(epId) + '/resend', {}),
      'Resend queued: the new attempt appears below when it is made.');
    if (out !== undefined) {
      polls = 0;
      settling = true;
      destList.reload();
      attList.reload();
    }
  }

  // While a delivery is still on its way, look again shortly (first pages only, so nobody
  // is pulled away from a page they went to), so a person sees the attempt arrive without
  // reloading. The looking stops after a while or once nothing is pending.
  // Both lists load at once, so the attempts may have been read just before the attempt was
  // recorded and the destinations just after: once nothing is pending any more, the
  // attempts are read once more (an attempt is recorded with its delivery's new state, so
  // this read has it).
  function schedule(resp) {
    clearTimeout(timer);
    const pending = resp.data.some((d) => d.status === 1 || d.status === 3);
    if (pending) {
      settling = true;
    } else if (settling) {
      settling = false;
      if (attList.isFirst()) attList.reload();
    }
    if (pending && polls < 60) {
      timer = setTimeout(() => {
        if (!destList.isConnected) return;
        polls += 1;
        if (destList.isFirst()) destList.reload();
        if (attList.isFirst()) attList.reload();
      }, 1000);
    }
  }

  const endpointSelect = h('select', { name: 'endpoint_id', 'aria-label': 'Attempts to which endpoint' },
    h('option', { value: '' }, 'All endpoints'));
  endpointSelect.addEventListener('change', () => {
    endpointFilter = endpointSelect.value;
    attList.reload();
  });

  const destList = pagedList({
    label: 'Destination pages',
    empty: 'No endpoint was subscribed to this message.',
    load: (it) => api('GET', appPath(app.id) + '/msg/' + enc(msg.id) + '/endpoint' + qs({ limit: 20, iterator: it })),
    render: (data) => table(['Endpoint', 'Status', ['Next attempt', 'hide-sm'], ''], data.map((d) => {
      if (!known.has(d.id)) {
        known.add(d.id);
        endpointSelect.appendChild(h('option', { value: d.id }, d.description || d.url));
      }
      const b = h('button.small.resend', { type: 'button' }, 'Resend');
      b.addEventListener('click', () => resend(b, d.id));
      return h('tr.destination', { 'data-endpoint': d.id },
        h('td.break', h('a', { href: '#/apps/' + enc(app.id) + '/endpoints/' + enc(d.id) }, d.url)),
        h('td', badge(d.statusText)), h('td.hide-sm', d.nextAttempt ? timeEl(d.nextAttempt) : '—'), h('td', b));
    })),
    onLoad: schedule,
  });

  const attempts = h('div.attempts');
  const attList = pagedList({
    label: 'Attempt pages',
    empty: 'No attempts yet.',
    load: (it) => api('GET', appPath(app.id) + '/attempt/msg/' + enc(msg.id) + qs({ limit: 20, iterator: it, endpoint_id: endpointFilter })),
    render: async (data) => h('div', await Promise.all(data.map(async (a) => {
      const b = h('button.small.resend', { type: 'button' }, 'Resend this attempt');
      b.addEventListener('click', () => resend(b, a.endpointId));
      const [headers, options] = await endpointInfo(a.endpointId);
      const details = attemptDetails(a, msg, headers, session && session.userAgent, h('div.row', b), options, app.id);
      // A refresh keeps open what the operator opened.
      if (openAttempts.has(a.id)) details.open = true;
      details.addEventListener('toggle', () => (details.open ? openAttempts.add(a.id) : openAttempts.delete(a.id)));
      return details;
    }))),
    onLoad: (resp) => attempts.setAttribute('data-count', String(resp.data.length)),
  });
  attempts.appendChild(attList);

  const refresh = h('button.small.refresh', { type: 'button' }, 'Refresh');
  refresh.addEventListener('click', () => {
    polls = 0;
    destList.reload();
    attList.reload();
  });
  render(h('div.crumbs', h('a', { href: '#/apps' }, 'Applications'), ' / ', h('a', { href: '#/apps/' + enc(app.id) + '/messages' }, app.name), ' / message'),
    h('h1.break', 'Message ', h('span.mono', msg.eventId || msg.id)),
    h('section.card', h('dl.kv',
      h('dt', 'ID'), h('dd.mono', msg.id),
      h('dt', 'Event ID'), h('dd.mono', msg.eventId || '—'),
      h('dt', 'Event type'), h('dd', h('code', msg.eventType)),
      h('dt', 'Channels'), h('dd', msg.channels ? msg.channels.join(', ') : '—'),
      h('dt', 'Published'), h('dd', timeEl(msg.timestamp))),
    h('h3', 'Payload'), h('pre.payload', pretty(msg.payload))),
    h('section.card', h('div.row.spread', h('h2', 'Destinations'), refresh), destList),
    h('section.card', h('div.row.spread', h('h2', 'Attempts'), endpointSelect), attempts));
}

// ---- Event types ----

function eventTypesView() {
  const name = h('input', { type: 'text', name: 'name', placeholder: 'invoice.paid' });
  const description = h('input', { type: 'text', name: 'description' });
  const schema = h('textarea', { name: 'schemas', placeholder: '{"1": {"type": "object", "examples": [{"invoice": "in_1"}]}}' });
  let list;
  const form = onSubmit(h('form.stack.event-type-form', { novalidate: true },
    h('div.grid2', field('Name', name), field('Description', description)),
    field('Schemas', schema, 'optional JSON: versions mapping to JSON schemas; "examples" feed test events'),
    h('div.row', h('button.primary', { type: 'submit' }, 'Create event type'))), () => {
    const p = [];
    const e = checkKey(name.value.trim());
    if (e) p.push({ field: 'name', msg: 'Name ' + e });
    if (schema.value.trim()) {
      try {
        const v = JSON.parse(schema.value);
        if (!v || typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((x) => !x || typeof x !== 'object' || Array.isArray(x))) {
          p.push({ field: 'schemas', msg: 'Schemas must be an object mapping versions to JSON schema objects' });
        }
      } catch (err) {
        p.push({ field: 'schemas', msg: 'Schemas is not valid JSON: ' + err.message });
      }
    }
    return p;
  }, async () => {
    const body = { name: name.value.trim(), description: description.value };
    if (schema.value.trim()) body.schemas = JSON.parse(schema.value);
    const et = await api('POST', '/api/v1/event-type', body);
    name.value = '';
    description.value = '';
    schema.value = '';
    forgetEventTypes();
    list.reload();
    return et;
  }, (et) => 'Event type ' + et.name + ' created.');
  list = pagedList({
    label: 'Event type pages',
    empty: 'No event types yet.',
    load: (it) => api('GET', '/api/v1/event-type' + qs({ limit: 20, iterator: it, with_content: 'true', include_archived: 'true' })),
    render: (data) => h('div', data.map((et) => {
      const archive = h('button.small', { type: 'button' }, et.archived ? 'Unarchive' : 'Archive');
      archive.addEventListener('click', async () => {
        const out = await act(archive, () => (et.archived
          ? api('PATCH', '/api/v1/event-type/' + enc(et.name), { archived: false })
          : api('DELETE', '/api/v1/event-type/' + enc(et.name)).then(() => ({}))),
        et.archived ? 'Event type restored.' : 'Event type archived: endpoints can no longer subscribe to it.');
        if (out !== undefined) {
          forgetEventTypes();
          list.reload();
        }
      });
      const example = firstExample(et);
      return h('div.event-type',
        h('div.row.spread', h('div', h('code', et.name), et.archived ? ' ' : null, et.archived ? h('span.badge.badge-disabled', 'archived') : null,
          et.description ? h('div.muted.small', et.description) : null), archive),
        et.schemas ? h('details', h('summary', 'Schema'), h('pre', pretty(et.schemas))) : null,
        example !== undefined ? h('details', h('summary', 'Example'), h('pre', pretty(example))) : null);
    })),
  });
  render(h('h1', 'Event types'),
    h('section.card', h('h2', 'New event type'), form),
    h('section.card', h('h2', 'Catalogue'), list));
}

// ---- Start ----

const route = router([
  ['/', overview],
  ['/apps', apps],
  ['/apps/:app', appEndpoints],
  ['/apps/:app/stats', appStats],
  ['/apps/:app/messages', messages],
  ['/apps/:app/messages/:msg', message],
  ['/apps/:app/endpoints/:ep', endpoint],
  ['/event-types', eventTypesView],
], () => render(h('h1', 'Not found'), h('p', 'There is no such page. ', h('a', { href: '#/' }, 'Go to the overview.'))));

async function start() {
  if (!token()) {
    showLogin();
    return;
  }
  try {
    session = await api('GET', '/api/v1/hookd/session');
    if (session.scope !== 'admin') throw new Error('not an admin token');
  } catch (e) {
    clearToken();
    showLogin(e instanceof ApiError && e.status === 401 ? null : e.message);
    return;
  }
  document.getElementById('nav').hidden = false;
  route();
}
window.addEventListener('hashchange', () => {
  if (token()) route();
  else showLogin();
});
start();
