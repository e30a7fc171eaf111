// hookd's tenant portal (/portal): what a SaaS customer sees of their own application, opened
// through the link that app-portal-access returns ({public_url}/portal#key=appsk_…). The token
// is read from the URL fragment (never sent to the server, so never in its logs), kept in
// sessionStorage, and removed from the address bar. Everything goes through the JSON API with
// that application-scoped token, which the API confines to its own application: this page has
// no way, and must not try, to reach another. The token's scope (read-only, capabilities) comes
// from the session; the page offers only the controls the API would allow, and the API refuses
// the others whatever the page does.

import { ApiError, api, clearToken, configure, enc, qs, setToken, setUnauthorized, token } from './api.js';
import { clear, h, render, table } from './dom.js';
import { act, confirming } from './feedback.js';
import { badge, endpointState, pretty, timeEl } from './format.js';
import { pagedList } from './paging.js';
import { secretCard } from './secrets.js';
import { attemptDetails } from './attempts.js';
import { FILTER_FROM, eventTypes, firstExample, nameFilter } from './catalogue.js';
import { endpointForm, testEventCard } from './common.js';
import { router } from './router.js';

configure({ tokenKey: 'hookd.portal.token' });

let app = null;
let session = null;

// What the token may do, from its effective capabilities (see /api/v1/hookd/session).
const can = (cap) => !!session && (session.capabilities || []).indexOf(cap) >= 0;
const canManage = () => can('ManageEndpoint');
const canSeeSecret = () => can('ViewEndpointSecret') || can('ManageEndpointSecret') || canManage();
const canRotate = () => can('ManageEndpointSecret') || canManage();
const canAttempt = () => can('CreateAttempts');

const base = () => '/api/v1/app/' + enc(app.id);
const epPath = (ep) => base() + '/endpoint/' + enc(ep);

