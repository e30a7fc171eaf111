// hookd's operator dashboard: the delivery charts card (a time window, totals, and the charts
// of GET /api/v1/hookd/stats/attempts for every application, one, or one endpoint). It must
// not draw the charts itself (charts.js does) nor hold data beyond what it shows.

import * as charts from './charts.js';
import { api, qs } from './api.js';
import { clear, h } from './dom.js';

export const WINDOWS = {
  hour: { label: 'Last hour, per minute', secs: 3600, bucket: 60, unit: 'minute' },
  day: { label: 'Last 24 hours, per hour', secs: 86400, bucket: 3600, unit: 'hour' },
  week: { label: 'Last 7 days, per day', secs: 7 * 86400, bucket: 86400, unit: 'day' },
};

export function stats(params, win) {
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
export function chartsCard(title, params, which, initial) {
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
