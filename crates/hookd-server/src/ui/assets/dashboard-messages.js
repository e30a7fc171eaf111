// hookd's operator dashboard: an application's messages (search by event type, channel, time
// or id) and one message's page (its destinations, attempts, resends), which looks again while
// a delivery is on its way. It must not keep polling once nothing is pending or after a while.

import { api, appPath, enc, epPath, qs } from './api.js';
import { h, render, table } from './dom.js';
import { act } from './feedback.js';
import { field, onSubmit } from './forms.js';
import { checkKey } from './checks.js';
import { badge, isoToLocalInput, localInputToIso, pretty, timeEl } from './format.js';
import { pagedList } from './paging.js';
import { attemptDetails } from './attempts.js';
import { eventTypes } from './catalogue.js';
import { appHeader } from './dashboard-app.js';


export async function messages(p, query) {
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

export async function message(p, userAgent) {
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
      const b = h('button.small.resend', { type: 'button', 'data-writes': '' }, 'Resend');
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
      const b = h('button.small.resend', { type: 'button', 'data-writes': '' }, 'Resend this attempt');
      b.addEventListener('click', () => resend(b, a.endpointId));
      const [headers, options] = await endpointInfo(a.endpointId);
      const details = attemptDetails(a, msg, headers, userAgent, h('div.row', b), options, app.id);
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