// Takes the token out of the fragment (`#key=appsk_…`, possibly followed by `&…`) into
// sessionStorage and replaces the address, so it neither stays in the history nor leaks
// through a copied URL.
function takeKeyFromFragment() {
  const frag = location.hash.replace(/^#/, '');
  if (!frag.startsWith('key=') && frag.indexOf('&key=') < 0) return;
  const params = new URLSearchParams(frag);
  const key = params.get('key');
  if (key) setToken(key);
  const next = params.get('page') || '/endpoints';
  history.replaceState(null, '', location.pathname + location.search + '#' + next);
}

function showLocked(reason) {
  document.getElementById('nav').hidden = true;
  render(h('section.card.login', h('h1', 'Webhooks'),
    h('p.locked', { role: 'alert' }, reason || 'Open this page through the link your provider gives you.')));
}

setUnauthorized(() => {
  // Before the session is known, start() reports the refusal itself.
  if (!app) return;
  clearToken();
  showLocked('This link has expired or was revoked. Ask your provider for a new one.');
});

document.getElementById('logout').addEventListener('click', async () => {
  // Revoke the portal token itself, so the link cannot be used again from this browser.
  try {
    await api('POST', '/api/v1/auth/logout', {});
  } catch (e) {
    // The token is dropped locally either way.
  }
  clearToken();
  showLocked('You are signed out. Open the link from your provider to come back.');
});

function crumbs() {
  return h('div.crumbs', h('a', { href: '#/endpoints' }, 'Endpoints'), ' / ', Array.prototype.slice.call(arguments));
}

// ---- Endpoints ----

function endpoints() {
  const list = pagedList({
    label: 'Endpoint pages',
    empty: 'You have no endpoints yet. Add one to start receiving webhooks.',
    load: (it) => api('GET', base() + '/endpoint' + qs({ limit: 20, iterator: it })),
    render: (data) => table(['URL', 'State', ['Event types', 'hide-sm']], data.map((ep) =>
      h('tr.endpoint-row', { 'data-endpoint': ep.id },
        h('td.break', h('a', { href: '#/endpoints/' + enc(ep.id) }, ep.url), ep.description ? h('div.muted.small', ep.description) : null),
        h('td', endpointState(ep)),
        h('td.small.hide-sm', ep.eventTypes ? ep.eventTypes.join(', ') : 'all')))),
  });
  render(h('div.row.spread', h('h1', 'Endpoints'), canManage() ? h('a.button.primary.add-endpoint', { href: '#/endpoints/new' }, 'Add endpoint') : null),
    h('p.muted', 'The URLs where ', app.name, ' sends you webhooks.'),
    h('section.card', list));
}

async function newEndpoint() {
  if (!canManage()) {
    render(crumbs('new'), h('h1', 'Add an endpoint'), h('p.locked', { role: 'alert' }, 'This link does not allow adding endpoints.'));
    return;
  }
  const form = await endpointForm(app.id, null, false, (ep) => {
    location.hash = '#/endpoints/' + enc(ep.id);
  });
  render(crumbs('new'), h('h1', 'Add an endpoint'), h('section.card', form));
}

async function endpoint(p) {
  const ep = await api('GET', epPath(p.ep));
  const again = () => route();
  const toggle = h('button.toggle', { type: 'button' }, ep.disabled ? 'Enable' : 'Disable');
  toggle.addEventListener('click', async () => {
    const out = await act(toggle, () => api('PATCH', epPath(ep.id), { disabled: !ep.disabled }), ep.disabled ? 'Endpoint enabled.' : 'Endpoint disabled.');
    if (out) again();
  });
  const del = confirming(h('button.danger.delete-endpoint', { type: 'button' }, 'Delete endpoint'), 'Delete this endpoint? Its delivery history goes too.', 'Yes, delete', async (yes) => {
    // Moving to the list before saying so: the message belongs to the page it is read on.
    await act(yes, async () => {
      await api('DELETE', epPath(ep.id));
      location.hash = '#/endpoints';
    }, 'Endpoint deleted.');
  });
  const edit = canManage() ? await endpointForm(app.id, ep, false, again) : null;
  const deliveries = deliveriesCard(ep);
  const secret = canSeeSecret() ? secretCard(app.id, ep, { rotate: canRotate() }) : null;
  const test = canAttempt() ? await testEventCard(app.id, ep, () => deliveries.reload()) : null;
  render(crumbs('endpoint'),
    h('h1.break', ep.description || ep.url),
    h('section.card', h('dl.kv',
      h('dt', 'URL'), h('dd.mono', ep.url),
      h('dt', 'State'), h('dd', endpointState(ep)),
      h('dt', 'Event types'), h('dd', ep.eventTypes ? ep.eventTypes.join(', ') : 'all'),
      h('dt', 'Created'), h('dd', timeEl(ep.createdAt))),
    canManage() ? h('div.row', toggle, del) : null),
    secret || test ? h('div.grid2', secret, test) : null,
    deliveries,
    edit ? h('section.card', h('h2', 'Edit endpoint'), edit) : null);
}

// The messages sent to the endpoint, newest first, each with its attempts on demand and a
// retry for those that failed.
function deliveriesCard(ep) {
  let timer = null;
  let polls = 0;
  // Which deliveries and attempts the tenant opened, so that a refresh keeps them open.
  const open = new Set();
  const openAttempts = new Set();
  const list = pagedList({
    label: 'Delivery pages',
    empty: 'Nothing was sent to this endpoint yet. Send a test event to try it.',
    load: (it) => api('GET', epPath(ep.id) + '/msg' + qs({ limit: 20, iterator: it })),
    render: (data) => {
      const pending = data.some((m) => m.status === 1 || m.status === 3);
      clearTimeout(timer);
      if (pending && polls < 60) {
        polls += 1;
        // Something is on its way: look again shortly, while this page is still shown.
        timer = setTimeout(() => {
          if (list.isConnected) list.reload();
        }, 1000);
      }
      return h('div', data.map((m) => delivery(ep, m, list, open, openAttempts)));
    },
  });
  const refresh = h('button.small.refresh', { type: 'button' }, 'Refresh');
  refresh.addEventListener('click', () => {
    polls = 0;
    list.reload();
  });
  const card = h('section.card.deliveries', h('div.row.spread', h('h2', 'Recent deliveries'), refresh), list);
  card.reload = () => {
    polls = 0;
    list.reload();
  };
  return card;
}

function delivery(ep, m, list, open, openAttempts) {
  const attempts = h('div.attempts', h('p.muted', 'Loading attempts…'));
  const details = h('details.attempt.delivery', { 'data-msg': m.id },
    h('summary', badge(m.status), h('code', m.eventType), h('span.mono.small', m.eventId || m.id), timeEl(m.timestamp),
      m.nextAttempt ? h('span.muted.small', 'next try ', timeEl(m.nextAttempt)) : null),
    h('div', attempts));
  let loaded = false;
  details.addEventListener('toggle', async () => {
    if (details.open) open.add(m.id);
    else open.delete(m.id);
    if (!details.open || loaded) return;
    loaded = true;
    try {
      const [att, headers] = await Promise.all([
        api('GET', base() + '/attempt/msg/' + enc(m.id) + qs({ endpoint_id: ep.id, limit: 20 })),
        api('GET', epPath(ep.id) + '/headers').catch(() => null),
      ]);
      clear(attempts);
      if (!att.data.length) attempts.appendChild(h('p.muted', 'No attempt was made yet.'));
      att.data.forEach((a) => {
        const one = attemptDetails(a, m, headers, session.userAgent, null, ep.options, session.app.id);
        if (openAttempts.has(a.id)) one.open = true;
        one.addEventListener('toggle', () => (one.open ? openAttempts.add(a.id) : openAttempts.delete(a.id)));
        attempts.appendChild(one);
      });
    } catch (e) {
      clear(attempts).appendChild(h('p.form-error', { role: 'alert' }, e.message));
      loaded = false;
    }
  });
  // A failed delivery, or one waiting for its next scheduled try, can be retried now.
  if (canAttempt() && (m.status === 2 || m.status === 1)) {
    const retry = h('button.small.retry', { type: 'button' }, m.status === 2 ? 'Retry' : 'Retry now');
    retry.addEventListener('click', async () => {
      const out = await act(retry, () => api('POST', base() + '/msg/' + enc(m.id) + '/endpoint/' + enc(ep.id) + '/resend', {}),
        'Retry queued; the delivery updates here when it is made.');
      if (out !== undefined) list.reload();
    });
    details.querySelector('summary').appendChild(retry);
  }
  if (open.has(m.id)) details.open = true;
  return details;
}

// ---- Event type catalogue ----

async function catalogue() {
  const list = await eventTypes();
  const live = list.data.filter((et) => !et.archived);
  const card = h('section.card', live.length ? live.map((et) => {
    const example = firstExample(et);
    return h('div.event-type.catalogue-entry', { 'data-event-type': et.name },
      h('div', h('code', et.name), et.deprecated ? h('span.badge.badge-pending', 'deprecated') : null),
      et.description ? h('p.muted.small', et.description) : null,
      et.schemas ? h('details', h('summary', 'Schema'), h('pre', pretty(et.schemas))) : null,
      example !== undefined ? h('details', h('summary', 'Example'), h('pre', pretty(example))) : null);
  }) : h('p.muted', 'No event types are published yet.'));
  if (!list.done) card.appendChild(h('p.hint', 'Only the first ' + list.data.length + ' event types are listed.'));
  if (live.length >= FILTER_FROM) card.insertBefore(nameFilter(card, (row) => row.dataset.eventType), card.firstChild);
  render(h('h1', 'Event types'),
    h('p.muted', 'What ', app.name, ' can send you. Subscribe an endpoint to some of them, or to all.'),
    card);
}

// ---- Start ----

const route = router([
  ['/', endpoints],
  ['/endpoints', endpoints],
  ['/endpoints/new', newEndpoint],
  ['/endpoints/:ep', endpoint],
  ['/event-types', catalogue],
], () => render(h('h1', 'Not found'), h('p', 'There is no such page. ', h('a', { href: '#/endpoints' }, 'Back to your endpoints.'))));

async function start() {
  takeKeyFromFragment();
  if (!token()) {
    showLocked();
    return;
  }
  try {
    session = await api('GET', '/api/v1/hookd/session');
    if (session.scope !== 'app' || !session.app) {
      clearToken();
      showLocked('This page is for a single application\'s link; operators use the dashboard.');
      return;
    }
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      clearToken();
      showLocked('This link has expired or was revoked. Ask your provider for a new one.');
    } else {
      showLocked(e.message);
    }
    return;
  }
  app = session.app;
  document.getElementById('whoami').textContent = app.name + (session.readOnly ? ' (read-only)' : '');
  document.getElementById('nav').hidden = false;
  route();
}

window.addEventListener('hashchange', () => {
  if (location.hash.indexOf('key=') >= 0) {
    // A new link opened in the same tab: start over with its token.
    start();
  } else if (app) {
    route();
  }
});
start();
