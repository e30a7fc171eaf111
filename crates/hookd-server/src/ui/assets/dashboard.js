// hookd's operator dashboard (/dashboard): log in with an admin token, then browse
// applications, endpoints, event types and messages; inspect each message's attempts with the
// request sent and the response received; resend, recover, enable or disable, rotate secrets,
// edit headers; and look at delivery charts. All data comes from the JSON API; this page only
// draws it, and the API decides what the token may do.

import { ApiError, api, clearToken, configure, enc, qs, setToken, setUnauthorized, token } from './api.js';
import { h, render, table } from './dom.js';
import { flash } from './feedback.js';
import { field, onSubmit } from './forms.js';
import { checkKey } from './checks.js';
import { timeEl } from './format.js';
import { pagedList } from './paging.js';
import { router } from './router.js';
import { chartsCard } from './dashboard-charts.js';
import { appEndpoints, appStats } from './dashboard-app.js';
import { endpoint } from './dashboard-endpoint.js';
import { message, messages } from './dashboard-messages.js';
import { eventTypesView } from './dashboard-event-types.js';

configure({ tokenKey: 'hookd.dashboard.token' });

let session = null;



// The nav, and what the token may do: an operator's token reads everything and changes
// nothing, so the controls that change something are not shown (the API refuses them anyway).
function showRole() {
  document.getElementById('nav').hidden = false;
  const readOnly = !!(session && session.readOnly);
  document.body.classList.toggle('read-only', readOnly);
  document.getElementById('role').hidden = !readOnly;
}

function showLogin(reason) {
  document.getElementById('nav').hidden = true;
  document.body.classList.remove('read-only');
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
    showRole();
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


function overview() {
  render(h('h1', 'Overview'),
    h('p.muted', 'Every application\'s delivery attempts.'),
    chartsCard('Deliveries', {}, ['outcomes', 'latency'], 'hour'));
}


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
    h('section.card', { 'data-writes': '' }, h('h2', 'New application'), form),
    h('section.card', h('h2', 'All applications'), list));
}

// The audit log: every change made through the API with a token, newest first.
function audit() {
  const list = pagedList({
    label: 'Audit log pages',
    empty: 'No changes recorded yet.',
    load: (it) => api('GET', '/api/v1/hookd/audit' + qs({ limit: 50, iterator: it })),
    render: (data) => table(['When', 'Token', 'Change', 'Answer', ['From', 'hide-sm']], data.map((e) =>
      h('tr.audit-entry', h('td', timeEl(e.at)), h('td.mono.small', e.tokenId),
        h('td.break', h('span.mono', e.method), ' ', h('span.mono', e.path)),
        h('td', h('span.badge.' + (e.status < 400 ? 'badge-success' : 'badge-fail'), String(e.status))),
        h('td.mono.small.hide-sm', e.client || '—')))),
  });
  render(h('h1', 'Audit log'),
    h('p.muted', 'Every change made through the API with a token: who (the token\'s id), what, on which object, the answer, and from where. Reads are not recorded.'),
    h('section.card', list));
}

const route = router([
  ['/', overview],
  ['/apps', apps],
  ['/apps/:app', appEndpoints],
  ['/apps/:app/stats', appStats],
  ['/apps/:app/messages', messages],
  ['/apps/:app/messages/:msg', (p) => message(p, session && session.userAgent)],
  ['/apps/:app/endpoints/:ep', (p) => endpoint(p, route)],
  ['/event-types', eventTypesView],
  ['/audit', audit],
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
  showRole();
  route();
}
window.addEventListener('hashchange', () => {
  if (token()) route();
  else showLogin();
});
start();
