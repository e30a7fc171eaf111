// hookd's operator dashboard: an application's pages (its header and tabs, its endpoints with
// a day's sparkline each and the tenant-portal link, and its charts). It must not hand out a
// portal link for another application than the one shown.

import * as charts from './charts.js';
import { api, appPath, enc, qs } from './api.js';
import { clear, h, render, table } from './dom.js';
import { endpointState } from './format.js';
import { act } from './feedback.js';
import { pagedList } from './paging.js';
import { endpointForm } from './common.js';
import { WINDOWS, chartsCard, stats } from './dashboard-charts.js';

export async function appHeader(appId, tab) {
  const app = await api('GET', appPath(appId));
  const tabs = h('nav.tabs', { 'aria-label': 'Application' },
    h('a', { href: '#/apps/' + enc(app.id), 'aria-current': tab === 'endpoints' ? 'page' : null }, 'Endpoints'),
    h('a', { href: '#/apps/' + enc(app.id) + '/messages', 'aria-current': tab === 'messages' ? 'page' : null }, 'Messages'),
    h('a', { href: '#/apps/' + enc(app.id) + '/stats', 'aria-current': tab === 'stats' ? 'page' : null }, 'Charts'));
  return { app, nodes: [h('div.crumbs', h('a', { href: '#/apps' }, 'Applications'), ' / ', app.name),
    h('h1', app.name, ' ', h('span.muted.small.mono', app.uid ? app.uid + ' · ' + app.id : app.id)), tabs] };
}

export async function appEndpoints(p) {
  const { app, nodes } = await appHeader(p.app, 'endpoints');
  let list;
  const form = await endpointForm(app.id, null, true, (ep) => {
    list.reload();
    location.hash = '#/apps/' + enc(app.id) + '/endpoints/' + enc(ep.id);
  });
  const portal = h('button', { type: 'button', 'data-writes': '' }, 'Create a portal link');
  const portalOut = h('div');
  portal.addEventListener('click', async () => {
    const out = await act(portal, () => api('POST', '/api/v1/auth/app-portal-access/' + enc(app.id), {}), 'Portal link created; it works for 7 days.');
    if (out) clear(portalOut).appendChild(h('p.break', h('a.portal-link', { href: out.url, target: '_blank', rel: 'noopener noreferrer' }, 'Open the tenant portal'), h('span.muted.small', ' (the link carries a token: share it only with this tenant)')));
  });
  list = pagedList({
    label: 'Endpoint pages',
    empty: 'No endpoints yet: add one below.',
    load: (it) => api('GET', appPath(app.id) + '/endpoint' + qs({ limit: 20, iterator: it })),
    render: (data) => {
      const rows = data.map((ep) => {
        const spark = h('td.spark-cell.hide-sm', h('span.muted.small', '…'));
        stats({ appId: app.id, endpointId: ep.id }, WINDOWS.day).then((st) => clear(spark).appendChild(charts.spark(st)), () => clear(spark).appendChild(h('span.muted.small', 'n/a')));
        return h('tr', h('td.break', h('a', { href: '#/apps/' + enc(app.id) + '/endpoints/' + enc(ep.id) }, ep.url), ep.description ? h('div.muted.small', ep.description) : null),
          h('td', endpointState(ep)),
          h('td.small', ep.eventTypes ? ep.eventTypes.join(', ') : 'all'),
          spark);
      });
      return table(['URL', 'State', 'Event types', ['Last 24 h', 'hide-sm']], rows);
    },
  });
  render(...nodes,
    h('section.card', h('h2', 'Endpoints'), list),
    h('section.card', { 'data-writes': '' }, h('h2', 'Add an endpoint'), form),
    h('section.card', { 'data-writes': '' }, h('h2', 'Tenant portal'), h('p.muted', 'A link that opens this application\'s portal for its tenant (and no other application).'), portal, portalOut));
}

export async function appStats(p) {
  const { app, nodes } = await appHeader(p.app, 'stats');
  render(...nodes, chartsCard('Deliveries of ' + app.name, { appId: app.id }, ['outcomes', 'rate', 'latency'], 'hour'));
}
